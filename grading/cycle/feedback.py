"""``nncourse feedback``: nbgrader ``generate_feedback`` with hidden tests kept out of the HTML.

The feedback chain (configured in :mod:`grading.config`) is ``GetGrades``, :class:`HideHiddenTestOutput`
(tracebacks of hidden-test cells cut to ``ErrorName: message``, output lines quoting hidden code dropped),
nbgrader's ``ClearHiddenTests`` (hidden source removed), then the HTML header.

A submission that could not be graded (a damaged notebook: ``autograde`` recorded it as 0) gets a short page
instead, ``<assignment>.html``, that says so and why, so that the learner can resubmit.
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
    result.written.extend(_ungraded_pages(course, assignments, students))
    return result


_UNGRADED = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{assignment}: could not be graded</title></head>
<body style="font-family: sans-serif; max-width: 42em; margin: 2em auto">
<h1>{assignment}: your submission could not be graded</h1>
<p><strong>Why:</strong> {reason}.</p>
<p>It is recorded as <strong>0 points</strong> for now. Check that the notebook opens in JupyterLab (File &gt; Open),
save it, and submit it again; ask your instructor if the deadline has passed.</p>
</body></html>
"""


def _ungraded_pages(course: Course, assignments, students) -> list:
    """``feedback/<student>/<assignment>/<assignment>.html`` for each submission autograde recorded as ungradable."""
    import html

    from .autograde import load_graded

    written = []
    for key, info in sorted(load_graded(course).items()):
        student, assignment = key.split("/", 1)
        if info.get("status") not in ("invalid", "failed"):
            continue
        if (students and student not in students) or (assignments and assignment not in assignments):
            continue
        if not (course.submitted / student / assignment).is_dir():
            continue
        dest = course.feedback / student / assignment
        dest.mkdir(parents=True, exist_ok=True)
        for old in dest.glob("*.html"):
            old.unlink()
        page = dest / f"{assignment}.html"
        page.write_text(_UNGRADED.format(assignment=html.escape(assignment),
                                         reason=html.escape(str(info.get("reason") or "unknown").rstrip("."))))
        written.append(page)
    return written
