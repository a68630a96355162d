"""Autograde on a Dask cluster (grading/cycle/distributed.py): ``nncourse autograde --scheduler ADDRESS``.

Each test starts its own ``dask scheduler`` and ``dask worker`` processes on 127.0.0.1 (no dashboard) and stops them
(nothing else is needed from CI). A small class of the fixture assignment ``tests/hostile/99-hostile`` is graded:

* through the cluster while one worker is SIGKILLed mid-batch, and while one submission kills every worker that
  grades it (a test double loaded into the workers with ``--preload``): every other submission ends with one record
  and its autograded notebook, with the scores of the local process pool; the crashing one is reported with its
  reason after ``allowed-failures`` tries and the batch goes on;
* by a client SIGKILLed mid-batch and started again: one record per submission, the local path's scores;
* on a cluster where one worker runs another version of the course (and one cannot run the sandbox): the client
  refuses before grading anything and names the workers.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from support import submissions as S
from grading.checker.execute import is_test_cell
from grading.cycle.distributed import DASK_CONFIG, dask_environment
from grading.sandbox.manager import available

REPO = Path(__file__).resolve().parent.parent
FIX = "99-hostile"
BIN = Path(sys.executable).parent
SANDBOX = "on" if available()[0] else "off"  # the same setting for the local reference and the cluster
pytestmark = pytest.mark.xdist_group("dask-cluster")  # one pytest-xdist worker: the class is built once

SLOW = "import time\ntime.sleep(1)\n"
RELU = "def relu(Z):\n    return np.maximum(np.asarray(Z, dtype=float), 0.0)\n"
WRONG_RELU = "def relu(Z):\n    return np.asarray(Z, dtype=float)\n"
STUDENTS = {"s-correct": None, "s-wrong": SLOW + WRONG_RELU, "s-blank": "raise NotImplementedError()",
            "s-slow": SLOW + RELU, "s-crash": RELU}
CRASHER = "s-crash"

CRASH_PRELOAD = f'''"""Test double: grading {CRASHER!r} kills the grading process, as a crash of nbgrader or of a C
extension would, on every worker that tries it."""
import os


def dask_setup(worker):
    import grading.cycle.autograde as autograde

    real = autograde._grade_one

    def grade_or_crash(job):
        if job["student"] == {CRASHER!r}:
            os._exit(70)
        return real(job)

    autograde._grade_one = grade_or_crash
'''


# ------------------------------------------------------------------------------------------------ the cluster
class Dask:
    """``dask scheduler`` and ``dask worker`` processes on 127.0.0.1, each in its own process group, all stopped on
    exit; their output goes to files under ``folder`` (quoted by :meth:`logs`)."""

    def __init__(self, folder: Path, packages: Path):
        self.folder = folder
        self.packages = packages
        self.procs: dict = {}
        self.address = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def _start(self, name: str, argv: list, env: dict | None = None):
        out = open(self.folder / f"{name}.log", "w")
        self.procs[name] = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                            env={**_env(self.packages), **dask_environment(), **(env or {})},
                                            cwd=self.folder)
        out.close()
        return self.procs[name]

    def scheduler(self, allowed_failures: int = 3) -> str:
        info = self.folder / "scheduler.json"
        self._start("scheduler", [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
                                  "--no-dashboard", "--scheduler-file", str(info)],
                    env={"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": str(allowed_failures)})
        deadline = time.time() + 60
        while not info.exists() and time.time() < deadline:
            assert self.procs["scheduler"].poll() is None, self.logs()
            time.sleep(0.1)
        import json

        time.sleep(0.2)  # the file is written in one go, but be sure it is complete
        self.address = json.loads(info.read_text())["address"]
        return self.address

    def worker(self, name: str, preload: Path | None = None, env: dict | None = None):
        local = self.folder / name
        local.mkdir()
        argv = [str(BIN / "dask"), "worker", self.address, "--host", "127.0.0.1", "--nthreads", "1",
                "--no-dashboard", "--name", name, "--local-directory", str(local), "--death-timeout", "60"]
        if preload:
            argv += ["--preload", str(preload)]
        return self._start(name, argv, env)

    def wait_for_workers(self, n: int) -> None:
        from distributed import Client

        with Client(self.address, timeout=60) as client:
            client.wait_for_workers(n, timeout=120)

    def kill(self, name: str) -> None:
        """SIGKILL the worker ``name``: its nanny and its worker process."""
        os.killpg(self.procs[name].pid, signal.SIGKILL)
        self.procs[name].wait()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(self.folder.glob("*.log")))


# ------------------------------------------------------------------------------------------------ the class
@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """``(repo, new_workdir, packages)``: a throwaway repository holding the fixture assignment, released; a
    function that makes an instructor folder with the class submitted; and a snapshot of the course's packages
    (``grading``, ``helpers``) that every process of these tests imports, so that the client and the workers run
    one version even while the working tree changes under them."""
    from grading.config import Course
    from grading.nbg import api

    tmp = tmp_path_factory.mktemp("dask-course")
    packages = tmp / "packages"
    for pkg in ("grading", "helpers"):
        shutil.copytree(REPO / pkg, packages / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    repo = tmp / "repo"
    shutil.copytree(REPO / "tests" / "hostile" / FIX, repo / "solutions" / FIX)
    (repo / "pyproject.toml").write_text("[project]\nname = 'dask-fixture'\n")
    res = api(Course.from_repo(repo=repo, workdir=tmp / "release-work")).generate_assignment(FIX, force=True,
                                                                                              create=True)
    assert res["success"], res.get("error")
    src_nb, rel_nb = repo / "solutions" / FIX / f"{FIX}.ipynb", repo / "notebooks" / FIX / f"{FIX}.ipynb"

    def new_workdir(name: str) -> Path:
        S.write_class(tmp / name, FIX, STUDENTS, rel_nb, src_nb)
        return tmp / name

    return repo, new_workdir, packages


@pytest.fixture(scope="module")
def local_scores(course):
    """The class graded by the local process pool (two workers): the scores the cluster must give."""
    repo, new_workdir, packages = course
    local = new_workdir("local")
    ran = subprocess.run(_autograde_cmd(repo, local, "-j", "2"), env=_env(packages), cwd=_HERE,
                         capture_output=True, text=True, timeout=600)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    want = _scores(repo, local)
    assert set(want) == set(STUDENTS) and sum(s for s, _ in want["s-correct"].values()) == 20.0, want
    return want


def _env(packages: Path) -> dict:
    return dict(os.environ, PYTHONPATH=str(packages))


_HERE = tempfile.gettempdir()
"""The working directory of the clients: not the repository, whose `grading` `python -m` would put first on
sys.path, before the snapshot."""


def _autograde_cmd(repo: Path, work: Path, *more) -> list:
    return [sys.executable, "-m", "grading", "autograde", FIX, "--repo", str(repo), "--workdir", str(work),
            "--no-progress", "--timeout", "30", "--sandbox", SANDBOX, *more]


def _scores(repo: Path, work: Path) -> dict:
    from grading.config import Course
    from grading.cycle.autograde import read_scores

    return read_scores(Course.from_repo(repo=repo, workdir=work), FIX)


def _records(work: Path) -> dict:
    """``{student: number of submissions of the assignment in the gradebook}``."""
    if not (work / "gradebook.db").exists():
        return {}
    db = sqlite3.connect(work / "gradebook.db")
    try:
        rows = db.execute("select student.id, count(*) from submitted_assignment join student on "
                          "student.id = submitted_assignment.student_id group by student.id").fetchall()
    finally:
        db.close()
    return dict(rows)


def _graded_notebooks(work: Path, since: float = 0.0) -> list:
    return [p for p in (work / "autograded").glob(f"*/{FIX}/{FIX}.ipynb") if p.stat().st_mtime > since]


def _assert_whole(work: Path, students) -> None:
    for student in students:
        nb = nbformat.read(str(work / "autograded" / student / FIX / f"{FIX}.ipynb"), as_version=4)
        assert all(c.get("execution_count") for c in nb.cells if is_test_cell(c)), f"{student}: not executed"


def _wait_for(proc, work: Path, at_least: int, since: float = 0.0, timeout: float = 300) -> int:
    """Wait until ``at_least`` autograded notebooks (newer than ``since``) exist; return how many there are."""
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        done = len(_graded_notebooks(work, since))
        if done >= at_least:
            return done
        time.sleep(0.05)
    return len(_graded_notebooks(work, since))


# ------------------------------------------------------------------------------------------------ tests
@pytest.mark.slow
def test_worker_killed_mid_batch_and_a_crashing_submission_lose_nothing(course, local_scores, tmp_path):
    """SIGKILL one of two workers once a submission is graded, while one submission kills every worker that
    grades it: each other submission has one record, its autograded notebook and the local pool's scores; the
    crashing one is reported after allowed-failures + 1 tries, and the batch ends normally."""
    (repo, new_workdir, packages), want = course, local_scores
    work = new_workdir("worker-killed")
    preload = tmp_path / "crash_preload.py"
    preload.write_text(CRASH_PRELOAD)
    with Dask(tmp_path, packages) as dask:
        address = dask.scheduler(allowed_failures=1)
        dask.worker("w1", preload=preload)
        dask.worker("w2", preload=preload)
        dask.wait_for_workers(2)
        out, err = open(tmp_path / "client.out", "w"), open(tmp_path / "client.err", "w")
        client = subprocess.Popen(_autograde_cmd(repo, work, "--scheduler", address), env=_env(packages),
                                  cwd=_HERE, stdout=out, stderr=err, start_new_session=True)
        done_at_kill = _wait_for(client, work, 1)
        dask.kill("w1")
        try:
            client.wait(timeout=300)
        finally:
            out.close(), err.close()
        stdout, stderr = (tmp_path / "client.out").read_text(), (tmp_path / "client.err").read_text()
        context = stdout + stderr + dask.logs()
        leftovers = list((tmp_path / "w2").glob("**/nncourse-*"))
    assert 1 <= done_at_kill < len(STUDENTS) - 1, f"not mid-batch ({done_at_kill} graded)\n{context}"
    assert client.returncode == 0, context
    assert "lost Dask worker(s)" in stderr, context
    assert f"graded {len(STUDENTS) - 1} submission(s)" in stdout, context
    assert f"FAILED {CRASHER} / {FIX}: the Dask worker grading it died 2 times (allowed-failures = 1)" in stdout, \
        context
    assert _records(work) == {s: 1 for s in STUDENTS}, context
    got = _scores(repo, work)
    others = sorted(set(STUDENTS) - {CRASHER})
    assert {s: got[s] for s in others} == {s: want[s] for s in others}
    assert sum(s for s, _ in got[CRASHER].values()) == 0.0  # recorded with no score, as nbgrader does
    _assert_whole(work, others)
    assert not (work / "autograded" / CRASHER).exists()
    assert leftovers == [], "a task left its folder on the worker"


@pytest.mark.slow
def test_client_killed_mid_batch_then_rerun_has_one_record_per_submission(course, local_scores, tmp_path):
    """SIGKILL the client once two submissions are graded and start it again: the batch completes with one record
    per submission and the local pool's scores, and what was recorded before the kill is not graded again (the
    cluster drops the dead client's tasks)."""
    (repo, new_workdir, packages), want = course, local_scores
    work = new_workdir("client-killed")
    with Dask(tmp_path, packages) as dask:
        address = dask.scheduler()
        dask.worker("w1")
        dask.worker("w2")
        dask.wait_for_workers(2)
        client = subprocess.Popen(_autograde_cmd(repo, work, "--scheduler", address), env=_env(packages),
                                  cwd=_HERE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  start_new_session=True)
        done_at_kill = _wait_for(client, work, 2)
        os.killpg(client.pid, signal.SIGKILL)
        client.wait()
        assert 2 <= done_at_kill < len(STUDENTS), f"not mid-batch ({done_at_kill} graded)"
        rerun = subprocess.run(_autograde_cmd(repo, work, "--scheduler", address), env=_env(packages),
                               cwd=_HERE, capture_output=True, text=True, timeout=600)
        context = rerun.stdout + rerun.stderr + dask.logs()
    assert rerun.returncode == 0, context
    summary = re.search(r"graded (\d+) submission\(s\) in .*; (\d+) could not be graded.*; (\d+) unchanged",
                        rerun.stdout)
    assert summary, context
    graded, failed, unchanged = map(int, summary.groups())
    # the last notebook written before the kill may have missed its entry in the ledger: it is graded again
    assert graded + unchanged == len(STUDENTS) and failed == 0 and unchanged >= done_at_kill - 1, context
    assert _records(work) == {s: 1 for s in STUDENTS}, context
    assert _scores(repo, work) == want
    _assert_whole(work, STUDENTS)


@pytest.mark.slow
def test_workers_of_another_version_are_refused_by_name(course, tmp_path):
    """A worker whose `grading` differs by one line (and, with the sandbox, one that cannot run it): the client
    refuses before grading anything, naming each worker and what differs."""
    repo, new_workdir, packages = course
    work = new_workdir("refused")
    other = tmp_path / "other-version"
    shutil.copytree(packages, other)
    with open(other / "grading" / "cycle" / "autograde.py", "a") as fh:
        fh.write("\n# a local edit on this worker only\n")
    with Dask(tmp_path, packages) as dask:
        address = dask.scheduler()
        dask.worker("good-worker")
        dask.worker("stale-worker", env={"PYTHONPATH": str(other)})
        n = 2
        if SANDBOX == "on":  # a worker without bubblewrap on its PATH
            dask.worker("no-bwrap-worker", env={"PATH": str(BIN)})
            n += 1
        dask.wait_for_workers(n)
        ran = subprocess.run(_autograde_cmd(repo, work, "--scheduler", address), env=_env(packages),
                             cwd=_HERE, capture_output=True, text=True, timeout=300)
        context = ran.stdout + ran.stderr + dask.logs()
    assert ran.returncode == 2, context
    assert "refusing to grade on this cluster" in ran.stderr, context
    stale = next(line for line in ran.stderr.splitlines() if "'stale-worker'" in line)
    assert "runs course version" in stale and "grading " in stale and "helpers" not in stale, stale
    assert "good-worker" not in ran.stderr, context
    if SANDBOX == "on":
        assert any("'no-bwrap-worker'" in line and "cannot run the grading sandbox" in line and "bwrap" in line
                   for line in ran.stderr.splitlines()), context
    assert _records(work) == {}
    assert _graded_notebooks(work) == []


# ------------------------------------------------------------------------------------------------ the example
def test_kubernetes_example_is_a_cluster_these_tools_accept():
    """deploy/cluster/kubernetes.yaml parses; the scheduler's and the workers' commands are accepted by the installed
    `dask scheduler` and `dask worker` (unknown or misspelt options fail here); the workers reach the scheduler's
    service, run one thread, as root with the rights the sandbox needs, from the scheduler's image; only the workers
    reach the scheduler; the image installs bubblewrap and the cluster extra and puts deploy/cluster/dask.yaml in
    /etc/dask; that file holds DASK_CONFIG, settings Dask has, which survive the trip through the environment."""
    import dask.config
    import yaml
    from distributed.cli.dask_scheduler import main as dask_scheduler
    from distributed.cli.dask_worker import main as dask_worker

    docs = [d for d in yaml.safe_load_all((REPO / "deploy" / "cluster" / "kubernetes.yaml").read_text()) if d]
    by = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    scheduler = by[("Deployment", "nncourse-scheduler")]["spec"]["template"]["spec"]["containers"][0]
    worker_pod = by[("Deployment", "nncourse-worker")]["spec"]["template"]
    worker = worker_pod["spec"]["containers"][0]
    service = by[("Service", "nncourse-scheduler")]["spec"]

    assert scheduler["command"][:2] == ["dask", "scheduler"] and worker["command"][:2] == ["dask", "worker"]
    s_args = dask_scheduler.make_context("dask scheduler", list(scheduler["command"][2:])).params
    w_args = dask_worker.make_context("dask worker", list(worker["command"][2:])).params
    port = int(s_args["port"])
    assert service["ports"][0]["targetPort"] == port and service.get("type", "ClusterIP") == "ClusterIP"
    assert w_args["scheduler"] == f"tcp://nncourse-scheduler:{service['ports'][0]['port']}"
    assert service["selector"].items() <= by[("Deployment", "nncourse-scheduler")]["spec"]["template"]["metadata"][
        "labels"].items()
    assert w_args["nthreads"] == 1 and str(w_args["n_workers"]) == "1"
    assert s_args["dashboard"] is False and w_args["dashboard"] is False
    assert worker["image"] == scheduler["image"], "the workers and the scheduler run one course version"
    assert worker["securityContext"] == {"runAsUser": 0, "privileged": True}

    assert "env" not in scheduler and "env" not in worker, "the settings are the image's /etc/dask (one place)"

    policy = by[("NetworkPolicy", "nncourse-scheduler-from-workers")]["spec"]
    assert policy["podSelector"]["matchLabels"] == service["selector"]
    assert [src["podSelector"]["matchLabels"] for src in policy["ingress"][0]["from"]] == [
        worker_pod["metadata"]["labels"]]

    dockerfile = (REPO / "deploy" / "cluster" / "Dockerfile").read_text()
    assert "bubblewrap" in dockerfile and "util-linux" in dockerfile and "'.[cluster]'" in dockerfile
    assert re.search(r"^COPY deploy/cluster/dask\.yaml /etc/dask/\S+\.yaml$", dockerfile, flags=re.M)

    def flat(tree, prefix=""):
        for key, value in tree.items():
            if isinstance(value, dict):
                yield from flat(value, f"{prefix}{key}.")
            else:
                yield f"{prefix}{key}", value

    settings = dict(flat(yaml.safe_load((REPO / "deploy" / "cluster" / "dask.yaml").read_text())))
    assert settings == DASK_CONFIG, "deploy/cluster/dask.yaml and grading.cycle.distributed.DASK_CONFIG differ"
    defaults = dask.config.merge(*dask.config.defaults)  # Dask's own settings (distributed's are imported above)
    for key, value in settings.items():
        dask.config.get(key, config=defaults)  # KeyError for a setting Dask does not have
        parsed = dask.config.collect_env(dask_environment({key: value}))  # as a dask process reads its environment
        assert dask.config.get(key, config=parsed) == value, key
    import tomllib

    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(dep.startswith("distributed") for dep in extras["cluster"])
