"""POST /v1/phonemize on a real server: the token schema, offsets, and bad input."""

from __future__ import annotations

import httpx

from tests.support.server import ServerProcess

KEYS = {"text", "orig_start", "orig_end", "spoken", "lang", "pinyin", "phonemes"}


def test_tokens_with_offsets_numbers_english_traditional(server: ServerProcess) -> None:
    text = "銀行行长说：余额36.00元，iPhone很贵。"
    r = httpx.post(f"{server.url}/v1/phonemize", json={"text": text}, timeout=60)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["text"] == text
    tokens = body["tokens"]
    assert all(set(t) == KEYS for t in tokens)
    assert all(text[t["orig_start"] : t["orig_end"]] == t["text"] for t in tokens)
    by_text = {t["text"]: t for t in tokens}
    assert by_text["銀"]["spoken"] == "银" and by_text["銀"]["pinyin"] == ["yin2"]
    assert by_text["长"]["pinyin"] == ["zhang3"]
    assert by_text["36.00"] == {
        "text": "36.00",
        "orig_start": 8,
        "orig_end": 13,
        "spoken": "三十六",
        "lang": "zh",
        "pinyin": ["san1", "shi2", "liu4"],
        "phonemes": None,
    }
    assert by_text["iPhone"]["lang"] == "en" and by_text["iPhone"]["pinyin"] is None
    assert by_text["iPhone"]["phonemes"]


def test_bad_input_is_one_error_shape_and_the_server_stays_healthy(server: ServerProcess) -> None:
    url = f"{server.url}/v1/phonemize"
    cases = [
        ({"text": "，。！"}, 400, "empty_text"),
        ({"text": "a\u0000b"}, 400, "invalid_text"),
        ({"text": "好" * 5001}, 413, "text_too_long"),
        ({"text": "好", "voice": "x"}, 422, None),
        ({}, 422, None),
    ]
    for body, status, code in cases:
        r = httpx.post(url, json=body, timeout=30)
        assert r.status_code == status, (body, r.text)
        error = r.json()["error"]
        assert error["message"]
        if code:
            assert error["code"] == code
    assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200


def test_shorthand_readings_are_shown_and_bad_ones_refused(server: ServerProcess) -> None:
    text = "他是[行长](xing2 chang2)。"
    r = httpx.post(f"{server.url}/v1/phonemize", json={"text": text}, timeout=60)
    assert r.status_code == 200, r.text
    tokens = r.json()["tokens"]
    assert [(t["text"], t["pinyin"]) for t in tokens[2:]] == [("行", ["xing2"]), ("长", ["chang2"])]
    assert text[tokens[2]["orig_start"]] == "行"
    for route, field in (("/v1/phonemize", "text"), ("/v1/tts", "text")):
        bad = httpx.post(f"{server.url}{route}", json={field: "[行长](hang9 zhang3)"}, timeout=60)
        assert bad.status_code == 422, bad.text
        error = bad.json()["error"]
        assert error["code"] == "invalid_pinyin" and "hang9" in error["message"]
    spoken = httpx.post(f"{server.url}/v1/tts", json={"text": text, "format": "pcm"}, timeout=60)
    assert spoken.status_code == 200 and len(spoken.content) > 24000
    assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200
