"""The instructor's pipeline on top of nbgrader: release, collect, autograde, feedback, report, run."""
from .lazy_iri import defer_iri_grammar as _defer_iri_grammar

_defer_iri_grammar()  # before anything imports nbformat: see grading/lazy_iri.py
