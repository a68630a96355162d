"""Parallel autograding on top of nbgrader (nbgrader's issue #174), and a Python API for tests.

nbgrader's gradebook is SQLite by default, and SQLite takes one writer at a time, so ``nbgrader
autograde`` grades one submission after another. Here each submission is graded by plain nbgrader
``Autograde`` in a worker process with a **private course directory and a private copy of a template
gradebook** (the assignment registered, no submissions). Only the parent process writes to the real
gradebook: after a worker finishes, the parent copies that submission's rows (timestamp, every grade's
``auto_score`` and ``needs_manual_grade``, every ``auto_comment``, the late penalty) into it, exactly as
nbgrader's ``SaveAutoGrades`` would have written them, and moves the autograded notebook into the
instructor working directory. The gradebook thus never sees two writers, and scores are those of
nbgrader itself.

A submission that cannot be graded (invalid JSON, a kernel that dies, ...) is reported with the student,
the assignment and the reason, and the batch goes on; it is recorded with 0 points on every cell (not "needs manual
grading"), and the reason is kept in ``<workdir>/graded.json`` for the summary, the report and the learner's
feedback. A notebook that nbformat cannot read is not sent to nbgrader at all.

Grading is incremental: ``graded.json`` also keeps a content hash of every graded submission (its files, the
assignment's source, its due date and the late policy), and a later run grades only submissions that are new or
changed (``force=True``, ``nncourse autograde --force``, grades all). Hand-entered grades and comments (formgrader)
are never overwritten by a rerun; when the submission itself changed, a hand-graded cell keeps its score and is
flagged for a second look.
"""
from __future__ import annotations

import concurrent.futures as cf
import contextlib
import datetime as dt
import hashlib
import json
import multiprocessing
import os
import re
import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from ..config import Course

__all__ = ["Failure", "BatchResult", "list_submissions", "autograde", "grade_submissions", "read_scores",
           "default_jobs"]


@dataclass(frozen=True)
class Failure:
    """A submission that could not be graded."""

    student: str
    assignment: str
    reason: str
    log: str = field(default="", repr=False)

    def __str__(self) -> str:
        return f"{self.student} / {self.assignment}: {self.reason}"


@dataclass
class BatchResult:
    """What one autograde batch did.

    Attributes
    ----------
    graded : list of (student, assignment)
        Submissions nbgrader graded.
    failures : list of Failure
        Submissions it could not grade (recorded with no score).
    timeouts : dict
        ``{(student, assignment): [grade_id, ...]}`` of cells stopped by the per-cell timeout.
    seconds : float
        Wall-clock time of the batch.
    skipped : list of (student, assignment)
        Submissions not regraded: unchanged since their last grading (see ``force``).
    scores : dict
        ``{student: {grade_id: (score, max_score)}}`` for the batch's assignment(s), from the gradebook
        (filled by :func:`grade_submissions`).
    """

    graded: list = field(default_factory=list)
    failures: list = field(default_factory=list)
    timeouts: dict = field(default_factory=dict)
    seconds: float = 0.0
    scores: dict = field(default_factory=dict)
    skipped: list = field(default_factory=list)
    digests: dict = field(default_factory=dict, repr=False)


def default_jobs() -> int:
    """One worker per core available to this process."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def list_submissions(course: Course, assignments=None, students=None) -> list[tuple[str, str]]:
    """``(student, assignment)`` of every folder ``<workdir>/submitted/<student>/<assignment>/``, sorted."""
    found = []
    if not course.submitted.is_dir():
        return found
    for sdir in sorted(course.submitted.iterdir()):
        if not sdir.is_dir() or sdir.name.startswith("."):
            continue
        if students is not None and sdir.name not in students:
            continue
        for adir in sorted(sdir.iterdir()):
            if adir.is_dir() and (not assignments or adir.name in assignments):
                found.append((sdir.name, adir.name))
    return found


# --------------------------------------------------------------------------------------------- worker side

def _worker_init() -> None:
    """Import nbgrader once per worker process, not once per submission; kernels get one BLAS thread each."""
    from .run import KERNEL_ENV

    os.environ.update(KERNEL_ENV)
    import nbgrader.apps  # noqa: F401
    import nbgrader.converters  # noqa: F401


def _grade_one(job: dict) -> dict:
    """Grade one submission in a private course directory and return what it produced, as plain data.

    Runs in a worker process (or a Dask worker, or this process). Nothing outside ``job["root"]`` is written, so a
    job can run again (a retry, a second worker) with the same result. The returned dict holds the student and the
    assignment, ``success``, ``reason``/``log``/``error`` when it failed, ``rows`` (the gradebook rows nbgrader wrote
    for the submission, see :func:`read_rows`), ``files`` (``{relative path: bytes}`` of the autograded folder) and
    ``seconds``.
    """
    from ..nbg import api

    start = time.perf_counter()
    root = Path(job["root"])
    rows, files = None, {}
    try:
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
        sub_dst = root / "submitted" / job["student"] / job["assignment"]
        if "submission" in job:  # the files themselves (a remote worker cannot read the instructor's folder)
            for rel, data in job["submission"].items():
                (sub_dst / rel).parent.mkdir(parents=True, exist_ok=True)
                (sub_dst / rel).write_bytes(data)
        else:
            shutil.copytree(job["submitted"], sub_dst)
        template = root / "gradebook.db"
        if "template_bytes" in job:
            template.write_bytes(job["template_bytes"])
        else:
            shutil.copyfile(job["template_db"], template)
        course = Course(source=job["source"], release=job["release"], workdir=root, db_url=None,
                        timeout=job["timeout"], course_id=job["course_id"], sandbox=job.get("sandbox"),
                        **({"late_penalty": tuple(job["late_penalty"])} if job.get("late_penalty") else {}))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=Warning)  # SQLAlchemy autoflush noise from nbgrader
            result = api(course).autograde(job["assignment"], job["student"], force=True, create=True)
        rows = read_rows(f"sqlite:///{template}", job["student"], job["assignment"])
        produced = root / "autograded" / job["student"] / job["assignment"]
        if result.get("success") and produced.is_dir():
            files = {str(p.relative_to(produced)): p.read_bytes() for p in sorted(produced.rglob("*")) if p.is_file()}
    except Exception as exc:  # the pipeline around nbgrader broke for this submission
        import traceback

        result = {"success": False, "log": "", "error": traceback.format_exc(),
                  "reason": f"{type(exc).__name__}: {exc}"}
    finally:
        if job.get("cleanup", True):
            shutil.rmtree(root, ignore_errors=True)
    out = {k: result.get(k) for k in ("success", "log", "error", "reason")}
    out.update(student=job["student"], assignment=job["assignment"], root=str(root), rows=rows, files=files,
               seconds=time.perf_counter() - start, digest=job.get("digest"))
    return out


# --------------------------------------------------------------------------------------------- parent side

_ERROR_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt))(?::\s*(.*))?$")


def failure_reason(log: str, error: str = "") -> str:
    """A one-line reason from nbgrader's captured log and traceback: the last ``SomethingError: ...`` line."""
    text = "\n".join(t for t in (log or "", error or "") if t)
    best = None
    for line in text.splitlines():
        line = line.strip()
        m = _ERROR_LINE.match(line)
        if m and not m.group(1).endswith("NbGraderException"):
            best = line
    if best:
        return best[:300]
    for line in reversed(text.splitlines()):
        if "[ERROR]" in line:
            return line.split("[ERROR]", 1)[1].strip()[:300]
    return "nbgrader could not grade this submission (see the log)"


def read_rows(db_url: str, student: str, assignment: str):
    """One submission's autograder results in a gradebook, as plain data (``None`` if it has none):
    ``{"timestamp": ..., "notebooks": [(name, late penalty, [(grade, auto_score, needs_manual)],
    [(comment, auto_comment)])]}``."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url) as gb:
        try:
            sub = gb.find_submission(assignment, student)
        except MissingEntry:
            return None
        return {"timestamp": sub.timestamp,
                "notebooks": [(nb.name, nb.late_submission_penalty,
                               [(g.name, g.auto_score, g.needs_manual_grade) for g in nb.grades],
                               [(c.name, c.auto_comment) for c in nb.comments]) for nb in sub.notebooks]}


def write_rows(main_gb, rows, student: str, assignment: str, review_manual: bool = False) -> None:
    """Write one submission's results (:func:`read_rows`) into the main gradebook, as nbgrader's
    ``SaveAutoGrades`` would have, except that a hand-entered grade stays graded (``needs_manual_grade`` off) unless
    ``review_manual`` (the submission changed since it was graded by hand). Manual scores and comments are never
    touched."""
    main_gb.update_or_create_student(student)
    if rows is not None and rows.get("timestamp") is not None:
        main_gb.update_or_create_submission(assignment, student, timestamp=rows["timestamp"])
    else:
        main_gb.update_or_create_submission(assignment, student)
    for nb_name, penalty, grades, comments in (rows or {}).get("notebooks", []):
        mnb = main_gb.find_submission_notebook(nb_name, assignment, student)
        mnb.late_submission_penalty = penalty
        for name, auto_score, needs_manual in grades:
            grade = main_gb.find_grade(name, nb_name, assignment, student)
            grade.auto_score = auto_score
            # nbgrader's SaveAutoGrades flags every hand-graded cell again on each run, so a rerun would undo the
            # grader's work; here a hand grade asks for a second look only when the submission changed
            if grade.manual_score is not None:
                grade.needs_manual_grade = bool(review_manual)
            else:
                grade.needs_manual_grade = bool(needs_manual)
        for name, auto_comment in comments:
            main_gb.find_comment(name, nb_name, assignment, student).auto_comment = auto_comment
    main_gb.db.commit()


def _timed_out_cells(folder: Path) -> list[str]:
    """grade ids (or cell indices) of cells whose output is nbgrader's timeout error."""
    hits = []
    for path in sorted(folder.glob("*.ipynb")):
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:
            continue
        for i, cell in enumerate(nb.cells):
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error" and out.get("ename") == "CellTimeoutError":
                    hits.append(cell.metadata.get("nbgrader", {}).get("grade_id", f"cell {i}"))
    return hits


def copy_assignment_definition(src_url: str, dst_url: str, assignment: str, course_id: str = "nncourse") -> None:
    """Copy an assignment's definition (notebooks; grade, solution, task and source cells with their points,
    sources and checksums; due date) from one gradebook to another, through nbgrader's API."""
    from nbgrader.api import Gradebook

    def fields(obj, drop=("id", "name", "notebook", "assignment")):
        return {k: v for k, v in obj.to_dict().items() if k not in drop}

    with Gradebook(src_url, course_id) as src:
        a = src.find_assignment(assignment)
        spec = {"duedate": a.duedate, "notebooks": []}
        for nb in a.notebooks:
            spec["notebooks"].append({
                "name": nb.name, "kernelspec": nb.kernelspec,
                "grade": [(c.name, fields(c)) for c in nb.grade_cells],
                "solution": [(c.name, fields(c)) for c in nb.solution_cells],
                "task": [(c.name, fields(c)) for c in nb.task_cells],
                "source": [(c.name, fields(c)) for c in nb.source_cells],
            })
    with Gradebook(dst_url, course_id) as dst:
        dst.update_or_create_assignment(assignment, duedate=spec["duedate"])
        for nb in spec["notebooks"]:
            dst.update_or_create_notebook(nb["name"], assignment, kernelspec=nb["kernelspec"])
            for name, kw in nb["grade"]:
                dst.update_or_create_grade_cell(name, nb["name"], assignment, **kw)
            for name, kw in nb["solution"]:
                dst.update_or_create_solution_cell(name, nb["name"], assignment, **kw)
            for name, kw in nb["task"]:
                dst.update_or_create_task_cell(name, nb["name"], assignment, **kw)
            for name, kw in nb["source"]:
                dst.update_or_create_source_cell(name, nb["name"], assignment, **kw)


def prepare_gradebook(course: Course, assignments, template_dir: Path) -> Path:
    """Make sure ``course``'s gradebook knows ``assignments`` and build the workers' template gradebook.

    As with plain ``nbgrader autograde``, an assignment already in the gradebook (recorded by ``release``) is
    graded against what the gradebook holds; one that is not is registered from the source first. The
    template (a SQLite file under ``template_dir``: the same assignment definitions, no students) is copied
    from the gradebook, so workers grade exactly against it. Returns the template's path.
    """
    from nbgrader.api import Gradebook, MissingEntry

    from .release import register_assignments

    with Gradebook(course.gradebook_url, course.course_id) as gb:
        missing = []
        for a in assignments:
            try:
                gb.find_assignment(a)
            except MissingEntry:
                missing.append(a)
    if missing:
        register_assignments(course, missing)
    Path(template_dir).mkdir(parents=True, exist_ok=True)
    template = Path(template_dir) / "gradebook.db"
    for a in assignments:
        copy_assignment_definition(course.gradebook_url, f"sqlite:///{template}", a, course.course_id)
    return template


# --------------------------------------------------------------------------------------------- incremental ledger

def graded_ledger_path(course: Course) -> Path:
    """``<workdir>/graded.json``: ``{"<student>/<assignment>": {"digest", "status", "reason", "graded_at"}}``;
    ``status`` is ``graded``, ``invalid`` (the notebook cannot be read: 0 points) or ``failed`` (0 points, retried
    on the next run)."""
    return course.workdir / "graded.json"


def load_graded(course: Course) -> dict:
    path = graded_ledger_path(course)
    try:
        return json.loads(path.read_text()) if path.is_file() else {}
    except ValueError:
        return {}


def _save_graded(course: Course, data: dict) -> None:
    path = graded_ledger_path(course)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(tmp, path)


def submission_digest(course: Course, student: str, assignment: str, duedate=None) -> str:
    """A content hash of what grading one submission depends on: its files, the assignment's source files, the due
    date and the late policy. Equal hashes grade equal."""
    h = hashlib.sha256()
    for label, folder in (("submitted", course.submitted / student / assignment),
                          ("source", course.source / assignment)):
        h.update(label.encode() + b"\0")
        if folder.is_dir():
            for p in sorted(folder.rglob("*")):
                if p.is_file() and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts:
                    h.update(str(p.relative_to(folder)).encode() + b"\0" + hashlib.sha256(p.read_bytes()).digest())
    h.update(repr((str(duedate) if duedate else None, tuple(course.late_penalty))).encode())
    return h.hexdigest()


def _lms_late_times(course: Course, todo, dues: dict, log=None) -> None:
    """Canvas marks a late submission without a time: give it ``timestamp.txt`` = due date + 1 s (one day late
    for the penalty), or remove that stand-in when the assignment has no due date (see :mod:`grading.cycle.late`)."""
    from .collect import NBGRADER_TIMESTAMP, load_ledger

    collected = load_ledger(course)["submissions"]
    for student, assignment in todo:
        info = collected.get(f"{student}/{assignment}") or {}
        if info.get("lms") != "canvas" or not info.get("late") or info.get("timestamp"):
            continue
        stamp = course.submitted / student / assignment / "timestamp.txt"
        due = dues.get(assignment)
        if due is None:
            if stamp.is_file():
                stamp.unlink()
            if log:
                log(f"{student} / {assignment}: Canvas marked it LATE, but {assignment} has no due date "
                    f"(nncourse release {assignment} --due ...): no late penalty")
            continue
        text = (due + dt.timedelta(seconds=1)).replace(tzinfo=dt.timezone.utc).strftime(NBGRADER_TIMESTAMP)
        if not stamp.is_file() or stamp.read_text() != text:
            stamp.write_text(text)


def autograde(course: Course, assignments=None, students=None, jobs: int | None = None,
              progress: bool = False, log=None, scheduler: str | None = None,
              cluster: str | None = None, force: bool = False) -> BatchResult:
    """Autograde every collected submission of ``assignments`` (default: all), ``jobs`` at a time.

    Parameters
    ----------
    course : Course
        The course; submissions are read from ``course.submitted``.
    assignments, students : list of str, optional
        Restrict the batch.
    jobs : int, optional
        Worker processes (default: one per core).
    progress : bool
        Show a progress bar on stderr.
    log : callable, optional
        Called with one line of text per submission that failed or timed out.
    scheduler, cluster : str, optional
        Grade on a Dask cluster instead of local processes: the scheduler's address (``tcp://host:8786``), or
        ``"local:N"`` for a LocalCluster of N workers on this machine (:mod:`grading.cycle.distributed`).
    force : bool
        Grade every submission; by default only those new or changed since their last grading (content hash,
        see :func:`submission_digest`) are graded, the others are listed in ``skipped``.

    Returns
    -------
    BatchResult
    """
    from nbgrader.api import Gradebook

    from ..nbg import fast_gradebook_creation

    fast_gradebook_creation()
    start = time.perf_counter()
    todo = list_submissions(course, assignments, students)
    result = BatchResult()
    if not todo:
        result.seconds = time.perf_counter() - start
        return result
    known = set(course.assignments())
    unknown = sorted({a for _, a in todo if a not in known})
    for s, a in [(s, a) for s, a in todo if a in unknown]:
        result.failures.append(Failure(s, a, f"no assignment {a!r} under {course.source}"))
    todo = [(s, a) for s, a in todo if a not in unknown]
    course.workdir.mkdir(parents=True, exist_ok=True)
    todo = _select(course, todo, result, force, log)
    if not todo:
        result.seconds = time.perf_counter() - start
        return result
    jobs = max(1, min(int(jobs or default_jobs()), len(todo) or 1))
    with tempfile.TemporaryDirectory(prefix="nncourse-autograde-", dir=course.workdir) as tmp:
        tmp = Path(tmp)
        on_dask = scheduler is not None or cluster is not None
        pool = _new_pool(jobs) if jobs > 1 and not on_dask else None  # workers start while the gradebook is prepared
        try:
            template = prepare_gradebook(course, sorted({a for _, a in todo}), tmp / "template")
        except BaseException:
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
            raise
        job_list = []
        for i, (student, assignment) in enumerate(todo):
            root = tmp / f"job{i:05d}"
            job_list.append(dict(root=str(root), student=student, assignment=assignment,
                                 submitted=str(course.submitted / student / assignment),
                                 template_db=str(template), source=str(course.source),
                                 release=str(course.release), timeout=course.timeout,
                                 course_id=course.course_id, sandbox=course.sandbox,
                                 digest=result.digests.get((student, assignment)),
                                 late_penalty=tuple(course.late_penalty)))
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(job_list), unit="submission", desc="autograde", dynamic_ncols=True)
        if on_dask:
            from .distributed import run_jobs as run_on_dask

            runs = run_on_dask(job_list, scheduler=scheduler, cluster=cluster, log=log)
        else:
            runs = _run_jobs(job_list, jobs, pool)
        with Gradebook(course.gradebook_url, course.course_id) as main_gb:
            for res in runs:
                record(course, main_gb, res, result, log)
                if bar is not None:
                    bar.set_postfix({"graded": len(result.graded), "failed": len(result.failures),
                                     "remaining": bar.total - bar.n - 1, "workers": res.get("workers", jobs)},
                                    refresh=False)
                    bar.update(1)
        if bar is not None:
            bar.close()
    result.seconds = time.perf_counter() - start
    return result


def _select(course: Course, todo, result: BatchResult, force: bool, log=None):
    """The submissions of ``todo`` to grade now: new or changed ones (all with ``force``). Notebooks nbformat cannot
    read are recorded at once as 0 with the reason (they never reach nbgrader)."""
    from nbgrader.api import Gradebook

    from .collect import check_notebook
    from .late import due_dates

    dues = due_dates(course)
    _lms_late_times(course, todo, dues, log)
    ledger = load_graded(course)
    keep = []
    invalid = []
    for student, assignment in todo:
        digest = submission_digest(course, student, assignment, dues.get(assignment))
        result.digests[(student, assignment)] = digest
        before = ledger.get(f"{student}/{assignment}") or {}
        done = before.get("status") == "invalid" or (
            before.get("status") == "graded" and (course.autograded / student / assignment).is_dir())
        if not force and before.get("digest") == digest and done:
            result.skipped.append((student, assignment))
            continue
        nb_path = course.submitted / student / assignment / f"{assignment}.ipynb"
        reason = check_notebook(nb_path) if nb_path.is_file() else f"the submission has no {assignment}.ipynb"
        if reason:
            invalid.append((student, assignment, reason))
        else:
            keep.append((student, assignment))
    if invalid:
        prepare = sorted({a for _, a, _ in invalid})
        with tempfile.TemporaryDirectory(prefix="nncourse-register-", dir=course.workdir) as tmp:
            prepare_gradebook(course, prepare, Path(tmp))
        with Gradebook(course.gradebook_url, course.course_id) as main_gb:
            for student, assignment, reason in invalid:
                record(course, main_gb, {"student": student, "assignment": assignment, "success": False,
                                         "reason": reason, "invalid": True, "rows": None, "files": {},
                                         "digest": result.digests[(student, assignment)]}, result, log)
    return keep


def _record_zero(main_gb, student: str, assignment: str) -> None:
    """A submission that could not be graded: 0 points on every cell, nothing left "needing manual grading" (a
    grade entered by hand stays)."""
    sub = main_gb.find_submission(assignment, student)
    for nb in sub.notebooks:
        nb.late_submission_penalty = None
        for g in nb.grades:
            g.auto_score = 0.0
            if g.manual_score is None:
                g.needs_manual_grade = False
    main_gb.db.commit()


def record(course: Course, main_gb, res: dict, result: BatchResult, log=None) -> None:
    """Take one finished job (:func:`_grade_one`'s plain data) into the gradebook and the instructor folder: the
    only place that writes them. Safe to call again for the same submission (the second write replaces the first)."""
    student, assignment = res["student"], res["assignment"]
    dest = course.autograded / student / assignment
    ledger = load_graded(course)
    key = f"{student}/{assignment}"
    digest = res.get("digest")
    if digest is None:
        try:
            digest = submission_digest(course, student, assignment, main_gb.find_assignment(assignment).duedate)
        except Exception:
            digest = None
    before = ledger.get(key) or {}
    changed = bool(before.get("digest")) and before.get("digest") != digest
    with warnings.catch_warnings():
        # nbgrader's own add_submission trips SQLAlchemy autoflush warnings; they are harmless
        warnings.simplefilter("ignore", category=Warning)
        write_rows(main_gb, res.get("rows"), student, assignment, review_manual=changed)
        if not (res["success"] and res.get("files")):
            _record_zero(main_gb, student, assignment)
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds")
    if dest.exists():
        shutil.rmtree(dest)
    if res["success"] and res.get("files"):
        for rel, data in res["files"].items():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            (dest / rel).write_bytes(data)
        result.graded.append((student, assignment))
        ledger[key] = {"digest": digest, "status": "graded", "graded_at": now}
        _save_graded(course, ledger)
        if log:
            from ..checker.execute import stop_reasons

            for why in stop_reasons(dest).values():
                log(f"{student} / {assignment}: the kernel was stopped, later tests score 0: {why}")
        stopped = _timed_out_cells(dest)
        if stopped:
            result.timeouts[(student, assignment)] = stopped
            if log:
                log(f"{student} / {assignment}: cell(s) {', '.join(stopped)} stopped by the "
                    f"{course.timeout} s timeout")
    else:
        reason = res.get("reason") or failure_reason(res.get("log") or "", res.get("error") or "")
        fail = Failure(student, assignment, reason, (res.get("log") or "") + (res.get("error") or ""))
        result.failures.append(fail)
        ledger[key] = {"digest": digest, "status": "invalid" if res.get("invalid") else "failed", "reason": reason,
                       "graded_at": now}
        _save_graded(course, ledger)
        if log:
            log(f"could not grade {fail} (recorded as 0)")


@contextlib.contextmanager
def _kernel_env():
    """Set ``grading.run.KERNEL_ENV`` in this process's environment (which kernels inherit), then restore it."""
    from .run import KERNEL_ENV

    saved = {k: os.environ.get(k) for k in KERNEL_ENV}
    os.environ.update(KERNEL_ENV)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _noop() -> None:
    return None


def _new_pool(jobs: int):
    """A pool of ``jobs`` spawned worker processes, started now (they import nbgrader while the parent
    prepares the gradebook)."""
    pool = cf.ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                                  initializer=_worker_init)
    for _ in range(jobs):
        pool.submit(_noop)
    return pool


def _run_jobs(job_list: list[dict], jobs: int, pool=None):
    """Yield each job's result as it finishes. A worker process that dies takes only its own
    submissions down: the pool is rebuilt and the unfinished jobs run again (twice at most)."""
    if jobs == 1:  # in this process; its kernels get the workers' environment all the same
        with _kernel_env():
            for job in job_list:
                yield _grade_one(job)
        return
    pending = list(job_list)
    attempts = {j["root"]: 0 for j in job_list}
    while pending:
        broken = []
        pool = pool or _new_pool(min(jobs, len(pending)))
        try:
            futures = {pool.submit(_grade_one, job): job for job in pending}
            for fut in cf.as_completed(futures):
                job = futures[fut]
                try:
                    yield fut.result()
                except Exception as exc:  # BrokenProcessPool and friends
                    attempts[job["root"]] += 1
                    if attempts[job["root"]] >= 2:
                        yield {"success": False, "log": "", "error": "", "student": job["student"],
                               "assignment": job["assignment"], "root": job["root"], "seconds": 0.0,
                               "reason": f"the grading process died ({type(exc).__name__}: {exc})"}
                    else:
                        broken.append(job)
        except BaseException:
            # interrupted (Ctrl-C, SIGTERM): stop the workers now; their kernels notice and exit
            for proc in list((getattr(pool, "_processes", None) or {}).values()):
                proc.terminate()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        else:
            pool.shutdown(wait=True)
        finally:
            pool = None
        pending = broken


def read_scores(course: Course, assignment: str, students=None) -> dict:
    """``{student: {grade_id: (score, max_score)}}`` from the gradebook, for every submission of
    ``assignment`` (score: the manual score if a grader set one, else the autograder's, else 0)."""
    from nbgrader.api import Gradebook, MissingEntry

    out = {}
    with Gradebook(course.gradebook_url, course.course_id) as gb:
        try:
            subs = gb.assignment_submissions(assignment)
        except MissingEntry:
            return out
        for sub in subs:
            sid = sub.student.id
            if students is not None and sid not in students:
                continue
            cells = {}
            for nb in sub.notebooks:
                for g in nb.grades:
                    score = g.manual_score if g.manual_score is not None else (g.auto_score or 0.0)
                    cells[g.name] = (float(score), float(g.max_score))
            out[sid] = cells
    return out


def _write_submission(dest: Path, assignment: str, nb) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / f"{assignment}.ipynb"
    if isinstance(nb, nbformat.NotebookNode) or isinstance(nb, dict):
        nbformat.write(nbformat.from_dict(nb), str(path))
    elif isinstance(nb, (bytes, bytearray)):
        path.write_bytes(bytes(nb))
    elif isinstance(nb, (str, Path)) and Path(nb).is_file():
        shutil.copyfile(nb, path)
    elif isinstance(nb, str):  # raw notebook text (possibly broken JSON, on purpose)
        path.write_text(nb)
    else:
        raise TypeError(f"a submission must be a NotebookNode, a path, bytes or text, got {type(nb).__name__}")


def grade_submissions(assignment: str, submissions: dict, workdir, source=None, release=None,
                      jobs: int | None = None, timeout: int | None = None, db_url: str | None = None,
                      course: Course | None = None) -> BatchResult:
    """Grade ``{student_id: notebook}`` for one assignment with real nbgrader, in parallel.

    Parameters
    ----------
    assignment : str
        Assignment id (``source/<assignment>/<assignment>.ipynb`` must exist).
    submissions : dict
        ``{student_id: NotebookNode | path | bytes | text}``; written to ``workdir/submitted``.
    workdir : path
        Instructor working directory for this batch (gradebook, autograded copies).
    source, release : path, optional
        nbgrader source and release directories (default: the repository's ``solutions/``, ``notebooks/``).
    jobs, timeout, db_url : optional
        Worker processes, per-cell timeout, gradebook URL.
    course : Course, optional
        Use this course instead of building one from the arguments above.

    Returns
    -------
    BatchResult
        With ``scores = {student: {grade_id: (score, max_score)}}``.
    """
    if course is None:
        base = Course.from_repo(workdir=workdir, db_url=db_url, timeout=timeout)
        course = base.with_(source=Path(source).resolve() if source else base.source,
                            release=Path(release).resolve() if release else base.release)
    for student, nb in submissions.items():
        dest = course.submitted / student / assignment
        if dest.exists():
            shutil.rmtree(dest)
        _write_submission(dest, assignment, nb)
    result = autograde(course, [assignment], students=set(submissions), jobs=jobs, force=True)
    result.scores = read_scores(course, assignment, set(submissions))
    return result
