"""The example nginx config (deploy/nginx/voxserve.conf) in front of two real replicas.

Two ``voxserve serve`` replicas (espeak, one worker each) behind nginx from Debian, run as a
subprocess with the example rendered for their ports: requests are spread over both, streams
(chunked audio and SSE) arrive as they are made, WebSocket sessions pass, request ids pass
through, jobs take their larger bodies, and the service keeps answering when a replica dies.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from websockets.sync.client import connect

from tests.deploy.proxy import NginxProcess, nginx_binary
from tests.support.server import ServerProcess

pytestmark = pytest.mark.skipif(nginx_binary() is None, reason="nginx is not installed")

ENV = {
    "VOXSERVE_ENGINES": "espeak",
    "VOXSERVE_DEFAULT_VOICE": "espeak-zh",
    "VOXSERVE_CACHE_BACKEND": "off",
    # Below nginx's 256k: some bodies pass nginx and are refused by a replica before it reads
    # them, on an upstream connection that nginx would otherwise reuse.
    "VOXSERVE_MAX_BODY_BYTES": "65536",
}
SENTENCES = "今天天气真好，适合出门散步。我们一起去公园吧！你觉得怎么样？"
LONG_TEXT = SENTENCES * 40  # 1,200 characters: about a second of espeak synthesis


@pytest.fixture(scope="module")
def replicas() -> Iterator[list[ServerProcess]]:
    servers = [ServerProcess(ENV, workers=1) for _ in range(2)]
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda s: s.start(), servers))
    yield servers
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def nginx(replicas: list[ServerProcess]) -> Iterator[NginxProcess]:
    proxy = NginxProcess([f"127.0.0.1:{s.port}" for s in replicas]).start()
    yield proxy
    proxy.stop()


def _tts_count(server: ServerProcess) -> float:
    """Successful ``POST /v1/tts`` answers this replica has counted (its /metrics)."""
    text = httpx.get(f"{server.url}/metrics", timeout=5).text
    pattern = r"^voxserve_http_requests_total\{(.*)\} (\S+)$"
    total = 0.0
    for labels, value in re.findall(pattern, text, flags=re.M):
        if 'route="/v1/tts"' in labels and 'status="200"' in labels:
            total += float(value)
    return total


def test_requests_are_spread_over_both_replicas(
    nginx: NginxProcess, replicas: list[ServerProcess]
) -> None:
    before = [_tts_count(s) for s in replicas]
    with httpx.Client(base_url=nginx.url, timeout=30) as client:
        for _ in range(6):
            r = client.post("/v1/tts", json={"text": "你好。", "format": "wav"})
            assert r.status_code == 200
            assert r.content[:4] == b"RIFF"
            assert r.headers["x-engine"] == "espeak"
    served = [_tts_count(s) - b for s, b in zip(replicas, before, strict=True)]
    assert sum(served) == 6
    assert min(served) >= 2, served
    upstreams = nginx.logged(r'"POST /v1/tts HTTP/1.1" 200 .* up=(\S+)', count=6)
    assert len(set(upstreams)) == 2


def test_request_ids_pass_through(nginx: NginxProcess) -> None:
    given = httpx.get(f"{nginx.url}/v1/voices", headers={"X-Request-Id": "gateway-id-0001"})
    assert given.headers["x-request-id"] == "gateway-id-0001"
    made = httpx.get(f"{nginx.url}/v1/voices")  # nginx's $request_id, kept by the replica
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    assert nginx.logged(f"id={made.headers['x-request-id']}")


def _chunk_times(url: str, body: dict[str, object]) -> tuple[list[float], bytes, httpx.Headers]:
    started = time.monotonic()
    times, data = [], bytearray()
    with httpx.stream("POST", url, json=body, timeout=60) as r:
        assert r.status_code == 200
        for chunk in r.iter_raw():
            times.append(time.monotonic() - started)
            data += chunk
        return times, bytes(data), r.headers


def test_chunked_audio_arrives_as_it_is_made(nginx: NginxProcess) -> None:
    body = {"text": LONG_TEXT, "format": "pcm", "stream": True}
    times, data, headers = _chunk_times(f"{nginx.url}/v1/tts", body)
    assert headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in headers
    assert len(data) > 22050 * 2 * 10  # well over ten seconds of audio
    assert len(times) > 10
    assert times[0] < times[-1] / 3, f"first audio at {times[0]:.2f} s of {times[-1]:.2f} s"


def test_sse_events_arrive_as_they_are_made(nginx: NginxProcess) -> None:
    body = {"text": LONG_TEXT, "format": "pcm", "stream": True, "stream_format": "sse"}
    started = time.monotonic()
    arrivals: list[tuple[float, str]] = []
    with httpx.stream("POST", f"{nginx.url}/v1/tts", json=body, timeout=60) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith("data: "):
                arrivals.append((time.monotonic() - started, json.loads(line[6:])["type"]))
    kinds = [kind for _, kind in arrivals]
    assert kinds[0] == "start" and kinds[-1] == "done" and kinds.count("unit") > 10
    assert arrivals[0][0] < arrivals[-1][0] / 3


def test_websocket_session_through_nginx(nginx: NginxProcess) -> None:
    with connect(f"ws://127.0.0.1:{nginx.port}/v1/stream", open_timeout=10) as ws:
        ws.send(json.dumps({"type": "config", "format": "pcm"}))
        assert json.loads(ws.recv(timeout=20))["type"] == "ready"
        for piece in ("今天天气", "真好。", "我们去公园吧！"):
            ws.send(json.dumps({"type": "text", "text": piece}))
        ws.send(json.dumps({"type": "close"}))
        audio, events = 0, []
        while not events or events[-1] != "done":
            message = ws.recv(timeout=30)
            if isinstance(message, bytes):
                audio += len(message)
            else:
                events.append(json.loads(message)["type"])
    assert events.count("sentence_start") == 2
    assert audio > 22050  # over half a second of s16 audio


def test_body_limits_follow_the_service(nginx: NginxProcess) -> None:
    text = "好" * 100_000  # 300 kB of UTF-8: over /v1/tts's 256 KiB, within /v1/jobs' limit
    body = {"text": text, "voice": "no-such-voice"}
    too_big = httpx.post(f"{nginx.url}/v1/tts", json=body, timeout=30)
    assert too_big.status_code == 413
    # The job body reaches a replica, which refuses the voice (not the size).
    job = httpx.post(f"{nginx.url}/v1/jobs", json=body, timeout=30)
    assert job.status_code in (400, 404, 422), job.text
    assert "error" in job.json()


def test_refused_bodies_leave_no_bytes_behind(nginx: NginxProcess) -> None:
    """A body refused by a replica before it was read (413 on its length), then a health check,
    1,000 times on one client; and bodies nginx itself refuses. nginx reuses its upstream
    connections: a refused body's bytes left on one would be parsed as the next request."""
    by_replica = json.dumps({"text": "好" * 80_000}, ensure_ascii=False).encode()  # 240 kB
    by_nginx = json.dumps({"text": "好" * 100_000}, ensure_ascii=False).encode()  # 300 kB
    refused, health = [], []
    with httpx.Client(base_url=nginx.url, timeout=30) as client:
        for i in range(1100):
            body = by_replica if i < 1000 else by_nginx
            r = client.post("/v1/tts", content=body, headers={"Content-Type": "application/json"})
            refused.append(r.status_code)
            health.append(client.get("/healthz").status_code)
    assert set(refused) == {413}
    assert set(health) == {200}
    assert "upstream prematurely closed" not in nginx.error_log()


def test_job_events_are_not_held_back(replicas: list[ServerProcess]) -> None:
    """A queued job's first progress event arrives while the job ahead of it still runs:
    the events stream passes nginx as it is written."""
    # One upstream: a job lives on the replica that took it (unless VOXSERVE_REDIS_URL).
    proxy = NginxProcess([f"127.0.0.1:{replicas[0].port}"]).start()
    jobs: list[str] = []
    try:
        with httpx.Client(base_url=proxy.url, timeout=30) as client:
            for text in (SENTENCES * 200, SENTENCES):  # 6,000 characters, then one queued
                r = client.post("/v1/jobs", json={"text": text, "format": "wav"})
                assert r.status_code == 202, r.text
                jobs.append(r.json()["id"])
            with client.stream("GET", f"/v1/jobs/{jobs[1]}/events") as events:
                first = next(line for line in events.iter_lines() if line.startswith("data: "))
                ahead = client.get(f"/v1/jobs/{jobs[0]}").json()["status"]
            assert json.loads(first[6:])["status"] == "queued"
            assert ahead in ("queued", "running")
    finally:
        for job in jobs:
            httpx.post(f"{proxy.url}/v1/jobs/{job}/cancel", timeout=30)
        proxy.stop()


def test_service_survives_a_dead_replica(
    nginx: NginxProcess, replicas: list[ServerProcess]
) -> None:
    replicas[1].kill()  # last test of the module: the replica stays dead
    with httpx.Client(base_url=nginx.url, timeout=30) as client:
        for _ in range(6):
            r = client.post("/v1/tts", json={"text": "你好。", "format": "wav"})
            assert r.status_code == 200
        assert client.get("/readyz").status_code == 200
    assert "connect() failed" in nginx.error_log()
