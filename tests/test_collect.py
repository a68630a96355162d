"""``nncourse collect`` reads who submitted from what the LMS wrote, never from the learner's own file name.

Layouts under test, built the way each LMS builds them (the sources are cited in grading/cycle/collect.py):
Canvas's ``<name>_[LATE_]<user id>_<attachment id>_<file>``, Moodle's flat and one-folder-per-submission
downloads, nbgrader's exchange inbox and an instructor's plain folder. The learners' file names try to pass for
someone else; a roster with LMS ids pins each file to one learner; invalid notebooks are listed at once.
"""
from __future__ import annotations

import json
import os
import zipfile

import nbformat
import pytest

from conftest import FIXTURE_ID
from grading.cli import main
from grading.cycle.collect import check_notebook, collect, load_ledger, match_name, read_roster
from support import submissions as S

A = FIXTURE_ID
ASSIGNMENTS = {A, "02-forward-pass"}


@pytest.fixture
def course(fixture_course, tmp_path):
    return fixture_course.with_(workdir=tmp_path / "instructor")


@pytest.fixture
def bodies(course):
    rel, src = course.release_notebook(A), course.source_notebook(A)
    return {"solution": nbformat.writes(S.solution_submission(rel, src)),
            "blank": nbformat.writes(S.blank_submission(rel))}


def _zip(path, files: dict):
    with zipfile.ZipFile(path, "w") as zf:
        for name, body in files.items():
            zf.writestr(name, body)
    return path


def _placed(res):
    return {(s, a): src for s, a, src in res.placed}


# ------------------------------------------------------------------------------------------------ names alone

@pytest.mark.parametrize("name, expected", [
    # Canvas: <sortable name>_[LATE_]<user id>_<attachment id>_<learner's file name>
    (f"smithalice_12345_67890_{A}.ipynb", "smithalice"),
    ("smithalice_LATE_12345_67890_my work.ipynb", None),  # no assignment in the learner's name: needs --assignment
    (f"mallory_555_999_bob_{A}.ipynb", "mallory"),  # the learner named the file after bob
    (f"mallory_555_999_bob_12345_67890_{A}.ipynb", "mallory"),  # ... and forged Canvas's fields for bob
    (f"LATE_anon_ab12c_4444_{A}.ipynb", "anon_ab12c"),  # anonymous grading
    # Moodle, flat: <Full Name>_<participant id>_assignsubmission_file_<any file name>
    (f"Alice Smith_123_assignsubmission_file_{A}.ipynb", "alice-smith"),
    (f"Mallory Jones_124_assignsubmission_file_Alice Smith_123_assignsubmission_file_{A}.ipynb", "mallory-jones"),
    # Moodle, one folder per submission (Moodle >= 3.1), with and without the trailing underscore
    (f"Alice Smith_123_assignsubmission_file/{A}.ipynb", "alice-smith"),
    (f"Alice Smith_123_assignsubmission_file_/sub/{A}.ipynb", "alice-smith"),
    (f"Mallory Jones_124_assignsubmission_file/bob_{A}.ipynb", "mallory-jones"),
    # an instructor's folder: the name is trusted
    (f"alice_{A}.ipynb", "alice"),
    (f"alice_{A}-1.ipynb", "alice"),
])
def test_the_student_is_read_from_the_lms_fields(name, expected):
    match, reason = match_name(name, ASSIGNMENTS)
    if expected is None:
        assert match is None and "matches no assignment" in reason
    else:
        assert match == (expected, A), reason


def test_roster_with_lms_ids_pins_each_file_to_one_learner(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student,name,canvas_id,moodle_id\nalice,Alice Smith,12345,123\nbob,Bob Jones,23456,124\n")
    r = read_roster(roster)
    assert match_name(f"smithalice_12345_67890_{A}.ipynb", ASSIGNMENTS, r) == (("alice", A), None)
    # a learner who renamed themselves "bob" in Canvas keeps their own user id: not on the roster, not placed
    match, reason = match_name(f"bob_99999_67890_{A}.ipynb", ASSIGNMENTS, r)
    assert match is None and "canvas user 99999 is not on the roster" in reason
    assert match_name(f"Anyone At All_124_assignsubmission_file_{A}.ipynb", ASSIGNMENTS, r) == (("bob", A), None)
    match, reason = match_name(f"Bob Jones_777_assignsubmission_file_{A}.ipynb", ASSIGNMENTS, r)
    assert match is None and "moodle user 777 is not on the roster" in reason


def test_roster_without_ids_matches_names_once(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student,name\nasmith,Alice Smith\nasmith2,Alice Smith\nbjones,Bob Jones\n")
    r = read_roster(roster)
    assert match_name(f"Bob Jones_124_assignsubmission_file_{A}.ipynb", ASSIGNMENTS, r) == (("bjones", A), None)
    match, reason = match_name(f"Alice Smith_123_assignsubmission_file_{A}.ipynb", ASSIGNMENTS, r)
    assert match is None and "matches 2 roster entries" in reason
    match, reason = match_name(f"Carol White_125_assignsubmission_file_{A}.ipynb", ASSIGNMENTS, r)
    assert match is None and "not on the roster" in reason


def test_lms_exports_are_read_as_rosters(tmp_path):
    canvas = tmp_path / "canvas.csv"  # Canvas's gradebook export: a "Points Possible" row under the header
    canvas.write_text('Student,ID,SIS User ID,SIS Login ID,Section,Forward pass (991)\n'
                      '    Points Possible,,,,,10.00\n"Smith, Alice",12345,s1,alice@uni.edu,A,\n')
    r = read_roster(canvas)
    assert [(e.student, e.canvas_id, e.name) for e in r.entries] == [("smithalice", "12345", "Smith, Alice")]
    moodle = tmp_path / "worksheet.csv"  # Moodle's grading worksheet
    moodle.write_text('Identifier,"Full name","Email address",Status,Grade,"Maximum grade","Grade can be changed",'
                      '"Last modified (submission)","Last modified (grade)","Feedback comments"\n'
                      'Participant 123,"Alice Smith",alice@uni.edu,"Submitted for grading",,100.00,Yes,'
                      '"Monday, 3 March 2025, 10:15 AM",-,\n')
    r = read_roster(moodle)
    (e,) = r.entries
    assert (e.student, e.moodle_id, e.email) == ("alice-smith", "123", "alice@uni.edu")
    assert e.submitted and e.submitted.startswith("2025-03-0")


# ------------------------------------------------------------------------------------------------ whole zips

def test_canvas_zip_spoofing_late_and_ids(course, bodies, tmp_path):
    z = _zip(tmp_path / "canvas.zip", {
        f"smithalice_12345_67890_{A}.ipynb": bodies["solution"],
        f"jonesbob_LATE_23456_67891_{A}-1.ipynb": bodies["blank"],
        # mallory names her file after alice: it is still mallory's
        f"mallory_34567_67892_smithalice_12345_67890_{A}.ipynb": bodies["blank"],
        "jonesbob_23456_67893_notes.txt": "not a notebook",
    })
    res = collect(course, z)
    placed = _placed(res)
    assert set(placed) == {("smithalice", A), ("jonesbob", A), ("mallory", A)}, res.unplaced
    # alice's own file is hers, byte for byte
    assert (course.submitted / "smithalice" / A / f"{A}.ipynb").read_text() == bodies["solution"]
    ledger = load_ledger(course)
    assert ledger["students"]["smithalice"]["canvas_id"] == "12345"
    assert ledger["submissions"][f"jonesbob/{A}"]["late"] is True
    assert ledger["submissions"][f"smithalice/{A}"]["late"] is False
    from nbgrader.api import Gradebook

    with Gradebook(course.gradebook_url, course.course_id) as gb:
        assert gb.find_student("smithalice").lms_user_id == "12345"


def test_canvas_two_users_with_one_name_are_reported_not_merged(course, bodies, tmp_path):
    z = _zip(tmp_path / "canvas.zip", {
        f"smithalice_12345_67890_{A}.ipynb": bodies["solution"],
        f"smithalice_55555_67891_{A}.ipynb": bodies["blank"],  # another user who took the same display name
    })
    res = collect(course, z)
    assert res.placed == []
    assert all("given by 2 LMS users" in why for _, why in res.unplaced) and len(res.unplaced) == 2
    assert not (course.submitted / "smithalice").exists()


@pytest.mark.parametrize("layout", ["flat", "folders", "folders-trailing-underscore"])
def test_moodle_layouts_any_file_name_and_full_names(course, bodies, tmp_path, layout):
    def name(full, pid, file):
        if layout == "flat":
            return f"{full}_{pid}_assignsubmission_file_{file}"
        sep = "_/" if layout == "folders-trailing-underscore" else "/"
        return f"{full}_{pid}_assignsubmission_file{sep}{file}"

    z = _zip(tmp_path / "moodle.zip", {
        name("Alice Smith", 123, "my notebook (final).ipynb"): bodies["solution"],  # any name at all
        name("Bob Jones", 124, f"Alice Smith_123_assignsubmission_file_{A}.ipynb"): bodies["blank"],  # spoof try
        name("José Núñez", 125, "Untitled.ipynb"): bodies["blank"],
        name("Bob Jones", 124, "onlinetext.html"): "<p>hi</p>",
    })
    res = collect(course, z, assignments=[A])
    assert set(_placed(res)) == {("alice-smith", A), ("bob-jones", A), ("jose-nunez", A)}, res.unplaced
    assert (course.submitted / "alice-smith" / A / f"{A}.ipynb").read_text() == bodies["solution"]
    ledger = load_ledger(course)
    assert ledger["submissions"][f"bob-jones/{A}"]["moodle_id"] == "124"
    from nbgrader.api import Gradebook

    with Gradebook(course.gradebook_url, course.course_id) as gb:  # formgrader shows "Smith, Alice", not "None, None"
        alice = gb.find_student("alice-smith")
        assert (alice.first_name, alice.last_name) == ("Alice", "Smith")
        assert gb.find_student("jose-nunez").first_name == "José"


def test_moodle_worksheet_gives_times_and_the_later_copy_wins(course, bodies, tmp_path):
    sheet = tmp_path / "worksheet.csv"
    sheet.write_text('Identifier,Full name,Email address,Last modified (submission)\n'
                     'Participant 123,Alice Smith,alice@uni.edu,"Monday, 3 March 2025, 10:15 AM"\n')
    first = _zip(tmp_path / "first.zip", {f"Alice Smith_123_assignsubmission_file_{A}.ipynb": bodies["solution"]})
    res = collect(course, first, assignments=[A], students=sheet)
    assert _placed(res) == {("alice-smith", A): f"Alice Smith_123_assignsubmission_file_{A}.ipynb"}
    stamp = (course.submitted / "alice-smith" / A / "timestamp.txt").read_text()
    assert stamp.startswith("2025-03-0") and stamp.endswith("UTC")
    # an older worksheet time does not replace the newer copy
    sheet.write_text('Identifier,Full name,Email address,Last modified (submission)\n'
                     'Participant 123,Alice Smith,alice@uni.edu,"Sunday, 2 March 2025, 09:00 AM"\n')
    older = _zip(tmp_path / "older.zip", {"Alice Smith_123_assignsubmission_file_x.ipynb": bodies["blank"]})
    res = collect(course, older, assignments=[A], students=sheet)
    assert res.placed == [] and "older than the copy" in res.unplaced[0][1]
    assert (course.submitted / "alice-smith" / A / f"{A}.ipynb").read_text() == bodies["solution"]


def test_two_notebooks_without_times_are_reported(course, bodies, tmp_path):
    z = _zip(tmp_path / "moodle.zip", {
        "Alice Smith_123_assignsubmission_file/a.ipynb": bodies["solution"],
        "Alice Smith_123_assignsubmission_file/b.ipynb": bodies["blank"],
        "Alice Smith_123_assignsubmission_file/.ipynb_checkpoints/a-checkpoint.ipynb": bodies["blank"],
    })
    res = collect(course, z, assignments=[A])
    assert res.placed == []
    assert len(res.unplaced) == 2 and all("2 files for alice-smith" in why for _, why in res.unplaced)


# ------------------------------------------------------------------------------------------------ validation

def test_invalid_notebooks_are_listed_at_once_with_the_learner(course, bodies, tmp_path, capsys):
    z = _zip(tmp_path / "canvas.zip", {
        f"smithalice_12345_67890_{A}.ipynb": bodies["solution"],
        f"jonesbob_23456_67891_{A}.ipynb": '{"cells": [ this is not JSON',
        f"whitecarol_34567_67892_{A}.ipynb": "",
        f"greendan_45678_67893_{A}.ipynb": json.dumps({"cells": "nope", "metadata": {}, "nbformat": 4,
                                                       "nbformat_minor": 5}),
    })
    res = collect(course, z)
    bad = {s: why for s, a, src, why in res.invalid}
    assert set(bad) == {"jonesbob", "whitecarol", "greendan"}
    assert "not valid JSON" in bad["jonesbob"] and "empty" in bad["whitecarol"]
    assert "not a valid notebook" in bad["greendan"] or "nbformat can read" in bad["greendan"]
    assert ("jonesbob", A) in _placed(res)  # placed all the same: autograde records 0 with the reason
    rc = main(["collect", str(z), "--repo", str(course.source.parent), "--workdir", str(course.workdir)])
    assert rc == 0
    out = capsys.readouterr().out
    assert f"INVALID jonesbob / {A}" in out and "not valid JSON" in out
    assert check_notebook(course.submitted / "smithalice" / A / f"{A}.ipynb") == ""


# ------------------------------------------------------------------------------------------------ the exchange

def _exchange_submission(inbound, user, uid, when, body):
    folder = inbound / f"{user}+{A}+{when}+abc123"
    folder.mkdir(parents=True)
    (folder / f"{A}.ipynb").write_text(body)
    (folder / "timestamp.txt").write_text(when)
    for p in (folder, *folder.iterdir()):
        os.chown(p, uid, -1)
    return folder


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the inbox's folders to another user")
def test_exchange_inbox_owner_must_match_and_latest_wins(course, bodies, tmp_path):
    import pwd

    nobody = pwd.getpwnam("nobody")
    inbound = tmp_path / "exchange" / course.course_id / "inbound"
    _exchange_submission(inbound, "nobody", nobody.pw_uid, "2030-01-01 10:00:00.000000 UTC", bodies["blank"])
    _exchange_submission(inbound, "nobody", nobody.pw_uid, "2030-01-02 10:00:00.000000 UTC", bodies["solution"])
    # a folder named for root but made by nobody: a spoof
    _exchange_submission(inbound, "root", nobody.pw_uid, "2030-01-03 10:00:00.000000 UTC", bodies["blank"])
    res = collect(course, tmp_path / "exchange")
    assert set(_placed(res)) == {("nobody", A)}
    assert any("named for 'root' but owned by 'nobody'" in why for _, why in res.unplaced)
    dest = course.submitted / "nobody" / A
    assert (dest / f"{A}.ipynb").read_text() == bodies["solution"]
    # the exchange's own timestamp is kept byte for byte (nbgrader's release_feedback hashes it)
    assert (dest / "timestamp.txt").read_text() == "2030-01-02 10:00:00.000000 UTC"
    assert any("earlier submission" in n for n in res.notes)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the inbox's folders to another user")
def test_exchange_timestamp_earlier_than_the_inbox_is_corrected(course, bodies, tmp_path):
    import pwd

    nobody = pwd.getpwnam("nobody")
    inbound = tmp_path / "exchange" / course.course_id / "inbound"
    _exchange_submission(inbound, "nobody", nobody.pw_uid, "2001-01-01 10:00:00.000000 UTC", bodies["blank"])
    res = collect(course, inbound)
    assert set(_placed(res)) == {("nobody", A)}
    assert any("the later time is used" in n for n in res.notes)
    assert not (course.submitted / "nobody" / A / "timestamp.txt").read_text().startswith("2001")
