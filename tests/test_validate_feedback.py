"""Readable feedback for learners: ``nncourse validate`` prints whole hints and exits 1 when a test fails, and the
course's check helpers leave their own frames out of tracebacks (the test's line, then the message and hint)."""
from __future__ import annotations

import io
import re

import nbformat
import pytest

from support import submissions as S
from grading.cli import main
from grading.config import Course
from grading.cycle.release import RUN_ALL_TAG, release
from grading.learner import validate

LONG_HINT = ("you added b to the wrong axis: b has one entry per output feature, so it is added to every row of "
             "X @ W.T (broadcast over the batch axis), never to every column")
assert len(LONG_HINT) > 120  # longer than nbgrader validate's 90-character lines

SOURCE_CELLS = [
    ("markdown", "# Validate fixture", None),
    ("code", "import numpy as np", None),
    ("code", 'def shift(x, b):\n    """x + b, b added to every row."""\n    ### BEGIN SOLUTION\n    return np.asarray(x) + b\n'
             '    ### END SOLUTION', {"grade": False, "solution": True, "locked": False, "grade_id": "ex01-answer"}),
    ("code", '"""Check shift on a (2, 3) batch."""\nimport numpy as np\nfrom helpers.checks import assert_close\n'
             f'assert_close(shift(np.zeros((2, 3)), np.arange(3.0)), np.tile(np.arange(3.0), (2, 1)), "shift(x, b)",\n'
             f'             hint={LONG_HINT!r})',
     {"grade": True, "solution": False, "locked": True, "points": 2, "grade_id": "ex01-tests-visible"}),
]


@pytest.fixture(scope="module")
def validate_course(tmp_path_factory):
    root = tmp_path_factory.mktemp("validate-course")
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    for kind, source, meta in SOURCE_CELLS:
        cell = (nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell)(source)
        if meta:
            cell.metadata["nbgrader"] = {**meta, "schema_version": 3}
        nb.cells.append(cell)
    (root / "solutions" / "00-validate").mkdir(parents=True)
    nbformat.write(nb, root / "solutions" / "00-validate" / "00-validate.ipynb")
    course = Course(source=root / "solutions", release=root / "notebooks", workdir=root / "instructor")
    release(course)
    return course


def _submission(course, tmp_path, answer=None, name="sub"):
    release_nb = course.release_notebook("00-validate")
    if answer == "solution":
        nb = S.solution_submission(release_nb, course.source_notebook("00-validate"))
    elif answer is None:
        nb = S.blank_submission(release_nb)
    else:
        nb = S.mutant_submission(release_nb, course.source_notebook("00-validate"), "ex01-answer", answer)
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path, nb


@pytest.mark.slow
def test_validate_prints_whole_hints_and_exits_1_on_a_failing_test(validate_course, tmp_path):
    path, _ = _submission(validate_course, tmp_path, "def shift(x, b):\n    return np.asarray(x) + np.sum(b)\n")
    out = io.StringIO()
    assert validate(path, stream=out) == 1
    text = out.getvalue()
    assert "FAILED ex01-tests-visible (2 points): Check shift on a (2, 3) batch." in text
    assert f"    Hint: {LONG_HINT}\n" in text, text  # the whole hint on one line, never cut
    assert "AssertionError: shift(x, b) is wrong at index [0, 0]" in text
    assert "helpers/checks.py" not in text
    assert "1 of 1 test cell(s) failed" in text


@pytest.mark.slow
def test_validate_says_what_to_write_on_the_blank_release_and_passes_the_solution(validate_course, tmp_path, capsys):
    blank, _ = _submission(validate_course, tmp_path, None, "blank")
    assert main(["validate", str(blank)]) == 1
    text = capsys.readouterr().out
    assert ("NotImplementedError: write the body of shift above (replace this line), then run this cell and the "
            "tests below\n") in text
    solved, _ = _submission(validate_course, tmp_path, "solution", "solved")
    assert main(["validate", str(solved)]) == 0
    assert "All 1 test cell(s) pass" in capsys.readouterr().out


@pytest.mark.slow
def test_validate_refuses_a_changed_test_cell(validate_course, tmp_path):
    path, nb = _submission(validate_course, tmp_path, "solution", "changed")
    S.grade_cells(nb)["ex01-tests-visible"].source = '"""Check shift."""\nassert True'
    nbformat.write(nb, path)
    out = io.StringIO()
    assert validate(path, stream=out) == 1
    assert "These test cells were changed: ex01-tests-visible" in out.getvalue()


@pytest.mark.slow
def test_validate_gives_the_same_verdict_with_and_without_the_run_all_tag(validate_course, tmp_path):
    """The Validate button (nbgrader's Validator) ignores the ``raises-exception`` tag the release adds."""
    from nbgrader.validator import Validator

    path, nb = _submission(validate_course, tmp_path, None, "tagged")
    assert RUN_ALL_TAG in S.grade_cells(nb)["ex01-tests-visible"].metadata["tags"]
    for cell in nb.cells:
        cell.metadata.pop("tags", None)
    untagged = tmp_path / "untagged.ipynb"
    nbformat.write(nb, untagged)
    with_tag, without = Validator().validate(str(path)), Validator().validate(str(untagged))
    strip = lambda r: {k: [c["source"] for c in v] for k, v in r.items()}  # noqa: E731 (tracebacks differ in cell numbers)
    assert strip(with_tag) == strip(without) and with_tag.get("failed")


KERNEL_CELLS = [
    "import numpy as np\nfrom helpers.checks import assert_close, assert_shape, expect, check_not_delegating\n"
    "from helpers import forward as F\n\ndef f(x):\n    return x + 1",
    '"""close"""\nassert_close(f(np.ones(3)), np.ones(3), "f(x)", hint="you added 1: return x itself")',
    '"""expect"""\nexpect(f(0) == 0, "f(0) should be 0\\nHint: return x itself")',
    '"""shape"""\nassert_shape(f(np.ones((2, 3))), (3, 2), "f(x)")',
    '"""delegating"""\ncheck_not_delegating(F.affine_forward, "affine_forward")',
    '"""hidden-style"""\ndef _run(fn):\n    assert_close(fn(np.zeros(2)), np.zeros(2), "f(0)", hint="return x itself")\n'
    'check_not_delegating(f, "f", call=_run)',
]


@pytest.mark.slow
def test_check_helpers_hide_their_own_frames_in_a_kernel():
    from nbclient import NotebookClient
    from nbconvert.filters import strip_ansi

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in KERNEL_CELLS]
    NotebookClient(nb, allow_errors=True, kernel_name="python3", timeout=60).execute()
    expected = {1: ("AssertionError", "Hint: you added 1: return x itself"), 2: ("AssertionError", "Hint: return x"),
                3: ("AssertionError", "f(x) has shape (2, 3), expected (3, 2)"),
                4: ("DelegationError", "is the course's reference implementation"),
                5: ("AssertionError", "Hint: return x itself")}
    for index, (ename, words) in expected.items():
        errors = [o for o in nb.cells[index].outputs if o.output_type == "error"]
        assert len(errors) == 1, (index, nb.cells[index].outputs)
        err = errors[0]
        assert err.ename == ename and words in err.evalue, (index, err.ename, err.evalue)
        text = "\n".join(strip_ansi(t) for t in err.traceback)
        assert "checks.py" not in text and "skipping hidden" not in text, text
        # the last frame shown is the test's own line, and the message follows it
        frames = [strip_ansi(t) for t in err.traceback[2:-1]]
        assert frames and re.match(r"Cell In\[\d+\], line \d+", frames[-1]), frames
        arrow = [line for line in frames[-1].splitlines() if line.lstrip().startswith("--")][-1]
        assert "assert_close" in arrow or "expect" in arrow or "assert_shape" in arrow or "check_not" in arrow, arrow
        assert strip_ansi(err.traceback[-1]).startswith(f"{ename}: "), err.traceback[-1]


def test_check_helpers_raise_the_same_errors_outside_ipython():
    from helpers import checks as C

    with pytest.raises(AssertionError, match=r"x is wrong at index \[1\]: got 5.0, expected 2.0 .*\nHint: h") as info:
        C.assert_close([1.0, 5.0], [1.0, 2.0], "x", hint="h")
    assert type(info.value) is AssertionError
    frames = []
    tb = C._without_own_frames(info.value.__traceback__)
    while tb is not None:
        frames.append(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    assert frames == ["test_check_helpers_raise_the_same_errors_outside_ipython"]
    with pytest.raises(C.DelegationError):
        from helpers import forward as F

        C.check_not_delegating(F.affine_forward)
