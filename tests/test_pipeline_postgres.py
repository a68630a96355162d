"""The gradebook on a real PostgreSQL server (``--db-url``), not SQLite.

CI (``.ci/run``) starts PostgreSQL on loopback and exports ``NNCOURSE_TEST_PG_URL``; without it the test skips.
Each run works in a database of its own, created and dropped here.
"""
from __future__ import annotations

import csv
import os
import uuid

import pytest

from conftest import FIXTURE_ID

from support import submissions as S
from grading.cycle.autograde import grade_submissions, read_scores
from grading.cli import main
from grading.config import sqlalchemy_url

PG_URL = os.environ.get("NNCOURSE_TEST_PG_URL")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not PG_URL, reason="NNCOURSE_TEST_PG_URL is not set (no PostgreSQL server; .ci/run starts one)"),
]


@pytest.fixture
def pg_db_url():
    import sqlalchemy as sa

    name = f"nncourse_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(sqlalchemy_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(sqlalchemy_url(PG_URL)).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        sa.engine.create_engine(url).dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"))
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def test_parallel_autograde_and_report_on_postgresql(fixture_course, pg_db_url, tmp_path):
    course = fixture_course.with_(workdir=tmp_path / "instructor", db_url=pg_db_url)
    rel, src = course.release_notebook(FIXTURE_ID), course.source_notebook(FIXTURE_ID)
    subs = {"alice": S.solution_submission(rel, src), "bob": S.blank_submission(rel),
            "carol": S.mutant_submission(rel, src, "ex02-answer", "def square(x):\n    return 2 * x\n")}
    res = grade_submissions(FIXTURE_ID, subs, course.workdir, course=course, jobs=2)
    assert not res.failures, [str(f) for f in res.failures]
    assert not (course.workdir / "gradebook.db").exists(), "the SQLite default was used instead of PostgreSQL"
    totals = {s: sum(v for v, _ in cells.values()) for s, cells in read_scores(course, FIXTURE_ID).items()}
    assert totals == {"alice": 20.0, "bob": 0.0, "carol": 10.0}

    import sqlalchemy as sa

    with sa.create_engine(sqlalchemy_url(pg_db_url)).connect() as conn:  # the rows really are in PostgreSQL
        n = conn.execute(sa.text("SELECT count(*) FROM submitted_assignment")).scalar_one()
    assert n == 3

    base = ["--repo", str(course.source.parent), "--workdir", str(course.workdir), "--db-url", pg_db_url]
    assert main(["report", *base]) == 0
    with open(course.reports / "grades.csv") as fh:
        rows = {r["student"]: float(r["total"]) for r in csv.DictReader(fh)}
    assert rows == totals
