"""``nncourse feedback``: nbgrader ``generate_feedback`` with hidden tests kept out of the HTML.

The feedback chain (configured in :mod:`grading.config`) is ``GetGrades``, :class:`HideHiddenTestOutput`
(tracebacks of hidden-test cells cut to ``ErrorName: message``, output lines quoting hidden code dropped),
nbgrader's ``ClearHiddenTests`` (hidden source removed), then the HTML header.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .autograde import Failure, failure_reason
from ..config import Course
from ..nbg import api

__all__ = ["feedback", "FeedbackResult"]


@dataclass
class FeedbackResult:
    written: list = field(default_factory=list)
    failures: list = field(default_factory=list)


def _autograded(course: Course, assignments, students):
    out = []
    if not course.autograded.is_dir():
        return out
    for sdir in sorted(p for p in course.autograded.iterdir() if p.is_dir()):
        if students and sdir.name not in students:
            continue
        for adir in sorted(p for p in sdir.iterdir() if p.is_dir()):
            if not assignments or adir.name in assignments:
                out.append((sdir.name, adir.name))
    return out


def feedback(course: Course, assignments=None, students=None) -> FeedbackResult:
    """Write ``<workdir>/feedback/<student>/<assignment>/*.html`` for every autograded submission."""
    result = FeedbackResult()
    nbapi = api(course)
    for student, assignment in _autograded(course, assignments, students):
        res = nbapi.generate_feedback(assignment, student, force=True)
        if not res.get("success"):
            result.failures.append(Failure(student, assignment,
                                           failure_reason(res.get("log", ""), res.get("error", "")),
                                           res.get("log", "") + (res.get("error") or "")))
            continue
        result.written.extend(sorted(Path(course.feedback / student / assignment).glob("*.html")))
    return result
