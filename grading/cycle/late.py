"""Late work: due dates in the gradebook and nbgrader's late-penalty plugin of the course.

nbgrader computes how late a submission is from its ``timestamp.txt`` (written by ``nncourse collect`` from the
LMS's time, or by nbgrader's exchange) and the assignment's due date in the gradebook (``nncourse release
--due``), then asks the ``AssignLatePenalties`` plugin for a penalty in points. :class:`DailyLatePenalty` takes a
fraction of the notebook's score per started day late, up to a cap (default 10% a day, at most 50%;
``nncourse autograde --late-per-day 0.1 --late-cap 0.5``).

Canvas marks a late submission (``LATE`` in the file name) but gives no time; such a submission is charged one
day: autograde writes its ``timestamp.txt`` as the due date plus one second (and rewrites it if the due date
moves).
"""
from __future__ import annotations

import datetime as dt
import math

from nbgrader.plugins import BasePlugin
from traitlets import Float

__all__ = ["DailyLatePenalty", "DEFAULT_POLICY", "parse_due", "set_due_date", "due_dates", "penalty_fraction"]

DEFAULT_POLICY = (0.10, 0.50)
"""(fraction of the score per started day late, largest fraction) when nothing else is said."""


def penalty_fraction(seconds_late: float, per_day: float, cap: float) -> float:
    """The fraction of the score taken for ``seconds_late``: ``per_day`` per started day, at most ``cap``."""
    if seconds_late <= 0 or per_day <= 0:
        return 0.0
    return min(cap, per_day * math.ceil(seconds_late / 86400.0))


class DailyLatePenalty(BasePlugin):
    """nbgrader late-submission plugin: ``per_day`` of the notebook's score per started day late, at most ``cap``."""

    per_day = Float(DEFAULT_POLICY[0], help="Fraction of the score taken per started day late.").tag(config=True)
    cap = Float(DEFAULT_POLICY[1], help="Largest fraction of the score taken.").tag(config=True)

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        frac = penalty_fraction(float(total_seconds_late or 0), self.per_day, self.cap)
        return round(float(score or 0.0) * frac, 6) if frac else None


def parse_due(text: str) -> dt.datetime:
    """A due date as naive UTC (nbgrader's convention): ISO 8601 (``2026-03-01T23:59``, ``2026-03-01 23:59+01:00``,
    ``...Z``); a time without a zone is this machine's local time; a date alone means the end of that day."""
    text = text.strip()
    if len(text) == 10:
        text += "T23:59:59"
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"a due date must look like 2026-03-01T23:59 (ISO 8601), got {text!r}") from exc
    if when.tzinfo is None:
        when = when.astimezone()
    return when.astimezone(dt.timezone.utc).replace(tzinfo=None)


def set_due_date(course, assignment: str, when: dt.datetime | None) -> None:
    """Record ``assignment``'s due date (naive UTC, or ``None`` for none) in the course's gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(course.gradebook_url, course.course_id) as gb:
        gb.update_or_create_assignment(assignment, duedate=when)


def due_dates(course) -> dict:
    """``{assignment: due date (naive UTC) or None}`` from the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(course.gradebook_url, course.course_id) as gb:
        return {a.name: a.duedate for a in gb.assignments}
