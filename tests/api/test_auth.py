"""API keys on a real server: 401 without one, public paths, revocation, WebSocket, OpenAI."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
import websockets.sync.client as ws_client
from websockets.exceptions import InvalidStatus

from tests.support.server import ServerProcess

ENV = {
    "VOXSERVE_ENGINES": "espeak",
    "VOXSERVE_DEFAULT_VOICE": "espeak-zh",
    "VOXSERVE_REQUIRE_API_KEY": "true",
}
TTS = {"text": "你好。", "voice": "espeak-zh", "format": "wav"}


def voxserve_cli(server: ServerProcess, *args: str) -> str:
    """Run ``voxserve ARGS`` on the server's data directory; its standard output."""
    env = {**os.environ, "VOXSERVE_DATA_DIR": str(server.data_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "voxserve.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    srv = ServerProcess(ENV, workers=1).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def key(server: ServerProcess) -> str:
    return voxserve_cli(server, "keys", "create", "--name", "tests").strip()


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _assert_401(r: httpx.Response, code: str) -> None:
    assert r.status_code == 401, r.text
    assert r.json()["error"]["code"] == code and set(r.json()["error"]) == {
        "code",
        "message",
        "param",
    }
    assert r.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/voices"), ("GET", "/v1/config"), ("POST", "/v1/tts"), ("GET", "/metrics")],
)
def test_no_key_no_service(server: ServerProcess, method: str, path: str) -> None:
    r = httpx.request(method, server.url + path, json=TTS if method == "POST" else None)
    _assert_401(r, "missing_api_key")
    assert r.headers["x-request-id"]


@pytest.mark.parametrize("header", ["Bearer vx-wrong", "Bearer", "Basic dXNlcjpwYXNz", "vx-x"])
def test_bad_keys_are_refused(server: ServerProcess, header: str) -> None:
    r = httpx.get(f"{server.url}/v1/voices", headers={"Authorization": header})
    expected = "invalid_api_key" if header == "Bearer vx-wrong" else "missing_api_key"
    _assert_401(r, expected)


@pytest.mark.parametrize(
    "path", ["/healthz", "/readyz", "/", "/static/app.js", "/openapi.json", "/docs"]
)
def test_public_paths_need_no_key(server: ServerProcess, path: str) -> None:
    assert httpx.get(server.url + path).status_code == 200


def test_a_key_opens_the_api(server: ServerProcess, key: str) -> None:
    assert httpx.get(f"{server.url}/v1/voices", headers=_auth(key)).status_code == 200
    assert httpx.get(f"{server.url}/metrics", headers=_auth(key)).status_code == 200
    r = httpx.post(f"{server.url}/v1/tts", json=TTS, headers=_auth(key), timeout=30)
    assert r.status_code == 200 and r.content[:4] == b"RIFF"
    # "bearer" is case-insensitive, as the scheme names of RFC 9110 are.
    lower = {"Authorization": f"bearer {key}"}
    assert httpx.get(f"{server.url}/v1/config", headers=lower).status_code == 200


def test_list_shows_use_but_never_the_key(server: ServerProcess, key: str) -> None:
    httpx.get(f"{server.url}/v1/voices", headers=_auth(key))
    listed = voxserve_cli(server, "keys", "list")
    assert "tests" in listed and key not in listed and key[:7] in listed
    line = next(row for row in listed.splitlines() if "tests" in row)
    assert "never" not in line  # last used is recorded


def test_revoked_key_is_refused_at_once(server: ServerProcess) -> None:
    token = voxserve_cli(server, "keys", "create", "--name", "temp").strip()
    assert httpx.get(f"{server.url}/v1/voices", headers=_auth(token)).status_code == 200
    key_id = next(
        r.split()[0] for r in voxserve_cli(server, "keys", "list").splitlines() if " temp " in r
    )
    voxserve_cli(server, "keys", "revoke", key_id)
    _assert_401(httpx.get(f"{server.url}/v1/voices", headers=_auth(token)), "invalid_api_key")


def test_websocket_needs_a_key(server: ServerProcess, key: str) -> None:
    url = server.url.replace("http", "ws") + "/v1/stream"
    with pytest.raises(InvalidStatus) as refused:
        ws_client.connect(url, open_timeout=10).close()
    assert refused.value.response.status_code in (401, 403)
    with ws_client.connect(url, additional_headers=_auth(key), open_timeout=10) as ws:
        ws.send('{"type": "config", "voice": "espeak-zh", "format": "pcm"}')
        assert '"ready"' in str(ws.recv(timeout=10))


def test_websocket_key_in_a_subprotocol(server: ServerProcess, key: str) -> None:
    url = server.url.replace("http", "ws") + "/v1/stream"
    offered = ["voxserve", f"voxserve.bearer.{key}"]
    with ws_client.connect(url, subprotocols=offered, open_timeout=10) as ws:  # type: ignore[arg-type]
        assert ws.subprotocol == "voxserve"  # the key is never echoed back
        ws.send('{"type": "config", "voice": "espeak-zh", "format": "pcm"}')
        assert '"ready"' in str(ws.recv(timeout=10))
    wrong = ["voxserve", "voxserve.bearer.vx-wrong"]
    with pytest.raises(InvalidStatus) as refused:
        ws_client.connect(url, subprotocols=wrong, open_timeout=10).close()  # type: ignore[arg-type]
    assert refused.value.response.status_code == 401


def test_openai_client_sends_the_key(server: ServerProcess, key: str) -> None:
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0)
    audio = client.audio.speech.create(
        model="tts-1", voice="espeak-zh", input="你好。", response_format="wav"
    )
    assert audio.content[:4] == b"RIFF"
    bad = openai.OpenAI(base_url=f"{server.url}/v1", api_key="vx-nope", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.audio.speech.create(model="tts-1", voice="espeak-zh", input="你好。")


def _wait_succeeded(server: ServerProcess, job_id: str, token: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        r = httpx.get(f"{server.url}/v1/jobs/{job_id}", headers=_auth(token), timeout=10)
        assert r.status_code == 200, r.text
        if r.json()["status"] == "succeeded":
            return
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not succeed")


def test_a_job_belongs_to_the_key_that_made_it(server: ServerProcess, key: str) -> None:
    other = voxserve_cli(server, "keys", "create", "--name", "other").strip()
    a, b = _auth(key), _auth(other)
    r = httpx.post(f"{server.url}/v1/jobs", json=TTS, headers=a, timeout=10)
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    _wait_succeeded(server, job_id, key)
    base = f"{server.url}/v1/jobs"
    assert job_id in [j["id"] for j in httpx.get(base, headers=a, timeout=10).json()["data"]]
    assert job_id not in [j["id"] for j in httpx.get(base, headers=b, timeout=10).json()["data"]]
    # Key B can neither read, download, follow, cancel nor delete it: to B it does not exist.
    for method, path in [
        ("GET", f"/v1/jobs/{job_id}"),
        ("GET", f"/v1/jobs/{job_id}/audio"),
        ("GET", f"/v1/jobs/{job_id}/events"),
        ("GET", f"/v1/jobs/{job_id}/text"),
        ("POST", f"/v1/jobs/{job_id}/cancel"),
        ("DELETE", f"/v1/jobs/{job_id}"),
    ]:
        r = httpx.request(method, f"{server.url}{path}", headers=b, timeout=10)
        assert r.status_code == 404, (method, path, r.text)
        assert r.json()["error"]["code"] == "job_not_found"
    audio = httpx.get(f"{base}/{job_id}/audio", headers=a, timeout=10)
    assert audio.status_code == 200 and audio.content[:4] == b"RIFF"
    text = httpx.get(f"{base}/{job_id}/text", headers=a, timeout=10)
    assert text.text == TTS["text"]
    assert text.headers["content-type"] == "text/plain; charset=utf-8"
    assert httpx.delete(f"{base}/{job_id}", headers=a, timeout=10).status_code == 200


def test_the_key_cookie_opens_a_jobs_audio_and_nothing_else(
    server: ServerProcess, key: str
) -> None:
    """The page's <audio> player cannot send headers: the key cookie lets it fetch (with Range)
    the audio of the key's own jobs, and is ignored everywhere else."""
    other = voxserve_cli(server, "keys", "create", "--name", "cookie-other").strip()
    r = httpx.post(f"{server.url}/v1/jobs", json=TTS, headers=_auth(key), timeout=10)
    job_id = r.json()["id"]
    _wait_succeeded(server, job_id, key)
    url = f"{server.url}/v1/jobs/{job_id}"
    mine, theirs = {"Cookie": f"voxserve_key={key}"}, {"Cookie": f"voxserve_key={other}"}
    part = httpx.get(f"{url}/audio", headers={**mine, "Range": "bytes=0-99"}, timeout=10)
    assert part.status_code == 206 and len(part.content) == 100
    assert httpx.get(f"{url}/audio", headers=theirs, timeout=10).status_code == 404
    for method, path in [("GET", ""), ("GET", "/text"), ("DELETE", ""), ("GET", "/events")]:
        r = httpx.request(method, f"{url}{path}", headers=mine, timeout=10)
        _assert_401(r, "missing_api_key")
    r = httpx.get(f"{url}/audio", headers={"Cookie": "voxserve_key=vx-wrong"}, timeout=10)
    _assert_401(r, "invalid_api_key")
