"""Shared fixtures for the test suite.

* ``REPO``, ``SOLUTION_IDS``: the repository and every assignment with a source notebook;
* ``load_mutants(id)``: the ``MUTANTS`` list of ``tests/mutants/<id>.py`` (loaded by path, not imported);
* ``fixture_course`` (session): the tiny fixture assignment ``tests/fixtures/course/solutions/00-fixture``
  released into a temporary course, for pipeline tests that must not depend on the section notebooks.
"""
from __future__ import annotations

import runpy
import shutil
from pathlib import Path

import pytest

import grading  # noqa: F401  (imported before nbformat: it defers jsonschema's IRI grammar, see grading/compat.py)
from grading.keys import exercise_key

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
NOTEBOOKS = REPO / "notebooks"
MUTANTS_DIR = REPO / "tests" / "mutants"
FIXTURE_SOLUTIONS = REPO / "tests" / "fixtures" / "course" / "solutions"
FIXTURE_ID = "00-fixture"


def solution_ids() -> list[str]:
    """Assignments with a source notebook ``solutions/<id>/<id>.ipynb``."""
    if not SOLUTIONS.is_dir():
        return []
    return sorted(p.name for p in SOLUTIONS.iterdir() if (p / f"{p.name}.ipynb").is_file())


SOLUTION_IDS = solution_ids()


def mutant_ids() -> list[str]:
    """Assignments that have both a source notebook and ``tests/mutants/<id>.py``."""
    return [a for a in SOLUTION_IDS if (MUTANTS_DIR / f"{a}.py").is_file()]


def load_mutants(assignment: str) -> list[dict]:
    """The ``MUTANTS`` list of ``tests/mutants/<assignment>.py``, checked for the documented format."""
    path = MUTANTS_DIR / f"{assignment}.py"
    mutants = runpy.run_path(str(path))["MUTANTS"]
    names = [(m.get("exercise"), m.get("name")) for m in mutants]
    dup = sorted({n for n in names if names.count(n) > 1})
    assert not dup, f"{path}: mutant names must be unique within an exercise, repeated: {dup}"
    for m in mutants:
        missing = {"name", "exercise", "cell", "source"} - set(m)
        assert not missing, f"{path}: mutant {m.get('name')!r} lacks {sorted(missing)}"
        assert exercise_key(m["cell"]) == m["exercise"], (
            f"{path}: mutant {m['name']!r} replaces {m['cell']!r}, which is not a cell of {m['exercise']!r}")
    return mutants


@pytest.fixture(scope="session")
def fixture_course(tmp_path_factory):
    """The fixture assignment, released into a temporary course (source, release and workdir all temporary)."""
    from grading.config import Course
    from grading.cycle.release import release

    root = tmp_path_factory.mktemp("fixture-course")
    shutil.copytree(FIXTURE_SOLUTIONS, root / "solutions")
    course = Course(source=root / "solutions", release=root / "notebooks", workdir=root / "instructor", timeout=10)
    release(course)
    return course


# Tests that share an expensive module- or session-scoped fixture run on one pytest-xdist worker
# (``--dist loadgroup`` in pyproject.toml), so that the fixture is built once, not once per worker:
# the hostile battery grades some twenty notebooks, the pipeline batch a class of submissions.
_SHARED_FIXTURE_GROUPS = {"battery": "hostile-battery", "batch": "pipeline-batch"}


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own hook, which reads the marks
def pytest_collection_modifyitems(config, items):
    for item in items:
        for fixture, group in _SHARED_FIXTURE_GROUPS.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(pytest.mark.xdist_group(group))
