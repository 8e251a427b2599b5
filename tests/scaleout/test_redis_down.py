"""Redis stopped mid-run: 503 where Redis is needed, speech still served, nothing accepted lost."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.scaleout.conftest import (
    new_prefix,
    replica,
    submit,
    unit_records,
    wait_for_progress,
)
from tests.support.jobs import job_view, wait_job
from tests.support.redis import redis_process
from tests.support.texts import chapter


def test_service_answers_503_while_redis_is_down_and_recovers_by_itself(tmp_path: Path) -> None:
    # Durable: a Redis that restarts keeps what it had (as a production one must).
    with redis_process(durable=True) as shared:
        prefix = new_prefix()
        server = replica(shared, prefix, tmp_path / "server.log").start()
        try:
            running = submit(server, text=chapter(8000), format="wav", sample_rate=8000)
            waiting = submit(server, text=chapter(300), format="mp3")
            wait_for_progress(server, running["id"], 0.1)
            shared.stop()

            for method, path, body in (
                ("GET", f"/v1/jobs/{running['id']}", None),
                ("GET", "/v1/jobs", None),
                ("POST", "/v1/jobs", {"text": "雷迪斯不在的时候提交。"}),
                ("DELETE", f"/v1/jobs/{waiting['id']}", None),
            ):
                r = httpx.request(method, f"{server.url}{path}", json=body, timeout=10)
                assert r.status_code == 503, (method, path, r.text)
                error = r.json()["error"]
                assert error["code"] == "unavailable" and "Redis" in error["message"]
                assert int(r.headers["retry-after"]) >= 1
            # Speech does not need Redis: the cache is skipped, not fatal.
            speech = httpx.post(
                f"{server.url}/v1/tts", json={"text": "缓存不在也能说话。"}, timeout=30
            )
            assert speech.status_code == 200 and speech.headers["x-cache"] == "miss"
            assert httpx.get(f"{server.url}/healthz").status_code == 200
            time.sleep(1.5)  # the runner meets the outage mid-job

            shared.start()
            finished = wait_job(server, running["id"], timeout=120)
            assert finished["status"] == "succeeded"
            assert wait_job(server, waiting["id"])["status"] == "succeeded"
            records = unit_records(shared, prefix, running["id"])
            assert len(records) == finished["progress"]["units_total"]
            audio = httpx.get(f"{server.url}{running['urls']['audio']}", timeout=30)
            frames = (len(audio.content) - 44) / 2  # 16-bit mono WAV after its header
            assert (
                frames / 8000 == sum(s for _, s in records)
                or abs(frames / 8000 - sum(s for _, s in records)) < 1e-3
            )  # every unit once: none lost, none doubled
            later = submit(server, text="雷迪斯回来以后提交。", format="mp3")
            assert wait_job(server, later["id"])["status"] == "succeeded"
            assert job_view(server, later["id"])["restarts"] == 0
        finally:
            server.stop()
    log = (tmp_path / "server.log").read_text()
    assert "job queue reachable again" in log or "resumes at unit" in log
