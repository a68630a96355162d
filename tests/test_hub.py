"""The course's JupyterHub (deploy/hub/), end to end, in headless Chromium.

The test makes real system accounts (``useradd``; removed at the end), starts the hub on 127.0.0.1 with the dummy
authenticator and LocalProcessSpawner (each server runs as its user, from the hub's environment built from
/usr/bin/python3 by deploy/hub/setup.sh), and plays one cycle of a class:

1. the instructor releases the fixture assignment to nbgrader's exchange (``nncourse release``, then nbgrader's
   ``release_assignment``, as in a terminal of their JupyterLab);
2. a learner logs in, opens Nbgrader > Assignment List, fetches the assignment, opens it, answers one exercise,
   saves, presses Validate, and submits;
3. the instructor collects from the exchange's inbox (``nncourse collect``), autogrades, writes feedback and
   releases it (nbgrader's ``release_feedback``); the learner fetches the feedback from the Assignments panel.

Along the way: the learner's JupyterLab has no formgrader (the instructor's has), and the learner cannot read the
instructor's course folder (solutions included).

Needs root, useradd, Debian's chromium and chromium-driver, selenium, Node.js with configurable-http-proxy, and a
hub environment: ``$NNCOURSE_HUB_PREFIX`` when it points at one (``.ci/run`` builds it while the test
environment installs), else deploy/hub/setup.sh builds one into /var/tmp/nncourse-hub-test (minutes, once).
"""
from __future__ import annotations

import fcntl
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import FIXTURE_ID, FIXTURE_SOLUTIONS, REPO

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("hub")]
A = FIXTURE_ID
PASSWORD = "trial-" + secrets.token_hex(4)
CACHE_PREFIX = Path("/var/tmp/nncourse-hub-test")
ANSWER = "def add(a, b): return np.asarray(a) + np.asarray(b)"


def _missing() -> str | None:
    if os.geteuid() != 0:
        return "needs root (system users, LocalProcessSpawner)"
    for tool, package in (("useradd", "passwd"), ("userdel", "passwd"), ("runuser", "util-linux"),
                          ("chromium", "chromium"), ("chromedriver", "chromium-driver"), ("node", "nodejs")):
        if shutil.which(tool) is None:
            return f"`{tool}` not found (apt-get install {package})"
    if not Path("/usr/bin/python3").is_file():
        return "/usr/bin/python3 not found (the hub's environment is built from the system's Python)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    return None


def _skip_or_fail(reason: str):
    if os.environ.get("CI"):  # .ci/run installs everything this test needs: a missing piece is a failure there
        pytest.fail(f"the hub test cannot run in CI: {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def hub_prefix():
    reason = _missing()
    if reason:
        _skip_or_fail(reason)
    given = os.environ.get("NNCOURSE_HUB_PREFIX")
    prefix = Path(given) if given else CACHE_PREFIX
    prefix.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{prefix}.lock", "w") as lock:  # one build at a time; .ci/run's background build holds it too
        fcntl.flock(lock, fcntl.LOCK_EX)
        if given and (prefix / "venv" / "bin" / "jupyterhub-singleuser").is_file():
            return prefix  # built by whoever set NNCOURSE_HUB_PREFIX (.ci/run: deploy/hub/setup.sh, just now)
        # setup.sh is idempotent: it rebuilds the environment only when the course's packages changed
        proc = subprocess.run(["bash", str(REPO / "deploy" / "hub" / "setup.sh"), "--prefix", str(prefix),
                               "--exchange", str(prefix / "unused-exchange")],
                              capture_output=True, text=True, timeout=1500)
    if proc.returncode != 0:
        _skip_or_fail(f"deploy/hub/setup.sh failed: {proc.stderr[-2000:]}")
    return prefix


class Users:
    """System accounts made for the test (useradd) and removed after (userdel)."""

    def __init__(self, root: Path):
        self.root = root
        self.made = []

    def add(self, name: str) -> Path:
        home = self.root / "home" / name
        subprocess.run(["useradd", "--create-home", "--home-dir", str(home), "--shell", "/bin/bash",
                        "--comment", f"{name.title()} Test", name], check=True, capture_output=True)
        self.made.append(name)
        home.chmod(0o700)  # the instructor's home above all: learners must not read solutions/
        return home

    def remove(self):
        for name in self.made:
            subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)  # this test's users' processes only
            subprocess.run(["userdel", "--remove", "--force", name], capture_output=True)


def _as(user: str, command: str, env: dict, cwd: Path, timeout=300) -> subprocess.CompletedProcess:
    """Run a shell command as ``user`` (as in a terminal of their JupyterLab: the same environment)."""
    envs = [f"{k}={v}" for k, v in env.items()]
    return subprocess.run(["runuser", "-u", user, "--", "env", "-i", *envs, "bash", "-c", command], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def hub(hub_prefix):
    """A running hub with an instructor and a learner, the assignment released to the exchange."""
    root = Path(tempfile.mkdtemp(prefix="nncourse-hub-", dir="/tmp"))
    root.chmod(0o755)
    (root / "home").mkdir(mode=0o755)
    exchange = root / "exchange"
    exchange.mkdir()
    exchange.chmod(0o1777)
    state = root / "state"
    tag = secrets.token_hex(3)
    teacher, learner = f"nnt{tag}", f"nnl{tag}"
    users = Users(root)
    proc = None
    try:
        thome = users.add(teacher)
        lhome = users.add(learner)
        course = thome / "nn-course"
        shutil.copytree(FIXTURE_SOLUTIONS, course / "solutions")
        subprocess.run(["chown", "-R", f"{teacher}:", str(course)], check=True)
        venv_bin = hub_prefix / "venv" / "bin"
        base_env = {"PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "MPLBACKEND": "Agg",
                    "NNCOURSE_EXCHANGE": str(exchange), "NNCOURSE_COURSE_ID": "nncourse"}
        tenv = dict(base_env, HOME=str(thome), USER=teacher, NNCOURSE_HOME=str(course / "instructor"),
                    JUPYTER_CONFIG_PATH=str(hub_prefix / "etc" / "instructor"))
        out = _as(teacher, f"nncourse release {A} --repo {course} && cd {course}/instructor && "
                           f"nbgrader release_assignment {A}", tenv, thome)
        assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
        assert (exchange / "nncourse" / "outbound" / A / f"{A}.ipynb").is_file()

        port = _free_port()
        env = dict(os.environ, NNCOURSE_HUB_PREFIX=str(hub_prefix), NNCOURSE_HUB_STATE=str(state),
                   NNCOURSE_HUB_PORT=str(port), NNCOURSE_HUB_API_PORT=str(_free_port()),
                   NNCOURSE_HUB_PROXY_API_PORT=str(_free_port()), NNCOURSE_HUB_INSTRUCTORS=teacher,
                   NNCOURSE_HUB_LEARNERS=learner, NNCOURSE_HUB_PASSWORD=PASSWORD, NNCOURSE_EXCHANGE=str(exchange))
        log = open(root / "hub.log", "w")
        proc = subprocess.Popen(["bash", str(REPO / "deploy" / "hub" / "start.sh")], env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/hub/login", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("the hub did not start:\n" + (root / "hub.log").read_text()[-4000:])
            time.sleep(0.5)
        yield dict(url=url, root=root, exchange=exchange, teacher=teacher, learner=learner, thome=thome,
                   lhome=lhome, course=course, tenv=tenv, log=root / "hub.log")
    finally:
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, 15)  # the hub and its proxy (its own session); users' servers go with their users
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
        users.remove()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000",
                "--disable-gpu"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)
    driver.set_page_load_timeout(120)
    try:
        yield driver
    finally:
        driver.quit()


# ------------------------------------------------------------------------------------------------ browser steps

def _wait(driver, how, what, timeout=60, clickable=False):
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    cond = EC.element_to_be_clickable if clickable else EC.presence_of_element_located
    return WebDriverWait(driver, timeout).until(cond((how, what)))


def _until(fn, timeout=60, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def _login(driver, url, user):
    from selenium.webdriver.common.by import By

    driver.get(f"{url}/hub/logout")  # whoever was logged in
    driver.delete_all_cookies()
    driver.get(f"{url}/hub/login")
    _wait(driver, By.ID, "username_input").send_keys(user)
    driver.find_element(By.ID, "password_input").send_keys(PASSWORD)
    driver.find_element(By.ID, "login_submit").click()
    _wait(driver, By.CSS_SELECTOR, "#jp-main-dock-panel", timeout=150)  # the user's JupyterLab (spawned as them)


def _open_menu(driver, top):
    """Open a top menu; the labels of its items."""
    from selenium.webdriver.common.by import By

    _wait(driver, By.XPATH, f"//li[contains(@class,'lm-MenuBar-item')][.//div[text()='{top}']]", clickable=True).click()
    _wait(driver, By.CSS_SELECTOR, ".lm-Menu .lm-Menu-itemLabel")
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".lm-Menu .lm-Menu-itemLabel") if e.text]


def _menu_item(driver, item):
    from selenium.webdriver.common.by import By

    _wait(driver, By.XPATH, f"//li[contains(@class,'lm-Menu-item')][.//div[text()='{item}']]", clickable=True).click()


def _button(driver, list_id, text, timeout=60):
    from selenium.webdriver.common.by import By

    return _wait(driver, By.XPATH, f"//div[@id='{list_id}']//button[normalize-space(text())='{text}']",
                 timeout=timeout, clickable=True)


def test_a_class_cycle_through_the_hub(hub, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    d, url, learner, teacher = browser, hub["url"], hub["learner"], hub["teacher"]
    try:
        # ---- the learner: log in, fetch, answer, validate, submit
        _login(d, url, learner)
        items = _open_menu(d, "Nbgrader")
        assert "Assignment List" in items and "Formgrader" not in items, items  # none of the instructor's tools
        _menu_item(d, "Assignment List")
        _button(d, "released_assignments_list", "Fetch").click()
        # fetched: open the assignment's notebook from the panel
        _wait(d, By.XPATH, "//div[@id='fetched_assignments_list']//a[contains(@class,'assignment-notebooks-link')]",
              clickable=True).click()
        _wait(d, By.XPATH, f"//div[@id='fetched_assignments_list']//div[contains(@class,'assignment-notebooks')]"
                           f"//a[normalize-space(text())='{A}']", clickable=True).click()
        fetched = hub["lhome"] / A / f"{A}.ipynb"
        assert fetched.is_file() and fetched.stat().st_uid == pwd.getpwnam(learner).pw_uid
        # answer exercise 1: the code cell that holds `def add`
        editor = _wait(d, By.XPATH, "//div[contains(@class,'jp-CodeCell')][.//div[contains(@class,'cm-content')]"
                                    "[contains(., 'def add')]]//div[contains(@class,'cm-content')]", clickable=True)
        editor.click()
        editor.send_keys(Keys.CONTROL, "a")
        editor.send_keys(ANSWER)
        editor.send_keys(Keys.CONTROL, "s")
        _until(lambda: ANSWER in fetched.read_text(), what="the learner's notebook to be saved")
        # Validate (nbgrader's button in the notebook's toolbar): exercise 1 passes, exercise 2 is not written yet
        _wait(d, By.CSS_SELECTOR, ".jp-NotebookPanel-toolbar .validate-button", clickable=True).click()
        dialog = _wait(d, By.CSS_SELECTOR, ".jp-Dialog-content", timeout=120)
        _until(lambda: "passed" in dialog.text or "failed" in dialog.text, timeout=120, what="validation results")
        text = dialog.text
        assert "The following cell failed" in text and "square" in text, text
        assert "add(1, 2) should be 3" not in text, text
        _wait(d, By.CSS_SELECTOR, ".jp-Dialog-button.jp-mod-accept", clickable=True).click()
        # submit from the Assignments panel
        d.find_element(By.XPATH, "//li[contains(@class,'lm-TabBar-tab')][.//div[text()='Assignments']]").click()
        _button(d, "fetched_assignments_list", "Submit").click()
        _wait(d, By.XPATH, f"//div[@id='submitted_assignments_list']//div[contains(@class,'list_item')]"
                           f"[contains(., '{A}')]", timeout=60)
        inbound = hub["exchange"] / "nncourse" / "inbound"
        (sub,) = [p for p in inbound.iterdir() if p.name.startswith(f"{learner}+{A}+")]
        assert sub.stat().st_uid == pwd.getpwnam(learner).pw_uid  # nbgrader wrote it as the learner's uid

        # ---- the learner cannot read the instructor's course folder
        probe = _as(learner, f"cat {hub['course']}/solutions/{A}/{A}.ipynb; ls {hub['thome']}",
                    {"PATH": "/usr/bin:/bin"}, Path("/"))
        assert "Permission denied" in probe.stderr and "BEGIN SOLUTION" not in probe.stdout, probe

        # ---- the instructor: collect from the inbox, autograde, feedback, release it
        tenv, course = hub["tenv"], hub["course"]
        out = _as(teacher, f"nncourse collect {hub['exchange']} --repo {course} && "
                           f"nncourse autograde --repo {course} --sandbox off --no-progress && "
                           f"nncourse feedback --repo {course} && nncourse report --repo {course} && "
                           f"cd {course}/instructor && nbgrader release_feedback {A}", tenv, hub["thome"])
        assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
        assert f"collected {learner} / {A}" in out.stdout and "graded 1 submission(s)" in out.stdout, out.stdout
        grades = (course / "instructor" / "reports" / "grades.csv").read_text().splitlines()
        row = next(r for r in grades if r.startswith(learner + ","))
        assert row.split(",")[1:3] == ["10", "0"], grades  # ex01 earned (4 + 6), ex02 not written

        # ---- the learner fetches the feedback from the panel
        d.find_element(By.ID, "refresh_assignments_list").click()
        _button(d, "submitted_assignments_list", "Fetch Feedback").click()
        _wait(d, By.XPATH, "//div[@id='submitted_assignments_list']//a[contains(., 'view feedback')]", timeout=60)
        pages = list((hub["lhome"] / A / "feedback").rglob(f"{A}.html"))
        import html
        import re

        page = html.unescape(re.sub(r"<[^>]+>", "", pages[0].read_text()))
        assert ANSWER in page and "rng_hidden_ex01" not in page  # their answer, and no hidden test

        # ---- the instructor's JupyterLab has formgrader, on this course
        _login(d, url, teacher)
        assert "Formgrader" in _open_menu(d, "Nbgrader")
        d.get(f"{url}/user/{teacher}/formgrader/manage_students")
        row = _wait(d, By.XPATH, f"//tr[.//*[contains(text(), '{learner}')]]", timeout=60)
        assert f"Test, {learner.title()}" in row.text, row.text  # the name collect recorded, not "None, None"
    except Exception:
        shot = Path(tempfile.gettempdir()) / "nncourse-hub-failure.png"
        d.save_screenshot(str(shot))
        sys.stderr.write(f"screenshot: {shot}\nhub log:\n{hub['log'].read_text()[-6000:]}\n")
        raise
