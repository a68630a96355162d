"""Benchmark: autograde on a Dask cluster of 1 and of 2 single-threaded workers, against the local process pool.

    python benchmarks/bench_distributed.py [--assignment 02-forward-pass] [-n 20] [--rounds 1] [--sandbox auto|off]

Builds N submissions of one section from its release (the solution, the blank release and the common mistakes of
``tests/mutants/<id>.py``, cycled, as ``bench_autograde.py`` does), puts the same files in fresh instructor working
directories, starts a ``dask scheduler`` on 127.0.0.1 (no dashboard; the settings of ``deploy/cluster/dask.yaml``),
and times, as whole commands:

1. ``nncourse autograde <id> --jobs 2``: the local process pool (two workers);
2. ``nncourse autograde <id> --scheduler ADDRESS`` with one ``dask worker --nthreads 1``;
3. the same with two such workers.

The workers are started (and have imported nbgrader) before each timed run: a cluster is long-lived, a local pool
is not, so (1) pays for starting its processes and (2), (3) do not (the scheduler and worker start-up is printed
apart). Prints the wall times, the CPU seconds of every process involved (the command and what it started; the
scheduler and the workers), and the steady pace (seconds a submission between the first and the last autograded
notebook written, which leaves out the fixed costs of a batch's start), the throughput ratio (2)/(3) (the goal: at
least 1.7 on 2 cores) and the overhead per submission of (3) against (1), in steady pace and in CPU seconds (the
goal: within 10%).
The scores of (2) and (3) must equal those of (1), cell for cell: exit status 1 otherwise. A benchmark, not a test:
run it by hand, on a machine nothing else uses.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PACKAGES = ("grading", "helpers")
ENV = dict(os.environ)
"""The environment of every process started here (PYTHONPATH: the snapshot of the packages, set in main)."""


def snapshot(dest: Path, what: str) -> Path:
    """A copy of the course's packages that this process, the clients and the workers all import (PYTHONPATH), so
    that they run one version while the working tree changes: ``worktree`` (as it is) or ``HEAD`` (committed)."""
    import shutil

    dest.mkdir(parents=True)
    if what == "HEAD":
        archive = subprocess.run(["git", "-C", str(REPO), "archive", "HEAD", *PACKAGES], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    else:
        for pkg in PACKAGES:
            shutil.copytree(REPO / pkg, dest / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def start(argv, log: Path, env=None):
    out = open(log, "w")
    proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                            env=dict(ENV, **(env or {})))
    out.close()
    return proc


def stop(procs) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_for_workers(address: str, n: int) -> None:
    """Until ``n`` workers are connected and have imported nbgrader (as the client's version check makes them)."""
    from distributed import Client

    from grading.cycle.distributed import worker_report

    with Client(address, timeout=60) as client:
        client.wait_for_workers(n, timeout=300)
        client.run(worker_report)


def cpu_seconds(procs) -> float:
    """CPU seconds (user + system) used so far by ``procs`` and everything under them, reaped children included."""
    import psutil

    total = 0.0
    for proc in procs:
        try:
            top = psutil.Process(proc.pid)
            for p in [top, *top.children(recursive=True)]:
                t = p.cpu_times()
                total += t.user + t.system + t.children_user + t.children_system
        except psutil.Error:
            pass
    return total


def timed(cmd, cluster=()) -> tuple[float, float]:
    """Run ``cmd``; ``(wall seconds, CPU seconds)``: the CPU of the command and of everything it started (reaped),
    plus what the ``cluster`` processes used meanwhile."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cluster_before = cpu_seconds(cluster)
    t0 = time.perf_counter()
    # not from REPO: `python -m` puts the working directory first on sys.path, before the snapshot
    proc = subprocess.run(cmd, cwd=tempfile.gettempdir(), capture_output=True, text=True, env=ENV)
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    cpu += cpu_seconds(cluster) - cluster_before
    if proc.returncode != 0 or "; 0 could not be graded" not in proc.stdout:
        print(f"note: {' '.join(map(str, cmd[3:5]))} exited {proc.returncode}\n{proc.stdout[-1500:]}"
              f"{proc.stderr[-1500:]}", file=sys.stderr)
    return seconds, cpu


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--assignment", default=None, help="default: 02-forward-pass if present, else the test fixture")
    ap.add_argument("-n", type=int, default=20, help="submissions (default %(default)s)")
    ap.add_argument("--rounds", type=int, default=1, help="repeat the three runs, interleaved; medians are reported")
    ap.add_argument("--timeout", type=int, default=30, help="per-cell timeout")
    ap.add_argument("--sandbox", choices=("auto", "off"), default="auto", help="as `nncourse autograde --sandbox`")
    ap.add_argument("--packages", choices=("worktree", "HEAD"), default="worktree",
                    help="the grading and helpers packages to run: the working tree's or the last commit's")
    args = ap.parse_args(argv)
    holder = tempfile.TemporaryDirectory(prefix="bench-distributed-pkgs-")
    ENV["PYTHONPATH"] = str(snapshot(Path(holder.name) / "packages", args.packages))
    sys.path[:0] = [ENV["PYTHONPATH"], str(REPO / "tests")]
    import runpy
    import shutil
    import statistics

    import nbformat

    from support import submissions as S
    from grading.config import Course
    from grading.cycle.autograde import read_scores
    from grading.cycle.release import release
    from grading.cycle.distributed import dask_environment

    ENV.update(dask_environment())  # the grading cluster's Dask settings (deploy/cluster/dask.yaml)

    source, assignment = S.benchmark_assignment(REPO, args.assignment)
    with tempfile.TemporaryDirectory(prefix="bench-distributed-") as tmp:
        tmp = Path(tmp)
        base = Course(source=source, release=tmp / "release", workdir=tmp / "local", timeout=args.timeout)
        release(base, [assignment])
        rel, src = base.release_notebook(assignment), base.source_notebook(assignment)
        pool = [S.solution_submission(rel, src), S.blank_submission(rel)]  # as bench_autograde.py builds them
        mutants = REPO / "tests" / "mutants" / f"{assignment}.py"
        if mutants.is_file():
            pool += [S.mutant_submission(rel, src, m["cell"], m["source"])
                     for m in runpy.run_path(str(mutants))["MUTANTS"]]
        subs = {f"student{i:03d}": pool[i % len(pool)] for i in range(args.n)}

        def fresh(name: str) -> Course:
            course = base.with_(workdir=tmp / name)
            if course.workdir.exists():
                shutil.rmtree(course.workdir)
            for student, nb in subs.items():
                dest = course.submitted / student / assignment
                dest.mkdir(parents=True)
                nbformat.write(nb, str(dest / f"{assignment}.ipynb"))
            return course

        def cmd(course, *more):
            return [sys.executable, "-m", "grading", "autograde", assignment, "--no-progress", "--timeout",
                    str(args.timeout), "--sandbox", args.sandbox, "--workdir", str(course.workdir), "--repo",
                    str(source.parent), *more]

        def steady(course) -> float:
            """Seconds a submission between the first and the last autograded notebook written: the batch's pace
            without the fixed costs of its start (a local pool's processes, the gradebook's preparation)."""
            times = sorted(p.stat().st_mtime for p in course.autograded.glob(f"*/{assignment}/{assignment}.ipynb"))
            return (times[-1] - times[0]) / (len(times) - 1) if len(times) > 1 else float("nan")

        n = len(subs)
        print(f"{n} submissions of {assignment}; {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} "
              f"at start; {args.rounds} round(s)")
        labels = {"local": "1. local process pool, --jobs 2:       ",
                  "dask1": "2. Dask, 1 worker (--nthreads 1):      ",
                  "dask2": "3. Dask, 2 workers (--nthreads 1 each):"}
        got = {k: [] for k in labels}  # (wall, cpu, steady) per round
        scores = {}
        procs = []
        try:
            info = tmp / "scheduler.json"
            t0 = time.perf_counter()
            procs.append(start([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
                                "--no-dashboard", "--scheduler-file", str(info)], tmp / "scheduler.log"))
            while not info.exists():
                time.sleep(0.05)
            time.sleep(0.2)
            address = json.loads(info.read_text())["address"]

            def worker(name):
                return start([str(BIN / "dask"), "worker", address, "--host", "127.0.0.1", "--nthreads", "1",
                              "--no-dashboard", "--name", name, "--local-directory", str(tmp / name)],
                             tmp / f"{name}.log")

            procs.append(worker("w1"))
            wait_for_workers(address, 1)
            print(f"   (scheduler and one worker up in {time.perf_counter() - t0:.1f} s, not timed)")
            spare = None
            for r in range(args.rounds):
                for name in ("local", "dask1", "dask2"):
                    course = fresh(name)
                    if name == "local":
                        wall, cpu = timed(cmd(course, "--jobs", "2"))
                    elif name == "dask1":
                        if spare is not None:  # back to one worker
                            stop([spare])
                            procs.remove(spare)
                            spare = None
                            time.sleep(1.0)
                        wall, cpu = timed(cmd(course, "--scheduler", address), procs)
                    else:
                        spare = worker(f"w2-{r}")
                        procs.append(spare)
                        wait_for_workers(address, 2)
                        wall, cpu = timed(cmd(course, "--scheduler", address), procs)
                    got[name].append((wall, cpu, steady(course)))
                    scores[name] = read_scores(course, assignment)
                    print(f"{labels[name]} {wall:7.1f} s wall ({wall / n:.2f} s a submission), steady pace "
                          f"{got[name][-1][2]:.2f} s, CPU {cpu / n:.2f} s a submission   [round {r + 1}, load "
                          f"{os.getloadavg()[0]:.1f}]", flush=True)
        finally:
            stop(procs)

        def med(name, i):
            return statistics.median(x[i] for x in got[name])

        print(f"throughput, 2 workers / 1 worker: {med('dask1', 0) / med('dask2', 0):.2f}x wall, "
              f"{med('dask1', 2) / med('dask2', 2):.2f}x steady pace   (goal >= 1.7x on 2 cores)")
        print(f"overhead of Dask (2 workers) against the local pool (2 processes), a submission: steady pace "
              f"{med('dask2', 2) - med('local', 2):+.2f} s ({med('dask2', 2) / med('local', 2) - 1:+.1%}), CPU "
              f"{(med('dask2', 1) - med('local', 1)) / n:+.2f} s ({med('dask2', 1) / med('local', 1) - 1:+.1%}), "
              f"wall {med('dask2', 0) / med('local', 0) - 1:+.1%} (the pool's start included, the cluster's not)"
              f"   (goal within 10%)")
        print(f"load average at the end: {os.getloadavg()[0]:.1f} (wall times are noisy when other work runs; CPU "
              f"seconds much less so)")

        bad = 0
        for name in ("dask1", "dask2"):
            diff = sorted((s, c) for s in set(scores["local"]) | set(scores[name])
                          for c in set(scores["local"].get(s, {})) | set(scores[name].get(s, {}))
                          if scores["local"].get(s, {}).get(c) != scores[name].get(s, {}).get(c))
            same = not diff and set(scores[name]) == set(subs)
            print(f"scores of {name} identical to the local pool's: {same}"
                  + (f"  differences: {diff[:10]}" if diff else ""))
            bad += not same
        return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
