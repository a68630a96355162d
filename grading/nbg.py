"""Thin access to nbgrader's Python API with the course's configuration."""
from __future__ import annotations

import logging

from .config import Course, nbgrader_config

__all__ = ["api", "NbGraderFailure", "check", "fast_gradebook_creation"]


def fast_gradebook_creation() -> None:
    """Make creating a *new* gradebook cheap.

    nbgrader 0.9.6 stamps a new gradebook with the alembic head revision by running the ``alembic``
    command in a subprocess (``nbgrader.api.get_alembic_version``), which costs seconds every time. The
    head is a constant of the installed nbgrader: read it once, in-process, with alembic's own API, and
    reuse it. The value written to the gradebook is the same.
    """
    import functools
    import os

    import nbgrader
    import nbgrader.api

    if getattr(nbgrader.api.get_alembic_version, "_nncourse_cached", False):
        return

    @functools.lru_cache(maxsize=None)
    def head() -> str:
        from alembic.script import ScriptDirectory

        return ScriptDirectory(os.path.join(os.path.dirname(nbgrader.__file__), "alembic")).get_current_head()

    head._nncourse_cached = True
    nbgrader.api.get_alembic_version = head


class NbGraderFailure(RuntimeError):
    """An nbgrader step reported failure; the message carries nbgrader's log and traceback."""


def api(course: Course, **overrides):
    """An ``nbgrader.apps.NbGraderAPI`` bound to ``course`` (``overrides``: see :func:`nbgrader_config`)."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    fast_gradebook_creation()
    course.workdir.mkdir(parents=True, exist_ok=True)
    config = nbgrader_config(course, **overrides)
    coursedir = CourseDirectory(config=config)
    nbapi = NbGraderAPI(coursedir=coursedir, config=config)
    nbapi.log.setLevel(logging.WARNING)
    return nbapi


def check(result: dict, what: str) -> dict:
    """Raise :class:`NbGraderFailure` unless an ``NbGraderAPI`` result says ``success``."""
    if not result.get("success"):
        raise NbGraderFailure(f"{what} failed:\n{result.get('log', '')}\n{result.get('error', '')}".rstrip())
    return result
