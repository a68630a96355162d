"""End-to-end tests of the grading pipeline on the tiny fixture assignment, with real nbgrader (no mocks).

One session-wide batch grades the solution, the blank release, a common mistake and every kind of broken
submission at once; the tests below read its results. Expected scores of the fixture ``00-fixture``:
ex01 = 4 (visible) + 6 (hidden), ex02 = 5 + 5, and a manually graded markdown cell ``s00-checklist`` (2).
"""
from __future__ import annotations

import copy
import csv
import html
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from conftest import FIXTURE_ID

from support import submissions as S
from grading.cycle.autograde import grade_submissions, read_scores
from grading.cli import main
from grading.config import Course, nbgrader_config, write_nbgrader_config
from grading.cycle.feedback import feedback
from grading.cycle.hidden_output import hidden_lines
from grading.cycle.release import drift, release
from grading.cycle.report import report

pytestmark = pytest.mark.slow

FULL = {"ex01-tests-visible": 4.0, "ex01-tests-hidden": 6.0, "ex02-tests-visible": 5.0, "ex02-tests-hidden": 5.0}


def _drop(nb, grade_id):
    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != grade_id]
    return nb


def _cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def build_submissions(course: Course) -> dict:
    rel, src = course.release_notebook(FIXTURE_ID), course.source_notebook(FIXTURE_ID)
    sol = S.solution_submission(rel, src)
    wrong_add = "def add(a, b):\n    return np.asarray(a) - np.asarray(b)\n"
    edited = S.mutant_submission(rel, src, "ex01-answer", wrong_add)
    _cell(edited, "ex01-tests-visible").source = "pass  # the learner 'fixed' the test"
    _cell(edited, "ex01-tests-hidden").source = "pass"
    return {
        "solution": sol,
        "blank": S.blank_submission(rel),
        "mutant": S.mutant_submission(rel, src, "ex01-answer", wrong_add),
        "badjson": '{"cells": [ this is not JSON',
        "deletedtest": _drop(sol, "ex01-tests-hidden"),
        "editedtest": edited,
        "loop": S.mutant_submission(rel, src, "ex02-answer", "while True:\n    pass\n"),
        "noanswer": _drop(sol, "ex01-answer"),
    }


def _grade_batch(root: Path):
    """Release the fixture under ``root`` and grade the batch there; returns (course, subs, result)."""
    import shutil

    from conftest import FIXTURE_SOLUTIONS

    shutil.copytree(FIXTURE_SOLUTIONS, root / "solutions")
    course = Course(source=root / "solutions", release=root / "notebooks", workdir=root / "instructor", timeout=5)
    release(course)
    subs = build_submissions(course)
    result = grade_submissions(FIXTURE_ID, subs, course.workdir, course=course, jobs=2)
    return course, subs, result


@pytest.fixture(scope="session")
def batch(tmp_path_factory):
    """The graded batch, computed once per test run, also under pytest-xdist: the first worker grades it
    in a folder shared by the run's workers (under a file lock) and saves the results; the others load them."""
    import fcntl
    import json

    from grading.cycle.autograde import BatchResult, Failure

    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return _grade_batch(tmp_path_factory.mktemp("batch"))
    shared = tmp_path_factory.getbasetemp().parent / "pipeline-batch"  # one folder per run, shared by workers
    shared.mkdir(exist_ok=True)
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        saved = shared / "result.json"
        if not saved.exists():
            course, subs, res = _grade_batch(shared)
            saved.write_text(json.dumps({
                "graded": res.graded, "failures": [[f.student, f.assignment, f.reason] for f in res.failures],
                "timeouts": [[s, a, cells] for (s, a), cells in res.timeouts.items()],
                "scores": {s: {g: list(v) for g, v in cells.items()} for s, cells in res.scores.items()}}))
    data = json.loads(saved.read_text())
    course = Course(source=shared / "solutions", release=shared / "notebooks", workdir=shared / "instructor", timeout=5)
    res = BatchResult(graded=[tuple(x) for x in data["graded"]],
                      failures=[Failure(*f) for f in data["failures"]],
                      timeouts={(s, a): cells for s, a, cells in data["timeouts"]},
                      scores={s: {g: tuple(v) for g, v in cells.items()} for s, cells in data["scores"].items()})
    return course, build_submissions(course), res


def _auto(scores):
    return {g: s for g, (s, _) in scores.items() if g in FULL}


def test_solution_full_marks_and_blank_zero(batch):
    _, _, res = batch
    assert _auto(res.scores["solution"]) == FULL
    assert _auto(res.scores["blank"]) == {g: 0.0 for g in FULL}
    assert res.scores["solution"]["s00-checklist"] == (0.0, 2.0)  # manual: waits for a grader


def test_common_mistake_loses_its_exercise_only(batch):
    got = _auto(batch[2].scores["mutant"])
    assert got["ex01-tests-visible"] + got["ex01-tests-hidden"] == 0
    assert got["ex02-tests-visible"] + got["ex02-tests-hidden"] == 10


def test_invalid_json_is_reported_and_batch_goes_on(batch):
    _, subs, res = batch
    failed = {f.student: f for f in res.failures}
    assert set(failed) == {"badjson"}, [str(f) for f in res.failures]
    assert "JSON" in failed["badjson"].reason
    assert _auto(res.scores["badjson"]) == {g: 0.0 for g in FULL}
    assert {s for s, _ in res.graded} == set(subs) - {"badjson"}


def test_deleted_test_cell_is_restored_and_graded(batch):
    course, _, res = batch
    assert _auto(res.scores["deletedtest"]) == FULL
    nb = nbformat.read(course.autograded / "deletedtest" / FIXTURE_ID / f"{FIXTURE_ID}.ipynb", as_version=4)
    restored = _cell(nb, "ex01-tests-hidden")
    assert "BEGIN HIDDEN TESTS" in restored.source and not restored.outputs  # ran, and passed


def test_edited_test_cell_is_overwritten(batch):
    got = _auto(batch[2].scores["editedtest"])
    assert got["ex01-tests-visible"] == 0 and got["ex01-tests-hidden"] == 0, got


def test_infinite_loop_is_stopped_by_the_timeout(batch):
    _, _, res = batch
    got = _auto(res.scores["loop"])
    assert got["ex01-tests-visible"] + got["ex01-tests-hidden"] == 10
    assert got["ex02-tests-visible"] + got["ex02-tests-hidden"] == 0
    assert res.timeouts.get(("loop", FIXTURE_ID)) == ["ex02-answer"]


def test_deleted_answer_cell_scores_zero_on_its_exercise(batch):
    got = _auto(batch[2].scores["noanswer"])
    assert got["ex01-tests-visible"] + got["ex01-tests-hidden"] == 0
    assert got["ex02-tests-visible"] + got["ex02-tests-hidden"] == 10


def test_feedback_html_never_shows_hidden_tests(batch):
    course, subs, _ = batch
    res = feedback(course)
    assert not res.failures, [str(f) for f in res.failures]
    written = {p.parts[-3] for p in res.written}
    assert written == set(subs)  # the damaged notebook gets a page that says it could not be graded, and why
    assert "not valid JSON" in (course.feedback / "badjson" / FIXTURE_ID / f"{FIXTURE_ID}.html").read_text()
    source = nbformat.read(course.source_notebook(FIXTURE_ID), as_version=4)
    secret = [line for c in source.cells for line in hidden_lines(c.source)]
    assert len(secret) >= 4
    for path in res.written:
        text = path.read_text()
        for line in secret:
            for form in {line, html.escape(line), html.escape(line, quote=False)}:
                assert form not in text, f"{path} leaks hidden test line {line!r}"
    # the failing student still learns which hidden check failed, and why
    mutant = course.feedback / "mutant" / FIXTURE_ID / f"{FIXTURE_ID}.html"
    assert "add is wrong on random arrays" in mutant.read_text()


def test_the_checker_never_quotes_a_hidden_test(batch):
    """A failing hidden test's outputs say what failed, never the test's lines: the checker writes a hidden test's
    error as ``ErrorName: message`` (an in-kernel run quoted the failing line in its traceback). The feedback's
    filter (grading/cycle/hidden_output.py) stays as a second line of defence."""
    course, _, _ = batch
    nb = nbformat.read(course.autograded / "mutant" / FIXTURE_ID / f"{FIXTURE_ID}.ipynb", as_version=4)
    outputs = _cell(nb, "ex01-tests-hidden").outputs
    assert [o.output_type for o in outputs] == ["error"]
    assert outputs[0].traceback == ["AssertionError: add is wrong on random arrays"]


def test_report_agrees_with_gradebook(batch):
    course, subs, _ = batch
    rep = report(course)
    names = {p.name for p in rep.files}
    assert names == {"grades.csv", "score_distribution.png", "pass_rate_per_exercise.png", "summary.md"}
    for p in rep.files:
        assert p.stat().st_size > 0
    with open(course.reports / "grades.csv") as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    assert set(rows) == set(subs)
    scores = read_scores(course, FIXTURE_ID)
    for student, cells in scores.items():
        for key in ("ex01", "ex02", "s00"):
            want = sum(s for g, (s, _) in cells.items() if g.startswith(key + "-"))
            assert float(rows[student][key]) == want, (student, key)
        assert float(rows[student][FIXTURE_ID]) == sum(s for s, _ in cells.values())
        assert float(rows[student]["total"]) == sum(s for s, _ in cells.values())
        assert float(rows[student]["practice_total"]) == sum(
            s for g, (s, _) in cells.items() if g.startswith("ex"))
    assert float(rows["solution"]["total"]) == 20.0


def test_parallel_scores_equal_plain_serial_nbgrader(batch, tmp_path):
    """The same submissions through plain `nbgrader autograde` (serial, its own gradebook) score the same."""
    course, subs, res = batch
    serial = course.with_(workdir=tmp_path / "serial")
    names = ["solution", "mutant", "deletedtest", "editedtest"]
    for name in names:
        dest = serial.submitted / name / FIXTURE_ID
        dest.mkdir(parents=True)
        nbformat.write(subs[name], str(dest / f"{FIXTURE_ID}.ipynb"))
    write_nbgrader_config(serial)
    release(serial.with_(release=tmp_path / "throwaway"))  # registers the assignment in the serial gradebook
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", FIXTURE_ID, "--force"],
                          cwd=serial.workdir, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    plain = read_scores(serial, FIXTURE_ID)
    assert set(plain) == set(names)
    for name in names:
        assert plain[name] == res.scores[name], name


def test_autograde_twice_keeps_one_submission_per_student(batch, tmp_path):
    """Re-grading replaces a student's results instead of adding rows."""
    course, subs, _ = batch
    again = course.with_(workdir=tmp_path / "again")
    r1 = grade_submissions(FIXTURE_ID, {"solution": subs["mutant"]}, again.workdir, course=again, jobs=1)
    r2 = grade_submissions(FIXTURE_ID, {"solution": subs["solution"]}, again.workdir, course=again, jobs=1)
    assert sum(s for s, _ in r1.scores["solution"].values()) == 10
    assert _auto(r2.scores["solution"]) == FULL
    from nbgrader.api import Gradebook

    with Gradebook(again.gradebook_url) as gb:
        assert len(gb.assignment_submissions(FIXTURE_ID)) == 1


def test_release_is_reproducible_and_drift_is_detected(fixture_course, tmp_path):
    course = fixture_course.with_(release=tmp_path / "rel", workdir=tmp_path / "w")
    first = {p: p.read_bytes() for p in release(course)}
    second = {p: p.read_bytes() for p in release(course)}
    assert first == second
    assert drift(course, FIXTURE_ID, tmp_path / "fresh") == []
    nb_path = course.release_notebook(FIXTURE_ID)
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells[0].source += "\nedited by hand"
    nbformat.write(nb, str(nb_path))
    assert drift(course, FIXTURE_ID, tmp_path / "fresh2") == [f"{FIXTURE_ID}.ipynb"]


def test_config_sets_the_documented_nbgrader_options(fixture_course):
    c = nbgrader_config(fixture_course)
    assert c.Execute.timeout == fixture_course.timeout
    assert c.OverwriteCells.add_missing_cells is True
    assert Path(c.CourseDirectory.source_directory).is_absolute()
    assert c.CourseDirectory.root == str(fixture_course.workdir)
    names = [p.__name__ for p in c.GenerateFeedback.preprocessors]
    assert names.index("HideHiddenTestOutput") < names.index("ClearHiddenTests")


def test_workdir_from_env_and_option(monkeypatch, tmp_path):
    repo = Path(__file__).resolve().parent.parent
    monkeypatch.delenv("NNCOURSE_HOME", raising=False)
    assert Course.from_repo(repo=repo).workdir == repo / "instructor"
    monkeypatch.setenv("NNCOURSE_HOME", str(tmp_path / "env"))
    assert Course.from_repo(repo=repo).workdir == tmp_path / "env"
    assert Course.from_repo(repo=repo, workdir=tmp_path / "opt").workdir == tmp_path / "opt"


@pytest.mark.parametrize("command", ["release", "collect", "autograde", "feedback", "report", "run"])
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert "usage: nncourse " + command in capsys.readouterr().out


def test_cli_cycle_from_lms_zip_to_report(fixture_course, tmp_path, capsys):
    """collect (an LMS zip with a stray file) -> autograde -> feedback -> report, through the command line."""
    course = fixture_course.with_(workdir=tmp_path / "instructor")
    rel, src = course.release_notebook(FIXTURE_ID), course.source_notebook(FIXTURE_ID)
    zpath = tmp_path / "lms.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr(f"alice_{FIXTURE_ID}.ipynb", nbformat.writes(S.solution_submission(rel, src)))
        zf.writestr(f"bob_48213_99120_{FIXTURE_ID}.ipynb", nbformat.writes(S.blank_submission(rel)))
        zf.writestr("carol_99-unknown-assignment.ipynb", nbformat.writes(S.blank_submission(rel)))
        zf.writestr("notes.txt", "not a notebook")
    repo = str(course.source.parent)
    base = ["--repo", repo, "--workdir", str(course.workdir)]
    assert main(["collect", str(zpath), *base]) == 0
    out = capsys.readouterr().out
    assert "NOT PLACED carol_99-unknown-assignment.ipynb" in out and "NOT PLACED notes.txt" in out
    assert sorted(p.name for p in course.submitted.iterdir()) == ["alice", "bob"]
    assert main(["autograde", *base, "--no-progress", "--timeout", "10"]) == 0
    assert "graded 2 submission(s)" in capsys.readouterr().out
    assert main(["feedback", *base]) == 0
    assert (course.feedback / "alice" / FIXTURE_ID / f"{FIXTURE_ID}.html").is_file()
    assert main(["report", *base]) == 0
    with open(course.reports / "grades.csv") as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    assert float(rows["alice"]["total"]) == 20 and float(rows["bob"]["total"]) == 0


def test_collect_from_folder_with_roster(fixture_course, tmp_path):
    """A roster filters; the learner's part of an LMS name never names the student (see tests/test_collect.py)."""
    from grading.cycle.collect import collect

    course = fixture_course.with_(workdir=tmp_path / "w")
    folder = tmp_path / "inbox"
    folder.mkdir()
    body = nbformat.writes(S.blank_submission(course.release_notebook(FIXTURE_ID)))
    (folder / f"Alice Smith_123_assignsubmission_file_alice_{FIXTURE_ID}.ipynb").write_text(body)
    (folder / f"mallory_{FIXTURE_ID}.ipynb").write_text(body)
    (folder / f"bob_{FIXTURE_ID}.ipynb").write_text(body)
    (folder / f"carol_{FIXTURE_ID}.ipynb").write_text(body)
    (folder / f"carol_{FIXTURE_ID}-1.ipynb").write_text(body)
    res = collect(course, folder, students={"alice", "bob", "carol"})
    assert [(s, a) for s, a, _ in res.placed] == [("bob", FIXTURE_ID)]
    reasons = dict(res.unplaced)
    assert "'mallory' is not on the roster" in reasons[f"mallory_{FIXTURE_ID}.ipynb"]
    assert "'alice-smith' is not on the roster" in reasons[f"Alice Smith_123_assignsubmission_file_alice_{FIXTURE_ID}.ipynb"]
    assert "2 files for carol" in reasons[f"carol_{FIXTURE_ID}-1.ipynb"]


def test_run_times_notebooks(fixture_course, capsys):
    path = fixture_course.source_notebook(FIXTURE_ID)
    assert main(["run", str(path)]) == 0
    out = capsys.readouterr().out
    assert "slowest cell" in out and "0 failed" in out
