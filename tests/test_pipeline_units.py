"""Fast unit tests of the grading pipeline's pieces (no kernel, no nbgrader run)."""
from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from grading.cycle.autograde import failure_reason
from grading.cycle.collect import match_name
from grading.config import Course, sqlalchemy_url
from grading.cycle.hidden_output import HideHiddenTestOutput, hidden_lines
from grading.cycle.release import canonical_json
from support.submissions import exercise_key, strip_solution_markers

ASSIGNMENTS = {"02-forward-pass", "03-loss-functions"}


@pytest.mark.parametrize("name, expected", [
    ("alice_02-forward-pass.ipynb", ("alice", "02-forward-pass")),
    ("bob.smith_03-loss-functions.ipynb", ("bob.smith", "03-loss-functions")),
    ("alice_12345_67890_02-forward-pass.ipynb", ("alice", "02-forward-pass")),
    ("alice_02-forward-pass-1.ipynb", ("alice", "02-forward-pass")),
    ("sub/dir/alice_02-forward-pass.ipynb", ("alice", "02-forward-pass")),
])
def test_match_name_places(name, expected):
    assert match_name(name, ASSIGNMENTS) == (expected, None)


@pytest.mark.parametrize("name, why", [
    ("alice_99-nothing.ipynb", "matches no assignment"),
    ("alice_02-forward-pass.py", "not a notebook"),
    ("02-forward-pass.ipynb", "no student id"),
    ("Alice Smith_02-forward-pass.ipynb", "not a usable student id"),
])
def test_match_name_rejects(name, why):
    match, reason = match_name(name, ASSIGNMENTS)
    assert match is None and why in reason


def test_match_name_with_roster_reads_the_lms_fields_only():
    """Moodle writes "<Full Name>_<participant id>_assignsubmission_file_"; what follows is the learner's."""
    name = "Alice Smith_123_assignsubmission_file_bob_02-forward-pass.ipynb"
    assert match_name(name, ASSIGNMENTS, roster={"alice-smith"}) == (("alice-smith", "02-forward-pass"), None)
    assert match_name(name, ASSIGNMENTS, roster={"bob"})[0] is None


def test_hidden_lines_between_markers_only():
    src = 'visible = 1\n### BEGIN HIDDEN TESTS\nassert secret_fn(3) == 9, "bad"\n)\n### END HIDDEN TESTS\nafter = 2'
    assert hidden_lines(src) == ['assert secret_fn(3) == 9, "bad"']


def _test_cell(source, outputs):
    cell = new_code_cell(source, outputs=outputs)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "grade_id": "ex01-tests-hidden",
                                 "points": 5, "schema_version": 3}
    return cell


def test_guard_cuts_tracebacks_and_leaking_lines():
    hidden = "assert np.allclose(secret_fn(x_hidden), 3 * x_hidden), 'secret_fn is wrong'"
    src = f'"""Hidden check."""\n### BEGIN HIDDEN TESTS\nx_hidden = np.arange(4.0)\n{hidden}\n### END HIDDEN TESTS'
    err = new_output("error", ename="AssertionError", evalue="secret_fn is wrong",
                     traceback=["\x1b[0;31m---------\x1b[0m", f"----> 4 {hidden}", "AssertionError: secret_fn is wrong"])
    printed = new_output("stream", name="stdout", text="debug\nx_hidden = np.arange(4.0)\nok\n")
    other = new_code_cell("print('x')", outputs=[new_output("stream", name="stdout", text=f"echo {hidden}\nfine\n")])
    nb = new_notebook(cells=[_test_cell(src, [err, printed]), other])
    nb, _ = HideHiddenTestOutput().preprocess(nb, {})
    out = nb.cells[0].outputs
    assert out[0].traceback == ["AssertionError: secret_fn is wrong"]
    assert out[1].text == "debug\nok\n"
    assert nb.cells[1].outputs[0].text == "fine\n"


def test_failure_reason_picks_the_last_error_line():
    log = "[ERROR] There was an error\nTraceback (most recent call last):\n  File x\nnbformat.reader.NotJSONError: Notebook does not appear to be JSON\n"
    assert failure_reason(log) == "nbformat.reader.NotJSONError: Notebook does not appear to be JSON"
    assert "see the log" in failure_reason("")


def test_solution_markers_removed_and_keys():
    assert strip_solution_markers("a\n    ### BEGIN SOLUTION\n    b\n    ### END SOLUTION") == "a\n    b"
    assert exercise_key("ex04-tests-hidden") == "ex04" and exercise_key("s10-checklist") == "s10"
    assert exercise_key("l15-hvp-tests-visible") == "l15-hvp" and exercise_key("s04-mlp-backward-tests") == "s04"


def test_canonical_json_is_stable_and_clears_outputs():
    nb = new_notebook(cells=[new_code_cell("1 + 1", execution_count=3,
                                           outputs=[new_output("execute_result", data={"text/plain": "2"},
                                                               execution_count=3)])])
    text = canonical_json(nb)
    again = canonical_json(nbformat.reads(text, as_version=4))
    assert text == again and text.endswith("\n")
    cell = nbformat.reads(text, as_version=4).cells[0]
    assert cell.outputs == [] and cell.execution_count is None


def test_sqlalchemy_url_keeps_explicit_drivers(tmp_path):
    assert sqlalchemy_url("postgresql+psycopg2://u@h/db") == "postgresql+psycopg2://u@h/db"
    assert sqlalchemy_url("sqlite:///x.db") == "sqlite:///x.db"
    assert sqlalchemy_url("postgres://u@h/db").startswith("postgresql")
    c = Course(source=tmp_path, release=tmp_path, workdir=tmp_path / "w")
    assert c.gradebook_url == f"sqlite:///{tmp_path / 'w' / 'gradebook.db'}"
    with pytest.raises(ValueError, match="timeout"):
        Course(source=tmp_path, release=tmp_path, workdir=tmp_path, timeout=0)


def test_in_process_grading_gives_kernels_one_blas_thread_then_restores_the_environment(monkeypatch):
    import os

    from grading.cycle import autograde as A
    from grading.cycle.run import KERNEL_ENV

    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    seen = []
    monkeypatch.setattr(A, "_grade_one", lambda job: seen.append({k: os.environ.get(k) for k in KERNEL_ENV}) or job)
    jobs = [{"root": "a"}, {"root": "b"}]
    assert list(A._run_jobs(jobs, 1)) == jobs
    assert seen == [KERNEL_ENV, KERNEL_ENV]
    assert os.environ["OMP_NUM_THREADS"] == "7" and "OPENBLAS_NUM_THREADS" not in os.environ


def test_descendants_sees_a_process_tree_and_not_the_dead():
    import os
    import subprocess
    import time

    from grading.sandbox.launch import descendants

    proc = subprocess.Popen(["sh", "-c", "sleep 30 & sleep 30 & wait"], start_new_session=True)
    try:
        deadline = time.time() + 10
        while len(descendants(proc.pid)) < 2 and time.time() < deadline:
            time.sleep(0.05)
        kids = descendants(proc.pid)
        assert len(kids) == 2 and proc.pid not in kids
        assert kids <= descendants(os.getpid())           # grandchildren of this process too
    finally:
        os.killpg(proc.pid, 9)
        proc.wait()
    assert descendants(proc.pid) == set()


def test_kernels_use_private_unix_sockets(tmp_path):
    import os
    import stat

    from grading.config import nbgrader_config
    from grading.kernels import UnixSocketKernelManager

    a, b = UnixSocketKernelManager(), UnixSocketKernelManager()
    assert a.transport == b.transport == "ipc"
    assert os.path.isabs(a.ip) and a.ip != b.ip                       # one prefix per kernel: no collisions
    assert stat.S_IMODE(os.stat(os.path.dirname(a.ip)).st_mode) == 0o700
    with pytest.raises(ValueError, match="transport='ipc'"):
        UnixSocketKernelManager(transport="tcp")
    course = Course(source=tmp_path, release=tmp_path, workdir=tmp_path)
    assert nbgrader_config(course).Execute.kernel_manager_class is UnixSocketKernelManager
