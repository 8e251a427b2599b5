"""The text being spoken, its token marked while it plays, in a real Chromium against a real
server: the page asks for the SSE stream with timestamps and follows the player's clock.

A MutationObserver in the page records every change of the marked token (its code-point
offset ``data-start``, its text, when); the tests read that record and the page's stats.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

SHORT_ZH = "你好，欢迎使用语音合成。"
SHORT_EN = "Hello there, welcome to the speech server."
PARAGRAPH_ZH = (
    "今天天气真好，适合出门散步。我们去公园看看花吧！春天来了，到处都是绿色。"
    "小鸟在树上唱歌，孩子们在草地上奔跑。"
)

RECORD_MARKS = """() => {
  const box = document.getElementById('spoken-text');
  const marks = [];
  let shown = null;
  const note = () => {
    const el = box.querySelector('.speaking');
    const start = el ? Number(el.dataset.start) : null;
    if (start === shown) return;
    shown = start;
    marks.push({
      start,
      text: el ? el.textContent : null,
      current: el ? el.getAttribute('aria-current') : null,
      marked: box.querySelectorAll('.speaking, [aria-current]').length,
      at: performance.now(),
    });
  };
  new MutationObserver(note).observe(box, {
    subtree: true, childList: true, attributes: true, attributeFilter: ['class', 'aria-current'],
  });
  window.voxserveMarks = marks;
}"""


def wait_for(page: Page, condition: str, timeout: float = 30_000) -> None:
    """Wait until a JS expression over ``s = window.voxserveStats`` is true."""
    page.wait_for_function(
        f"() => {{ const s = window.voxserveStats; return {condition}; }}", timeout=timeout
    )


def speak_and_listen(page: Page, text: str, voice: str | None = None) -> dict[str, Any]:
    """Speak ``text`` with the marks recorded; wait until it has all been played."""
    if voice:
        page.select_option("#voice", voice)
    page.fill("#text", text)
    page.evaluate(RECORD_MARKS)
    page.click("#speak")
    wait_for(page, "s.runs.at(-1)?.playbackEndAt != null || s.state === 'error'")
    run: dict[str, Any] = page.evaluate("() => window.voxserveStats.runs.at(-1)")
    assert run["error"] is None, page.locator("#error").inner_text()
    return run


def marks(page: Page) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = page.evaluate("() => window.voxserveMarks")
    return found


def span_texts(page: Page) -> list[str]:
    texts: list[str] = page.locator("#spoken-text .token").all_inner_texts()
    return texts


def timed_tokens(url: str, text: str, voice: str | None = None, ssml: bool = False) -> list[Any]:
    """The tokens of the same request, read from the server's SSE stream here."""
    body = {"text": text, "ssml": ssml, "stream": True, "stream_format": "sse"}
    body |= {"timestamps": True, "format": "pcm", **({"voice": voice} if voice else {})}
    tokens: list[Any] = []
    with httpx.stream("POST", f"{url}/v1/tts", json=body, timeout=60) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("data: "):
                tokens += json.loads(line[6:]).get("tokens") or []
    return tokens


def assert_followed_in_order(page: Page, first: str, at_least: int = 3) -> list[dict[str, Any]]:
    """The marks went forward through the text, one token at a time, from the first token, and
    none is left at the end. Returns the marks of tokens (not the clearings)."""
    record = marks(page)
    marked = [m for m in record if m["start"] is not None]
    starts = [m["start"] for m in marked]
    assert len(set(starts)) >= at_least, record
    assert starts == sorted(set(starts)), f"not in text order: {record}"
    first_span = page.locator("#spoken-text .token").first
    assert marked[0]["start"] == int(first_span.get_attribute("data-start") or -1)
    assert marked[0]["text"] == first
    assert all(m["current"] == "true" and m["marked"] == 1 for m in marked), record
    assert record[-1]["start"] is None  # cleared when playback ended
    expect(page.locator("#spoken-text .speaking")).to_have_count(0)
    expect(page.locator("#spoken-text [aria-current]")).to_have_count(0)
    return marked


def test_mandarin_characters_are_marked_as_they_are_heard(page: Page, web_url: str) -> None:
    expect(page.locator("#voice")).to_have_value("zh-baker")
    expect(page.locator("#spoken-text")).to_be_hidden()
    run = speak_and_listen(page, SHORT_ZH)
    box = page.locator("#spoken-text")
    expect(box).to_be_visible()  # still shown after playing
    expect(box).to_have_text(SHORT_ZH)  # the text as sent, punctuation included
    assert span_texts(page) == list("你好欢迎使用语音合成")
    assert run["tokens"] == 10 and run["complete"]
    marked = assert_followed_in_order(page, "你", at_least=6)
    expect(page.locator("body")).to_have_attribute("data-state", "done")

    # Each mark came when its character was due on the audio clock (the same request gives the
    # same timings: the engines are deterministic), not merely in order.
    due = {t["orig_start"]: t["start_ms"] for t in timed_tokens(web_url, SHORT_ZH)}
    late = [m["at"] - run["firstSoundAt"] - due[m["start"]] for m in marked]
    assert sorted(abs(x) for x in late)[len(late) // 2] < 120, late  # the median
    assert max(abs(x) for x in late) < 400, late


def test_english_words_are_marked(page: Page) -> None:
    if page.locator("#voice option[value='en-joe']").count() == 0:
        pytest.skip("no en-joe voice on this server")
    speak_and_listen(page, SHORT_EN, voice="en-joe")
    expect(page.locator("#spoken-text")).to_have_text(SHORT_EN)
    words = ["Hello", "there", "welcome", "to", "the", "speech", "server"]
    assert span_texts(page) == words
    marked = assert_followed_in_order(page, "Hello", at_least=4)
    assert {m["text"] for m in marked} <= set(words)


def test_offsets_past_an_emoji_and_in_an_ssml_document(page: Page) -> None:
    # The server counts code points; the page must not shift by one after 😀 (two UTF-16 units).
    speak_and_listen(page, "😀你好。😀欢迎！")
    assert span_texts(page) == list("你好欢迎")
    assert_followed_in_order(page, "你")

    # With SSML on, offsets are into the document: the document is shown and its words marked.
    doc = '<speak>你好。<break time="300ms"/>😀<sub alias="万维网联盟">W3C</sub>欢迎</speak>'
    page.check("#ssml")
    speak_and_listen(page, doc)
    expect(page.locator("#spoken-text")).to_have_text(doc)
    assert span_texts(page) == ["你", "好", '<sub alias="万维网联盟">W3C</sub>', "欢", "迎"]
    assert_followed_in_order(page, "你")


def test_stop_clears_the_mark_and_replay_marks_again(page: Page) -> None:
    page.fill("#text", PARAGRAPH_ZH * 3)
    page.evaluate(RECORD_MARKS)
    page.click("#speak")
    page.wait_for_function("() => window.voxserveMarks.filter((m) => m.start !== null).length >= 3")
    page.click("#stop")
    expect(page.locator("body")).to_have_attribute("data-state", "stopped")
    expect(page.locator("#spoken-text .speaking")).to_have_count(0)
    assert marks(page)[-1]["start"] is None
    page.wait_for_timeout(300)  # nothing marks it again once stopped
    expect(page.locator("#spoken-text [aria-current]")).to_have_count(0)

    speak_and_listen(page, SHORT_ZH)
    page.evaluate(RECORD_MARKS)
    page.locator(".clip .replay").first.click()
    expect(page.locator("body")).to_have_attribute("data-state", "replaying")
    wait_for(page, "s.playbacks.at(-1)?.endedAt != null")
    expect(page.locator("#spoken-text")).to_have_text(SHORT_ZH)
    assert_followed_in_order(page, "你", at_least=6)


def test_the_clock_holds_its_place_while_the_network_is_late(page: Page) -> None:
    # The mark follows PcmPlayer.position: 0.2 s of audio, then nothing for a while (an
    # underrun), then 0.2 s more. Wall time since the start would run on through the gap; the
    # stream's position waits at 0.2 s and then goes on from there.
    seen = page.evaluate(
        """async () => {
          const { PcmPlayer, audioContext } = await import('/static/audio.js');
          const player = new PcmPlayer(audioContext(), 24000);
          const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
          const read = async (ms) => {
            const out = [];
            for (const end = performance.now() + ms; performance.now() < end; await sleep(20)) {
              out.push(player.position);
            }
            return out;
          };
          const empty = player.position;
          const chunk = new Uint8Array(0.2 * 24000 * 2);
          player.push(chunk);
          const first = await read(800);
          player.push(chunk);
          const second = await read(600);
          player.stop();
          return { empty, first, second };
        }"""
    )
    assert seen["empty"] is None
    first, second = seen["first"], seen["second"]
    assert first[0] < 0  # scheduled a little ahead: not heard yet
    assert first == sorted(first) and second == sorted(second)
    assert max(first) == pytest.approx(0.2) and first[-1] == pytest.approx(0.2)  # held
    assert second[0] == pytest.approx(0.2, abs=0.03)  # on from where it was, not from wall time
    assert second[-1] == pytest.approx(0.4)
