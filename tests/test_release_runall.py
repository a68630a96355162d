"""A learner's Run All on the blank release: it reaches the end, shows every figure of the solution, claims no
success it did not earn; the release's stubs name their function and its test cells carry ``raises-exception``
(which changes no grade).

Run All is JupyterLab's: nbclient with ``allow_errors=False`` stops at the first error of a cell that has no
``raises-exception`` tag, as JupyterLab does. The release notebooks are the committed ones under ``notebooks/``
(``tests/test_release_drift.py`` keeps them equal to a fresh release).
"""
from __future__ import annotations

import nbformat
import pytest

from conftest import NOTEBOOKS, SOLUTION_IDS, SOLUTIONS

from support import runall as R
from support import submissions as S
from grading.cycle.release import RUN_ALL_TAG, NamedClearSolutions


@pytest.fixture(scope="session")
def run_all_cache(tmp_path_factory):
    return R.cache_folder(tmp_path_factory)


def _is_test(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


# ----------------------------------------------------------------------------------------------------------------
# the stub names its function


@pytest.mark.parametrize("source, index, name", [
    ("def f(x):\n    ### BEGIN SOLUTION", 1, "f"),
    ("def f(x,\n      y):\n    '''doc'''\n\n    ### BEGIN SOLUTION", 4, "f"),
    ("def outer():\n    def inner():\n        ### BEGIN SOLUTION", 2, "inner"),
    ("def f(x):\n    if x:\n        ### BEGIN SOLUTION", 2, "f"),
    ("class K:\n    def m(self):\n        ### BEGIN SOLUTION", 2, "m"),
    ("x = 1\n### BEGIN SOLUTION", 1, None),
    ("for i in range(3):\n    ### BEGIN SOLUTION", 1, None),
    ("def f(x):\n    return x\n\nfor i in range(3):\n    ### BEGIN SOLUTION", 4, None),
])
def test_enclosing_function(source, index, name):
    assert NamedClearSolutions.enclosing_function(source.split("\n"), index) == name


def test_fixture_release_names_functions_and_tags_test_cells(fixture_course):
    nb = nbformat.read(fixture_course.release_notebook("00-fixture"), as_version=4)
    answers = S.answer_cells(nb)
    for grade_id, fn in (("ex01-answer", "add"), ("ex02-answer", "square")):
        lines = answers[grade_id].source.splitlines()
        stub = [line.strip() for line in lines if "NotImplementedError" in line]
        assert stub == [f'raise NotImplementedError("write the body of {fn} above (replace this line), then run '
                        f'this cell and the tests below")'], answers[grade_id].source
        compile(answers[grade_id].source, grade_id, "exec")
    assert answers["s00-checklist"].source == "YOUR ANSWER HERE"
    tagged = {c.metadata.nbgrader["grade_id"] for c in nb.cells if RUN_ALL_TAG in c.metadata.get("tags", [])}
    assert tagged == {c.metadata.nbgrader["grade_id"] for c in nb.cells if _is_test(c)} != set()


@pytest.mark.parametrize("assignment", SOLUTION_IDS)
def test_release_stubs_name_their_function_and_tests_are_tagged(assignment):
    path = NOTEBOOKS / assignment / f"{assignment}.ipynb"
    nb = nbformat.read(path, as_version=4)
    for grade_id, cell in S.answer_cells(nb).items():
        if cell.cell_type != "code":
            continue
        bare = [line.strip() for line in cell.source.splitlines() if line.strip() == "raise NotImplementedError()"]
        assert not bare, f"{path}: {grade_id} has a stub that does not say what to write: run `nncourse release`"
    untagged = [c.metadata.nbgrader["grade_id"] for c in nb.cells
                if _is_test(c) and RUN_ALL_TAG not in c.metadata.get("tags", [])]
    assert not untagged, f"{path}: test cells without the {RUN_ALL_TAG!r} tag {untagged}: run `nncourse release`"


# ----------------------------------------------------------------------------------------------------------------
# the tag changes no grade


def _without_tags(nb):
    nb = S.read_notebook(nb)
    for cell in nb.cells:
        tags = [t for t in cell.metadata.get("tags", []) if t != RUN_ALL_TAG]
        if tags:
            cell.metadata["tags"] = tags
        else:
            cell.metadata.pop("tags", None)
    return nb


@pytest.mark.slow
def test_raises_exception_tag_changes_no_grade(fixture_course, tmp_path):
    from grading.cycle.autograde import grade_submissions

    release_nb = fixture_course.release_notebook("00-fixture")
    source_nb = fixture_course.source_notebook("00-fixture")
    wrong = S.mutant_submission(release_nb, source_nb, "ex01-answer", "def add(a, b):\n    return a - b\n")
    tagged = {"solution": S.solution_submission(release_nb, source_nb), "blank": S.blank_submission(release_nb),
              "wrong": wrong}
    assert all(RUN_ALL_TAG in c.metadata.get("tags", []) for nb in tagged.values() for c in nb.cells if _is_test(c))
    subs = {**{f"{k}-tagged": v for k, v in tagged.items()}, **{f"{k}-untagged": _without_tags(v)
                                                               for k, v in tagged.items()}}
    course = fixture_course.with_(workdir=tmp_path / "work")
    result = grade_submissions("00-fixture", subs, tmp_path / "work", course=course, jobs=1)
    assert not result.failures, [str(f) for f in result.failures]
    for kind in tagged:
        assert result.scores[f"{kind}-tagged"] == result.scores[f"{kind}-untagged"], kind
    # and the grades are the expected ones, so the comparison is not between two broken runs
    tests = [g for g, c in S.grade_cells(nbformat.read(source_nb, as_version=4)).items() if _is_test(c)]
    assert all(result.scores["solution-tagged"][g][0] == result.scores["solution-tagged"][g][1] > 0 for g in tests)
    assert all(result.scores["blank-tagged"][g][0] == 0 for g in tests)
    assert result.scores["wrong-tagged"]["ex01-tests-visible"][0] == 0
    assert result.scores["wrong-tagged"]["ex02-tests-visible"][0] > 0


# ----------------------------------------------------------------------------------------------------------------
# Run All of every release


@pytest.mark.slow
@pytest.mark.parametrize("assignment", SOLUTION_IDS)
def test_run_all_of_the_blank_release(assignment, run_all_cache):
    release = NOTEBOOKS / assignment / f"{assignment}.ipynb"
    assert release.is_file(), f"{release} is missing: run `nncourse release {assignment}`"
    # the solution's run (figures drawn) is the one tests/test_notebooks.py checks: executed once between them
    solution = R.executed(SOLUTIONS / assignment / f"{assignment}.ipynb", run_all_cache)
    assert solution.ok, f"the solution of {assignment} fails: {solution.error}"
    blank = R.executed(release, run_all_cache)
    assert blank.ok, (f"{release}: Run All stops before the end ({blank.error}); a cell that needs the learner's "
                      "answer must catch NotImplementedError or use the helpers reference (docs/AUTHORING.md)")
    shown, wanted = R.png_count(blank.notebook), R.png_count(solution.notebook)
    assert shown == wanted, (f"{release}: the blank release shows {shown} figure(s), the solution {wanted}: a figure "
                             "drawn from the learner's answer must be drawn from the helpers reference")
    claims = R.success_claims(blank.notebook)
    assert not claims, f"{release}: outputs that claim success the blank answer did not earn: {claims}"


def test_success_claims_are_found():
    nb = nbformat.v4.new_notebook()
    test = nbformat.v4.new_code_cell("", metadata={"nbgrader": {"grade": True, "solution": False}})
    test.outputs = [nbformat.v4.new_output("stream", text="ex08: hidden tests passed\n")]
    demo = nbformat.v4.new_code_cell("")
    demo.outputs = [nbformat.v4.new_output("stream", text="reproduction check passed: slope -0.5\n"),
                    nbformat.v4.new_output("error", ename="AssertionError", evalue="this test passes only if", traceback=[])]
    quiet = nbformat.v4.new_code_cell("", metadata={"nbgrader": {"grade": True, "solution": False}})
    quiet.outputs = [nbformat.v4.new_output("stream", text="Correct shape\n")]
    nb.cells = [test, demo, quiet]
    assert [i for i, _ in R.success_claims(nb)] == [0, 2]
