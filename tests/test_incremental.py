"""Incremental, late-aware autograding with real nbgrader on the fixture assignment.

One class is graded once; then a rerun grades nothing, a hand grade survives ``--force``, a late resubmission is
the only notebook graded again and loses 10% per started day, Canvas's ``LATE`` marker without a time costs one
day, and a notebook that is not JSON is recorded as 0 with its reason (not "needs manual grading").
"""
from __future__ import annotations

import datetime as dt
import shutil
import zipfile

import nbformat
import pytest

from conftest import FIXTURE_ID
from grading.cycle.autograde import autograde, graded_ledger_path, load_graded, read_scores
from grading.cycle.collect import NBGRADER_TIMESTAMP, collect
from grading.cycle.late import DailyLatePenalty, penalty_fraction, set_due_date
from support import submissions as S

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("incremental")]  # one worker: the tests share a class, in order
A = FIXTURE_ID
AUTO = 20.0  # the fixture's autograded points (ex01 4 + 6, ex02 5 + 5); s00-checklist (2) is graded by hand


def _write(course, student, body, timestamp=None):
    dest = course.submitted / student / A
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    (dest / f"{A}.ipynb").write_text(body)
    if timestamp is not None:
        (dest / "timestamp.txt").write_text(timestamp.strftime(NBGRADER_TIMESTAMP.replace(" %Z", "")) + " UTC")


def _grades(course, student):
    from nbgrader.api import Gradebook

    with Gradebook(course.gradebook_url, course.course_id) as gb:
        sub = gb.find_submission(A, student)
        (nb,) = sub.notebooks
        return {g.name: (g.auto_score, g.manual_score, g.needs_manual_grade) for g in nb.grades}, \
            nb.late_submission_penalty


def test_penalty_policy_is_per_started_day_and_capped():
    assert penalty_fraction(0, 0.1, 0.5) == 0
    assert penalty_fraction(1, 0.1, 0.5) == pytest.approx(0.1)
    assert penalty_fraction(86400, 0.1, 0.5) == pytest.approx(0.1)
    assert penalty_fraction(86401, 0.1, 0.5) == pytest.approx(0.2)
    assert penalty_fraction(30 * 86400, 0.1, 0.5) == pytest.approx(0.5)
    plugin = DailyLatePenalty(per_day=0.25, cap=1.0)
    assert plugin.late_submission_penalty("x", 20.0, 2 * 86400 + 5) == pytest.approx(15.0)
    assert plugin.late_submission_penalty("x", 20.0, 0) is None


@pytest.fixture(scope="module")
def graded(fixture_course, tmp_path_factory):
    course = fixture_course.with_(workdir=tmp_path_factory.mktemp("incremental") / "instructor")
    rel, src = course.release_notebook(A), course.source_notebook(A)
    bodies = {"solution": nbformat.writes(S.solution_submission(rel, src)),
              "blank": nbformat.writes(S.blank_submission(rel)),
              "badjson": '{"cells": [ this is not JSON'}
    for student, body in bodies.items():
        _write(course, student, body)
    first = autograde(course, [A], jobs=2)
    return course, bodies, first


def test_first_run_grades_all_and_records_the_corrupt_notebook_as_zero(graded):
    course, _, first = graded
    assert sorted(first.graded) == [("blank", A), ("solution", A)]
    (fail,) = first.failures
    assert fail.student == "badjson" and "not valid JSON" in fail.reason
    grades, _ = _grades(course, "badjson")
    assert grades and all(auto == 0.0 and not needs for auto, _, needs in grades.values()), grades
    ledger = load_graded(course)
    assert ledger[f"badjson/{A}"]["status"] == "invalid" and "JSON" in ledger[f"badjson/{A}"]["reason"]
    assert ledger[f"solution/{A}"]["status"] == "graded"


def test_rerun_grades_nothing_that_did_not_change(graded):
    course, _, _ = graded
    again = autograde(course, [A], jobs=2)
    assert again.graded == [] and again.failures == []
    assert sorted(again.skipped) == [("badjson", A), ("blank", A), ("solution", A)]


def test_hand_grades_and_comments_survive_a_forced_rerun(graded):
    from nbgrader.api import Gradebook

    course, _, _ = graded
    with Gradebook(course.gradebook_url, course.course_id) as gb:
        g = gb.find_grade("s00-checklist", A, A, "solution")
        g.manual_score = 1.5
        g.needs_manual_grade = False
        over = gb.find_grade("ex01-tests-hidden", A, A, "solution")  # a grader overrides an autograded cell
        over.manual_score = 5.0
        c = gb.find_comment("ex01-answer", A, A, "solution")
        c.manual_comment = "Good use of broadcasting."
        gb.db.commit()
    forced = autograde(course, [A], students={"solution"}, jobs=1, force=True)
    assert forced.graded == [("solution", A)]
    grades, _ = _grades(course, "solution")
    assert grades["s00-checklist"][1:] == (1.5, False)
    assert grades["ex01-tests-hidden"][1:] == (5.0, False)
    with Gradebook(course.gradebook_url, course.course_id) as gb:
        assert gb.find_comment("ex01-answer", A, A, "solution").manual_comment == "Good use of broadcasting."
    assert read_scores(course, A)["solution"]["s00-checklist"] == (1.5, 2.0)


def test_a_late_file_regrades_only_itself_with_the_penalty(graded):
    course, bodies, _ = graded
    due = dt.datetime(2030, 1, 10, 12, 0, 0)
    set_due_date(course, A, due)
    # a due date changes what grading means, so the next run regrades all (the hash covers the due date) ...
    autograde(course, [A], jobs=2)
    # ... and after that, blank's late resubmission (a day and a half after the due date) is the only work
    _write(course, "blank", bodies["solution"], timestamp=due + dt.timedelta(hours=36))
    late = autograde(course, [A], jobs=2)
    assert late.graded == [("blank", A)]
    assert sorted(late.skipped) == [("badjson", A), ("solution", A)]
    grades, penalty = _grades(course, "blank")
    assert sum(auto for auto, _, _ in grades.values() if auto) == AUTO
    assert penalty == pytest.approx(0.2 * AUTO)  # two started days at 10%
    _, on_time = _grades(course, "solution")
    assert not on_time


def test_canvas_late_marker_without_a_time_costs_one_day(graded, tmp_path):
    course, bodies, _ = graded
    z = tmp_path / "canvas.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr(f"latecomer_LATE_777_888_{A}.ipynb", bodies["solution"])
    collect(course, z)
    res = autograde(course, [A], jobs=1)
    assert res.graded == [("latecomer", A)]
    _, penalty = _grades(course, "latecomer")
    assert penalty == pytest.approx(0.1 * AUTO)
    assert graded_ledger_path(course).is_file()
