"""Autograde on a Dask cluster: ``nncourse autograde --scheduler tcp://HOST:8786`` (or ``--cluster local:N``).

Each submission is one Dask task that runs :func:`grading.cycle.autograde._grade_one` on a worker: the same
nbgrader autograde, the same trusted checker and the same sandbox as a local worker process, in a private folder
under the worker's local directory. The task gets everything as bytes (the submission, the template gradebook, the
assignment's source folder), so a worker needs only the course's packages installed (``grading`` and ``helpers``
at the same version, see :func:`course_version`), not the instructor's folder. It returns plain data (the
gradebook rows and the autograded files); the client alone writes the gradebook and the instructor folder
(:func:`grading.cycle.autograde.record`), so SQLite and PostgreSQL keep one writer.

Nothing lost, nothing twice
---------------------------
* The client keeps the queue and submits only as many tasks as the workers have threads (``client.nthreads()``,
  refreshed as results come), collects them with ``as_completed`` and releases each result once recorded: the
  cluster never holds a batch's worth of submissions or results.
* A task can run more than once (Dask reruns a lost worker's running tasks, and recomputes results still held in
  a dead worker's memory): a task writes nothing outside its own fresh folder and the client takes each future's
  result once; :func:`~grading.cycle.autograde.record` replaces, it does not add.
* A worker that dies while grading a submission charges that submission one try; after the scheduler's
  ``distributed.scheduler.allowed-failures`` (Dask's default 3) further deaths the task ends in ``KilledWorker``,
  and the submission is reported as a failure with that reason while the batch goes on.
* A client killed mid-batch leaves what it recorded; run it again and it grades the batch again (as the local
  path does), each submission ending with one record.

Versions
--------
The client refuses to grade on a worker whose course version differs from its own (:class:`VersionMismatch`,
naming the worker): the version is a hash of the installed ``grading`` and ``helpers`` packages (every file) plus
the versions of Python (major.minor) and of the packages that execute and score a notebook. The assignment's source is not part
of it because the client sends it with every task. Workers that join mid-batch are checked too (and each task
checks its worker before grading).
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import importlib.metadata
import json
import os
import platform
import shutil
import tempfile
import threading
import time
from pathlib import Path

__all__ = ["DASK_CONFIG", "dask_environment", "ClusterError", "VersionMismatch", "course_version", "version_digest", "worker_report", "connect",
           "check_workers", "grade_task", "run_jobs", "parse_cluster"]

VERSION_PACKAGES = ("grading", "helpers")
"""The course's own packages: every file of each (``__pycache__`` aside) goes into the version."""
VERSION_DISTRIBUTIONS = ("nbgrader", "nbconvert", "nbclient", "nbformat", "jupyter_client", "ipykernel", "numpy")
"""Installed distributions that execute and score a notebook: their version numbers go into the version."""
DASK_CONFIG = {
    # a worker gets no more tasks than it has threads: a worker that dies charges only the submission it was grading
    "distributed.scheduler.worker-saturation": 1.0,
    # a submission whose grading kills its worker is tried this many times + 1, then reported (Dask's default)
    "distributed.scheduler.allowed-failures": 3,
    # quiet workers: no statistical profiler, fewer monitoring wake-ups (an idle worker and its nanny used 7% of a
    # core with Dask's defaults, 0.6% with these; a grading cluster has no dashboard to feed)
    "distributed.worker.profile.enabled": False,
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.admin.tick.interval": "500ms",
}
"""The Dask settings of a grading cluster: ``--cluster local:N`` uses them, ``deploy/cluster/dask.yaml`` holds the same
for schedulers and workers started by hand (``DASK_CONFIG=deploy/cluster``) or from the image (``/etc/dask``), and
:func:`dask_environment` gives them as environment variables."""


def dask_environment(config: dict | None = None) -> dict:
    """:data:`DASK_CONFIG` (or ``config``) as the ``DASK_...`` environment variables Dask reads at start."""
    return {"DASK_" + key.upper().replace(".", "__").replace("-", "_"): str(value)
            for key, value in (DASK_CONFIG if config is None else config).items()}


class ClusterError(RuntimeError):
    """The cluster cannot grade: no scheduler, no worker, or the scheduler went away."""


class VersionMismatch(ClusterError):
    """A worker runs another version of the course (or cannot run the sandbox the client asks for)."""


# ------------------------------------------------------------------------------------------------ versions
def _tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if not path.is_file() or "__pycache__" in rel.parts or path.suffix in (".pyc", ".pyo") \
                or any(part.startswith(".") for part in rel.parts):
            continue
        data = path.read_bytes()
        h.update(f"{rel.as_posix()}\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()[:16]


@functools.lru_cache(maxsize=None)
def _course_version() -> tuple:
    parts = {}
    for name in VERSION_PACKAGES:
        module = importlib.import_module(name)
        parts[name] = _tree_digest(Path(module.__file__).resolve().parent)
    parts["python"] = ".".join(platform.python_version_tuple()[:2])
    for dist in VERSION_DISTRIBUTIONS:
        try:
            parts[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            parts[dist] = "absent"
    return tuple(parts.items())


def course_version() -> dict:
    """This process's course version: ``{"grading": hash, "helpers": hash, "python": "3.11", "nbgrader": ...}``.

    The hashes cover every file of the installed packages (read once per process)."""
    return dict(_course_version())


def version_digest(version: dict) -> str:
    """A short name for a :func:`course_version` (12 hex digits)."""
    return hashlib.sha256(json.dumps(version, sort_keys=True).encode()).hexdigest()[:12]


def worker_report(dask_worker=None) -> dict:
    """What the client checks on each worker (run there by ``client.run``): course version, sandbox, threads.

    Also imports nbgrader, so that the first submission does not pay for it."""
    _worker_imports()
    ok, why = _sandbox_available()
    return {"version": course_version(), "sandbox": ok, "sandbox_why": why, "host": platform.node(),
            "pid": os.getpid(), "nthreads": getattr(dask_worker, "nthreads", None),
            "name": getattr(dask_worker, "name", None)}


def _differences(mine: dict, theirs: dict) -> str:
    keys = [k for k in sorted(set(mine) | set(theirs)) if mine.get(k) != theirs.get(k)]
    return ", ".join(f"{k} {theirs.get(k, 'absent')} (here {mine.get(k, 'absent')})" for k in keys)


def _refusal(address: str, info: dict, mine: dict, sandbox: bool) -> str | None:
    """Why the worker at ``address`` may not grade for this client (``None`` if it may)."""
    name = f" {info['name']!r}" if info.get("name") not in (None, address) else ""
    where = f"worker{name} at {address} (host {info.get('host')}, pid {info.get('pid')})"
    if info["version"] != mine:
        return (f"{where} runs course version {version_digest(info['version'])}, this client "
                f"{version_digest(mine)}: {_differences(mine, info['version'])}. Install the course at the same "
                f"version on every worker (`pip install .` of the same commit, same environment) and restart it.")
    if sandbox and not info["sandbox"]:
        return (f"{where} cannot run the grading sandbox: {info['sandbox_why']}. Fix the worker (bubblewrap, root), "
                f"or grade without the sandbox (--sandbox off) only if every submission is trusted.")
    return None


def check_workers(client, sandbox: bool, workers=None, log=None) -> dict:
    """Refuse (:class:`VersionMismatch`) unless every worker (or those in ``workers``) runs this course version,
    and can run the sandbox when ``sandbox``; returns ``{address: report}``.

    A worker that cannot be reached (it died meanwhile) is skipped: each task checks its worker again anyway. One
    that answers with an error (it cannot import the course, ...) is refused."""
    mine = course_version()
    try:
        answers = client.run(worker_report, workers=workers, on_error="return")
    except OSError as exc:
        answers = {}
        if log:
            log(f"note: could not ask the workers for their course version now ({exc})")
    reports = {a: info for a, info in answers.items() if not isinstance(info, BaseException)}
    problems = []
    for addr, info in sorted(answers.items()):
        if isinstance(info, (OSError, TimeoutError)):  # gone, or not reachable now
            if log:
                log(f"note: worker {addr} did not report its course version ({type(info).__name__}: {info})")
        elif isinstance(info, BaseException):
            problems.append(f"worker at {addr} cannot run the course's code: {type(info).__name__}: {info}")
    problems += [why for addr, info in sorted(reports.items()) if (why := _refusal(addr, info, mine, sandbox))]
    if problems:
        raise VersionMismatch("refusing to grade on this cluster:\n  " + "\n  ".join(problems))
    if log:
        busy = [a for a, info in sorted(reports.items()) if (info.get("nthreads") or 1) > 1]
        if busy:
            log(f"note: worker(s) {', '.join(busy)} have several threads; a worker process grades one submission at "
                f"a time, so start workers with --nthreads 1 --nworkers N")
    return reports


# ------------------------------------------------------------------------------------------------ worker side
_GRADING = threading.Lock()
"""One grading at a time per worker process: nbgrader's apps were not written for threads."""


_IMPORTS = threading.Lock()


def _worker_imports() -> None:
    """Import nbgrader and the sandbox's module once, in one thread at a time: nbgrader's modules import each other,
    and two threads importing them at once can each get a half-initialized module (an ImportError)."""
    with _IMPORTS:
        import nbgrader.apps  # noqa: F401
        import nbgrader.converters  # noqa: F401

        from ..sandbox import manager  # noqa: F401
        from . import autograde  # noqa: F401

def _whoami() -> dict:
    """This worker's address and name (outside a Dask worker: the pid)."""
    try:
        from distributed import get_worker

        worker = get_worker()
        return {"address": worker.address, "name": worker.name, "host": platform.node(), "pid": os.getpid()}
    except (ImportError, ValueError):
        return {"address": f"pid {os.getpid()}", "name": None, "host": platform.node(), "pid": os.getpid()}


def _worker_directory() -> str:
    try:
        from distributed import get_worker

        return get_worker().local_directory
    except (ImportError, ValueError):
        return tempfile.gettempdir()


def grade_task(job: dict, expected: dict) -> dict:
    """The Dask task: grade one submission (``job`` as :func:`remote_job` builds it) on this worker.

    Refuses (``{"refused": reason}``, nothing graded) if the worker's course version is not ``expected`` or the
    sandbox is asked for and cannot run here. Otherwise writes the submission, the template gradebook and the
    assignment's source into a fresh folder under the worker's local directory, runs
    :func:`grading.cycle.autograde._grade_one` there, removes the folder and returns its plain data (with
    ``worker``: this worker's address). Safe to run again, here or elsewhere."""
    _worker_imports()
    me = _whoami()
    address = me["address"]
    if course_version() != expected:
        return {"refused": _refusal(address, dict(me, version=course_version()), expected, False)}
    if job.get("sandbox") is not None:
        ok, why = _sandbox_available()
        if not ok:
            return {"refused": _refusal(address, dict(me, version=expected, sandbox=False, sandbox_why=why),
                                        expected, True)}
    with _GRADING:
        from .autograde import _grade_one, _kernel_env

        attempt = Path(tempfile.mkdtemp(prefix="nncourse-", dir=_worker_directory()))
        try:
            for rel, data in job["source_files"].items():
                dest = attempt / "source" / job["assignment"] / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(data)
            (attempt / "source" / job["assignment"]).mkdir(parents=True, exist_ok=True)
            (attempt / "release").mkdir()
            local = {k: v for k, v in job.items() if k != "source_files"}
            local.update(root=str(attempt / "job"), source=str(attempt / "source"), release=str(attempt / "release"))
            with _kernel_env():
                res = _grade_one(local)
        finally:
            shutil.rmtree(attempt, ignore_errors=True)
    res["worker"] = address
    return res


@functools.lru_cache(maxsize=None)
def _sandbox_available() -> tuple:
    from ..sandbox.manager import available

    return available()


# ------------------------------------------------------------------------------------------------ client side
def parse_cluster(spec: str) -> int:
    """``"local:N"`` -> N (workers of a LocalCluster on this machine)."""
    kind, _, n = str(spec).partition(":")
    if kind != "local" or not n.isdigit() or int(n) < 1:
        raise ValueError(f"--cluster takes local:N (N >= 1 worker processes on this machine), got {spec!r}")
    return int(n)


@contextlib.contextmanager
def connect(scheduler: str | None = None, cluster: str | None = None, timeout: float = 30.0):
    """A Dask ``Client`` of the scheduler at ``scheduler``, or of a new ``LocalCluster`` (``cluster="local:N"``:
    N single-threaded worker processes on 127.0.0.1, no dashboard), closed (and the cluster stopped) on exit."""
    import dask
    from distributed import Client, LocalCluster

    if (scheduler is None) == (cluster is None):
        raise ValueError("give either a scheduler address or a cluster spec (local:N)")
    if cluster is not None:
        n = parse_cluster(cluster)
        with dask.config.set(DASK_CONFIG):
            lc = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                              dashboard_address=None, silence_logs=40)
        try:
            with Client(lc) as client:
                yield client
        finally:
            lc.close()
        return
    try:
        client = Client(scheduler, timeout=timeout)
    except OSError as exc:
        raise ClusterError(f"no Dask scheduler answers at {scheduler}: {exc}") from exc
    try:
        yield client
    finally:
        client.close()


def _read_tree(folder: Path, skip=("__pycache__", ".ipynb_checkpoints")) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not set(p.relative_to(folder).parts) & set(skip)}


_LOCAL_PATHS = ("root", "submitted", "template_db", "source", "release")
"""The keys of a local job that name paths of the client's machine: a task gets their contents, or its own paths."""


def remote_job(job: dict, cache: dict | None = None) -> dict:
    """A local job (paths, as :func:`grading.cycle.autograde.autograde` builds it) as a task's job: the
    submission, the template gradebook and the assignment's source folder as bytes; no path of this machine."""
    cache = {} if cache is None else cache
    template = cache.get(("template", job["template_db"]))
    if template is None:
        template = cache[("template", job["template_db"])] = Path(job["template_db"]).read_bytes()
    key = ("source", job["source"], job["assignment"])
    source = cache.get(key)
    if source is None:
        source = cache[key] = _read_tree(Path(job["source"]) / job["assignment"])
    out = {k: v for k, v in job.items() if k not in _LOCAL_PATHS}  # settings, the digest, ... pass as they are
    out.update(submission=_read_tree(Path(job["submitted"]), skip=()), template_bytes=template, source_files=source)
    return out


def _failed(job: dict, reason: str, worker: str = "") -> dict:
    return {"success": False, "student": job["student"], "assignment": job["assignment"], "reason": reason,
            "log": "", "error": "", "seconds": 0.0, "worker": worker, "digest": job.get("digest")}


def run_jobs(job_list: list[dict], scheduler: str | None = None, cluster: str | None = None, log=None,
             wait_for_workers: float = 300.0):
    """Grade ``job_list`` (local jobs, as :func:`grading.cycle.autograde._run_jobs` takes them) on a Dask cluster;
    yield each result (plain data, as ``_grade_one`` returns it, plus ``worker`` and ``workers``: the workers
    connected) as it finishes. Raises :class:`VersionMismatch` before grading anything if a worker runs another
    course version, and :class:`ClusterError` if no worker comes within ``wait_for_workers`` seconds."""
    from distributed import KilledWorker, as_completed

    if not job_list:
        return
    sandbox = any(j.get("sandbox") is not None for j in job_list)
    say = log or (lambda line: None)
    with connect(scheduler, cluster) as client:
        where = scheduler or f"a LocalCluster ({cluster})"
        try:
            client.wait_for_workers(1, timeout=wait_for_workers)
        except (TimeoutError, OSError) as exc:
            raise ClusterError(f"no Dask worker joined {where} within {wait_for_workers:.0f} s") from exc
        check_workers(client, sandbox, log=say)
        expected = course_version()
        allowed = client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.allowed_failures)
        batch = os.urandom(4).hex()
        queue = list(reversed(job_list))
        cache: dict = {}
        inflight: dict = {}
        done = as_completed()
        state = {"at": 0.0, "threads": {}}

        def workers() -> dict:
            """``{address: nthreads}``, asked at most once a second; newcomers are checked before they grade."""
            if time.monotonic() - state["at"] >= 1.0:
                now = client.nthreads()
                old = state["threads"]
                gone, new = sorted(set(old) - set(now)), sorted(set(now) - set(old))
                if old and gone:
                    say(f"lost Dask worker(s) {', '.join(gone)}: their submissions are graded again elsewhere")
                if old and new:
                    check_workers(client, sandbox, workers=new, log=say)
                state.update(at=time.monotonic(), threads=now)
            return state["threads"]

        def top_up() -> None:
            room = max(1, sum(workers().values()))
            while queue and len(inflight) < room:
                job = queue.pop()
                fut = client.submit(grade_task, remote_job(job, cache), expected, pure=False,
                                    key=f"nncourse-grade-{batch}-{job['student']}-{job['assignment']}")
                inflight[fut.key] = (fut, job)
                done.add(fut)

        try:
            top_up()
            for fut in done:
                _, job = inflight.pop(fut.key)
                if fut.status == "cancelled":  # the scheduler dropped it (restarted, or lost this client)
                    raise ClusterError(f"the scheduler at {where} cancelled the grading of {job['student']} / "
                                       f"{job['assignment']}; what was recorded stays: run the command again")
                if fut.status == "error":
                    exc = fut.exception()
                    if isinstance(exc, KilledWorker):
                        res = _failed(job, f"the Dask worker grading it died {allowed + 1} times (allowed-failures "
                                           f"= {allowed}): the submission may crash the grader; see the workers' "
                                           f"logs ({exc})")
                    else:  # the task raised outside _grade_one's own error handling (a full disk, ...)
                        res = _failed(job, f"the grading task failed on the cluster: {type(exc).__name__}: {exc}")
                else:
                    res = fut.result()  # waits if the result was lost with its worker and is computed again
                fut.release()
                del fut
                if res.get("refused"):
                    raise VersionMismatch("refusing to grade on this cluster:\n  " + res["refused"])
                top_up()
                res["workers"] = len(state["threads"])
                yield res
        finally:  # interrupted, refused or done: nothing of this batch stays on the cluster
            with contextlib.suppress(Exception):
                done.clear()
            left = [f for f, _ in inflight.values()]
            inflight.clear()
            if left:
                with contextlib.suppress(Exception):
                    client.cancel(left, force=True)
