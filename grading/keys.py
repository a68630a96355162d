"""Which exercise a graded cell belongs to, from its ``grade_id``.

Sections: the text before the first dash (``ex04-tests-hidden`` is practice exercise 4, ``s07-tests-visible-adam``
section 7's own exercise, ``s10-checklist`` section 10's checklist). Labs hold two exercises each, so their key is
the first two parts (``l15-hvp-tests-visible`` is lab 15's ``l15-hvp``). The gradebook's per-exercise scores, the
report's columns and the rule that a caught delegation zeroes a whole exercise all use this one function.
"""
from __future__ import annotations

import re

__all__ = ["exercise_key"]

_LAB = re.compile(r"^(l\d\d-[a-z0-9]+)-")


def exercise_key(grade_id: str) -> str:
    """``ex04-tests-hidden -> ex04``, ``s10-checklist -> s10``, ``l15-hvp-tests-visible -> l15-hvp``."""
    lab = _LAB.match(grade_id)
    return lab.group(1) if lab else grade_id.split("-", 1)[0]
