"""Test and benchmark support: build submissions from a release (the solution, the blank release, mutants).

A submission is the *release* notebook (so the cell ids and nbgrader checksums are the student's) with
answer cells filled in:

* ``solution_submission``: every answer cell holds the source notebook's solution, markers removed;
* ``blank_submission``: the release as is (every answer raises ``NotImplementedError``);
* ``mutant_submission``: the solution with one answer cell (by ``grade_id``) replaced by other code.

``exercise_key`` (from :mod:`grading.keys`): ``ex04-tests-hidden -> ex04``, ``l15-hvp-tests-visible -> l15-hvp``.
"""
from __future__ import annotations

import copy
import textwrap
from pathlib import Path

import nbformat

from grading.keys import exercise_key  # noqa: F401 - re-exported for the tests

__all__ = ["exercise_key", "answer_cells", "solution_submission", "blank_submission", "mutant_submission",
           "strip_solution_markers", "read_notebook", "grade_cells"]

BEGIN, END = "BEGIN SOLUTION", "END SOLUTION"




def read_notebook(nb) -> nbformat.NotebookNode:
    """A deep copy of ``nb`` if it is a notebook node, else the notebook read from the path ``nb``."""
    if isinstance(nb, (str, Path)):
        return nbformat.read(str(nb), as_version=4)
    return copy.deepcopy(nb)


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def answer_cells(nb) -> dict:
    """``{grade_id: cell}`` of the cells the learner writes (``solution: true``)."""
    return {_meta(c)["grade_id"]: c for c in nb.cells if _meta(c).get("solution")}


def grade_cells(nb) -> dict:
    """``{grade_id: cell}`` of the graded cells (``grade: true``)."""
    return {_meta(c)["grade_id"]: c for c in nb.cells if _meta(c).get("grade")}


def strip_solution_markers(source: str) -> str:
    """The source with the ``### BEGIN SOLUTION`` / ``### END SOLUTION`` lines removed."""
    return "\n".join(line for line in source.split("\n") if BEGIN not in line and END not in line)


def solution_submission(release_nb, source_nb) -> nbformat.NotebookNode:
    """The release with every answer cell holding the source's solution (markers removed)."""
    nb = read_notebook(release_nb)
    source = answer_cells(read_notebook(source_nb))
    for grade_id, cell in answer_cells(nb).items():
        if grade_id not in source:
            raise ValueError(f"answer cell {grade_id!r} of the release is not in the source notebook")
        cell.source = strip_solution_markers(source[grade_id].source)
    return nb


def blank_submission(release_nb) -> nbformat.NotebookNode:
    """The release as a learner receives it."""
    return read_notebook(release_nb)


def mutant_submission(release_nb, source_nb, cell: str, code: str, *more) -> nbformat.NotebookNode:
    """The solution submission with the answer cell ``cell`` (a ``grade_id``) replaced by ``code``; ``more`` gives
    further ``(cell, code)`` pairs (mistakes in other exercises, graded in one submission)."""
    nb = solution_submission(release_nb, source_nb)
    cells = answer_cells(nb)
    for target, text in ((cell, code), *more):
        if target not in cells:
            raise ValueError(f"no answer cell with grade_id {target!r}; answer cells: {sorted(cells)}")
        cells[target].source = textwrap.dedent(text).strip("\n")
    return nb


def write_class(work, assignment: str, students: dict, release_nb, source_nb, cell: str = "ex01-answer") -> None:
    """Place one submission per learner in ``work/submitted/<student>/<assignment>/``: the solution where
    ``students[student]`` is None, else the solution with answer cell ``cell`` replaced by that code."""
    for student, code in students.items():
        nb = solution_submission(release_nb, source_nb) if code is None else \
            mutant_submission(release_nb, source_nb, cell, code)
        dest = Path(work) / "submitted" / student / assignment
        dest.mkdir(parents=True)
        nbformat.write(nb, str(dest / f"{assignment}.ipynb"))


def benchmark_assignment(repo, name: str | None = None) -> tuple:
    """``(source folder, assignment)`` a benchmark grades: ``name``, by default ``02-forward-pass``, from the course's
    ``solutions/``, or the test fixture's when the course does not have it."""
    source = Path(repo) / "solutions"
    assignment = name or ("02-forward-pass" if (source / "02-forward-pass").is_dir() else "00-fixture")
    if not (source / assignment).is_dir():
        source = Path(repo) / "tests" / "fixtures" / "course" / "solutions"
    return source, assignment
