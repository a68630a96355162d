"""Learner output is inert in a real browser: the feedback file and formgrader's submission page.

A submission of the fixture assignment displays every common XSS vector from its answer cell and adds a markdown
cell full of them (:mod:`support.xss`); it is autograded by the course's pipeline. A second submission's autograded
notebook is then replaced by one holding the same vectors as raw outputs (as a notebook autograded without the
sanitizer would). Headless Chromium opens:

* the control: the raw notebook rendered by plain nbconvert, where the payloads run (so the markers work);
* each feedback HTML (``nncourse feedback``): nothing runs, the plot is there, and the page's
  Content-Security-Policy alone stops a script that got past the sanitizer;
* formgrader's page of each submission, served by ``jupyter lab`` started in the instructor folder (its
  ``nbgrader_config.py`` as ``nncourse release`` writes it): nothing runs.

Needs Chromium, chromedriver and selenium (skips with the reason otherwise).
"""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

import nbformat
import pytest

from conftest import FIXTURE_ID
from support import submissions as S
from support import xss as X
from grading.cycle.inert import MATHJAX_URL

pytestmark = [pytest.mark.slow, pytest.mark.skipif(bool(X.browser_unavailable()), reason=X.browser_unavailable()
                                                   or "browser available")]

PROBE = ("import os\nprint('SANDBOX-PROBE uid', os.getuid(), 'sandbox', os.environ.get('NNCOURSE_SANDBOX'))\n"
         "def add(a, b):\n    return np.asarray(a) + np.asarray(b)\n")
"""An answer that says who runs it (the pipeline here grades without the sandbox: uid 0; the sandbox: 190000+)."""

LIVE_OFFLINE = {"html-img-onerror", "html-script", "html-js-link", "html-details-ontoggle", "md-output-img",
                "md-output-link", "md-cell-img", "md-cell-link", "md-cell-a", "md-cell-script", "html-iframe-srcdoc",
                "html-svg-animate", "md-output-autolink"}
"""Payloads that run in plain nbconvert HTML without any network (no jQuery, MathJax or widget manager)."""


@pytest.fixture(scope="module")
def graded(fixture_course, tmp_path_factory):
    """The fixture course graded by the pipeline: ``xss`` (payloads from its code and markdown), ``raw`` (its
    autograded notebook then replaced by raw payload outputs), ``honest`` (the solution); feedback written."""
    from grading.config import write_nbgrader_config
    from grading.cycle.autograde import grade_submissions
    from grading.cycle.feedback import feedback

    course = fixture_course.with_(workdir=tmp_path_factory.mktemp("inert") / "instructor")
    rel, src = course.release_notebook(FIXTURE_ID), course.source_notebook(FIXTURE_ID)
    xss = S.mutant_submission(rel, src, "ex01-answer", X.ANSWER_CODE)
    at = next(i for i, c in enumerate(xss.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "ex01-answer")
    xss.cells.insert(at + 1, nbformat.v4.new_markdown_cell(X.MARKDOWN))
    subs = {"xss": xss, "raw": S.solution_submission(rel, src), "honest": S.solution_submission(rel, src),
            "probe": S.mutant_submission(rel, src, "ex01-answer", PROBE)}
    res = grade_submissions(FIXTURE_ID, subs, course.workdir, course=course, jobs=1)
    assert not res.failures, res.failures
    raw_path = course.autograded / "raw" / FIXTURE_ID / f"{FIXTURE_ID}.ipynb"
    raw = X.add_raw_payloads(nbformat.read(str(raw_path), as_version=4))
    nbformat.write(raw, str(raw_path))
    fb = feedback(course)
    assert not fb.failures, fb.failures
    write_nbgrader_config(course)
    return course, res


@pytest.fixture(scope="module")
def chrome():
    with X.browser() as drv:
        yield drv


def test_control_the_payloads_run_in_plain_nbconvert(graded, chrome, tmp_path):
    """Without the course's sanitizer the same notebook's payloads do run: the markers work."""
    from nbconvert import HTMLExporter

    course, _ = graded
    raw = nbformat.read(str(course.autograded / "raw" / FIXTURE_ID / f"{FIXTURE_ID}.ipynb"), as_version=4)
    page = tmp_path / "control.html"
    page.write_text(HTMLExporter(template_name="classic").from_notebook_node(raw)[0])
    ran = set(X.visit(chrome, X.file_url(page)))
    assert LIVE_OFFLINE <= ran, f"control: expected {sorted(LIVE_OFFLINE - ran)} to run too (ran: {sorted(ran)})"


def _active_markup(text: str) -> list:
    """Elements and attributes of ``text`` (parsed as HTML) that could run script."""
    from html.parser import HTMLParser

    found = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag in ("script", "svg", "math", "iframe", "object", "embed", "form", "meta", "style", "base", "link"):
                found.append(tag)
            for name, value in attrs:
                if name.startswith("on") or (name in ("href", "src", "action", "data")
                                             and (value or "").strip().lower().startswith(("javascript", "data:text"))):
                    found.append(f"{tag} {name}={value!r}")

    Parser().feed(text)
    return found


def test_the_autograded_notebook_is_stored_inert(graded):
    """Sanitized right after execution: the stored notebook (read by formgrader, feedback, any viewer) holds no
    active markup in its outputs, no widget state, and still the plot and the learner's markdown text."""
    course, _ = graded
    nb = nbformat.read(str(course.autograded / "xss" / FIXTURE_ID / f"{FIXTURE_ID}.ipynb"), as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    rich = json.dumps([o.get("data", {}) for o in outputs if "data" in o])
    assert "onerror" in rich or "javascript" in rich  # the payloads are there, as text
    for o in outputs:
        data = o.get("data", {})
        assert set(data) <= {"text/plain", "text/html", "image/png", "image/jpeg", "image/gif"}, set(data)
        assert _active_markup(data.get("text/html", "")) == []
    assert any("image/png" in o.get("data", {}) for o in outputs)
    assert "widgets" not in nb.metadata
    assert any(c.cell_type == "markdown" and "My notes." in c.source for c in nb.cells)


def test_sanitizing_changes_no_score(graded):
    course, res = graded
    full = {"ex01-tests-visible": (4.0, 4.0), "ex01-tests-hidden": (6.0, 6.0), "ex02-tests-visible": (5.0, 5.0),
            "ex02-tests-hidden": (5.0, 5.0)}
    for student in ("xss", "honest"):
        got = {k: v for k, v in res.scores[student].items() if k.startswith("ex")}
        assert got == full, (student, got)


@pytest.mark.parametrize("student", ["xss", "raw"])
def test_feedback_runs_no_learner_script_and_keeps_the_plot(graded, chrome, student):
    course, _ = graded
    page = course.feedback / student / FIXTURE_ID / f"{FIXTURE_ID}.html"
    text = page.read_text()
    assert 'http-equiv="Content-Security-Policy"' in text[:3000]
    # the page's only scripts: MathJax's configuration (allowed by hash) and MathJax; no eval'd configuration
    assert re.findall(r"<script[^>]*>", text) == ["<script>", f'<script src="{MATHJAX_URL}MathJax.js?config='
                                                              'TeX-AMS_CHTML-full,Safe">'], re.findall(r"<script[^>]*>", text)
    assert X.visit(chrome, X.file_url(page)) == []
    imgs = chrome.execute_script("return Array.from(document.images).filter(i => i.src.startsWith("
                                 "'data:image/png') && i.naturalWidth > 0).length")
    assert imgs >= 1, "the learner's PNG plot is not shown"
    if student == "xss":  # the learner's text is still there, as text
        body = chrome.find_element("tag name", "body").text
        assert "My notes." in body and "onerror" in body


def test_feedback_policy_alone_stops_a_script_past_the_sanitizer(graded, chrome, tmp_path):
    """The Content-Security-Policy is a second wall: a page whose body holds live payloads (as if the sanitizer had
    missed them) runs none."""
    course, _ = graded
    text = (course.feedback / "honest" / FIXTURE_ID / f"{FIXTURE_ID}.html").read_text()
    live = (f'<img src="nonexistent.png" onerror="{X.js("csp-img")}"><script>{X.js("csp-script")}</script>'
            f'<a href="javascript:{X.js("csp-link")}">link</a>'
            f'<iframe srcdoc="<script>parent.eval(&quot;{X.js("csp-srcdoc")}&quot;)</script>"></iframe>')
    page = tmp_path / "bypassed.html"
    page.write_text(text.replace("<body>", "<body>" + live, 1))
    assert X.visit(chrome, X.file_url(page)) == []
    control = tmp_path / "no-policy.html"
    control.write_text(re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page.read_text()))
    assert {"csp-img", "csp-script"} <= set(X.visit(chrome, X.file_url(control)))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def formgrader(graded):
    """``jupyter lab`` started in the instructor folder, on 127.0.0.1; stopped afterwards."""
    course, _ = graded
    port, token = _free_port(), "nncourse-test-token"
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
               JUPYTER_RUNTIME_DIR=str(course.workdir.parent / "runtime"))
    log = open(course.workdir.parent / "jupyter.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
                             f"--port={port}", f"--IdentityProvider.token={token}", "--ServerApp.port_retries=0",
                             f"--ServerApp.root_dir={course.workdir}", "--allow-root"],
                            cwd=course.workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                break
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.3)
    else:
        proc.kill()
    if proc.poll() is not None:
        log.close()
        pytest.fail("jupyter lab did not start:\n" + (course.workdir.parent / "jupyter.log").read_text()[-3000:])
    try:
        yield base, token
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _submission_id(course, student) -> str:
    from nbgrader.api import Gradebook

    with Gradebook(course.gradebook_url) as gb:
        return gb.find_submission_notebook(FIXTURE_ID, FIXTURE_ID, student).id


@pytest.mark.parametrize("student", ["xss", "raw"])
def test_formgrader_page_runs_no_learner_script(graded, formgrader, chrome, student):
    course, _ = graded
    base, token = formgrader
    url = f"{base}/formgrader/submissions/{_submission_id(course, student)}/?token={token}"
    ran = X.visit(chrome, url)
    body = chrome.find_element("tag name", "body").text
    assert FIXTURE_ID in body and "Student's answer" in body, body[:2000]  # the real page, not an error page
    assert ran == []
    if student == "xss":
        assert "My notes." in body


def test_formgrader_index_works(formgrader, chrome):
    """Formgrader itself still runs its own scripts (the sanitizer touches learner content only)."""
    base, token = formgrader
    chrome.get(f"{base}/formgrader?token={token}")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and FIXTURE_ID not in chrome.find_element("tag name", "body").text:
        time.sleep(0.3)
    assert FIXTURE_ID in chrome.find_element("tag name", "body").text


def test_formgrader_autograde_button_grades_in_the_sandbox_or_refuses(graded, formgrader):
    """Formgrader's Autograde button (its API call) reads the instructor folder's nbgrader_config.py: the kernel
    runs in the sandbox (another uid), or, where the sandbox cannot run, nothing is graded and the reason says to
    use `nncourse autograde`."""
    from grading.sandbox.launch import UID_BASE
    from grading.sandbox.manager import available

    course, _ = graded
    base, token = formgrader
    path = course.autograded / "probe" / FIXTURE_ID / f"{FIXTURE_ID}.ipynb"
    before = re.search(r"SANDBOX-PROBE uid (\d+)", path.read_text())
    assert before and int(before.group(1)) < UID_BASE  # graded by the test's own pipeline, unsandboxed
    req = urllib.request.Request(f"{base}/formgrader/api/submission/{FIXTURE_ID}/probe/autograde", data=b"",
                                 method="POST", headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=600) as resp:
        res = json.loads(resp.read())
    ok, why = available()
    if ok:
        assert res["success"], (res.get("log", "") + (res.get("error") or ""))[-3000:]
        m = re.search(r"SANDBOX-PROBE uid (\d+) sandbox (\w+)", path.read_text())
        assert m and int(m.group(1)) >= UID_BASE and m.group(2) == "1", m and m.group(0)
    else:
        assert not res["success"]
        assert "nncourse autograde" in res.get("log", "") + (res.get("error") or "")
