"""Lexicons through real servers: CRUD and errors, their effect on what every interface reads
and speaks (phonemize, /v1/tts, OpenAI, WebSocket, jobs), cache invalidation when one changes,
and isolation between API keys."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.api.test_auth import voxserve_cli
from tests.support.jobs import wait_job
from tests.support.server import KEYED_ESPEAK, ServerProcess, running

BANK = [{"grapheme": "行长", "pinyin": "xing2 chang2"}, {"grapheme": "W3C", "alias": "万维网联盟"}]


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    srv = ServerProcess({"VOXSERVE_CACHE_BACKEND": "memory"}, workers=1).start()
    yield srv
    srv.stop()


def _post(server: ServerProcess, path: str, body: dict[str, Any], **kw: Any) -> httpx.Response:
    return httpx.post(f"{server.url}{path}", json=body, timeout=60, **kw)


def _put(
    server: ServerProcess, name: str, entries: list[dict[str, str]], **kw: Any
) -> httpx.Response:
    return httpx.put(
        f"{server.url}/v1/lexicons/{name}", json={"entries": entries}, timeout=10, **kw
    )


def test_create_list_get_replace_delete(server: ServerProcess) -> None:
    base = f"{server.url}/v1/lexicons"
    r = _post(server, "/v1/lexicons", {"name": "crud", "entries": BANK})
    assert r.status_code == 201 and r.headers["location"] == "/v1/lexicons/crud"
    assert r.json()["version"] == 1 and r.json()["entries"] == BANK
    again = _post(server, "/v1/lexicons", {"name": "crud", "entries": BANK})
    assert again.status_code == 422 and again.json()["error"]["param"] == "name"
    listed = httpx.get(base, timeout=10).json()["data"]
    assert {"name": "crud", "version": 1, "entries_count": 2}.items() <= listed[0].items()
    assert httpx.get(f"{base}/crud", timeout=10).json()["entries"] == BANK
    replaced = _put(server, "crud", BANK[:1])
    assert replaced.status_code == 200 and replaced.json()["version"] == 2
    assert httpx.delete(f"{base}/crud", timeout=10).status_code == 204
    gone = httpx.get(f"{base}/crud", timeout=10)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "lexicon_not_found"
    assert httpx.delete(f"{base}/crud", timeout=10).status_code == 404


@pytest.mark.parametrize(
    ("entries", "code", "param"),
    [
        ([{"grapheme": "行长", "pinyin": "hang2"}], "invalid_pinyin", "entries[0].pinyin"),
        ([{"grapheme": "行", "pinyin": "hang7"}], "invalid_pinyin", "entries[0].pinyin"),
        ([{"grapheme": "行", "alias": "航", "pinyin": "hang2"}], "invalid_lexicon", "entries[0]"),
        ([], "invalid_lexicon", "entries"),
        ([{"grapheme": "x" * 33, "alias": "y"}], "invalid_lexicon", "entries[0].grapheme"),
    ],
)
def test_bad_entries_are_422_naming_the_field(
    server: ServerProcess, entries: list[dict[str, str]], code: str, param: str
) -> None:
    r = _put(server, "bad", entries)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == code and r.json()["error"]["param"] == param
    assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200


def test_bad_names_and_unknown_lexicons(server: ServerProcess) -> None:
    r = _put(server, "no%20spaces", BANK)
    assert r.status_code == 422 and r.json()["error"]["param"] == "name"
    for path, body in [
        ("/v1/tts", {"text": "你好。", "lexicons": ["nothing"]}),
        ("/v1/phonemize", {"text": "你好。", "lexicons": ["nothing"]}),
        ("/v1/jobs", {"text": "你好。", "lexicons": ["nothing"]}),
        (
            "/v1/audio/speech",
            {"model": "tts-1", "voice": "alloy", "input": "你好。", "lexicons": ["nothing"]},
        ),
    ]:
        r = _post(server, path, body)
        assert r.status_code == 404, (path, r.text)
        assert r.json()["error"] == {
            "code": "lexicon_not_found",
            "message": "no lexicon named 'nothing'",
            "param": "lexicons",
        }


def test_phonemize_reads_with_the_lexicon_at_the_callers_offsets(server: ServerProcess) -> None:
    assert _put(server, "bank", BANK).status_code == 200
    text = "行长说W3C好。"
    tokens = _post(server, "/v1/phonemize", {"text": text, "lexicons": ["bank"]}).json()["tokens"]
    read = [(t["text"], t["orig_start"], t["spoken"], t["pinyin"]) for t in tokens]
    assert read[:2] == [("行", 0, "行", ["xing2"]), ("长", 1, "长", ["chang2"])]
    assert read[3] == ("W3C", 3, "万维网联盟", ["wan4", "wei2", "wang3", "lian2", "meng2"])
    plain = _post(server, "/v1/phonemize", {"text": text}).json()["tokens"]
    assert plain[0]["pinyin"] == ["hang2"] and plain[3]["spoken"] != "万维网联盟"


def _tts(server: ServerProcess, text: str, **params: Any) -> httpx.Response:
    r = _post(server, "/v1/tts", {"text": text, "format": "wav", **params})
    assert r.status_code == 200, r.text
    return r


def test_a_changed_lexicon_applies_to_the_next_request_past_the_cache(
    server: ServerProcess,
) -> None:
    _put(server, "acronyms", [{"grapheme": "W3C", "alias": "万维网"}])
    first = _tts(server, "W3C开会。", voice="espeak-zh", lexicons=["acronyms"])
    assert first.headers["x-cache"] == "miss"
    assert (
        _tts(server, "W3C开会。", voice="espeak-zh", lexicons=["acronyms"]).headers["x-cache"]
        == "memory"
    )
    _put(server, "acronyms", [{"grapheme": "W3C", "alias": "三维"}])
    changed = _tts(server, "W3C开会。", voice="espeak-zh", lexicons=["acronyms"])
    assert changed.headers["x-cache"] == "miss" and changed.content != first.content
    spelled = _tts(server, "三维开会。", voice="espeak-zh")
    assert spelled.content == changed.content  # exactly what the alias says


def test_baker_speaks_the_lexicons_reading(server: ServerProcess) -> None:
    _put(server, "bank", BANK)
    text = "行长来了。"
    given = _tts(server, text, voice="zh-baker", lexicons=["bank"]).content
    default = _tts(server, text, voice="zh-baker").content
    written = _tts(server, "[行长](xing2 chang2)来了。", voice="zh-baker").content
    assert given == written and given != default


def test_openai_route_and_websocket_apply_lexicons(server: ServerProcess) -> None:
    _put(server, "acronyms", [{"grapheme": "W3C", "alias": "万维网"}])
    body = {"model": "tts-1", "voice": "espeak-zh", "input": "W3C。", "response_format": "wav"}
    with_lexicon = _post(
        server, "/v1/audio/speech", {**body, "lexicons": ["acronyms"], "stream": False}
    )
    plain = _post(server, "/v1/audio/speech", {**body, "input": "万维网。", "stream": False})
    assert with_lexicon.status_code == 200 and with_lexicon.content == plain.content

    url = f"ws://127.0.0.1:{server.port}/v1/stream"
    with connect(url, open_timeout=10) as ws:
        ws.send(json.dumps({"type": "config", "voice": "espeak-zh", "lexicons": ["acronyms"]}))
        assert json.loads(ws.recv(timeout=30))["type"] == "ready"
        ws.send(json.dumps({"type": "text", "text": "W3C。"}))
        ws.send(json.dumps({"type": "close"}))
        audio = bytearray()
        while (message := ws.recv(timeout=60)) and not (
            isinstance(message, str) and json.loads(message)["type"] == "done"
        ):
            if isinstance(message, bytes):
                audio += message
    assert len(audio) > 4000
    with connect(url, open_timeout=10) as ws:
        ws.send(json.dumps({"type": "config", "lexicons": ["nothing"]}))
        events = []
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                events.append(json.loads(ws.recv(timeout=30)))
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    assert events[-1]["code"] == "lexicon_not_found"


def test_a_job_keeps_its_lexicons(server: ServerProcess) -> None:
    _put(server, "acronyms", [{"grapheme": "W3C", "alias": "万维网"}])
    r = _post(server, "/v1/jobs", {"text": "W3C。", "voice": "espeak-zh", "lexicons": ["acronyms"]})
    assert r.status_code == 202, r.text
    job = wait_job(server, r.json()["id"])
    assert job["status"] == "succeeded" and job["request"]["lexicons"] == ["acronyms"]
    audio = httpx.get(f"{server.url}/v1/jobs/{job['id']}/audio", timeout=10).content
    assert audio == _tts(server, "万维网。", voice="espeak-zh").content


@pytest.fixture(scope="module")
def keyed() -> Iterator[ServerProcess]:
    with running(KEYED_ESPEAK) as server:
        yield server


def test_each_key_sees_only_its_own_lexicons(keyed: ServerProcess) -> None:
    a, b = (
        {"Authorization": f"Bearer {voxserve_cli(keyed, 'keys', 'create', '--name', n).strip()}"}
        for n in ("lex-a", "lex-b")
    )
    assert _put(keyed, "mine", BANK, headers=a).status_code == 200
    assert httpx.get(f"{keyed.url}/v1/lexicons", headers=b, timeout=10).json()["data"] == []
    for method in ("GET", "DELETE"):
        r = httpx.request(method, f"{keyed.url}/v1/lexicons/mine", headers=b, timeout=10)
        assert r.status_code == 404, (method, r.text)
    r = _post(keyed, "/v1/phonemize", {"text": "W3C", "lexicons": ["mine"]}, headers=b)
    assert r.status_code == 404 and r.json()["error"]["code"] == "lexicon_not_found"
    # B may have a lexicon of the same name: it is another one.
    assert _put(keyed, "mine", [{"grapheme": "W3C", "alias": "三维"}], headers=b).status_code == 200
    spoken = {
        who: _post(keyed, "/v1/phonemize", {"text": "W3C", "lexicons": ["mine"]}, headers=h).json()[
            "tokens"
        ][0]["spoken"]
        for who, h in (("a", a), ("b", b))
    }
    assert spoken == {"a": "万维网联盟", "b": "三维"}
    assert httpx.get(f"{keyed.url}/v1/lexicons", timeout=10).status_code == 401


def test_a_lexicon_at_the_entry_limit_is_taken_and_one_over_is_not(server: ServerProcess) -> None:
    """10,000 entries (the default limit) make a body well over the 256 KiB of other routes."""
    entries = [{"grapheme": f"词{i:05d}", "alias": f"别名{i}"} for i in range(10_000)]
    body = json.dumps({"entries": entries}).encode()
    assert len(body) > 256 * 1024
    r = httpx.put(
        f"{server.url}/v1/lexicons/big",
        content=body,
        headers={"content-type": "application/json"},
        timeout=60,
    )
    assert r.status_code == 200 and r.json()["entries_count"] == 10_000
    tokens = _post(server, "/v1/phonemize", {"text": "词00042。", "lexicons": ["big"]}).json()
    spoken = [(t["orig_start"], t["orig_end"], t["spoken"]) for t in tokens["tokens"]]
    assert "".join(s for *_, s in spoken) == "别名四十二"
    assert {(start, end) for start, end, _ in spoken} == {(0, 6)}  # all from the grapheme
    over = _put(server, "big", [*entries, {"grapheme": "x", "alias": "y"}])
    assert over.status_code == 422 and over.json()["error"]["param"] == "entries"
    assert httpx.delete(f"{server.url}/v1/lexicons/big", timeout=10).status_code == 204
