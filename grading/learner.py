"""The learner's commands: ``nncourse lab`` and ``nncourse validate``.

* ``nncourse lab`` starts ``jupyter lab notebooks/`` with the course's learner configuration
  (``jupyter-config/learner/``, see its README) first on ``JUPYTER_CONFIG_PATH``: nbgrader's Validate button stays,
  the instructor's Formgrader, Create Assignment, Assignment List and Course List go. The instructor's plain
  ``jupyter lab`` keeps them all.
* ``nncourse validate NOTEBOOK`` runs nbgrader's own validator (what the Validate button runs) and prints, for each
  test cell that fails, its grade id and what it checks, then the message and hint whole (``nbgrader validate``
  cuts lines at 90 characters), then where it failed; it exits 1 when a test fails or a test cell was changed, so
  that a script or a pre-submit hook can rely on it.
"""
from __future__ import annotations

import ast
import os
import shutil
import sys
from pathlib import Path

__all__ = ["LEARNER_CONFIG", "learner_config_dir", "lab_command", "run_lab", "validate"]

LEARNER_CONFIG = Path("jupyter-config") / "learner"
"""The learner's Jupyter configuration, relative to the course repository."""


def learner_config_dir(repo: Path) -> Path:
    """``<repo>/jupyter-config/learner``; raises ``FileNotFoundError`` when the repository does not have it."""
    folder = Path(repo) / LEARNER_CONFIG
    if not (folder / "labconfig" / "page_config.json").is_file():
        raise FileNotFoundError(f"{folder} is missing: run `nncourse lab` from a clone of the course repository")
    return folder


def lab_command(repo: Path, extra_args=(), environ=None) -> tuple[list, dict]:
    """The command line and environment that start the learner's JupyterLab on ``<repo>/notebooks``."""
    repo = Path(repo).resolve()
    environ = dict(os.environ if environ is None else environ)
    config = str(learner_config_dir(repo))
    previous = environ.get("JUPYTER_CONFIG_PATH")
    environ["JUPYTER_CONFIG_PATH"] = config + (os.pathsep + previous if previous else "")
    jupyter = shutil.which("jupyter", path=str(Path(sys.executable).parent) + os.pathsep + environ.get("PATH", ""))
    argv = [jupyter or "jupyter", "lab", str(repo / "notebooks")]
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in extra_args:
        argv.append("--allow-root")  # a container's root user; Jupyter refuses to start as root without it
    return argv + list(extra_args), environ


def run_lab(repo: Path, extra_args=()) -> int:
    """Replace this process by the learner's JupyterLab (on Windows, run it and return its exit status)."""
    argv, environ = lab_command(repo, extra_args)
    if os.name == "posix":
        os.execve(argv[0], argv, environ)  # pragma: no cover - does not return
    import subprocess

    return subprocess.call(argv, env=environ)


def _first_line_of_docstring(source: str) -> str:
    try:
        doc = ast.get_docstring(ast.parse(source)) or ""
    except SyntaxError:
        return ""
    return " ".join(doc.split("\n\n", 1)[0].split())


def _frame_line(frame: str) -> str:
    """One line for one frame of an IPython traceback: ``Cell In[7], line 14, in f(x): the line that ran``."""
    lines = [line for line in frame.splitlines() if line.strip()]
    if not lines:
        return ""
    arrow = [line.split(None, 2)[-1].strip() for line in lines[1:] if line.lstrip().startswith("-")]
    return lines[0].rstrip(":") + (f": {arrow[0]}" if arrow else "")


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def validate(path, stream=None, timeout: int = 60) -> int:
    """Validate one notebook as nbgrader's Validate button does and print readable feedback.

    Returns 0 when every test cell passes, 1 when one fails or a test cell was changed (or a cell's type).
    """
    from nbconvert.filters import strip_ansi
    from nbgrader.validator import Validator
    from traitlets.config import Config

    stream = sys.stdout if stream is None else stream
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no notebook at {path}")

    class _Keeping(Validator):
        """nbgrader's Validator that keeps the executed notebook for the report."""

        executed = None

        def _get_failed_cells(self, nb):
            self.executed = nb
            return super()._get_failed_cells(nb)

    config = Config()
    config.Execute.timeout = int(timeout)
    validator = _Keeping(config=config)
    say = lambda line="": stream.write(line + "\n")  # noqa: E731
    say(f"Validating {path} (every cell runs, as the Validate button runs them) ...")
    results = validator.validate(str(path.resolve()))

    if results.get("type_changed"):
        say(f"\n{len(results['type_changed'])} cell(s) changed type (for example from code to markdown); "
            "change them back, or your answers cannot be graded:")
        for cell in results["type_changed"]:
            say(f"  a {cell['old_type']} cell that should be {cell['new_type']}: {cell['source'][:70]!r}")
        return 1
    nb = validator.executed
    tests = [c for c in nb.cells if _meta(c).get("grade") and not _meta(c).get("solution") and c.cell_type == "code"]
    if results.get("changed"):
        changed = {c["source"] for c in results["changed"]}
        ids = [_meta(c).get("grade_id", "?") for c in nb.cells if c.source.strip() in changed]
        say(f"\nThese test cells were changed: {', '.join(ids) or len(changed)}. Undo your changes (or copy them from "
            "a fresh copy of the notebook): tests are graded as they were released, whatever you change here.")
        return 1
    failed_sources = {c["source"] for c in results.get("failed", [])}
    failed = [c for c in nb.cells if (_meta(c).get("grade") or _meta(c).get("locked"))
              and c.source.strip() in failed_sources]
    for cell in failed:
        meta = _meta(cell)
        points = meta.get("points")
        what = _first_line_of_docstring(cell.source)
        say("")
        say(f"FAILED {meta.get('grade_id', '?')}" + (f" ({points:g} point{'s' if points != 1 else ''})"
                                                    if isinstance(points, (int, float)) else "")
            + (f": {what}" if what else ""))
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if not errors:
            say("    partial credit: passed some but not all of its checks")
            continue
        err = errors[0]
        for line in f"{err.get('ename', 'Error')}: {err.get('evalue', '')}".splitlines():
            say(f"    {line}")
        frames = [_frame_line(strip_ansi(t)) for t in err.get("traceback", [])[2:-1]]
        if frames:
            say("  where:")
            for frame in frames:
                say(f"    {frame}")
    say("")
    if failed:
        say(f"{len(failed)} of {len(tests)} test cell(s) failed. Fix the first one first: the later ones often fail "
            "for the same reason.")
        return 1
    say(f"All {len(tests)} test cell(s) pass. Hidden tests run when your instructor grades the notebook, so passing "
        "here does not guarantee full marks.")
    return 0
