"""Test support: notebooks executed as JupyterLab's Run All would, once per test run, shared by test files.

``executed(path, cache)`` runs a notebook top to bottom with nbclient and ``allow_errors=False``: like JupyterLab's
Run All, the run stops at the first error of a cell that has no ``raises-exception`` tag. The executed notebook is
kept in ``cache`` (a folder shared by every pytest-xdist worker of the run, see :func:`cache_folder`) under a hash of
the notebook's bytes, behind a file lock, so that each notebook runs once between the test files that need it:
``tests/test_notebooks.py`` and ``tests/test_release_runall.py`` (the solutions), ``tests/test_release_runall.py``
and ``tests/test_site.py`` (the releases).
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

__all__ = ["Executed", "executed", "cache_folder", "png_count", "success_claims", "text_outputs"]

@dataclass(frozen=True)
class Executed:
    """One executed notebook: ``ok`` when the run reached the end; ``error`` the cell error that stopped it."""

    path: Path
    notebook: nbformat.NotebookNode
    ok: bool
    error: str | None
    seconds: float


def cache_folder(tmp_path_factory) -> Path:
    """A folder shared by every pytest-xdist worker of this run (the run's base temporary folder)."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = root / "run-all-cache"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextlib.contextmanager
def _locked(path: Path):
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def executed(path, cache: Path, timeout: int = 120) -> Executed:
    """``path`` executed top to bottom as JupyterLab's Run All would (see the module docstring)."""
    from grading.cycle.run import run_notebook

    path = Path(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:20]
    stem = cache / f"{path.stem}-{digest}"
    with _locked(stem.with_suffix(".lock")):
        if stem.with_suffix(".json").is_file():
            meta = json.loads(stem.with_suffix(".json").read_text())
            nb = nbformat.read(stem.with_suffix(".ipynb"), as_version=4)
            return Executed(path, nb, meta["ok"], meta["error"], meta["seconds"])
        result = run_notebook(path, timeout=timeout, allow_errors=False)
        nbformat.write(result.notebook, stem.with_suffix(".ipynb"))
        stem.with_suffix(".json").write_text(json.dumps({"ok": result.ok, "error": result.error,
                                                         "seconds": result.seconds}))
        return Executed(path, result.notebook, result.ok, result.error, result.seconds)


def png_count(nb) -> int:
    """The number of ``image/png`` outputs (figures shown) in an executed notebook."""
    return sum(1 for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
               if "image/png" in o.get("data", {}))


def text_outputs(nb):
    """``(cell index, output type, text)`` of every printed, displayed or error output of an executed notebook."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                yield i, "stream", out.get("text", "")
            elif out.get("output_type") == "error":
                yield i, "error", f"{out.get('ename', '')}: {out.get('evalue', '')}"
            else:
                data = out.get("data", {})
                yield i, out.get("output_type", ""), data.get("text/plain", "") + data.get("text/markdown", "") + data.get("text/html", "")


_CLAIMS = re.compile(
    r"(\btests?\b[^\n]{0,40}\b(pass|passed|passes|succeeded|ok)\b"   # "hidden tests passed", "all tests pass"
    r"|\b(pass|passed|passes)\b[^\n]{0,20}\btests?\b"                # "passed the tests"
    r"|\bwell done\b|\bcorrect!|\ball good\b|[\u2713\u2714\u2705])",  # "well done", "correct!", check marks
    re.IGNORECASE)
_SUCCESS_WORDS = re.compile(r"\b(pass|passed|passes|correct|success|succeeded|ok|well done|good)\b|[\u2713\u2714\u2705]",
                            re.IGNORECASE)


def success_claims(nb) -> list[tuple[int, str]]:
    """Outputs of an executed blank release that claim success they did not earn: anywhere, a claim that a test
    passed; in an autograded test cell (which fails on a blank answer), any word of success at all. Error outputs
    (tracebacks, whose hints may quote what a test wants) claim nothing."""
    tests = {i for i, c in enumerate(nb.cells) if c.cell_type == "code"
             and c.get("metadata", {}).get("nbgrader", {}).get("grade")
             and not c.get("metadata", {}).get("nbgrader", {}).get("solution")}
    found = []
    for i, kind, text in text_outputs(nb):
        if kind == "error":
            continue
        if _CLAIMS.search(text) or (i in tests and _SUCCESS_WORDS.search(text)):
            found.append((i, text.strip()[:160]))
    return found
