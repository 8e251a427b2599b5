"""A real server and a real headless Chromium (Debian's), driven by Playwright, for the web page.

Needs ``/usr/bin/chromium`` (``apt-get install chromium``; set ``VOXSERVE_CHROMIUM`` for another
path) and the PyPI ``playwright`` package; Playwright's own browser download is never used.
``VOXSERVE_WEB_TEST_URL`` points the tests at a running server instead of starting one.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, sync_playwright

from tests.support.server import ServerProcess

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
CHROMIUM_ARGS = [
    # Playwright adds --headless itself (headless=True) and the user-data-dir of the context.
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


def chromium_path() -> str:
    path = os.environ.get("VOXSERVE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).is_file():
        pytest.fail(f"no Chromium at {path}: apt-get install chromium (or set VOXSERVE_CHROMIUM)")
    return path


@pytest.fixture(scope="session")
def web_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The server under test: two workers, every engine, default limits, no cache (the stop
    test needs sentences still queued, which a cache would have answered at once)."""
    if url := os.environ.get("VOXSERVE_WEB_TEST_URL"):
        yield url.rstrip("/")
        return
    log = tmp_path_factory.mktemp("web-server") / "server.log"
    server = ServerProcess({"VOXSERVE_CACHE_BACKEND": "off"}, workers=2, log=log).start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pw() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(pw: Playwright, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    """One headless Chromium with a fresh profile for the session (a start costs about 2 s)."""
    context = pw.chromium.launch_persistent_context(
        tmp_path_factory.mktemp("chromium-profile"),
        executable_path=chromium_path(),
        headless=True,
        args=CHROMIUM_ARGS,
        accept_downloads=True,
        viewport={"width": 1100, "height": 900},
        locale="zh-CN",
    )
    context.set_default_timeout(30_000)
    yield context
    context.close()


@pytest.fixture
def page(browser: BrowserContext, web_url: str) -> Iterator[Page]:
    """The page, loaded, with its voices and emotions in; script errors and anything the
    content security policy blocked (a CDN link, an inline script) fail the test."""
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    page.goto(web_url + "/")
    page.wait_for_selector("body[data-loaded='true']")
    yield page
    page.close()
    assert not errors, f"uncaught errors in the page: {errors}"
