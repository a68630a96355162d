"""LMS-ready grades: ``nncourse report`` writes Canvas's gradebook import and Moodle's grading worksheet.

A small class is collected from a Canvas zip (one on time, one ``LATE``, one damaged notebook) and a Moodle zip,
graded with real nbgrader, and reported. The files' headers are checked against the formats the LMSs read (the
sources are cited beside ``CANVAS_HEADER`` and ``MOODLE_HEADER`` in grading/cycle/report.py): Canvas matches rows
on its user ``ID`` and reads one column per assignment plus a "Points Possible" row; Moodle's worksheet importer
looks up the columns "Identifier" (``Participant <id>``), "Grade" and "Last modified (grade)" by name, and
"Feedback comments". Missing, ungradable and unassigned work stay apart: a blank cell, 0 with a note, and no
column at all.
"""
from __future__ import annotations

import csv
import datetime as dt
import shutil
import zipfile

import nbformat
import pytest

from conftest import FIXTURE_ID, FIXTURE_SOLUTIONS
from grading.cli import main
from grading.config import Course
from grading.cycle.autograde import autograde
from grading.cycle.collect import collect
from grading.cycle.late import set_due_date
from grading.cycle.release import release
from grading.cycle.report import CANVAS_HEADER, MOODLE_HEADER, report
from support import submissions as S

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("lms")]
A, LATER = FIXTURE_ID, "99-later"
AUTO = 20.0


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    root = tmp_path_factory.mktemp("lms")
    shutil.copytree(FIXTURE_SOLUTIONS / A, root / "solutions" / A)
    (root / "solutions" / LATER).mkdir()
    shutil.copyfile(FIXTURE_SOLUTIONS / A / f"{A}.ipynb", root / "solutions" / LATER / f"{LATER}.ipynb")
    course = Course(source=root / "solutions", release=root / "notebooks", workdir=root / "instructor", timeout=10)
    release(course)
    set_due_date(course, A, dt.datetime(2030, 1, 10, 12, 0))
    rel, src = course.release_notebook(A), course.source_notebook(A)
    sol = nbformat.writes(S.solution_submission(rel, src))
    canvas = root / "canvas.zip"
    with zipfile.ZipFile(canvas, "w") as zf:
        zf.writestr(f"smithalice_12345_900_{A}.ipynb", sol)
        zf.writestr(f"jonesbob_LATE_23456_901_{A}.ipynb", sol)
        zf.writestr(f"whitecarol_34567_902_{A}.ipynb", '{"cells": [ damaged')
    moodle = root / "moodle.zip"
    with zipfile.ZipFile(moodle, "w") as zf:
        zf.writestr("Erin Moss_501_assignsubmission_file/my answers.ipynb", sol)
    collect(course, canvas)
    collect(course, moodle, assignments=[A])
    res = autograde(course, [A], jobs=2)
    assert sorted(s for s, _ in res.graded) == ["erin-moss", "jonesbob", "smithalice"], res.failures
    return course


def _rows(path):
    with open(path, newline="") as fh:
        return list(csv.reader(fh))


def test_canvas_import_file(klass, tmp_path):
    rep = report(klass, out_dir=tmp_path, scale=110)  # the assignment is 22 points (20 autograded, 2 by hand)
    rows = _rows(tmp_path / "canvas.csv")
    assert rows[0] == CANVAS_HEADER + [A]  # only assigned work: 99-later has no submission and no due date
    assert rows[1] == ["Points Possible", "", "", "", "", "110"]
    got = {r[1]: r for r in rows[2:]}
    assert set(got) == {"12345", "23456", "34567"}  # Canvas user ids, as collect read them from the zip
    assert got["12345"][5] == "100"  # 20 of 22, scaled to 110
    assert got["23456"][5] == "90"  # Canvas said LATE: one day, 10% of 20
    assert got["34567"][5] == "0"  # damaged: 0 (the reason is in grades.csv and the summary)
    assert "erin-moss" in (tmp_path / "summary.md").read_text()  # no Canvas id: named, not in the file
    assert {p.name for p in rep.files} >= {"canvas.csv", "moodle-00-fixture.csv", "grades.csv", "summary.md"}


def test_moodle_grading_worksheet(klass, tmp_path):
    report(klass, out_dir=tmp_path, scale=11)
    rows = _rows(tmp_path / f"moodle-{A}.csv")
    assert rows[0] == MOODLE_HEADER
    for column in ("Identifier", "Grade", "Last modified (grade)", "Feedback comments"):  # what Moodle looks up
        assert column in rows[0]
    (erin,) = rows[1:]
    record = dict(zip(rows[0], erin))
    assert record["Identifier"] == "Participant 501" and record["Full name"] == "Erin Moss"
    assert record["Grade"] == "10" and record["Maximum grade"] == "11"
    dt.datetime.strptime(record["Last modified (grade)"], "%A, %d %B %Y, %I:%M %p")  # Moodle's date format


def test_missing_failed_and_unassigned_are_told_apart(klass, tmp_path):
    report(klass, out_dir=tmp_path)
    with open(tmp_path / "grades.csv", newline="") as fh:
        reader = csv.DictReader(fh)
        assert LATER not in reader.fieldnames and reader.fieldnames[-1] == "note"
        rows = {r["student"]: r for r in reader}
    assert float(rows["smithalice"]["total"]) == AUTO and rows["smithalice"]["note"] == ""
    assert float(rows["jonesbob"][A]) == AUTO - 2 and "late" in rows["jonesbob"]["note"]
    assert rows["whitecarol"][A] == "0" and "could not be graded" in rows["whitecarol"]["note"]
    assert "not valid JSON" in rows["whitecarol"]["note"]
    summary = (tmp_path / "summary.md").read_text()
    assert "whitecarol / 00-fixture: the file is not valid JSON" in summary
    assert f"(out of {AUTO + 2:g})" in summary  # the assigned maximum: one assignment, 20 + 2 by hand
    # a chosen set that includes work nobody handed in: blank cells, counted in the maximum
    report(klass, out_dir=tmp_path / "both", assignments=[A, LATER])
    with open(tmp_path / "both" / "grades.csv", newline="") as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    assert rows["smithalice"][LATER] == "" and f"{LATER}: not submitted" in rows["smithalice"]["note"]
    assert float(rows["smithalice"]["total"]) == AUTO
    assert f"(out of {2 * (AUTO + 2):g})" in (tmp_path / "both" / "summary.md").read_text()


def test_feedback_names_the_damaged_notebook(klass):
    from grading.cycle.feedback import feedback

    res = feedback(klass, [A], students={"whitecarol"})
    (page,) = res.written
    text = page.read_text()
    assert "could not be graded" in text and "not valid JSON" in text and "0 points" in text


def test_report_command_line(klass, tmp_path, capsys):
    base = ["--repo", str(klass.source.parent), "--workdir", str(klass.workdir)]
    assert main(["report", *base, "--out", str(tmp_path), "--lms", "canvas", "--scale", "55",
                 "--canvas-column", f"{A}=Fixture (4242)"]) == 0
    rows = _rows(tmp_path / "canvas.csv")
    assert rows[0][-1] == "Fixture (4242)" and rows[1][-1] == "55"
    assert {r[1]: r[-1] for r in rows[2:]} == {"12345": "50", "23456": "45", "34567": "0"}
    assert not (tmp_path / f"moodle-{A}.csv").exists()
