"""Benchmark: plain serial ``nbgrader autograde`` against ``nncourse autograde`` (parallel), side by side.

    python benchmarks/bench_autograde.py [--assignment 02-forward-pass] [-n 40] [--jobs 2]

Builds N submissions of one section from its release (the solution, the blank release and the common
mistakes of ``tests/mutants/<id>.py``, cycled), puts the same files in two fresh instructor working
directories, then times, as whole commands:

* ``nbgrader autograde <id> --force`` in the first (nbgrader's own serial loop; the assignment is
  registered in its gradebook beforehand, outside the timing), and
* ``nncourse autograde <id>`` in the second (its own set-up included in the timing),

and prints both wall times, the speed-up, and whether every student's every cell scored the same.
Exit status 1 if the scores differ. This is a benchmark, not a test: run it by hand.
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

from grading import submissions as S  # noqa: E402
from grading.autograde import default_jobs, read_scores  # noqa: E402
from grading.config import Course, write_nbgrader_config  # noqa: E402
from grading.release import release  # noqa: E402


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
    args = ap.parse_args(argv)

    source = REPO / "solutions"
    assignment = args.assignment
    if assignment is None:
        assignment = "02-forward-pass" if (source / "02-forward-pass").is_dir() else "00-fixture"
    if not (source / assignment).is_dir():
        source = REPO / "tests" / "fixtures" / "course" / "solutions"
    with tempfile.TemporaryDirectory(prefix="bench-autograde-") as tmp:
        tmp = Path(tmp)
        base = Course(source=source, release=tmp / "release", workdir=tmp / "plain", timeout=args.timeout)
        release(base, [assignment])  # the release the submissions are built from (= notebooks/ when committed)
        subs = build(base, assignment, args.n)
        plain, par = base, base.with_(workdir=tmp / "parallel")
        for c in (plain, par):
            place(c, assignment, subs)
        write_nbgrader_config(plain)
        print(f"{len(subs)} submissions of {assignment}; {os.cpu_count()} cores; nncourse --jobs {args.jobs}")

        t_plain = timed([sys.executable, "-m", "nbgrader", "autograde", assignment, "--force"], plain.workdir)
        print(f"plain nbgrader autograde (serial): {t_plain:8.1f} s")
        t_par = timed([sys.executable, "-m", "grading", "autograde", assignment, "--no-progress",
                       "--jobs", str(args.jobs), "--timeout", str(args.timeout),
                       "--workdir", str(par.workdir), "--repo", str(source.parent)], REPO)
        print(f"nncourse autograde (parallel):     {t_par:8.1f} s")
        print(f"speed-up: {t_plain / t_par:.2f}x")

        a, b = read_scores(plain, assignment), read_scores(par, assignment)
        same = a == b and set(a) == set(subs)
        differ = sorted(s for s in set(a) | set(b) if a.get(s) != b.get(s))
        print(f"scores identical for all {len(subs)} submissions: {'yes' if same else 'NO'}"
              + ("" if same else f" (differ: {differ[:10]})"))
        totals = sorted({sum(v for v, _ in cells.values()) for cells in a.values()})
        print(f"distinct totals seen: {totals}")
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
