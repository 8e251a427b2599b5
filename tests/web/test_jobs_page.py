"""The page's jobs in a real Chromium against a real server and model: a long text or a file
becomes a job whose progress bar follows its events; it plays, downloads, survives a reload,
can be cancelled and deleted; refusals and 401/429 answers are shown in words."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import soundfile
from playwright.sync_api import BrowserContext, Page, expect

from tests.api.test_auth import voxserve_cli
from tests.support.server import KEYED_ESPEAK, ServerProcess, running
from tests.support.texts import SENTENCES, chapter
from tests.web.conftest import ARTIFACTS

JOB_LIMIT = 30_000
DOCS = Path(__file__).resolve().parents[2] / "docs"


def long_text(chars: int) -> str:
    """Real sentences, repeated: the unit cache renders each distinct one once, so a text of
    8,000 characters (about half an hour of speech) finishes in seconds on a small machine."""
    parts: list[str] = []
    n = 0
    while sum(map(len, parts)) < chars:
        parts.append(SENTENCES[n % len(SENTENCES)])
        n += 1
    return "".join(parts)[:chars]


@pytest.fixture(scope="module")
def jobs_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("jobs-page") / "server.log"
    env = {"VOXSERVE_CACHE_BACKEND": "memory", "VOXSERVE_MAX_JOB_CHARS": str(JOB_LIMIT)}
    server = ServerProcess(env, workers=1, log=log).start()
    try:
        yield server.url
    finally:
        server.stop()


def open_page(browser: BrowserContext, url: str, width: int = 1100) -> Page:
    page = browser.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(url + "/")
    page.wait_for_selector("body[data-loaded='true']")
    return page


def stats(page: Page, expression: str) -> Any:
    return page.evaluate(f"() => {{ const s = window.voxserveStats; return {expression}; }}")


def wait_for(page: Page, condition: str, timeout: float = 60_000) -> None:
    page.wait_for_function(
        f"() => {{ const s = window.voxserveStats; return {condition}; }}", timeout=timeout
    )


def submitted_id(page: Page, count: int) -> str:
    """The id of the page's `count`-th submitted job, once it is in."""
    wait_for(page, f"s.submitted.length >= {count} || s.state === 'error'")
    assert stats(page, "s.state") != "error", page.locator("#error").inner_text()
    job_id: str = stats(page, f"s.submitted[{count - 1}].id")
    return job_id


def test_a_long_text_becomes_a_job_that_plays_downloads_and_survives_a_reload(
    browser: BrowserContext, jobs_url: str, tmp_path: Path
) -> None:
    page = open_page(browser, jobs_url)
    try:
        page.select_option("#format", "mp3")
        text = long_text(8_000)  # over the direct limit (5,000): a job
        page.fill("#text", text)
        expect(page.locator("#counter-job")).to_contain_text("30000")  # says it becomes a job
        page.click("#speak")
        job_id = submitted_id(page, 1)
        entry = page.locator(f"li.job[data-job-id='{job_id}']")
        expect(entry).to_be_visible()
        wait_for(page, f"s.jobs['{job_id}']?.status === 'succeeded'", timeout=400_000)
        job = stats(page, f"s.jobs['{job_id}']")
        assert job["advances"] >= 3, job  # the bar moved at least three times before the end
        expect(entry.locator("progress")).to_have_attribute("value", "1")
        server_job = httpx.get(f"{jobs_url}/v1/jobs/{job_id}", timeout=10).json()
        duration = server_job["audio"]["duration"]
        assert duration > 240 and server_job["progress"]["chars_total"] == 8_000
        expect(entry.locator(".job-figures")).to_contain_text("8000")

        audio = entry.locator("audio")
        audio.evaluate("(a) => a.play()")
        page.wait_for_function("(a) => a.currentTime > 0.3", arg=audio.element_handle())
        played = audio.evaluate("(a) => ({duration: a.duration, paused: a.paused})")
        assert played["paused"] is False
        assert played["duration"] == pytest.approx(duration, rel=0.01)
        audio.evaluate("(a) => a.pause()")

        with page.expect_download() as download_info:
            entry.locator("a.download").click()
        path = tmp_path / download_info.value.suggested_filename
        download_info.value.save_as(path)
        assert path.name == f"{job_id}.mp3"
        assert soundfile.info(str(path)).duration == pytest.approx(duration, rel=0.01)

        page.screenshot(path=str(ARTIFACTS / "jobs-desktop.png"), full_page=True)
        page.reload()
        page.wait_for_selector("body[data-loaded='true']")
        entry = page.locator(f"li.job[data-job-id='{job_id}']")
        expect(entry).to_have_attribute("data-status", "succeeded")
        expect(entry.locator(".job-text")).to_contain_text(text[:20])
    finally:
        page.close()


def test_cancel_stops_a_running_job_and_delete_removes_it(
    browser: BrowserContext, jobs_url: str
) -> None:
    page = open_page(browser, jobs_url)
    try:
        page.fill("#text", chapter(8000))  # distinct sentences: nothing cached, it runs a while
        page.click("#speak")
        job_id = submitted_id(page, 1)
        wait_for(page, f"s.jobs['{job_id}']?.charsDone > 0")
        entry = page.locator(f"li.job[data-job-id='{job_id}']")
        panel = page.locator("section.jobs")
        panel.screenshot(path=str(ARTIFACTS / "jobs-panel-desktop.png"))
        page.set_viewport_size({"width": 390, "height": 844})
        panel.screenshot(path=str(ARTIFACTS / "jobs-panel-narrow.png"))
        entry.locator("button.cancel").click()
        expect(entry).to_have_attribute("data-status", "cancelled")
        expect(entry.locator("button.cancel")).to_be_hidden()
        expect(entry.locator("button.resubmit")).to_be_visible()
        server_job = httpx.get(f"{jobs_url}/v1/jobs/{job_id}", timeout=10).json()
        assert server_job["status"] == "cancelled"
        assert server_job["progress"]["chars_done"] < server_job["progress"]["chars_total"]

        entry.locator("button.resubmit").click()  # the text comes back from the server
        wait_for(page, "s.submitted.length === 2")
        again = stats(page, "s.submitted[1].id")
        expect(page.locator("li.job").first).to_have_attribute("data-job-id", again)
        texts = [
            httpx.get(f"{jobs_url}/v1/jobs/{j}/text", timeout=10).text for j in (job_id, again)
        ]
        assert texts[0] == texts[1] == chapter(8000)
        assert httpx.post(f"{jobs_url}/v1/jobs/{again}/cancel", timeout=10).status_code == 200

        entry.locator("button.delete").click()
        expect(entry).to_have_count(0)
        assert httpx.get(f"{jobs_url}/v1/jobs/{job_id}", timeout=10).status_code == 404
    finally:
        page.close()


FILE_TEXT = "第一章\n\n清晨的阳光洒在湖面上，微风吹过。图书馆里很安静，只有翻书的声音偶尔响起。\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_a_text_file_becomes_a_job(browser: BrowserContext, jobs_url: str, encoding: str) -> None:
    page = open_page(browser, jobs_url)
    try:
        name = f"chapter-{encoding}.txt"
        data = FILE_TEXT.encode(encoding)
        page.set_input_files(
            "#file", files=[{"name": name, "mimeType": "text/plain", "buffer": data}]
        )
        job_id = submitted_id(page, 1)
        expected = "gb18030" if encoding == "gb18030" else "utf-8"
        assert stats(page, "s.submitted[0]") == {
            "id": job_id,
            "chars": len(FILE_TEXT),
            "source": "file",
            "encoding": expected,
        }
        text = httpx.get(f"{jobs_url}/v1/jobs/{job_id}/text", timeout=10).text
        assert text == FILE_TEXT
        wait_for(page, f"s.jobs['{job_id}']?.status === 'succeeded'")
    finally:
        page.close()


def test_texts_and_files_over_the_job_limit_are_refused_before_upload(
    browser: BrowserContext, jobs_url: str
) -> None:
    page = open_page(browser, jobs_url, width=390)
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
    try:
        page.fill("#text", long_text(JOB_LIMIT + 1))
        expect(page.locator("#counter")).to_have_class("counter over")
        page.click("#speak")
        error = page.locator("#error")
        expect(error).to_contain_text(f"over the job limit of {JOB_LIMIT}")
        expect(error).to_contain_text(f"超过任务上限 {JOB_LIMIT} 字")
        big = long_text(JOB_LIMIT + 10).encode()
        page.set_input_files(
            "#file", files=[{"name": "big.txt", "mimeType": "text/plain", "buffer": big}]
        )
        expect(error).to_contain_text(f"{JOB_LIMIT + 10} characters")
        page.set_input_files(
            "#file", files=[{"name": "a.png", "mimeType": "image/png", "buffer": b"\x89PNG\0\0\0"}]
        )
        expect(error).to_contain_text("a.png is not a text file")
        assert posted == []
        assert stats(page, "s.submitted.length") == 0
        # A narrow screen (390 px): nothing sticks out sideways, jobs included.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        page.locator("#jobs-title").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "jobs-narrow.png"), full_page=True)
    finally:
        page.close()


@pytest.fixture(scope="module")
def keyed_server() -> Iterator[ServerProcess]:
    with running({**KEYED_ESPEAK, "VOXSERVE_LIMIT_CHARACTERS_PER_DAY": "9000"}) as server:
        yield server


def test_with_keys_a_job_asks_for_the_key_plays_with_it_and_429_says_when(
    browser: BrowserContext, keyed_server: ServerProcess
) -> None:
    key = voxserve_cli(keyed_server, "keys", "create", "--name", "jobs-page").strip()
    page = open_page(browser, keyed_server.url)
    try:
        expect(page.locator("#key-form")).to_be_visible()  # 401: the page asks for a key
        expect(page.locator("#error")).to_contain_text("API key required")
        page.fill("#api-key", key)
        page.click("#key-save")
        expect(page.locator("#key-form")).to_be_hidden()

        page.fill("#text", chapter(6000))
        page.click("#speak")
        job_id = submitted_id(page, 1)
        wait_for(page, f"s.jobs['{job_id}']?.status === 'succeeded'", timeout=120_000)
        # The <audio> player cannot send the key: the key cookie opens this job's audio.
        audio = page.locator(f"li.job[data-job-id='{job_id}'] audio")
        audio.evaluate("(a) => a.play()")
        page.wait_for_function("(a) => a.currentTime > 0.2", arg=audio.element_handle())

        page.fill("#text", chapter(6000))  # 12,000 characters today: over the 9,000 a key has
        page.click("#speak")
        error = page.locator("#error")
        expect(error).to_contain_text("Server busy")
        expect(error).to_contain_text("Retry in")
        expect(error).to_contain_text("服务器繁忙")
        last = stats(page, "s.errors.at(-1)")
        assert last["status"] == 429 and last["retryAfter"] > 0
    finally:
        page.evaluate("() => localStorage.removeItem('voxserve.apiKey')")
        page.close()


def test_job_errors_are_words_not_json(browser: BrowserContext, jobs_url: str) -> None:
    """507 (the server's disk is full) as the page shows it; the answer is the server's shape."""
    page = open_page(browser, jobs_url)
    full = {"error": {"code": "storage_full", "message": "no space left", "param": None}}
    page.route(
        "**/v1/jobs",
        lambda route: (
            route.fulfill(status=507, content_type="application/json", body=json.dumps(full))
            if route.request.method == "POST"
            else route.continue_()
        ),
    )
    try:
        page.fill("#text", long_text(6000))
        page.click("#speak")
        error = page.locator("#error")
        expect(error).to_contain_text("out of disk space")
        expect(error).to_contain_text("存储空间不足")
        assert "{" not in error.inner_text()
    finally:
        page.close()


def test_a_failed_job_shows_its_error_and_offers_a_resubmit(
    browser: BrowserContext, jobs_url: str
) -> None:
    """How the panel shows a failed job (a real job's JSON, its status and error changed: a
    real failure needs a broken engine)."""
    r = httpx.post(f"{jobs_url}/v1/jobs", json={"text": "失败的任务。"}, timeout=10)
    job = {
        **r.json(),
        "status": "failed",
        "error": {"code": "engine_failed", "message": "the engine stopped"},
    }
    listing = {"object": "list", "data": [job], "has_more": False, "last_id": job["id"]}
    page = browser.new_page()
    page.route(
        "**/v1/jobs?*",
        lambda route: route.fulfill(content_type="application/json", body=json.dumps(listing)),
    )
    try:
        page.goto(jobs_url + "/")
        page.wait_for_selector("body[data-loaded='true']")
        entry = page.locator(f"li.job[data-job-id='{job['id']}']")
        expect(entry).to_have_attribute("data-status", "failed")
        expect(entry.locator(".job-error")).to_have_text("the engine stopped (engine_failed)")
        expect(entry.locator(".job-status")).to_contain_text("Failed")
        expect(entry.locator("button.resubmit")).to_be_visible()
        expect(entry.locator("a.download")).to_be_hidden()
        expect(entry.locator("button.cancel")).to_be_hidden()
    finally:
        page.close()
