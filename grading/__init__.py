"""The instructor's pipeline on top of nbgrader, in three parts that each protect one thing:

``grading.cycle``
    The steps of the instructor's cycle, one module each: ``release`` (solutions/ -> notebooks/), ``collect``
    (folders, LMS zips and nbgrader's exchange -> nbgrader's submitted layout), ``autograde`` (parallel nbgrader
    autograde; ``distributed`` runs the same jobs on a Dask cluster, ``late`` is the late-penalty policy),
    ``feedback`` (per-student HTML without hidden tests), ``report`` (grades and figures) and ``run`` (headless
    execution for CI). :mod:`grading.cli` gives each step a command (``nncourse``).
``grading.sandbox``
    The machine's protection: the learner's kernel runs in a bubblewrap sandbox with resource limits, no network
    and no view of the course or the instructor's files.
``grading.checker``
    The grade's protection: test cells run in a trusted checker process of the grader, never in the learner's
    kernel; only plain data crosses between them.

Shared: ``config`` (the course's folders and nbgrader configuration), ``nbg`` (nbgrader's API), ``kernels``
(Jupyter kernels over Unix sockets) and ``compat`` (a patch that keeps jsonschema's import cheap).
"""
from .compat import defer_iri_grammar as _defer_iri_grammar

_defer_iri_grammar()  # before anything imports nbformat: see grading/compat.py
