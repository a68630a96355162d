"""The instructor's cycle, one module per step: ``release``, ``collect``, ``autograde``, ``feedback``, ``report``,
and ``run`` (headless execution for CI). Each step drives nbgrader; :mod:`grading.cli` gives each a command."""
