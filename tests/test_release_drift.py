"""The committed release ``notebooks/`` is exactly what ``nncourse release`` writes now."""
from __future__ import annotations

import pytest

from conftest import NOTEBOOKS, REPO, SOLUTION_IDS

from grading.config import Course
from grading.cycle.release import drift


@pytest.mark.slow
@pytest.mark.parametrize("assignment", SOLUTION_IDS)
def test_release_matches_source(assignment, tmp_path):
    course = Course.from_repo(repo=REPO, workdir=tmp_path / "work")
    assert (NOTEBOOKS / assignment).is_dir(), f"notebooks/{assignment} is missing: run `nncourse release {assignment}`"
    differ = drift(course, assignment, tmp_path / "fresh")
    assert not differ, (f"notebooks/{assignment} drifted from solutions/{assignment} in {differ}: "
                        f"run `nncourse release {assignment}` and commit notebooks/")


def test_every_release_has_a_source():
    stray = sorted(p.name for p in NOTEBOOKS.iterdir() if p.is_dir() and p.name not in SOLUTION_IDS) \
        if NOTEBOOKS.is_dir() else []
    assert not stray, f"notebooks/ has releases with no solutions/<id>/<id>.ipynb: {stray}"
