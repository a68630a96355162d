"""The instructor's pipeline on top of nbgrader: release, collect, autograde, feedback, report, run."""
