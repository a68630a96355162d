"""Every section notebook: the solution runs clean, the release fails only where the learner must write code,
and the source notebook follows docs/AUTHORING.md (docstrings in test cells, no stored outputs, cell order)."""
from __future__ import annotations

import nbformat
import pytest

from conftest import SOLUTION_IDS, SOLUTIONS

from grading.keys import exercise_key


def _meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def _is_test(cell):
    m = _meta(cell)
    return bool(m.get("grade")) and not m.get("solution") and cell.cell_type == "code"


def _is_answer(cell):
    return bool(_meta(cell).get("solution"))


def _source(assignment):
    return nbformat.read(SOLUTIONS / assignment / f"{assignment}.ipynb", as_version=4)


@pytest.mark.slow
@pytest.mark.parametrize("assignment", SOLUTION_IDS)
def test_solution_notebook_executes(assignment, tmp_path_factory):
    """Every solution runs top to bottom, figures drawn; the run is shared with tests/test_release_runall.py, which
    compares its figures with the blank release's (and checks that the release reaches the end)."""
    from support import runall as R

    path = SOLUTIONS / assignment / f"{assignment}.ipynb"
    result = R.executed(path, R.cache_folder(tmp_path_factory))
    assert result.ok, f"{path} failed: {result.error}"


@pytest.mark.parametrize("assignment", SOLUTION_IDS)
def test_source_has_no_outputs(assignment):
    nb = _source(assignment)
    stored = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not stored, f"solutions/{assignment}: code cells {stored} have stored outputs or execution counts"


@pytest.mark.parametrize("assignment", SOLUTION_IDS)
def test_every_test_cell_opens_with_a_docstring(assignment):
    nb = _source(assignment)
    bare = [_meta(c)["grade_id"] for c in nb.cells
            if _is_test(c) and not c.source.lstrip().startswith(('"""', "'''", 'r"""'))]
    assert not bare, f"solutions/{assignment}: test cells without a docstring saying what they check: {bare}"


@pytest.mark.parametrize("assignment", SOLUTION_IDS)
def test_test_cells_follow_answer_or_test_cells(assignment):
    """nbgrader 0.9.6 crashes restoring a deleted test cell that follows a locked cell with no grade/solution."""
    nb = _source(assignment)
    bad = []
    for i, cell in enumerate(nb.cells):
        if _is_test(cell):
            prev = nb.cells[i - 1] if i else None
            if prev is None or not (_is_answer(prev) or _is_test(prev)):
                bad.append(_meta(cell)["grade_id"])
    assert not bad, f"solutions/{assignment}: test cells not preceded by an answer or test cell: {bad}"


@pytest.mark.parametrize("assignment", SOLUTION_IDS)
def test_no_read_only_cells(assignment):
    nb = _source(assignment)
    ro = [i for i, c in enumerate(nb.cells)
          if _meta(c).get("locked") and not _meta(c).get("grade") and not _meta(c).get("solution")]
    assert not ro, f"solutions/{assignment}: read-only cells (locked without grade/solution) at {ro}"


@pytest.mark.parametrize("assignment", SOLUTION_IDS)
def test_grade_ids_start_with_an_exercise_key(assignment):
    import re

    nb = _source(assignment)
    ids = [_meta(c)["grade_id"] for c in nb.cells if _meta(c).get("grade") or _meta(c).get("solution")]
    bad = [g for g in ids if not re.match(r"^(ex\d\d|s\d\d|l\d\d-[a-z0-9]+)-", g)]
    assert not bad, f"solutions/{assignment}: grade ids must start with exNN-, sKK- or lKK-<name>-: {bad}"
    assert len(ids) == len(set(ids)), f"solutions/{assignment}: duplicate grade ids in {ids}"


PRACTICE_POINTS = {"ex02": 6, "ex07": 6}
"""The one-line practice exercises (ReLU and its derivative; the Xavier and He scales) weigh 6 points; the other
eight practice exercises 11 each, so the notes' ten add up to 100. Section and lab exercises weigh 10."""


@pytest.mark.parametrize("assignment", SOLUTION_IDS)
def test_each_exercise_is_worth_its_points(assignment):
    nb = _source(assignment)
    points = {}
    for c in nb.cells:
        m = _meta(c)
        if _is_test(c):
            key = exercise_key(m["grade_id"])
            points[key] = points.get(key, 0) + float(m.get("points", 0))
    want = {k: PRACTICE_POINTS.get(k, 11) if k.startswith("ex") else 10 for k in points}
    assert points == want, f"solutions/{assignment}: autograded points per exercise should be {want}, got {points}"


def test_the_ten_practice_exercises_add_up_to_100():
    total = {}
    for assignment in SOLUTION_IDS:
        for c in _source(assignment).cells:
            if _is_test(c) and _meta(c)["grade_id"].startswith("ex"):
                key = exercise_key(_meta(c)["grade_id"])
                total[key] = total.get(key, 0) + float(_meta(c).get("points", 0))
    assert sorted(total) == [f"ex{i:02d}" for i in range(1, 11)] and sum(total.values()) == 100, total
