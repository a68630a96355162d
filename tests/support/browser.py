"""Headless Chromium for the browser tests (Debian's ``chromium`` and ``chromium-driver``, driven by Selenium).

``chrome()`` gives a driver, or skips the test when the browser, its driver or Selenium is missing (``.ci/run``
installs them). ``free_port()`` and ``wait_for_http()`` serve the tests that start a server on 127.0.0.1.
"""
from __future__ import annotations

import shutil
import socket
import time
import urllib.request

import pytest

__all__ = ["chrome", "free_port", "wait_for_http", "CHROMIUM", "CHROMEDRIVER"]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
CHROMEDRIVER = shutil.which("chromedriver")


def chrome(width: int = 1400, height: int = 1000):
    """A headless Chromium driver (the caller quits it), or ``pytest.skip`` when one cannot be had."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
    except ImportError:  # pragma: no cover - the test extra installs selenium
        pytest.skip("selenium is not installed (pip install -e '.[test]')")
    if not CHROMIUM or not CHROMEDRIVER:  # pragma: no cover - .ci/run installs them
        pytest.skip("chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)")
    options = Options()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={width},{height}", "--no-first-run", "--no-default-browser-check"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, seconds: float = 90, proc=None) -> None:
    """Wait until ``url`` answers (any HTTP status), failing early if ``proc`` (a Popen) has exited."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server exited with status {proc.returncode} before {url} answered")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.25)
    raise TimeoutError(f"{url} did not answer within {seconds} s")
