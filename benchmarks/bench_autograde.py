"""Benchmark: plain serial ``nbgrader autograde`` against ``nncourse autograde`` (parallel), side by side.

    python benchmarks/bench_autograde.py [--assignment 02-forward-pass] [-n 40] [--jobs 2]
        [--baseline-python OLD/venv/bin/python --baseline-repo OLD]

Builds N submissions of one section from its release (the solution, the blank release and the common
mistakes of ``tests/mutants/<id>.py``, cycled), puts the same files in fresh instructor working
directories, then times, as whole commands:

1. ``nbgrader autograde <id> --force``: nbgrader's own serial loop, with nbgrader's own ``Execute`` (every test
   cell in the learner's kernel; the assignment is registered in its gradebook beforehand, outside the timing);
2. ``nncourse autograde <id> --sandbox off``: graded in parallel, the tests in the trusted checker;
3. ``nncourse autograde <id>``: the default, every kernel in the grading sandbox, the tests in the checker;
4. with ``--baseline-*``: another checkout's ``nncourse autograde <id>`` (sandboxed) on the same files, run by that
   checkout's own Python (its own virtual environment), to compare the time per submission with (3).

Scores of (2) and (3) must equal (1) cell for cell, except in an exercise whose answer calls the course's reference:
plain nbgrader gives those the points of the tests that cannot see it, the trusted checks none (each such
difference is checked against the autograded notebook). Prints the wall times, the speed-ups of (2) and (3) over
(1) and, with a baseline, the ratio (3)/(4). Exit status 1 if a score differs without that explanation. This is a
benchmark, not a test: run it by hand.
"""
from __future__ import annotations

import argparse
import os
import runpy
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from support import submissions as S  # noqa: E402  (tests/support: test and benchmark support)
from grading.cycle.autograde import default_jobs, read_scores  # noqa: E402
from grading.config import Course  # noqa: E402
from grading.cycle.release import release  # noqa: E402


def build(course: Course, assignment: str, n: int) -> dict:
    rel, src = course.release_notebook(assignment), course.source_notebook(assignment)
    pool = [S.solution_submission(rel, src), S.blank_submission(rel)]
    mpath = REPO / "tests" / "mutants" / f"{assignment}.py"
    if mpath.is_file():
        for m in runpy.run_path(str(mpath))["MUTANTS"]:
            pool.append(S.mutant_submission(rel, src, m["cell"], m["source"]))
    return {f"student{i:03d}": pool[i % len(pool)] for i in range(n)}


def place(course: Course, assignment: str, subs: dict) -> None:
    for student, nb in subs.items():
        dest = course.submitted / student / assignment
        dest.mkdir(parents=True)
        nbformat.write(nb, str(dest / f"{assignment}.ipynb"))


def timed(cmd, cwd) -> float:
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode not in (0,):
        print(f"note: {' '.join(map(str, cmd[:4]))} exited {proc.returncode}\n{proc.stderr[-2000:]}", file=sys.stderr)
    return seconds


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--assignment", default=None, help="default: 02-forward-pass if present, else the test fixture")
    ap.add_argument("-n", type=int, default=40, help="submissions (default %(default)s)")
    ap.add_argument("--jobs", type=int, default=default_jobs(), help="nncourse workers (default: cores)")
    ap.add_argument("--timeout", type=int, default=30, help="per-cell timeout, both sides")
    ap.add_argument("--baseline-python", help="another checkout's Python (its venv), for (4)")
    ap.add_argument("--baseline-repo", help="that checkout's folder (its grading package is the one timed)")
    args = ap.parse_args(argv)

    source, assignment = S.benchmark_assignment(REPO, args.assignment)
    with tempfile.TemporaryDirectory(prefix="bench-autograde-") as tmp:
        tmp = Path(tmp)
        base = Course(source=source, release=tmp / "release", workdir=tmp / "plain", timeout=args.timeout)
        release(base, [assignment])  # the release the submissions are built from (= notebooks/ when committed)
        subs = build(base, assignment, args.n)
        plain, par, box = (base, base.with_(workdir=tmp / "parallel"), base.with_(workdir=tmp / "sandboxed"))
        old = base.with_(workdir=tmp / "baseline")
        for c in (plain, par, box, old):
            place(c, assignment, subs)
        write_plain_config(plain)
        print(f"{len(subs)} submissions of {assignment}; {os.cpu_count()} cores; nncourse --jobs {args.jobs}")

        t_plain = timed([sys.executable, "-m", "nbgrader", "autograde", assignment, "--force"], plain.workdir)
        print(f"1. plain nbgrader autograde (serial):           {t_plain:7.1f} s")

        for label, course, extra in (("2. nncourse autograde --sandbox off (parallel)", par, ["--sandbox", "off"]),
                                     ("3. nncourse autograde, sandboxed (the default)", box, [])):
            t = timed([sys.executable, "-m", "grading", "autograde", assignment, "--no-progress",
                       "--jobs", str(args.jobs), "--timeout", str(args.timeout),
                       "--workdir", str(course.workdir), "--repo", str(source.parent)] + extra, REPO)
            print(f"{label}: {t:7.1f} s   speed-up {t_plain / t:.2f}x")
            t_box = t
        if args.baseline_python:
            t_old = timed([args.baseline_python, "-m", "grading", "autograde", assignment, "--no-progress",
                           "--jobs", str(args.jobs), "--timeout", str(args.timeout), "--workdir", str(old.workdir),
                           "--repo", str(source.parent)], args.baseline_repo)
            print(f"4. baseline {args.baseline_repo}, sandboxed: {t_old:7.1f} s   "
                  f"time per submission, (3) / (4): {t_box / t_old:.2f}x")

        a = read_scores(plain, assignment)
        ok = set(a) == set(subs)
        problems = 0
        for label, course in (("(2)", par), ("(3)", box)):
            got = read_scores(course, assignment)
            unexplained, explained = [], []
            for student in sorted(set(a) | set(got)):
                for cell in sorted(set(a.get(student, {})) | set(got.get(student, {}))):
                    if a.get(student, {}).get(cell) != got.get(student, {}).get(cell):
                        (explained if _zeroed_for_delegation(course, student, assignment, cell)
                         else unexplained).append((student, cell))
            print(f"{label} scores identical to (1) except {len(explained)} test cells zeroed for delegating to "
                  f"the reference ({len({s for s, _ in explained})} submissions); unexplained differences: "
                  f"{len(unexplained)}" + (f" {unexplained[:10]}" if unexplained else ""))
            problems += len(unexplained)
        totals = sorted({sum(v for v, _ in cells.values()) for cells in a.values()})
        print(f"distinct totals seen: {totals}")
        return 0 if ok and not problems else 1


def write_plain_config(course: Course) -> None:
    """An ``nbgrader_config.py`` for nbgrader's own pipeline: the course's folders, nbgrader's ``Execute``."""
    (course.workdir / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.root = {str(course.workdir)!r}\n"
        f"c.CourseDirectory.source_directory = {str(course.source)!r}\n"
        f"c.CourseDirectory.release_directory = {str(course.release)!r}\n"
        f"c.CourseDirectory.db_url = {course.gradebook_url!r}\n"
        f"c.CourseDirectory.course_id = {course.course_id!r}\n"
        f"c.Execute.timeout = {int(course.timeout)}\n"
        "c.OverwriteCells.add_missing_cells = True\n")


def _zeroed_for_delegation(course: Course, student: str, assignment: str, grade_id: str) -> bool:
    """Did the checker find this test cell's exercise delegating to the reference?"""
    from grading.checker.execute import DELEGATION_MARK

    path = course.autograded / student / assignment / f"{assignment}.ipynb"
    if not path.is_file():
        return False
    for cell in nbformat.read(str(path), as_version=4).cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            return any(o.get("output_type") == "error" and DELEGATION_MARK in str(o.get("evalue", ""))
                       for o in cell.get("outputs", []))
    return False


if __name__ == "__main__":
    sys.exit(main())
