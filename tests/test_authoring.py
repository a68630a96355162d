"""The test-cell contract of docs/AUTHORING.md, checked on every source notebook (sections, labs, fixtures).

During autograde a test cell runs in the grader's checker process in a fresh namespace, so it must import what it
uses and may read from the notebook only the names its answer cells define. A cell that leans on a name an earlier
demo cell defined would pass in JupyterLab and fail for every learner when graded.
"""
from __future__ import annotations

import ast
import builtins
import re
from pathlib import Path

import nbformat
import pytest

from conftest import REPO

from grading.checker.plan import free_names
from grading.checker.stubs import declared_references, defined_names

NOTEBOOKS = sorted([*REPO.glob("solutions/*/*.ipynb"), *REPO.glob("tests/fixtures/course/solutions/*/*.ipynb"),
                    *REPO.glob("tests/hostile/*/*.ipynb")])


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _tests(nb):
    return [c for c in nb.cells if c.cell_type == "code" and _meta(c).get("grade") and not _meta(c).get("solution")]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.parent.name)
def test_test_cells_read_only_the_learners_functions(path):
    nb = nbformat.read(path, as_version=4)
    answers = defined_names(c.source for c in nb.cells if c.cell_type == "code" and _meta(c).get("solution"))
    problems = []
    for cell in _tests(nb):
        extra = free_names(cell.source) - answers - set(dir(builtins))
        if extra:
            problems.append(f"{_meta(cell)['grade_id']} reads {sorted(extra)} from the notebook: import or define "
                            "them in the cell itself (it runs alone in the grader's checker)")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.parent.name)
def test_no_success_is_claimed_after_the_hidden_tests(path):
    """In the release the hidden block is gone, so a print after it would claim a success nothing earned."""
    nb = nbformat.read(path, as_version=4)
    bad = []
    for cell in _tests(nb):
        if "END HIDDEN TESTS" in cell.source:
            tail = cell.source.split("END HIDDEN TESTS", 1)[1]
            if re.search(r"\bpass(ed|es)\b", tail, flags=re.IGNORECASE):
                bad.append(_meta(cell)["grade_id"])
    assert not bad, f"these cells print a success after their hidden tests: {bad}"


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.is_relative_to(REPO / "solutions")],
                         ids=lambda p: p.parent.name)
def test_a_visible_pass_says_the_hidden_tests_are_still_to_come(path):
    """A learner who reads "passed" under a test cell must not take it for the grade: every "passed" a test cell
    prints says that the hidden tests run only at grading, and every file of tests/ a notebook names exists."""
    nb = nbformat.read(path, as_version=4)
    bad = [_meta(c)["grade_id"] for c in _tests(nb)
           if re.search(r"\bpassed\b", c.source) and "hidden tests run only when your notebook is graded" not in c.source]
    assert not bad, f"these test cells print 'passed' without saying the hidden tests have not run: {bad}"
    named = {m for c in nb.cells for m in re.findall(r"tests/[\w/]+\.py", c.source)}
    assert all((REPO / m).is_file() for m in named), sorted(m for m in named if not (REPO / m).is_file())


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.is_relative_to(REPO / "solutions")],
                         ids=lambda p: p.parent.name)
def test_declared_references_exist_in_helpers(path):
    """The names a hidden test declares with check_not_delegating are real helpers functions (a typo would leave
    the reference working in the grading kernel)."""
    import helpers  # noqa: F401 - load every module of the package
    import pkgutil
    import importlib

    defined = set()
    for info in pkgutil.iter_modules(helpers.__path__):
        module = importlib.import_module(f"helpers.{info.name}")
        tree = ast.parse(Path(module.__file__).read_text())
        defined |= {s.name for s in tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}
    nb = nbformat.read(path, as_version=4)
    declared = declared_references(c.source for c in _tests(nb))
    assert declared, f"{path.name}: no hidden test declares the references an answer must not call"
    assert declared <= defined, f"{path.name} declares references helpers does not define: {declared - defined}"
