"""Two voxserve replicas on different ports sharing one Redis behave as one service."""

from __future__ import annotations

import io
import json
import re
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.scaleout.conftest import (
    new_prefix,
    replica,
    runner_of,
    submit,
    unit_records,
    wait_for_progress,
)
from tests.support.jobs import job_view, wait_job
from tests.support.redis import RedisProcess, redis_process
from tests.support.server import ServerProcess
from tests.support.texts import chapter

Pair = tuple[tuple[ServerProcess, Path], tuple[ServerProcess, Path]]


@pytest.fixture(scope="module")
def shared_redis() -> Iterator[RedisProcess]:
    with redis_process() as server:
        yield server


@pytest.fixture(scope="module")
def pair(shared_redis: RedisProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """Replicas A and B: same Redis and prefix, separate data directories and ports."""
    logs = tmp_path_factory.mktemp("replicas")
    prefix = new_prefix()
    a = replica(shared_redis, prefix, logs / "a.log").start()
    b = replica(shared_redis, prefix, logs / "b.log").start()
    yield (a, logs / "a.log"), (b, logs / "b.log")
    a.stop()
    b.stop()


def _wav_frames(content: bytes) -> bytes:
    with wave.open(io.BytesIO(content)) as w:
        return w.readframes(w.getnframes())


def test_a_job_submitted_to_a_is_visible_and_served_on_b(pair: Pair) -> None:
    (a, _), (b, _) = pair
    job = submit(a, text=chapter(600), format="wav")
    seen = job_view(b, job["id"])
    assert seen["id"] == job["id"] and seen["progress"]["chars_total"] == len(chapter(600))
    listed = httpx.get(f"{b.url}/v1/jobs", params={"limit": 5}).json()["data"]
    assert job["id"] in [j["id"] for j in listed]
    done = wait_job(b, job["id"])
    assert done["status"] == "succeeded"
    from_a = httpx.get(f"{a.url}{job['urls']['audio']}", timeout=30)
    from_b = httpx.get(f"{b.url}{job['urls']['audio']}", timeout=30)
    assert from_a.status_code == from_b.status_code == 200
    assert from_a.content == from_b.content and len(from_b.content) == done["audio"]["bytes"]
    part = httpx.get(f"{b.url}{job['urls']['audio']}", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == from_a.content[100:200]
    deleted = httpx.delete(f"{b.url}{job['urls']['self']}").json()
    assert deleted["deleted"] is True
    assert httpx.get(f"{a.url}{job['urls']['self']}").status_code == 404
    assert httpx.get(f"{a.url}{job['urls']['audio']}").status_code == 404


def test_progress_events_on_b_follow_a_job_run_anywhere(pair: Pair) -> None:
    (a, _), (b, _) = pair
    for submitted_to, watched_on in ((a, b), (b, a)):
        job = submit(submitted_to, text=chapter(6000), format="wav")
        events = []
        url = f"{watched_on.url}{job['urls']['events']}"
        with httpx.stream("GET", url, timeout=60) as r:
            for line in r.iter_lines():
                if line.startswith("data: "):
                    events.append(json.loads(line[6:]))
        # Without a look at the shared record the stream would wait for ever: the job's own
        # events happen on the replica that runs it.
        assert events[-1]["status"] == "succeeded" and len(events) >= 2
        done = [e["progress"]["units_done"] for e in events]
        assert done == sorted(done) and done[-1] == events[-1]["progress"]["units_total"]


def _metric(server: ServerProcess, name: str, labels: str = "") -> float:
    text = httpx.get(f"{server.url}/metrics").text
    pattern = rf"^{re.escape(name)}(\{{[^}}]*{re.escape(labels)}[^}}]*\}})? ([0-9.e+-]+)$"
    return sum(float(m.group(2)) for m in re.finditer(pattern, text, re.MULTILINE))


def test_a_sentence_synthesized_on_a_is_a_cache_hit_on_b(pair: Pair) -> None:
    (a, _), (b, _) = pair
    body = {"text": "在一台机器上合成，在另一台机器上命中缓存。", "format": "wav"}
    first = httpx.post(f"{a.url}/v1/tts", json=body, timeout=30)
    second = httpx.post(f"{b.url}/v1/tts", json=body, timeout=30)
    assert first.headers["x-cache"] == "miss" and second.headers["x-cache"] == "redis"
    assert second.content == first.content
    # Sentence by sentence too (streams reuse cached units rendered by the other replica).
    stream = {"text": "第一句来自甲。第二句也来自甲！", "format": "pcm", "stream": True}
    rendered = httpx.post(f"{a.url}/v1/tts", json=stream, timeout=30)
    cached = _metric(b, "voxserve_units_total", 'source="cache"')
    reused = httpx.post(f"{b.url}/v1/tts", json=stream, timeout=30)
    assert reused.content == rendered.content
    assert _metric(b, "voxserve_units_total", 'source="cache"') == cached + 2
    assert _metric(b, "voxserve_cache_hits_total", 'layer="redis"') >= 3


def test_deleting_on_one_replica_stops_the_job_running_on_the_other(pair: Pair) -> None:
    (a, a_log), (b, b_log) = pair
    job = submit(a, text=chapter(20000), format="wav")
    wait_for_progress(a, job["id"], 0.05)
    runner = runner_of(job["id"], (a, a_log), (b, b_log))
    other, runner_log = (b, a_log) if runner is a else (a, b_log)
    cancelled = httpx.delete(f"{other.url}{job['urls']['self']}").json()
    assert cancelled["status"] == "cancelled"
    time.sleep(1.0)
    stopped = job_view(runner, job["id"])
    time.sleep(1.0)
    later = job_view(runner, job["id"])
    assert later["progress"]["units_done"] == stopped["progress"]["units_done"]
    assert stopped["status"] == "cancelled"
    assert "cancelled on another replica" in runner_log.read_text()
    # The runner is free again: the next job is taken and finished.
    after = submit(other, text="取消之后的下一个任务。", format="mp3")
    assert wait_job(a, after["id"])["status"] == "succeeded"


def test_sigkill_of_the_replica_running_a_job_lets_the_other_finish_it(
    shared_redis: RedisProcess, tmp_path: Path
) -> None:
    prefix = new_prefix()
    a_log, b_log = tmp_path / "a.log", tmp_path / "b.log"
    env = {"VOXSERVE_CACHE_BACKEND": "off"}  # every unit rendered: nothing hides a lost one
    a = replica(shared_redis, prefix, a_log, **env).start()
    b = replica(shared_redis, prefix, b_log, **env).start()
    try:
        text = chapter(20000)
        job = submit(a, text=text, format="wav", sample_rate=8000)
        progress = wait_for_progress(a, job["id"], 0.25)
        victim = runner_of(job["id"], (a, a_log), (b, b_log))
        survivor, survivor_log = (b, b_log) if victim is a else (a, a_log)
        victim.kill()
        done_at_kill = len(unit_records(shared_redis, prefix, job["id"]))
        assert 0 < done_at_kill < progress["units_total"], "killed too late to test resuming"
        started = time.monotonic()
        resumed = wait_job(survivor, job["id"])
        assert resumed["status"] == "succeeded" and resumed["restarts"] == 1
        records = unit_records(shared_redis, prefix, job["id"])
        assert len(records) == resumed["progress"]["units_total"]
        assert {renders for renders, _ in records} == {1}  # no sentence rendered twice
        interrupted = _wav_frames(httpx.get(f"{survivor.url}{job['urls']['audio']}").content)
        # Every unit exactly once: the file is as long as the saved units together...
        expected = sum(seconds for _, seconds in records)
        assert len(interrupted) / 2 / 8000 == pytest.approx(expected, abs=1e-3)
        # ...and as long as the same text run without interruption (espeak-ng differs by a
        # few samples per thousand sentences from run to run; a lost or doubled unit is seconds).
        rerun = submit(survivor, text=text, format="wav", sample_rate=8000)
        again = wait_job(survivor, rerun["id"])
        whole = _wav_frames(httpx.get(f"{survivor.url}{again['urls']['audio']}").content)
        assert len(interrupted) == pytest.approx(len(whole), rel=2e-4)
        assert again["restarts"] == 0
        log = survivor_log.read_text()
        assert f"job {job['id']} resumes at unit" in log
        print(f"taken over and finished {time.monotonic() - started:.1f} s after the kill")
    finally:
        a.stop()
        b.stop()
