"""The learner's JupyterLab (``nncourse lab``) has nbgrader's Validate and none of the instructor's panels; the
instructor's plain ``jupyter lab`` has Formgrader. Both are started on 127.0.0.1 and looked at in headless Chromium.

Both servers serve a small released notebook (the fixture assignment, one blank answer) from a temporary copy of
the course layout that holds the shipped ``jupyter-config/``; each gets its own empty user configuration, settings
and workspaces, so nothing of the machine's own Jupyter setup leaks in. The test stops the servers it started.
"""
from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from conftest import REPO

from support.browser import chrome, free_port, wait_for_http
from grading.learner import LEARNER_CONFIG, lab_command

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("learner-lab")]  # one worker starts the two servers once


def _isolated_env(base: dict, home) -> dict:
    env = dict(base)
    for name, sub in (("JUPYTER_CONFIG_DIR", "user-config"), ("JUPYTERLAB_SETTINGS_DIR", "settings"),
                      ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"), ("JUPYTER_RUNTIME_DIR", "runtime")):
        (home / sub).mkdir(parents=True, exist_ok=True)
        env[name] = str(home / sub)
    env.pop("JUPYTER_TOKEN", None)
    return env


def _start(argv, env, log):
    return subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(proc) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)  # the server and the kernels it started (its own session)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def _status(url: str) -> int:
    try:
        return urllib.request.urlopen(url, timeout=10).status
    except urllib.error.HTTPError as err:
        return err.code


@pytest.fixture(scope="module")
def servers(fixture_course, tmp_path_factory):
    """``{"learner": (base_url, token), "instructor": (base_url, token)}``, both serving the fixture release."""
    root = tmp_path_factory.mktemp("lab")
    repo = root / "course"
    shutil.copytree(REPO / LEARNER_CONFIG, repo / LEARNER_CONFIG)
    shutil.copytree(fixture_course.release, repo / "notebooks")
    token = secrets.token_hex(16)
    procs, found = {}, {}
    common = ["--no-browser", "--ip=127.0.0.1", f"--IdentityProvider.token={token}",
              "--LabApp.news_url=", "--ServerApp.open_browser=False"]
    try:
        port = free_port()
        argv, env = lab_command(repo, [f"--port={port}", *common])
        procs["learner"] = (_start(argv, _isolated_env(env, root / "learner-home"), open(root / "learner.log", "w")), port)
        port = free_port()
        jupyter = shutil.which("jupyter", path=os.path.dirname(sys.executable)) or "jupyter"
        argv = [jupyter, "lab", str(repo / "notebooks"), f"--port={port}", *common]
        if os.geteuid() == 0:
            argv.append("--allow-root")
        env = _isolated_env(os.environ, root / "instructor-home")
        procs["instructor"] = (_start(argv, env, open(root / "instructor.log", "w")), port)
        for who, (proc, port) in procs.items():
            base = f"http://127.0.0.1:{port}"
            wait_for_http(f"{base}/api/status?token={token}", proc=proc)
            found[who] = (base, token)
        yield found
    finally:
        for proc, _ in procs.values():
            _stop(proc)


@pytest.fixture(scope="module")
def driver():
    drv = chrome()
    try:
        yield drv
    finally:
        drv.quit()


def _open_notebook(drv, base, token):
    """Open the fixture notebook; return when its toolbar is there."""
    from selenium.webdriver.common.by import By

    drv.get(f"{base}/lab/tree/00-fixture/00-fixture.ipynb?token={token}&reset")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if drv.find_elements(By.CSS_SELECTOR, ".jp-NotebookPanel-toolbar") and drv.find_elements(
                By.CSS_SELECTOR, ".lm-MenuBar-itemLabel"):
            time.sleep(1.5)  # the toolbar's extension buttons arrive a moment after the toolbar
            return
        time.sleep(0.3)
    raise TimeoutError("JupyterLab did not show the notebook")


def _menus(drv) -> list:
    return drv.execute_script(
        "return Array.from(document.querySelectorAll('.lm-MenuBar-itemLabel')).map(e => e.textContent.trim())")


def _side_panels(drv) -> list:
    return drv.execute_script(
        "return Array.from(document.querySelectorAll('.jp-SideBar .lm-TabBar-tab'))"
        ".map(e => (e.title || '') + ' ' + e.textContent.trim())")


def _toolbar_buttons(drv) -> list:
    return drv.execute_script(
        "return Array.from(document.querySelectorAll('.jp-NotebookPanel-toolbar .jp-ToolbarButtonComponent'))"
        ".map(e => e.textContent.trim()).filter(t => t)")


def _nbgrader_menu_items(drv) -> list:
    from selenium.webdriver.common.by import By

    for item in drv.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-item"):
        if item.text.strip() == "Nbgrader":
            item.click()
            time.sleep(0.5)
            labels = drv.execute_script(
                "return Array.from(document.querySelectorAll('.lm-Menu .lm-Menu-itemLabel')).map(e => e.textContent)")
            item.click()
            return labels
    return []


def test_learner_lab_has_validate_and_no_instructor_panels(servers, driver):
    from selenium.webdriver.common.by import By

    base, token = servers["learner"]
    for path in ("formgrader", "assignments", "courses"):  # the instructor's and the exchange's server extensions
        assert _status(f"{base}/{path}?token={token}") == 404, path
    _open_notebook(driver, base, token)
    assert "Validate" in _toolbar_buttons(driver)
    assert "Nbgrader" not in _menus(driver), _menus(driver)
    panels = " ".join(_side_panels(driver))
    assert "Create Assignment" not in panels, panels
    page = driver.page_source
    for word in ("Formgrader", "Assignment List", "Course List", "Create Assignment"):
        assert word not in page, word
    # and Validate works: the blank answer's stub says what to write
    [button] = [b for b in driver.find_elements(By.CSS_SELECTOR, ".jp-NotebookPanel-toolbar .jp-ToolbarButtonComponent")
                if b.text.strip() == "Validate"]
    button.click()
    deadline, text = time.monotonic() + 90, ""
    while time.monotonic() < deadline:
        text = driver.execute_script("var d = document.querySelector('.jp-Dialog-content'); return d ? d.innerText : ''")
        if "Validation Results" in text and ("failed" in text or "Success" in text):
            break
        time.sleep(0.3)
    assert "The following cell failed" in text, text
    assert "NotImplementedError: write the body of add above (replace this line)" in text, text


def test_instructor_lab_keeps_formgrader(servers, driver):
    base, token = servers["instructor"]
    assert _status(f"{base}/formgrader?token={token}") == 200
    _open_notebook(driver, base, token)
    assert "Validate" in _toolbar_buttons(driver)
    assert "Nbgrader" in _menus(driver), _menus(driver)
    assert "Formgrader" in _nbgrader_menu_items(driver)
    assert "Create Assignment" in " ".join(_side_panels(driver))
