"""Build the course site: a static HTML site of every release notebook, run as a learner's Run All would.

    nncourse site [--out DIR] [--jobs N]        (or: python site/build.py [--out DIR] [--jobs N])

1. Every release notebook ``notebooks/<id>/<id>.ipynb`` is executed top to bottom (nbclient, ``allow_errors=False``:
   the release's test cells carry ``raises-exception``, so the run goes past the blank exercises, as JupyterLab's
   Run All does). A notebook whose run stops early stops the build.
2. A source tree is staged in ``<out>/_stage``: this folder's ``_config.yml`` and ``intro.md`` (with the table of
   sections and labs written in), a generated ``_toc.yml``, each executed notebook under ``notebooks/`` with a
   download link on top, and each blank release notebook under ``blank/`` (what the download links give).
   The test cells' ``NotImplementedError`` outputs are dropped: on the site an exercise shows its instructions,
   its blank answer cell and its visible tests, not tracebacks.
3. Jupyter Book 1 builds ``<out>/_build/html`` from it (``index.html`` is the front page; by default ``<out>`` is
   this folder, so the site is ``site/_build/html``; git ignores ``_stage/`` and ``_build/``). No step needs the
   internet: Jupyter Book 1 and its theme ship their assets, MathJax comes from ``sphinx-mathjax-offline``.

Needs the ``site`` extra: ``pip install -e '.[site]'``. ``tests/test_site.py`` builds the site and checks it in
headless Chromium.
"""
from __future__ import annotations

import argparse
import copy
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
TABLE_MARKER = "<!-- the table of sections and labs: written here by site/build.py -->"

__all__ = ["build", "stage", "execute_all", "notebook_title", "graded_work", "release_notebooks"]


def release_notebooks(repo: Path = REPO) -> dict:
    """``{id: path}`` of every release notebook ``<repo>/notebooks/<id>/<id>.ipynb``, in course order."""
    folder = Path(repo) / "notebooks"
    return {p.name: p / f"{p.name}.ipynb" for p in sorted(folder.iterdir())
            if p.is_dir() and (p / f"{p.name}.ipynb").is_file()}


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _is_test(cell) -> bool:
    return cell.cell_type == "code" and bool(_meta(cell).get("grade")) and not _meta(cell).get("solution")


def notebook_title(nb, fallback: str) -> str:
    """The text of the notebook's first level-1 heading (``# ...``), else ``fallback``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def _defined_functions(source: str) -> list:
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]


def graded_work(nb) -> list[tuple[str, float, bool, list]]:
    """``(exercise key, points, graded by hand, functions the learner writes)`` of the notebook's graded work, in
    notebook order; the key is the grading's (``grading.keys.exercise_key``: ``ex04``, ``s10``, ``l15-hvp``)."""
    from grading.keys import exercise_key

    out: dict[str, list] = {}
    for cell in nb.cells:
        meta = _meta(cell)
        if not (meta.get("grade") or meta.get("solution")):
            continue
        manual = bool(meta.get("grade")) and bool(meta.get("solution"))
        key = exercise_key(meta["grade_id"])
        entry = out.setdefault(key, [0.0, manual, []])
        if meta.get("grade"):
            entry[0] += float(meta.get("points", 0))
        if meta.get("solution") and cell.cell_type == "code":
            entry[2] += [f for f in _defined_functions(cell.source) if f not in entry[2]]
    return [(key, points, manual, functions) for key, (points, manual, functions) in out.items()]


def _is_lab(assignment: str) -> bool:
    match = re.match(r"(\d+)-", assignment)
    return bool(match) and int(match.group(1)) > 10


def execute_all(paths: dict, jobs: int = 1, timeout: int = 120, log=print) -> dict:
    """``{id: executed notebook}``, each run as a learner's Run All (``allow_errors=False``); raises
    ``RuntimeError`` naming every notebook whose run stopped before its end."""
    from grading.cycle.run import run_notebook  # an importable function: the worker processes can unpickle it

    results = {}
    if jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = {a: pool.submit(run_notebook, str(p), timeout, False) for a, p in paths.items()}
            for a, fut in futures.items():
                results[a] = fut.result()
    else:
        for a, p in paths.items():
            results[a] = run_notebook(str(p), timeout=timeout, allow_errors=False)
    failed = {a: r.error for a, r in results.items() if not r.ok}
    if failed:
        raise RuntimeError("Run All stops before the end of: " + "; ".join(f"{a} ({e})" for a, e in failed.items()))
    for a, r in results.items():
        log(f"executed {a} in {r.seconds:.1f} s")
    return {a: r.notebook for a, r in results.items()}


_SIBLING_LINK = re.compile(r"\(\.\./([\w.-]+)/\1\.ipynb(#[^)\s]*)?\)")
_README_LINK = re.compile(r"\((?:\.\./)+README\.md(?:#[^)\s]*)?\)")


def _site_notebook(executed, assignment: str) -> nbformat.NotebookNode:
    """The executed notebook as the site shows it: a download link on top, no tracebacks under the tests."""
    nb = copy.deepcopy(executed)
    for cell in nb.cells:
        if cell.cell_type == "code" and (_is_test(cell) or _meta(cell).get("solution")):
            cell.outputs = [o for o in cell.get("outputs", []) if o.get("output_type") != "error"]
        elif cell.cell_type == "markdown":
            # notebooks/<id>/<id>.ipynb link each other as ../<other>/<other>.ipynb; on the site they sit side by side
            cell.source = _SIBLING_LINK.sub(r"(\1.ipynb\2)", cell.source)
            # and the README's table of contents is the site's front page
            cell.source = _README_LINK.sub("(../intro.md)", cell.source)
    link = nbformat.v4.new_markdown_cell(
        f"{{download}}`Download this notebook <../blank/{assignment}.ipynb>` (blank, as a learner receives it) and "
        "open it in JupyterLab to run it and do its exercises; from a clone of the course: "
        "`pip install -e . && nncourse lab`.")
    # after the title cell, so that the page's title stays the notebook's own
    nb.cells.insert(1 if nb.cells and nb.cells[0].cell_type == "markdown" else 0, link)
    nb.metadata.pop("widgets", None)
    return nb


def _table(notebooks: dict) -> str:
    rows = {"Sections": [], "Research labs": []}
    for assignment, nb in notebooks.items():
        title = notebook_title(nb, assignment)
        work = "; ".join(f"{key} " + (", ".join(f"`{f}`" for f in functions) + " " if functions else "")
                         + f"({points:g} points{', by hand' if manual else ''})"
                         for key, points, manual, functions in graded_work(nb)) or "none"
        link = f"[{title}](notebooks/{assignment}.ipynb)"
        download = f"{{download}}`{assignment}.ipynb <blank/{assignment}.ipynb>`"
        rows["Research labs" if _is_lab(assignment) else "Sections"].append(f"| {link} | {work} | {download} |")
    parts = []
    for caption, lines in rows.items():
        if lines:
            parts.append(f"## {caption}\n\n| notebook | graded work: exercise key, what you write, points | "
                         "blank notebook |\n"
                         "| --- | --- | --- |\n" + "\n".join(lines))
    return "\n\n".join(parts)


def _toc(notebooks: dict) -> str:
    lines = ["format: jb-book", "root: intro", "parts:"]
    for caption, labs in (("Sections", False), ("Research labs", True)):
        chapters = [a for a in notebooks if _is_lab(a) == labs]
        if chapters:
            lines += [f"  - caption: {caption}", "    chapters:"]
            lines += [f"      - file: notebooks/{a}" for a in chapters]
    return "\n".join(lines) + "\n"


def stage(src: Path, executed: dict, blanks: dict) -> Path:
    """Write the Jupyter Book source tree into ``src`` (see the module docstring); returns ``src``."""
    src = Path(src)
    if src.exists():
        shutil.rmtree(src)
    (src / "notebooks").mkdir(parents=True)
    (src / "blank").mkdir()
    shutil.copy(HERE / "_config.yml", src / "_config.yml")
    intro = (HERE / "intro.md").read_text(encoding="utf-8")
    if TABLE_MARKER not in intro:
        raise ValueError(f"{HERE / 'intro.md'} has lost the line {TABLE_MARKER!r}")
    (src / "intro.md").write_text(intro.replace(TABLE_MARKER, _table(executed)), encoding="utf-8")
    (src / "_toc.yml").write_text(_toc(executed), encoding="utf-8")
    for assignment, nb in executed.items():
        nbformat.write(_site_notebook(nb, assignment), src / "notebooks" / f"{assignment}.ipynb")
        shutil.copy(blanks[assignment], src / "blank" / f"{assignment}.ipynb")
    return src


def build(out: Path, repo: Path = REPO, executed: dict | None = None, jobs: int = 1, log=print) -> Path:
    """Build the site into ``<out>/_build/html``; returns the front page's path.

    ``executed``: ``{id: executed notebook}`` to use instead of running the release notebooks (the tests pass the
    runs they already made).
    """
    out = Path(out).resolve()
    blanks = release_notebooks(repo)
    if not blanks:
        raise FileNotFoundError(f"no release notebooks under {Path(repo) / 'notebooks'}: run `nncourse release`")
    t0 = time.perf_counter()
    if executed is None:
        executed = execute_all(blanks, jobs=jobs, log=log)
    missing = sorted(set(blanks) - set(executed))
    if missing:
        raise ValueError(f"no executed notebook for {missing}")
    executed = {a: executed[a] for a in blanks}
    src = stage(out / "_stage", executed, blanks)
    html = out / "_build" / "html"
    if html.exists():
        shutil.rmtree(html)
    jb = shutil.which("jupyter-book", path=str(Path(sys.executable).parent)) or shutil.which("jupyter-book")
    if jb is None:
        raise FileNotFoundError("jupyter-book is not installed: pip install -e '.[site]'")
    t1 = time.perf_counter()
    env = {**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    proc = subprocess.run([jb, "build", str(src), "--path-output", str(out), "--builder", "html"],
                          capture_output=True, text=True, env=env)
    if proc.returncode != 0 or not (html / "index.html").is_file():
        raise RuntimeError(f"jupyter-book build failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    log(f"built {html / 'index.html'} ({len(executed)} notebooks; executing {t1 - t0:.1f} s, "
        f"Jupyter Book {time.perf_counter() - t1:.1f} s)")
    return html / "index.html"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="nncourse site", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(HERE),
                        help="output folder (default: site/); the site is <out>/_build/html")
    parser.add_argument("--jobs", type=int, default=1, help="notebooks executed at once (default %(default)s)")
    args = parser.parse_args(argv)
    build(Path(args.out), jobs=max(1, args.jobs))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
