"""No way to grade without the sandbox by accident.

* ``nncourse autograde`` refuses when the sandbox cannot run (``--sandbox auto`` no longer falls back), says why
  and how to install bubblewrap, and grades unsandboxed only with an explicit ``--sandbox off`` (loudly);
* the instructor folder's ``nbgrader_config.py`` makes plain ``nbgrader autograde`` there (and formgrader's
  Autograde button, which reads the same file: tests/test_inert_browser.py) grade in the sandbox with the trusted
  checker, or refuse with the reason and a pointer to ``nncourse autograde``; ``NNCOURSE_SANDBOX=off`` is the
  explicit way round;
* the README and docs/INSTRUCTORS.md list bubblewrap as a prerequisite with its install command.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import FIXTURE_ID, REPO
from support import submissions as S

WHOAMI = ("import os\nprint('SANDBOX-PROBE uid', os.getuid(), 'sandbox', os.environ.get('NNCOURSE_SANDBOX'))\n"
          "def add(a, b):\n    return np.asarray(a) + np.asarray(b)\n")


def _load(path: Path):
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()


@pytest.fixture
def unavailable(monkeypatch):
    import grading.sandbox.manager as M

    monkeypatch.setattr(M, "available", lambda: (False, "`bwrap` not found: apt-get install bubblewrap"))


def test_cli_refuses_without_the_sandbox_unless_told_off(fixture_course, tmp_path, capsys, unavailable):
    from grading.cli import main

    base = ["--repo", str(fixture_course.source.parent), "--workdir", str(tmp_path / "w"), "--no-progress"]
    for flag in ([], ["--sandbox", "auto"], ["--sandbox", "on"]):
        assert main(["autograde", *base, *flag]) == 2, flag
        err = capsys.readouterr().err
        assert "apt-get install bubblewrap" in err and "--sandbox off" in err, err
    assert main(["autograde", *base, "--sandbox", "off"]) == 0
    err = capsys.readouterr().err
    assert "WARNING" in err and "WITHOUT the grading sandbox" in err, err


def test_workdir_config_sandboxes_or_refuses(fixture_course, tmp_path, monkeypatch):
    import grading.sandbox.manager as M
    from grading.checker.execute import TrustedExecute
    from grading.config import write_nbgrader_config
    from grading.cycle.inert import InertOutputs

    path = write_nbgrader_config(fixture_course.with_(workdir=tmp_path / "w"))
    monkeypatch.delenv("NNCOURSE_SANDBOX", raising=False)
    monkeypatch.setattr(M, "available", lambda: (True, ""))
    c = _load(path)
    chain = list(c.Autograde.autograde_preprocessors)
    assert chain[:2] == [TrustedExecute, InertOutputs]
    assert c.TrustedExecute.kernel_manager_class is M.SandboxKernelManager
    assert c.SandboxKernelManager.memory_mb == M.Limits().memory_mb
    monkeypatch.setattr(M, "available", lambda: (False, "`bwrap` not found: apt-get install bubblewrap"))
    c = _load(path)
    assert list(c.Autograde.autograde_preprocessors) == [M.RefuseUnsandboxed]
    with pytest.raises(RuntimeError, match="nncourse autograde"):
        M.RefuseUnsandboxed(config=c).preprocess(nbformat.v4.new_notebook(), {})
    monkeypatch.setenv("NNCOURSE_SANDBOX", "off")
    c = _load(path)
    assert TrustedExecute in list(c.Autograde.autograde_preprocessors)  # the checker, always
    assert c.TrustedExecute.kernel_manager_class is not M.SandboxKernelManager


@pytest.fixture
def plain_workdir(fixture_course, tmp_path):
    """An instructor folder with the fixture released into its gradebook, its nbgrader_config.py, and one
    submission whose answer prints who runs it."""
    from grading.config import write_nbgrader_config
    from grading.cycle.release import release

    course = fixture_course.with_(workdir=tmp_path / "w")
    release(course.with_(release=tmp_path / "throwaway"))  # registers the assignment in this gradebook
    write_nbgrader_config(course)
    rel, src = fixture_course.release_notebook(FIXTURE_ID), fixture_course.source_notebook(FIXTURE_ID)
    dest = course.submitted / "probe" / FIXTURE_ID
    dest.mkdir(parents=True)
    nbformat.write(S.mutant_submission(rel, src, "ex01-answer", WHOAMI), str(dest / f"{FIXTURE_ID}.ipynb"))
    return course


def _plain_nbgrader(course, path_dirs) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "NNCOURSE_SANDBOX"}
    env["PATH"] = os.pathsep.join(path_dirs)
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run([sys.executable, "-m", "nbgrader", "autograde", FIXTURE_ID, "--force"],
                          cwd=course.workdir, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_plain_nbgrader_in_the_workdir_refuses_without_bubblewrap(plain_workdir):
    """PATH without bwrap (as on a machine without bubblewrap): nothing is graded, and the log says why and what
    to run instead."""
    course = plain_workdir
    proc = _plain_nbgrader(course, [os.path.dirname(sys.executable)])
    out = proc.stdout + proc.stderr
    assert "refusing to autograde without the grading sandbox" in out and "nncourse autograde" in out, out[-3000:]
    assert "bwrap" in out
    nb = course.autograded / "probe" / FIXTURE_ID / f"{FIXTURE_ID}.ipynb"
    assert not nb.exists() or "SANDBOX-PROBE" not in nb.read_text()


@pytest.mark.slow
def test_plain_nbgrader_in_the_workdir_grades_in_the_sandbox(plain_workdir):
    from grading.cycle.autograde import read_scores
    from grading.sandbox.launch import UID_BASE
    from grading.sandbox.manager import available

    ok, why = available()
    if not ok:
        pytest.skip(f"grading sandbox unavailable: {why}")
    course = plain_workdir
    proc = _plain_nbgrader(course, [os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin", "/bin"])
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    text = (course.autograded / "probe" / FIXTURE_ID / f"{FIXTURE_ID}.ipynb").read_text()
    m = re.search(r"SANDBOX-PROBE uid (\d+) sandbox (\w+)", text)
    assert m, text[:3000]
    assert int(m.group(1)) >= UID_BASE and m.group(2) == "1", m.group(0)
    scores = read_scores(course, FIXTURE_ID)["probe"]
    assert sum(s for g, (s, _) in scores.items() if g.startswith("ex")) == 20.0, scores


def test_bubblewrap_is_a_documented_prerequisite():
    for doc in ("README.md", "docs/INSTRUCTORS.md"):
        text = (REPO / doc).read_text()
        assert re.search(r"apt-get install[^\n]*bubblewrap", text), f"{doc}: no install command for bubblewrap"
        assert "--sandbox off" in text, doc
