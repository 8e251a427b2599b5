"""The Ray Serve profile on a local Ray cluster: requests, streams, a job, autoscaling 1 -> 2.

Needs the ``ray`` extra, which CI does not install; run it with

    .venv/bin/pip install -e ".[ray]" && .venv/bin/pytest -m ray tests/deploy/test_ray_serve.py -s

(``-s`` shows the autoscaling timeline). The cluster is kept small for a shared 2-core machine:
2 CPUs, a 100 MB object store, one engine worker per replica.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from tests.support.server import free_port
from voxserve.settings import Settings

ray = pytest.importorskip("ray")
from ray import serve  # noqa: E402

from voxserve.deploy import ray_serve  # noqa: E402

pytestmark = pytest.mark.ray

SENTENCES = "今天天气真好，适合出门散步。我们一起去公园吧！你觉得怎么样？"


@pytest.fixture(scope="module")
def service() -> Iterator[str]:
    data = tempfile.TemporaryDirectory(prefix="vx-ray-data-")
    temp = tempfile.mkdtemp(prefix="vxray-")  # short: Ray's socket paths must fit 107 bytes
    settings = Settings(
        engines="espeak",
        default_voice="espeak-zh",
        workers=1,
        port=free_port(),
        data_dir=Path(data.name),
        cache_backend="off",
        max_queue_wait_s=60.0,
    )
    ray_settings = ray_serve.RaySettings(
        min_replicas=1,
        max_replicas=2,
        target_ongoing_requests=2.0,
        upscale_delay_s=1.0,
        downscale_delay_s=5.0,
        look_back_period_s=2.0,
        metrics_interval_s=0.5,
        replica_cpus=1.0,
        num_cpus=2,
        object_store_mb=100,
        temp_dir=Path(temp),
    )
    ray_serve.start(settings, ray_settings)
    url = f"http://127.0.0.1:{settings.port}"
    try:
        yield url
    finally:
        ray_serve.stop()
        data.cleanup()
        shutil.rmtree(temp, ignore_errors=True)


def _running_replicas() -> int:
    status = serve.status().applications[ray_serve.APP_NAME]
    deployment = status.deployments[ray_serve.DEPLOYMENT_NAME]
    return int(deployment.replica_states.get("RUNNING", 0))


def test_token_auth_is_on(service: str) -> None:
    from ray._raylet import AuthenticationMode, get_authentication_mode

    assert get_authentication_mode() == AuthenticationMode.TOKEN


def test_request(service: str) -> None:
    r = httpx.post(f"{service}/v1/tts", json={"text": "你好。", "format": "wav"}, timeout=60)
    assert r.status_code == 200
    assert r.content[:4] == b"RIFF"
    assert r.headers["x-engine"] == "espeak"
    assert httpx.get(f"{service}/readyz", timeout=10).json()["ready"] is True


def test_streaming(service: str) -> None:
    body = {"text": SENTENCES * 40, "format": "pcm", "stream": True}
    started, times, size = time.monotonic(), [], 0
    with httpx.stream("POST", f"{service}/v1/tts", json=body, timeout=60) as r:
        assert r.status_code == 200
        for chunk in r.iter_raw():
            times.append(time.monotonic() - started)
            size += len(chunk)
    print(f"\nstream: {len(times)} chunks, first at {times[0]:.3f} s, last at {times[-1]:.3f} s")
    assert size > 22050 * 2 * 10
    assert len(times) > 10
    assert times[0] < times[-1] / 3


def test_sse(service: str) -> None:
    body = {"text": SENTENCES * 5, "format": "pcm", "stream": True, "stream_format": "sse"}
    kinds = []
    with httpx.stream("POST", f"{service}/v1/tts", json=body, timeout=60) as r:
        for line in r.iter_lines():
            if line.startswith("data: "):
                kinds.append(json.loads(line[6:])["type"])
    assert kinds[0] == "start" and kinds[-1] == "done" and kinds.count("unit") == 15


def test_websocket(service: str) -> None:
    with connect(f"{service.replace('http', 'ws')}/v1/stream", open_timeout=20) as ws:
        ws.send(json.dumps({"type": "config", "format": "pcm"}))
        assert json.loads(ws.recv(timeout=20))["type"] == "ready"
        ws.send(json.dumps({"type": "text", "text": "今天天气真好。我们去公园吧！"}))
        ws.send(json.dumps({"type": "close"}))
        audio, events = 0, []
        while not events or events[-1] != "done":
            message = ws.recv(timeout=30)
            if isinstance(message, bytes):
                audio += len(message)
            else:
                events.append(json.loads(message)["type"])
    assert events.count("sentence_start") == 2 and audio > 22050


def test_job_completes(service: str) -> None:
    # One replica now: without VOXSERVE_REDIS_URL a job lives on the replica that took it.
    assert _running_replicas() == 1
    with httpx.Client(base_url=service, timeout=30) as client:
        r = client.post("/v1/jobs", json={"text": SENTENCES * 10, "format": "wav"})
        assert r.status_code == 202, r.text
        job = r.json()
        deadline = time.monotonic() + 60
        while job["status"] not in ("succeeded", "failed", "cancelled"):
            assert time.monotonic() < deadline, job
            time.sleep(0.3)
            job = client.get(f"/v1/jobs/{job['id']}").json()
        assert job["status"] == "succeeded", job
        audio = client.get(f"/v1/jobs/{job['id']}/audio")
        assert audio.status_code == 200 and audio.content[:4] == b"RIFF"
    print(f"\njob {job['id']}: {job['status']}, {job['progress']['audio_seconds']} s of audio")


def _load(url: str, stop: threading.Event, results: list[int]) -> None:
    body = {"text": SENTENCES * 20, "format": "pcm", "stream": True}
    with httpx.Client(timeout=60) as client:
        while not stop.is_set():
            try:
                with client.stream("POST", f"{url}/v1/tts", json=body) as r:
                    for _ in r.iter_raw():
                        pass
                    results.append(r.status_code)
            except httpx.HTTPError:
                results.append(0)


def test_autoscales_from_one_to_two_replicas_and_back(service: str) -> None:
    assert _running_replicas() == 1
    stop, results = threading.Event(), []
    users = [
        threading.Thread(target=_load, args=(service, stop, results), daemon=True) for _ in range(6)
    ]
    timeline: list[tuple[float, int]] = []
    started = time.monotonic()
    for user in users:
        user.start()
    try:
        while time.monotonic() - started < 90:
            timeline.append((time.monotonic() - started, _running_replicas()))
            if timeline[-1][1] >= 2:
                break
            time.sleep(0.5)
        time.sleep(3.0)  # a little load on two replicas
    finally:
        stop.set()
        for user in users:
            user.join(60)
    up = next((t for t, n in timeline if n >= 2), None)
    print(f"\nunder load (6 streaming users): 2 replicas after {up} s; {_summary(results)}")
    assert up is not None, timeline
    assert results and all(code == 200 for code in results), _summary(results)
    idle = time.monotonic()
    while time.monotonic() - idle < 60 and _running_replicas() > 1:
        time.sleep(1.0)
    down = time.monotonic() - idle
    print(f"idle: back to {_running_replicas()} replica after {down:.1f} s")
    assert _running_replicas() == 1


def _summary(codes: list[int]) -> dict[Any, int]:
    return {code: codes.count(code) for code in sorted(set(codes))}
