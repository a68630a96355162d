"""The course site (``nncourse site``, ``site/build.py``): built offline in a temporary folder from the committed
release notebooks, it shows math rendered as math and every figure in headless Chromium, links a blank notebook
per page, loads nothing from another host, and holds no solution or hidden-test line of ``solutions/`` anywhere.

The release notebooks are executed as a learner's Run All by ``tests/support/runall.py`` (shared with
``tests/test_release_runall.py``, so each runs once per test run).
"""
from __future__ import annotations

import functools
import html
import http.server
import json
import re
import runpy
import threading
import time

import nbformat
import pytest

from conftest import NOTEBOOKS, REPO, SOLUTIONS

from support import runall as R
from support.browser import chrome, free_port
from grading.cycle.hidden_output import hidden_lines

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("site")]  # one worker builds the site once

SITE = runpy.run_path(str(REPO / "site" / "build.py"))
PAGES = ["index.html", "notebooks/02-forward-pass.html", "notebooks/12-infinite-width.html"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """``(html folder, {id: executed release notebook})``."""
    import shutil

    if shutil.which("jupyter-book") is None and not (REPO / ".venv" / "bin" / "jupyter-book").exists():
        pytest.skip("jupyter-book is not installed (pip install -e '.[site]')")
    cache = R.cache_folder(tmp_path_factory)
    executed = {}
    for assignment, path in SITE["release_notebooks"](REPO).items():
        run = R.executed(path, cache)
        assert run.ok, f"{path}: Run All stops before the end ({run.error})"
        executed[assignment] = run.notebook
    out = tmp_path_factory.mktemp("site")
    t0 = time.perf_counter()
    index = SITE["build"](out, repo=REPO, executed=executed, log=lambda line: None)
    print(f"site built in {time.perf_counter() - t0:.1f} s")
    return index.parent, executed


@pytest.fixture(scope="module")
def served(site):
    root, _ = site

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_three_pages_show_math_and_figures_in_a_browser(site, served):
    root, executed = site
    drv = chrome()
    try:
        for page in PAGES:
            drv.get(f"{served}/{page}")
            deadline, loaded = time.monotonic() + 30, False
            while time.monotonic() < deadline and not loaded:
                loaded = drv.execute_script("return !!(window.MathJax && MathJax.startup && MathJax.startup.promise)")
                time.sleep(0.2)
            if loaded:
                drv.execute_async_script("const done = arguments[arguments.length - 1];"
                                         "MathJax.startup.promise.then(() => done(true), () => done(false));")
            else:
                assert page == "index.html", f"{page}: MathJax did not load (it should come from _static/mathjax)"
            state = drv.execute_script("""
                const main = document.querySelector('main') || document.body;
                const text = Array.from(main.querySelectorAll('p, li, td, h1, h2, h3, h4'))
                    .filter(e => !e.closest('pre, code, .highlight, mjx-container, script'))
                    .map(e => e.innerText).join('\\n');
                const figures = Array.from(main.querySelectorAll('img'))
                    .filter(i => i.src.includes('/_images/'));
                const unrendered = Array.from(main.querySelectorAll('.math'))
                    .filter(e => !e.querySelector('mjx-container')).length;
                return {math: main.querySelectorAll('mjx-container').length, text: text, unrendered: unrendered,
                        figures: figures.length, drawn: figures.filter(i => i.complete && i.naturalWidth > 0).length,
                        errors: main.querySelectorAll('mjx-merror').length};
            """)
            raw = re.findall(r"\$[^$\n]{1,80}\$|\\\(.{1,80}?\\\)|\\\[", state["text"])
            assert not raw, f"{page}: raw TeX in the page text: {raw[:5]}"
            assert state["unrendered"] == 0, f"{page}: {state['unrendered']} formula(s) left as TeX"
            assert state["errors"] == 0, f"{page}: MathJax could not typeset {state['errors']} formula(s)"
            if page == "index.html":
                links = drv.execute_script("return Array.from(document.querySelectorAll('main a.download'))"
                                           ".map(a => a.getAttribute('href'))")
                assert len(links) == len(executed), links
                continue
            assignment = page.split("/")[-1][:-len(".html")]
            assert state["math"] > 10, f"{page}: only {state['math']} formula(s) typeset"
            wanted = R.png_count(executed[assignment])
            assert state["figures"] == state["drawn"] == wanted > 0, (page, state["figures"], state["drawn"], wanted)
    finally:
        drv.quit()


def test_every_page_links_its_blank_notebook(site):
    root, executed = site
    for assignment in executed:
        page = (root / "notebooks" / f"{assignment}.html").read_text(encoding="utf-8")
        hrefs = re.findall(r'<a class="reference download internal"[^>]*href="([^"]+)"', page)
        assert len(hrefs) == 1, (assignment, hrefs)
        target = (root / "notebooks" / html.unescape(hrefs[0])).resolve()
        assert target.read_bytes() == (NOTEBOOKS / assignment / f"{assignment}.ipynb").read_bytes(), assignment
        assert 'href="#' not in re.sub(r'href="#[\w-]*"', "", page), f"{assignment}: a link that resolved to nothing"


def test_nothing_comes_from_another_host(site):
    root, _ = site
    remote = re.compile(r"""(?:src|href)\s*=\s*["']\s*(?:https?:)?//""", re.IGNORECASE)
    for path in root.rglob("*.html"):
        found = remote.findall(path.read_text(encoding="utf-8"))
        assert not found, f"{path.relative_to(root)} loads or links another host: {found[:3]}"


def _text(path) -> str:
    raw = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix in (".html", ".htm"):
        return html.unescape(re.sub(r"<[^>]+>", "", raw))
    if path.suffix == ".ipynb":
        nb = json.loads(raw)
        parts = []
        for cell in nb.get("cells", []):
            parts.append("".join(cell.get("source", [])))
            for out in cell.get("outputs", []):
                parts.append("".join(out.get("text", [])))
                parts.extend("".join(v) if isinstance(v, list) else str(v) for k, v in out.get("data", {}).items()
                             if k.startswith("text/"))
                parts.extend(out.get("traceback", []))
        return "\n".join(parts)
    return raw


def test_no_solution_or_hidden_test_line_anywhere(site):
    root, _ = site
    public = "\n".join(line.strip() for path in NOTEBOOKS.glob("*/*.ipynb")
                       for c in nbformat.read(path, as_version=4).cells for line in c.source.splitlines())
    secret = set()
    for path in SOLUTIONS.glob("*/*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            secret |= set(hidden_lines(cell.source))
            secret |= set(hidden_lines(cell.source, begin="BEGIN SOLUTION", end="END SOLUTION"))
    # a line that the release itself shows (whole, or inside a longer line) is no secret
    secret = {line for line in secret if line not in public}
    assert len(secret) > 100, f"only {len(secret)} secret lines found: is solutions/ there?"
    files = [p for p in root.rglob("*") if p.is_file() and "_static" not in p.parts and "_images" not in p.parts
             and p.suffix in (".html", ".ipynb", ".js", ".txt", ".md", ".json")]
    assert any(p.name == "searchindex.js" for p in files) and any(p.suffix == ".ipynb" for p in files)
    leaks = {str(p.relative_to(root)): found for p in files if (found := _secret_lines_in(_text(p), secret))}
    assert not leaks, f"solution or hidden-test lines in the site: {dict(list(leaks.items())[:5])}"
    # the search finds what it looks for: the source notebook of section 2 is full of such lines
    assert len(_secret_lines_in(_text(SOLUTIONS / "02-forward-pass" / "02-forward-pass.ipynb"), secret)) > 5


_NUMBERED = re.compile(r"^\s*(?:-*>)?\s*\d+\s")  # the line numbers of a traceback's source lines


def _secret_lines_in(text: str, secret: set) -> list:
    """The lines of ``secret`` found in ``text``: as a whole line, or (16 characters or more) inside one."""
    lines = {_NUMBERED.sub("", line).strip() for line in text.splitlines()}
    return sorted(line for line in secret if line in lines or (len(line) >= 16 and line in text))


def test_readme_map_of_graded_exercises_matches_the_notebooks():
    """The README's map (key -> notebook, functions, points) is what the release notebooks hold."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (?:practice|section|lab) \d+ \| `([\w-]+)` \| `([\w-]+)` \| (.*?) \| (\d+) \|$", text, re.M)
    assert rows, "the README has no map of the graded exercises"
    readme = {key: (notebook, re.findall(r"`(\w+)`", functions), float(points))
              for key, notebook, functions, points in rows}
    actual = {}
    for assignment, path in SITE["release_notebooks"](REPO).items():
        for key, points, _, functions in SITE["graded_work"](nbformat.read(path, as_version=4)):
            actual[key] = (assignment, functions, points)
    assert readme == actual
