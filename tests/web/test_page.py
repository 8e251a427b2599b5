"""The web page in a real headless Chromium against a real server.

The page records what it did in ``window.voxserveStats`` (times in ``performance.now()``
milliseconds) and its state in ``<body data-state>``; these tests read both.
"""

from __future__ import annotations

import json
import re
import time
import wave
from pathlib import Path
from typing import Any

import httpx
import pytest
import soundfile
from playwright.sync_api import Page, expect

from tests.web.conftest import ARTIFACTS

SHORT_ZH = "你好，欢迎使用语音合成。"
PARAGRAPH_ZH = (
    "今天天气真好，适合出门散步。我们去公园看看花吧！春天来了，到处都是绿色。"
    "小鸟在树上唱歌，孩子们在草地上奔跑。"
)
FILE_NAME = re.compile(r"voxserve-\d{8}-\d{6}\.(wav|flac)")


def last_run(page: Page) -> dict[str, Any]:
    run: dict[str, Any] = page.evaluate("() => window.voxserveStats.runs.at(-1)")
    return run


def wait_for(page: Page, condition: str, timeout: float = 30_000) -> None:
    """Wait until a JS expression over ``s = window.voxserveStats`` is true."""
    page.wait_for_function(
        f"() => {{ const s = window.voxserveStats; return {condition}; }}", timeout=timeout
    )


def speak(page: Page, text: str) -> dict[str, Any]:
    """Type ``text``, press Speak, wait for the whole stream; the run's timings."""
    page.fill("#text", text)
    page.click("#speak")
    wait_for(page, "s.runs.at(-1)?.streamEndAt != null || s.state === 'error'")
    run = last_run(page)
    assert run["error"] is None, page.locator("#error").inner_text()
    return run


def cancelled_units(url: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    found = re.search(r'^voxserve_units_dropped_total\{reason="cancelled"\} (\S+)$', text, re.M)
    return float(found.group(1)) if found else 0.0


def test_page_is_served_with_its_assets(web_url: str) -> None:
    page = httpx.get(f"{web_url}/", timeout=10)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for name, kind in [("app.js", "text/javascript"), ("style.css", "text/css")]:
        asset = httpx.get(f"{web_url}/static/{name}", timeout=10)
        assert asset.status_code == 200 and asset.headers["content-type"].startswith(kind)
    missing = httpx.get(f"{web_url}/static/nothing.js", timeout=10)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_speak_plays_while_still_synthesizing(page: Page) -> None:
    expect(page.locator("#voice")).to_have_value("zh-baker")  # /v1/voices and /v1/config
    expect(page.locator("#limit")).to_have_text("5000")
    expect(page.locator("#emotion option")).not_to_have_count(0)
    run = speak(page, PARAGRAPH_ZH * 4)
    # The first chunk was scheduled, and was already sounding, before the last byte came.
    assert run["firstScheduledAt"] < run["streamEndAt"]
    assert run["playedAtStreamEnd"] > 0
    assert run["chunks"] > 1 and run["duration"] > 20
    assert run["ttfaMs"] == run["firstChunkAt"] - run["clickAt"] > 0
    expect(page.locator("#ttfa")).to_have_text(re.compile(r"^\d+ ms$"))
    expect(page.locator("#duration")).to_have_text(re.compile(r"^\d+\.\d s$"))
    expect(page.locator("body")).to_have_attribute("data-state", "playing")
    page.click("#stop")
    expect(page.locator("body")).to_have_attribute("data-state", "stopped")


def test_stop_cancels_the_queued_work(page: Page, web_url: str) -> None:
    before = cancelled_units(web_url)
    page.fill("#text", PARAGRAPH_ZH * 20)  # about 100 units: most still queued after the first
    page.keyboard.press("Control+Enter")
    wait_for(page, "s.runs.at(-1)?.firstChunkAt != null")
    page.keyboard.press("Escape")
    expect(page.locator("body")).to_have_attribute("data-state", "stopped")
    run = last_run(page)
    assert run["aborted"] and run["streamEndAt"] is None
    deadline = time.monotonic() + 15
    while cancelled_units(web_url) <= before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert cancelled_units(web_url) > before
    speak(page, SHORT_ZH)  # the server is fine afterwards


def test_download_saves_the_streamed_clip_as_wav(page: Page, tmp_path: Path) -> None:
    run = speak(page, SHORT_ZH)
    with page.expect_download() as info:
        page.click("#download")
    download = info.value
    assert FILE_NAME.fullmatch(download.suggested_filename)
    assert download.suggested_filename.endswith(".wav")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    assert path.read_bytes()[:4] == b"RIFF"
    with wave.open(str(path)) as clip:
        assert (clip.getnchannels(), clip.getsampwidth()) == (1, 2)
        assert clip.getframerate() == run["sampleRate"] == 24000
        seconds = clip.getnframes() / clip.getframerate()
    assert seconds == pytest.approx(run["duration"]) and 1.0 < seconds < 10

    # Other formats come from the server, whole: the same clip, encoded there.
    page.select_option("#format", "flac")
    with page.expect_download() as info:
        page.locator(".clip .save").first.click()
    flac = tmp_path / info.value.suggested_filename
    info.value.save_as(flac)
    assert flac.suffix == ".flac" and flac.read_bytes()[:4] == b"fLaC"
    assert soundfile.info(str(flac)).duration == pytest.approx(seconds, abs=0.05)


def test_history_replays_a_clip(page: Page) -> None:
    page.select_option("#emotion", "happy")
    run = speak(page, SHORT_ZH)
    wait_for(page, "s.runs.at(-1).playbackEndAt != null")
    expect(page.locator("body")).to_have_attribute("data-state", "done")
    item = page.locator(".clip").first
    expect(item).to_contain_text(SHORT_ZH)
    expect(item).to_contain_text("zh-baker")
    expect(item).to_contain_text("happy")

    item.locator(".replay").click()
    expect(page.locator("body")).to_have_attribute("data-state", "replaying")
    wait_for(page, "s.playbacks.at(-1)?.endedAt != null")
    playback = page.evaluate("() => window.voxserveStats.playbacks.at(-1)")
    heard_ms = playback["endedAt"] - playback["firstSoundAt"]
    assert heard_ms > run["duration"] * 1000 * 0.9  # it played the whole clip, in real time
    expect(page.locator("body")).to_have_attribute("data-state", "done")

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "page.png"), full_page=True)


def test_api_errors_are_shown_in_words(page: Page) -> None:
    page.evaluate(
        """() => {
          const voice = document.getElementById('voice');
          voice.add(new Option('ghost', 'no-such-voice'));
          voice.value = 'no-such-voice';
        }"""
    )
    page.fill("#text", SHORT_ZH)
    page.click("#speak")
    error = page.locator("#error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("unknown_voice")
    expect(error).to_contain_text("no-such-voice")
    expect(page.locator("body")).to_have_attribute("data-state", "error")

    page.select_option("#voice", "zh-baker")
    page.fill("#text", "好" * 5001)  # over the interactive limit: it would become a job
    expect(page.locator("#counter")).to_have_class(re.compile(r"\bjob\b"))
    page.fill("#text", "好" * 200_001)  # over the job limit too: refused before it is sent
    expect(page.locator("#counter")).to_have_class(re.compile(r"\bover\b"))
    page.click("#speak")
    expect(error).to_contain_text("over the job limit of 200000")
    assert [e["status"] for e in page.evaluate("() => window.voxserveStats.errors")] == [404, 0]


def test_busy_and_dropped_connection_offer_a_retry(page: Page) -> None:
    # The server's real 429 shape (tests/api cover when it is sent); here, how the page shows it.
    busy = {"error": {"code": "overloaded", "message": "the service is busy", "param": None}}
    page.route(
        "**/v1/tts",
        lambda route: route.fulfill(
            status=429,
            headers={"Retry-After": "2"},
            content_type="application/json",
            body=json.dumps(busy),
        ),
    )
    page.fill("#text", SHORT_ZH)
    page.click("#speak")
    error, retry = page.locator("#error"), page.locator("#retry")
    expect(error).to_contain_text("the service is busy")
    expect(error).to_contain_text("Retry in 2 s")
    expect(retry).to_contain_text(re.compile(r"\([12] s\)"))  # counting down
    expect(retry).to_be_disabled()
    assert page.evaluate("() => window.voxserveStats.errors.at(-1).retryAfter") == 2

    page.unroute("**/v1/tts")
    page.route("**/v1/tts", lambda route: route.abort("connectionreset"))
    retry.click()  # waits until the Retry-After seconds are over
    expect(error).to_contain_text("Connection lost")
    expect(error).to_contain_text("连接中断")
    expect(retry).to_be_enabled()

    page.unroute("**/v1/tts")
    retry.click()
    wait_for(page, "s.runs.at(-1)?.streamEndAt != null")
    expect(error).to_be_hidden()
    assert last_run(page)["error"] is None


def test_every_control_is_labelled_and_usable_by_keyboard(page: Page) -> None:
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea')]
                 .filter((el) => el.labels.length === 0).map((el) => el.id)"""
    )
    assert unlabelled == []
    assert (
        page.evaluate("() => [...document.querySelectorAll('[onclick], [role=button]')].length")
        == 0
    )

    page.focus("#format")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        """() => ({id: document.activeElement.id,
                   outline: getComputedStyle(document.activeElement).outlineStyle})"""
    )
    assert focused == {"id": "speak", "outline": "solid"}  # focus is visible

    page.select_option("#ui-lang", "en")
    expect(page.locator("#speak")).to_have_text("Speak", use_inner_text=True)
    page.select_option("#ui-lang", "zh")
    expect(page.locator("#speak")).to_have_text("朗读", use_inner_text=True)
    page.select_option("#ui-lang", "both")
    expect(page.locator("#speak")).to_have_text("朗读 Speak", use_inner_text=True)


def test_chunks_split_inside_a_sample_play_back_exactly(page: Page) -> None:
    # The network may cut the s16le stream at any byte: render the player's schedule offline
    # and compare it with the samples sent, chunks cut at odd sizes.
    result = page.evaluate(
        """async () => {
          const { PcmPlayer } = await import('/static/audio.js');
          const rate = 24000, count = 3000, lead = Math.round(0.05 * rate);
          const bytes = new Uint8Array(count * 2);
          const view = new DataView(bytes.buffer);
          for (let i = 0; i < count; i += 1) view.setInt16(i * 2, ((i * 37) % 2000) - 1000, true);
          const ctx = new OfflineAudioContext(1, lead + count + 100, rate);
          const player = new PcmPlayer(ctx, rate);
          let seconds = 0;
          for (let at = 0, size = 1; at < bytes.length; at += size, size += 2) {
            seconds += player.push(bytes.subarray(at, at + size));  // sizes 1, 3, 5 ...
          }
          const out = (await ctx.startRendering()).getChannelData(0);
          let worst = 0;
          for (let i = 0; i < count; i += 1) {
            worst = Math.max(worst, Math.abs(out[lead + i] - view.getInt16(i * 2, true) / 32768));
          }
          return { seconds, worst, silentBefore: out[lead - 1] === 0 };
        }"""
    )
    assert result["seconds"] == pytest.approx(3000 / 24000)
    assert result["worst"] < 1e-6 and result["silentBefore"]


def test_readings_show_pinyin_and_a_given_reading(page: Page) -> None:
    expect(page.locator("#speak")).to_be_enabled()
    page.fill("#text", "他是银行的行长，余额36元。")
    page.click("#show-readings")
    expect(page.locator("#readings")).to_be_visible()
    tokens = page.locator("#readings ruby")
    expect(tokens).to_have_count(11)  # 他 是 银 行 的 行 长 余 额 36 元: 36 is one token
    expect(tokens.nth(5).locator("rt")).to_have_text("hang2")
    expect(tokens.nth(6).locator("rt")).to_have_text("zhang3")
    expect(page.locator("#readings ruby", has_text="36")).to_contain_text("三十六")
    page.fill("#text", "他是[行长](xing2 chang2)。")
    page.click("#show-readings")
    expect(tokens.nth(2).locator("rt")).to_have_text("xing2")
    assert page.evaluate("() => window.voxserveStats.readings") == 4


def test_a_bad_reading_is_shown_in_words(page: Page) -> None:
    expect(page.locator("#speak")).to_be_enabled()
    page.fill("#text", "[行](hang9)")
    page.click("#show-readings")
    expect(page.locator("#error")).to_be_visible()
    expect(page.locator("#error-message code")).to_have_text("invalid_pinyin")
    expect(page.locator("#error-message")).to_contain_text("hang9")


def test_ssml_is_noticed_spoken_and_its_readings_shown(page: Page) -> None:
    doc = (
        '<speak>你好。<break time="1500ms"/><sub alias="万维网联盟">W3C</sub>'
        '<phoneme alphabet="py" ph="xing2 chang2">行长</phoneme>。</speak>'
    )
    page.fill("#text", doc)
    expect(page.locator("#ssml")).to_be_checked()  # a pasted document turns SSML on
    expect(page.locator("#ssml-hint")).to_be_visible()
    run = speak(page, doc)
    assert run["duration"] > 2.0  # the break is heard, the markup is not read
    page.click("#show-readings")
    readings = page.locator("#readings .readings-list")
    expect(readings).to_contain_text("万维网联盟")
    expect(readings).to_contain_text("xing2")
    page.uncheck("#ssml")
    page.click("#show-readings")
    expect(readings).to_contain_text("speak")  # off: the markup is text
