"""Hostile learner output: the common XSS vectors, and a headless Chromium that tells whether any of them ran.

Every payload, if it runs, appends its name to ``window.__pwned`` and sets ``document.title`` to ``PWNED`` (the
markers :func:`fired` reads). They reach a page three ways:

* :data:`ANSWER_CODE`: an answer cell that *displays* them (what a learner's code can do: ``text/html``,
  ``image/svg+xml``, ``text/markdown``, ``text/latex``, ``application/javascript``, a widget view, image metadata,
  printed text);
* :data:`MARKDOWN`: a markdown cell the learner wrote (raw HTML, ``javascript:`` links, LaTeX macros);
* :func:`raw_outputs`: the same outputs written straight into a notebook, as a notebook autograded without the
  sanitizer (or by another tool) would hold them, plus widget state in the notebook's metadata.

:func:`browser` starts Chromium headless through chromedriver (Debian's ``chromium`` and ``chromium-driver``);
:func:`visit` opens a page, waits for it and its timers, clicks every link and button, and returns
:func:`fired`.
"""
from __future__ import annotations

import base64
import contextlib
import os
import shutil
import time

import nbformat


def js(name: str) -> str:
    """The payload's script: record ``name`` and retitle the page (no quotes of the HTML attribute kind)."""
    return f"window.__pwned=(window.__pwned||[]).concat(['{name}']);document.title='PWNED';void(0)"


PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
"""A valid 1x1 PNG: an honest plot must survive (shown as ``<img src="data:image/png...">``)."""


def _svg() -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20" onload="{js("svg-onload")}">'
            f'<script>{js("svg-script")}</script><rect width="10" height="10" fill="red"/></svg>')


def _html_vectors() -> dict:
    return {
        "html-img-onerror": f'<img src="nonexistent.png" onerror="{js("html-img-onerror")}">',
        "html-script": f"<script>{js('html-script')}</script>",
        "html-js-link": f'<a class="xss-click" href="javascript:{js("html-js-link")}">click the html link</a>',
        "html-iframe-srcdoc": f'<iframe srcdoc="<script>parent.eval(&quot;{js("html-iframe-srcdoc")}&quot;)'
                              f'</script>"></iframe>',
        "html-details-ontoggle": f'<details open ontoggle="{js("html-details-ontoggle")}"><summary>s</summary>'
                                 f'</details>',
        "html-svg-animate": f'<svg><animate onbegin="{js("html-svg-animate")}" attributeName="x" dur="1s"/></svg>',
        "html-mxss": f'<math><mtext><table><mglyph><style><img src=x onerror="{js("html-mxss")}">',
        "html-form": f'<form action="javascript:{js("html-form")}"><button class="xss-click">go</button></form>',
        "html-object": f'<object data="javascript:{js("html-object")}"></object>',
        "html-meta-refresh": f'<meta http-equiv="refresh" content="0;url=javascript:{js("html-meta-refresh")}">',
        "html-style-import": "<style>@import url(javascript:alert(1));</style><b style=\"behavior:url(x)\">b</b>",
    }


LATEX = (r"$$\href{javascript:" + js("latex-href") + r"}{a LaTeX link}$$ "
         r"$\unicode{<img src=x onerror=" + '"' + js("latex-unicode") + '"' + r">}$ "
         r"$\class{xss}{\cssId{xss-latex}{x}}$")

MARKDOWN_OUTPUT = (f"[a markdown link](javascript:{js('md-output-link')}) "
                   f'<img src=x onerror="{js("md-output-img")}"> '
                   f"<javascript:{js('md-output-autolink')}>")

ANSWER_CODE = (
    "from IPython.display import display, HTML, SVG, Markdown, Latex, Javascript\n"
    f"for _h in {list(_html_vectors().values())!r}:\n"
    "    display(HTML(_h))\n"
    f"display(HTML({_html_vectors()['html-script']!r}), metadata={{'isolated': True}})\n"
    f"display(SVG({_svg()!r}))\n"
    f"display(Markdown({MARKDOWN_OUTPUT!r}))\n"
    f"display(Latex({LATEX!r}))\n"
    f"display(Javascript({js('application-javascript')!r}))\n"
    "display({'application/vnd.jupyter.widget-view+json': {'model_id': 'deadbeef', 'version_major': 2, "
    "'version_minor': 0}, 'text/plain': 'HTML(value=...)'}, raw=True)\n"
    f"display({{'image/png': {PNG!r}, 'text/plain': 'a plot'}}, raw=True, "
    f"metadata={ {'image/png': {'width': '1 onerror=' + repr(js('png-width')), 'height': 7}}!r})\n"
    f"print({'<img src=x onerror=' + repr(js('stream')) + '>'!r})\n"
    "def add(a, b):\n    return np.asarray(a) + np.asarray(b)\n"
)
"""An answer cell (the fixture's ``ex01-answer``): every vector displayed, then a correct answer (full marks:
sanitizing changes no score)."""

MARKDOWN = (
    "My notes.\n\n"
    f"[a markdown-cell link](javascript:{js('md-cell-link')})\n\n"
    f'<img src=x onerror="{js("md-cell-img")}">\n\n'
    f'<a class="xss-click" href="javascript:{js("md-cell-a")}">an html link in markdown</a>\n\n'
    f'<svg onload="{js("md-cell-svg")}"></svg>\n\n'
    f"<script>{js('md-cell-script')}</script>\n\n"
    f'<iframe src="javascript:{js("md-cell-iframe")}"></iframe>\n\n'
    r"$$\href{javascript:" + js("md-cell-latex") + r"}{a LaTeX link in markdown}$$" "\n\n"
    f"![an image](javascript:{js('md-cell-image')})\n"
)
"""A markdown cell the learner adds."""


def raw_outputs() -> list:
    """The vectors as outputs written straight into a notebook (no sanitizer ever saw them)."""
    out = [nbformat.v4.new_output("display_data", data={"text/html": h}) for h in _html_vectors().values()]
    out += [
        nbformat.v4.new_output("display_data", data={"text/html": _html_vectors()["html-script"]},
                               metadata={"text/html": {"isolated": True}}),
        nbformat.v4.new_output("display_data", data={"image/svg+xml": _svg()}),
        nbformat.v4.new_output("display_data", data={"text/markdown": MARKDOWN_OUTPUT}),
        nbformat.v4.new_output("display_data", data={"text/latex": LATEX}),
        nbformat.v4.new_output("display_data", data={"application/javascript": js("application-javascript")}),
        nbformat.v4.new_output("display_data", data={
            "application/vnd.jupyter.widget-view+json": {"model_id": "deadbeef", "version_major": 2,
                                                         "version_minor": 0},
            "text/plain": "HTML(value=...)"}),
        nbformat.v4.new_output("display_data", data={"image/png": PNG, "text/plain": "a plot"},
                               metadata={"image/png": {"width": f'1 onerror="{js("png-width")}"', "height": 7}}),
        nbformat.v4.new_output("stream", name="stdout", text=f'<img src=x onerror="{js("stream")}">\n'),
    ]
    return out


WIDGET_STATE = {"application/vnd.jupyter.widget-state+json": {"version_major": 2, "version_minor": 0, "state": {
    "deadbeef": {"model_name": "HTMLModel", "model_module": "@jupyter-widgets/controls",
                 "model_module_version": "2.0.0",
                 "state": {"value": f'<img src=x onerror="{js("widget-html")}">'}}}}}
"""Widget state a notebook's metadata may carry (an ``HTML`` widget whose value is a payload)."""


def add_raw_payloads(nb):
    """``nb`` (a notebook node) with the raw outputs on its first code cell, :data:`MARKDOWN` as a new markdown
    cell after it, and :data:`WIDGET_STATE` in its metadata; returns it."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            cell.outputs = raw_outputs() + list(cell.get("outputs", []))
            nb.cells.insert(i + 1, nbformat.v4.new_markdown_cell(MARKDOWN))
            break
    nb.cells.append(nbformat.v4.new_raw_cell(f"<script>{js('raw-cell')}</script>",
                                             metadata={"raw_mimetype": "text/html"}))
    nb.metadata["widgets"] = WIDGET_STATE
    return nb


# ------------------------------------------------------------------------------------------------ the browser
def chromium_paths() -> tuple[str | None, str | None]:
    """``(chromium, chromedriver)`` executables, or ``None`` for each one missing."""
    chrome = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)),
                  None)
    driver = shutil.which("chromedriver")
    return chrome, driver


def browser_unavailable() -> str:
    """Why the browser tests cannot run here, or ``""``."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    chrome, driver = chromium_paths()
    if not chrome or not driver:
        return "Chromium and chromedriver are needed (apt-get install chromium chromium-driver)"
    return ""


@contextlib.contextmanager
def browser():
    """A headless Chromium driven by Selenium, closed on exit."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chrome, driver = chromium_paths()
    opts = webdriver.ChromeOptions()
    opts.binary_location = chrome
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-extensions", "--window-size=1200,900"):
        opts.add_argument(arg)
    if os.geteuid() == 0:
        opts.add_argument("--disable-setuid-sandbox")
    drv = webdriver.Chrome(service=Service(driver), options=opts)
    drv.set_page_load_timeout(60)
    try:
        yield drv
    finally:
        drv.quit()


def fired(drv) -> list:
    """Names of the payloads that ran in the current page (its ``window.__pwned``, and ``PWNED`` titles)."""
    names = drv.execute_script("return window.__pwned || []") or []
    if drv.title == "PWNED" and not names:
        names = ["(title)"]
    return sorted(set(names))


def visit(drv, url: str, settle: float = 1.5, click: bool = True) -> list:
    """Open ``url``, let its timers and failed loads fire, click every link and button (returning to the page
    after any navigation), and return :func:`fired` for the page."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By

    drv.get(url)
    deadline = time.monotonic() + 30
    while drv.execute_script("return document.readyState") != "complete" and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(settle)
    seen = fired(drv)
    if click:
        count = len(drv.find_elements(By.CSS_SELECTOR, "a, button"))
        for i in range(count):
            elems = drv.find_elements(By.CSS_SELECTOR, "a, button")
            if i >= len(elems):
                break
            try:
                href = elems[i].get_attribute("href") or ""
                if href.startswith(("http", "file")) and "#" not in href:
                    continue  # a real navigation (formgrader's menu), not a payload
                drv.execute_script("arguments[0].click()", elems[i])
            except WebDriverException:
                continue
            time.sleep(0.05)
            seen = sorted(set(seen) | set(fired(drv)))
            if drv.current_url.split("#")[0] != url.split("#")[0]:
                drv.get(url)
                time.sleep(settle)
    return sorted(set(seen) | set(fired(drv)))


def file_url(path) -> str:
    return "file://" + os.path.abspath(str(path))


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()
