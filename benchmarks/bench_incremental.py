"""Benchmark: a full ``nncourse autograde`` batch against the rerun after one late file arrives.

    python benchmarks/bench_incremental.py [--assignment 02-forward-pass] [-n 25] [--jobs 2] [--sandbox off]

Builds N submissions of one section from its release (the solution, the blank release and the common mistakes of
``tests/mutants/<id>.py``, cycled) in a fresh instructor working folder, sets a due date, and times, as whole
commands:

1. ``nncourse autograde <id>``: the whole class (the first run);
2. ``nncourse autograde <id>`` again: nothing changed, nothing graded;
3. one learner's late resubmission (a new notebook with a ``timestamp.txt`` two days after the due date), then
   ``nncourse autograde <id>``: only that notebook is graded, with the late penalty (10% a day by default);
4. ``nncourse autograde <id> --force``: the whole class again.

Prints the wall times and what each run graded. This is a benchmark, not a test: run it by hand.
"""
from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from bench_autograde import build, place  # noqa: E402
from grading.config import Course  # noqa: E402
from grading.cycle.collect import NBGRADER_TIMESTAMP  # noqa: E402
from grading.cycle.late import set_due_date  # noqa: E402
from grading.cycle.release import release  # noqa: E402


def run(cmd, cwd) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    summary = next((ln for ln in proc.stdout.splitlines() if ln.startswith("graded ")), proc.stdout[-300:])
    return seconds, summary


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--assignment", default="02-forward-pass")
    ap.add_argument("-n", type=int, default=25)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--sandbox", default="auto", choices=("auto", "on", "off"))
    args = ap.parse_args(argv)
    a = args.assignment
    with tempfile.TemporaryDirectory(prefix="bench-incremental-") as tmp:
        course = Course.from_repo(repo=REPO, workdir=Path(tmp) / "instructor")
        release(course.with_(release=Path(tmp) / "throwaway"), [a])  # registers the assignment in the gradebook
        due = dt.datetime(2030, 1, 10, 12, 0)
        set_due_date(course, a, due)
        subs = build(course, a, args.n)
        place(course, a, subs)
        base = [sys.executable, "-m", "grading", "autograde", a, "--repo", str(REPO), "--workdir",
                str(course.workdir), "--jobs", str(args.jobs), "--sandbox", args.sandbox, "--no-progress"]
        rows = [("1. full batch", *run(base, tmp)), ("2. rerun, nothing changed", *run(base, tmp))]
        late = course.submitted / "student000" / a
        rel, src = course.release_notebook(a), course.source_notebook(a)
        from support import submissions as S

        nbformat.write(S.solution_submission(rel, src), str(late / f"{a}.ipynb"))
        (late / "timestamp.txt").write_text((due + dt.timedelta(days=2)).strftime(NBGRADER_TIMESTAMP.replace(
            " %Z", "")) + " UTC")
        rows.append(("3. one late file", *run(base, tmp)))
        rows.append(("4. --force", *run(base + ["--force"], tmp)))
    print(f"{args.n} submissions of {a}, --jobs {args.jobs}, --sandbox {args.sandbox}")
    for name, seconds, summary in rows:
        print(f"{name:28s} {seconds:7.1f} s   {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
