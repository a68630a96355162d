"""The ``nncourse`` command: one subcommand per step of the instructor's cycle.

    nncourse release [ASSIGNMENT...]     solutions/ -> notebooks/ (nbgrader generate_assignment)
    nncourse collect PATH                a folder or an LMS zip -> <workdir>/submitted/<student>/<assignment>/
    nncourse autograde [ASSIGNMENT...]   grade every collected submission, several at once
    nncourse feedback [ASSIGNMENT...]    per-student feedback HTML, hidden tests scrubbed
    nncourse report                      grades CSV, figures, summary
    nncourse run [NOTEBOOK...]           execute notebooks headlessly, print the times

For learners:

    nncourse lab                         JupyterLab on notebooks/ with the learner's tools only (Validate)
    nncourse validate NOTEBOOK           run a notebook's tests; whole hints; exit status 1 when one fails

For everyone:

    nncourse site                        the course site: static HTML of every release notebook, run (offline)

The instructor working directory is ``--workdir``, else ``$NNCOURSE_HOME``, else ``<repo>/instructor``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .config import DEFAULT_TIMEOUT, ENV_HOME, Course

__all__ = ["main", "build_parser"]


def _course(args) -> Course:
    return Course.from_repo(repo=args.repo, workdir=args.workdir, db_url=getattr(args, "db_url", None),
                            timeout=getattr(args, "timeout", None))


def _say(msg: str) -> None:
    print(msg, flush=True)


def cmd_release(args) -> int:
    from .config import write_nbgrader_config
    from .cycle.release import release

    course = _course(args)
    paths = release(course, args.assignments)
    write_nbgrader_config(course)
    if args.due is not None:
        from .cycle.late import parse_due, set_due_date

        when = parse_due(args.due) if args.due else None
        for a in (args.assignments or course.assignments()):
            set_due_date(course, a, when)
            _say(f"due date of {a}: {when:%Y-%m-%d %H:%M} UTC" if when else f"due date of {a}: none")
    for p in paths:
        _say(f"released {p.relative_to(course.release.parent) if course.release.parent in p.parents else p}")
    if not paths:
        _say(f"no assignments found under {course.source}")
    return 0


def cmd_collect(args) -> int:
    from .cycle.collect import collect

    course = _course(args)
    res = collect(course, Path(args.path), assignments=args.assignment or None, students=args.students)
    for student, assignment, src in res.placed:
        _say(f"collected {student} / {assignment} <- {src}")
    for name, reason in res.unplaced:
        _say(f"NOT PLACED {name}: {reason}")
    for note in res.notes:
        _say(f"note: {note}")
    for student, assignment, src, reason in res.invalid:
        _say(f"INVALID {student} / {assignment} ({src}): {reason}; it will be graded 0 unless resubmitted")
    _say(f"{len(res.placed)} submission(s) collected into {course.submitted}, {len(res.unplaced)} file(s) not placed, "
         f"{len(res.invalid)} invalid notebook(s)")
    return 0


def cmd_autograde(args) -> int:
    from .cycle.autograde import autograde

    course = _course(args).with_(late_penalty=(args.late_per_day, args.late_cap))
    if args.sandbox != "off":
        from .sandbox.manager import Limits, available

        ok, why = available()
        if ok or args.scheduler:  # on a Dask cluster every worker is checked instead (grading.cycle.distributed)
            course = course.with_(sandbox=Limits(memory_mb=args.memory_mb, cpu_seconds=args.cpu_seconds,
                                                 nproc=args.nproc))
        else:  # `auto` does not fall back: grading unsandboxed takes an explicit --sandbox off
            print(f"nncourse: the grading sandbox cannot run here: {why}.\n"
                  "nncourse: learners' code would run with your rights. Install bubblewrap (apt-get install "
                  "bubblewrap) and run as root, or pass --sandbox off to grade without the sandbox on purpose "
                  "(on a disposable machine only; docs/SECURITY.md).", file=sys.stderr, flush=True)
            return 2
    else:
        print("nncourse: WARNING: --sandbox off: learners' code runs WITHOUT the grading sandbox, with your rights "
              "(the tests still run in the trusted checker; docs/SECURITY.md)", file=sys.stderr, flush=True)
    from .cycle.distributed import ClusterError

    try:
        res = autograde(course, args.assignments or None, students=args.student or None, jobs=args.jobs,
                        progress=not args.no_progress, log=lambda line: print(line, file=sys.stderr, flush=True),
                        scheduler=args.scheduler, cluster=args.cluster, force=args.force)
    except ClusterError as exc:
        print(f"nncourse: {exc}", file=sys.stderr)
        return 2
    _say(f"graded {len(res.graded)} submission(s) in {res.seconds:.1f} s; {len(res.failures)} could not be graded "
         f"(recorded as 0); {len(res.skipped)} unchanged since their last grading (--force regrades them)")
    for f in res.failures:
        _say(f"FAILED {f.student} / {f.assignment}: {f.reason}")
    for (s, a), cells in sorted(res.timeouts.items()):
        _say(f"TIMEOUT {s} / {a}: {', '.join(cells)}")
    return 0


def cmd_feedback(args) -> int:
    from .cycle.feedback import feedback

    course = _course(args)
    res = feedback(course, args.assignments or None, students=args.student or None)
    for path in res.written:
        _say(f"feedback {path}")
    for f in res.failures:
        _say(f"FAILED {f}")
    return 0


def cmd_report(args) -> int:
    from .cycle.report import report

    course = _course(args)
    columns = {}
    for spec in args.canvas_column or []:
        name, sep, title = spec.partition("=")
        if not sep or not title:
            raise ValueError(f"--canvas-column wants ASSIGNMENT=TITLE, got {spec!r}")
        columns[name] = title
    out = report(course, out_dir=Path(args.out) if args.out else None, pass_fraction=args.pass_fraction,
                 assignments=args.assignment or None, scale=args.scale,
                 lms=args.lms.split(",") if args.lms else None, canvas_columns=columns)
    for path in out.files:
        _say(f"wrote {path}")
    return 0


def cmd_run(args) -> int:
    from .cycle.run import run_notebooks

    course = Course.from_repo(repo=args.repo, workdir=args.workdir)
    paths = [Path(p) for p in args.notebooks] or sorted(course.source.glob("*/*.ipynb"))
    results = run_notebooks(paths, timeout=args.timeout, allow_errors=args.allow_errors)
    failed = 0
    for r in results:
        status = "ok" if r.ok else f"FAILED ({r.error})"
        _say(f"{r.seconds:7.2f} s  slowest cell {r.slowest_seconds:6.2f} s (#{r.slowest_index})  {r.path}  {status}")
        failed += not r.ok
    if results:
        _say(f"{len(results)} notebook(s), {sum(r.seconds for r in results):.2f} s in total, {failed} failed")
    return 1 if failed else 0


def _local_cluster(spec: str) -> str:
    from .cycle.distributed import parse_cluster

    try:
        parse_cluster(spec)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return spec


def cmd_lab(args) -> int:
    from .config import find_repo
    from .learner import run_lab

    extra = list(args.jupyter_args)
    if extra[:1] == ["--"]:
        extra = extra[1:]
    if args.port is not None:
        extra = [f"--port={args.port}"] + extra
    if args.no_browser:
        extra = ["--no-browser"] + extra
    return run_lab(Path(args.repo).resolve() if args.repo else find_repo(), extra)


def cmd_validate(args) -> int:
    from .learner import validate

    status = 0
    for notebook in args.notebooks:
        status = max(status, validate(Path(notebook), timeout=args.timeout))
    return status


def cmd_site(args) -> int:
    import runpy

    from .config import find_repo

    repo = Path(args.repo).resolve() if args.repo else find_repo()
    script = repo / "site" / "build.py"
    if not script.is_file():
        raise FileNotFoundError(f"{script} is missing: run `nncourse site` from a clone of the course repository")
    site = runpy.run_path(str(script))
    site["build"](Path(args.out).resolve() if args.out else repo / "site", repo=repo, jobs=max(1, args.jobs))
    return 0


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--workdir", help=f"instructor working directory (default: ${ENV_HOME}, else <repo>/instructor)")
    common.add_argument("--repo", help="course repository (default: found from the current directory)")
    db = argparse.ArgumentParser(add_help=False)
    db.add_argument("--db-url", help="gradebook SQLAlchemy URL (default: sqlite:///<workdir>/gradebook.db), "
                                     "e.g. postgresql://user@host:5432/course")

    parser = argparse.ArgumentParser(prog="nncourse", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("release", parents=[common, db], help="generate the student release: solutions/ -> notebooks/",
                       description="Run nbgrader generate_assignment from solutions/ into notebooks/ "
                                   "(all assignments by default), in a reproducible byte-for-byte form.")
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT")
    p.add_argument("--due", metavar="DATE", help="record this due date for the released assignment(s) in the gradebook "
                                                 "(ISO 8601, e.g. 2026-03-01T23:59 local time, or ...Z for UTC; '' "
                                                 "removes it); autograde charges late work from it")
    p.set_defaults(func=cmd_release)

    p = sub.add_parser("collect", parents=[common, db],
                       help="import submissions from a folder, an LMS zip or the hub's exchange",
                       description="Import submissions into <workdir>/submitted/ from a Canvas or Moodle download "
                                   "(zip or unpacked folder), nbgrader's exchange (the hub's inbox), or a folder of "
                                   "<student>_<assignment>.ipynb files. The learner is read from the fields the LMS "
                                   "wrote (Canvas user id, Moodle participant id, the inbox folder's owner), never "
                                   "from the learner's own file name. Every notebook is checked at once (INVALID "
                                   "lines); files that match no assignment or no learner, or two, are reported and "
                                   "not placed.")
    p.add_argument("path", help="a folder, a .zip file, or nbgrader's exchange (its root or <course>/inbound)")
    p.add_argument("--assignment", action="append",
                   help="only this assignment (repeatable); with exactly one, every notebook in PATH is for it, "
                        "whatever its file name (a Moodle or Canvas download is per assignment)")
    p.add_argument("--students", metavar="ROSTER",
                   help="the class: a text file of student ids (one per line), or a CSV with a header (student, "
                        "name, email, canvas_id, moodle_id), or Canvas's gradebook export, or Moodle's grading "
                        "worksheet (which also gives submission times); files of anyone else are not placed")
    p.set_defaults(func=cmd_collect)

    p = sub.add_parser("autograde", parents=[common, db], help="autograde collected submissions in parallel",
                       description="Autograde every collected submission with nbgrader, several at once. A "
                                   "submission that cannot be graded is reported and the batch goes on. Exit status "
                                   "0 when the batch ran.")
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT")
    p.add_argument("--student", action="append", help="only this student (repeatable)")
    p.add_argument("-j", "--jobs", type=int, default=None, help="submissions graded at once (default: one per core)")
    p.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT, help="per-cell timeout in seconds (default %(default)s)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--sandbox", choices=("auto", "on", "off"), default="auto",
                   help="auto (default) and on: run every kernel in the grading sandbox (docs/SECURITY.md), and "
                        "refuse to grade where it cannot run (bubblewrap missing, not root); off: grade without it, "
                        "on purpose")
    p.add_argument("--memory-mb", type=int, default=2048, help="sandbox: memory per kernel (default %(default)s)")
    p.add_argument("--cpu-seconds", type=int, default=300, help="sandbox: CPU seconds per kernel (default %(default)s)")
    p.add_argument("--nproc", type=int, default=64, help="sandbox: processes and threads (default %(default)s)")
    p.add_argument("--force", action="store_true",
                   help="grade every submission (default: only those new or changed since their last grading)")
    p.add_argument("--late-per-day", type=float, default=0.10, metavar="FRACTION",
                   help="late work loses this fraction of its score per started day after the due date "
                        "(nncourse release --due; default %(default)s, 0 for no penalty)")
    p.add_argument("--late-cap", type=float, default=0.50, metavar="FRACTION",
                   help="at most this fraction of the score is taken for lateness (default %(default)s)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="grade on the Dask cluster of this scheduler, e.g. tcp://10.0.0.5:8786 (workers need the "
                            "course at the same version; docs/INSTRUCTORS.md, 'Grading on a cluster')")
    where.add_argument("--cluster", metavar="local:N", type=_local_cluster,
                       help="grade on a Dask LocalCluster of N workers on this machine")
    p.set_defaults(func=cmd_autograde)

    p = sub.add_parser("feedback", parents=[common, db], help="per-student feedback HTML",
                       description="Write <workdir>/feedback/<student>/<assignment>/<assignment>.html for every "
                                   "autograded submission, with hidden tests and their tracebacks removed.")
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT")
    p.add_argument("--student", action="append", help="only this student (repeatable)")
    p.set_defaults(func=cmd_feedback)

    p = sub.add_parser("report", parents=[common, db], help="grades CSV, LMS grade files, figures and a summary",
                       description="Write <workdir>/reports/: grades.csv (one row per student; one column per "
                                   "exercise and per assigned section; totals over assigned work; a note column for "
                                   "missing, ungradable and late work), canvas.csv and moodle-<assignment>.csv for "
                                   "the LMS's grade import, score_distribution.png, pass_rate_per_exercise.png and "
                                   "summary.md.")
    p.add_argument("--out", help="output folder (default: <workdir>/reports)")
    p.add_argument("--pass-fraction", type=float, default=1.0,
                   help="an exercise counts as passed at this fraction of its points (default %(default)s)")
    p.add_argument("--assignment", action="append",
                   help="report this assignment (repeatable; default: every assignment with a submission or a past "
                        "due date); unassigned work is left out of the totals and the histogram")
    p.add_argument("--scale", type=float, metavar="POINTS",
                   help="LMS files: each assignment out of POINTS (default: its own points)")
    p.add_argument("--lms", metavar="canvas,moodle",
                   help="which LMS grade files to write: canvas.csv (gradebook import), moodle-<assignment>.csv "
                        "(grading worksheet); default: each LMS some student has an id of")
    p.add_argument("--canvas-column", action="append", metavar="ASSIGNMENT=TITLE",
                   help="the Canvas column of an assignment, e.g. '02-forward-pass=Forward pass (48213)' (the "
                        "title and id of the Canvas assignment, as in Canvas's export); default: the assignment id")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("run", parents=[common], help="execute notebooks headlessly and time them",
                       description="Execute notebooks top to bottom with nbclient (default: every solution "
                                   "notebook) and print the time of each and of its slowest cell. Exit status 1 "
                                   "if one fails.")
    p.add_argument("notebooks", nargs="*", metavar="NOTEBOOK")
    p.add_argument("--timeout", type=int, default=60, help="per-cell timeout in seconds (default %(default)s)")
    p.add_argument("--allow-errors", action="store_true", help="keep going after a failing cell (and do not fail)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("lab", help="learners: open the course in JupyterLab with the learner's tools only",
                       description="Start `jupyter lab notebooks/` with the course's learner configuration "
                                   "(jupyter-config/learner/): nbgrader's Validate button, without the instructor's "
                                   "Formgrader, Create Assignment, Assignment List and Course List. Arguments after "
                                   "-- go to `jupyter lab` (for example: nncourse lab -- --ServerApp.ip=0.0.0.0).")
    p.add_argument("--repo", help="course repository (default: found from the current directory)")
    p.add_argument("--port", type=int, help="the port JupyterLab listens on (default: Jupyter's, 8888 or the next free)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument("jupyter_args", nargs=argparse.REMAINDER, metavar="JUPYTER_LAB_ARGS")
    p.set_defaults(func=cmd_lab)

    p = sub.add_parser("validate", help="learners: run a notebook's tests and print whole hints",
                       description="Run every cell of a notebook as nbgrader's Validate button does and print each "
                                   "failing test cell with its message and hint in full. Exit status 0 when every "
                                   "test cell passes, 1 when one fails (hidden tests run only at grading).")
    p.add_argument("notebooks", nargs="+", metavar="NOTEBOOK")
    p.add_argument("--timeout", type=int, default=60, help="per-cell timeout in seconds (default %(default)s)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("site", help="build the course site (static HTML of every release notebook, run)",
                       description="Run every release notebook as a learner's Run All would and build a static HTML "
                                   "site of the whole course with Jupyter Book 1, offline (pip install -e '.[site]'). "
                                   "The site is <out>/_build/html (default: site/_build/html); open its index.html.")
    p.add_argument("--repo", help="course repository (default: found from the current directory)")
    p.add_argument("--out", help="output folder (default: <repo>/site)")
    p.add_argument("-j", "--jobs", type=int, default=1, help="notebooks executed at once (default %(default)s)")
    p.set_defaults(func=cmd_site)
    return parser


def _sigterm_as_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv=None) -> int:
    import signal
    import threading

    args = build_parser().parse_args(argv)
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
    else:  # pragma: no cover - embedded use
        previous = None
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print(f"nncourse {args.command}: interrupted; what was finished is saved (run it again to complete)",
              file=sys.stderr)
        return 130
    except (ValueError, FileNotFoundError) as exc:
        print(f"nncourse {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        from .nbg import NbGraderFailure

        if isinstance(exc, NbGraderFailure):
            print(f"nncourse {args.command}: {exc}", file=sys.stderr)
            return 1
        raise
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
