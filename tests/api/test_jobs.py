"""The jobs API against real servers: lifecycle, events, Range, errors, webhooks, crash resume."""

from __future__ import annotations

import io
import itertools
import json
import sqlite3
import threading
import time
import wave
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import srt
import webvtt

from tests.support.jobs import wait_job
from tests.support.server import ServerProcess
from tests.support.texts import chapter
from voxserve.jobs.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

ENV = {
    "VOXSERVE_ENGINES": "espeak",
    "VOXSERVE_DEFAULT_VOICE": "espeak-zh",
    "VOXSERVE_WEBHOOK_ALLOW_PRIVATE": "true",
    "VOXSERVE_WEBHOOK_BACKOFF_S": "0.05",
    "VOXSERVE_MAX_JOB_CHARS": "30000",
}


@pytest.fixture(scope="module")
def jobs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    log = Path(tmp_path_factory.mktemp("jobs")) / "server.log"
    srv = ServerProcess(ENV, workers=2, log=log).start()
    yield srv
    srv.stop()


def _submit(server: ServerProcess, **body: Any) -> dict[str, Any]:
    r = httpx.post(f"{server.url}/v1/jobs", json=body, timeout=30)
    assert r.status_code == 202, r.text
    job: dict[str, Any] = r.json()
    assert r.headers["location"] == f"/v1/jobs/{job['id']}"
    return job


def test_job_runs_with_progress_events_and_serves_its_audio(jobs_server: ServerProcess) -> None:
    job = _submit(jobs_server, text=chapter(1500), format="wav")
    assert job["status"] in ("queued", "running") and job["progress"]["chars_total"] >= 1500
    events = []
    with httpx.stream("GET", f"{jobs_server.url}{job['urls']['events']}", timeout=60) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
    assert events[-1]["status"] == "succeeded"
    done = [e["progress"]["units_done"] for e in events]
    assert done == sorted(done) and len(set(done)) > 2  # progress went up in steps
    final = events[-1]
    assert final["progress"]["units_done"] == final["progress"]["units_total"]
    assert final["eta_seconds"] == 0 and final["error"] is None
    audio = httpx.get(f"{jobs_server.url}{job['urls']['audio']}")
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(audio.content)) as w:
        seconds = w.getnframes() / w.getframerate()
    assert seconds == pytest.approx(final["audio"]["duration"], abs=0.01)
    assert len(audio.content) == final["audio"]["bytes"]
    text = httpx.get(f"{jobs_server.url}{job['urls']['text']}")
    assert text.text == chapter(1500) and final["preview"] == text.text[:59] + "…"
    part = httpx.get(f"{jobs_server.url}{job['urls']['audio']}", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == audio.content[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(audio.content)}"


def test_config_tells_the_job_limit(jobs_server: ServerProcess) -> None:
    config = httpx.get(f"{jobs_server.url}/v1/config").json()
    assert config["max_job_chars"] == 30000 and config["max_text_chars"] == 5000


def test_jobs_are_listed_newest_first_in_pages(jobs_server: ServerProcess) -> None:
    ids = [_submit(jobs_server, text=f"第{n}条消息。", format="mp3")["id"] for n in range(3)]
    first = httpx.get(f"{jobs_server.url}/v1/jobs", params={"limit": 2}).json()
    assert [j["id"] for j in first["data"]] == ids[::-1][:2] and first["has_more"]
    second = httpx.get(
        f"{jobs_server.url}/v1/jobs", params={"limit": 2, "after": first["last_id"]}
    ).json()
    assert second["data"][0]["id"] == ids[0]
    for job_id in ids:
        assert wait_job(jobs_server, job_id)["status"] == "succeeded"


def test_unknown_jobs_are_404(jobs_server: ServerProcess) -> None:
    base = f"{jobs_server.url}/v1/jobs/job_000000000000000000000000"
    for method, url in (
        ("GET", base),
        ("GET", f"{base}/audio"),
        ("GET", f"{base}/events"),
        ("DELETE", base),
        ("POST", f"{base}/cancel"),
    ):
        r = httpx.request(method, url)
        assert r.status_code == 404 and r.json()["error"]["code"] == "job_not_found"


def test_cancel_running_then_conflicts_then_delete(jobs_server: ServerProcess) -> None:
    job = _submit(jobs_server, text=chapter(20000), format="wav")
    time.sleep(0.5)
    early = httpx.get(f"{jobs_server.url}{job['urls']['audio']}")
    assert early.status_code == 409 and early.json()["error"]["code"] == "job_state"
    assert "running" in early.json()["error"]["message"] or "queued" in early.text
    cancelled = httpx.delete(f"{jobs_server.url}{job['urls']['self']}").json()
    assert cancelled["status"] == "cancelled"
    again = httpx.post(f"{jobs_server.url}{job['urls']['self']}/cancel")
    assert again.status_code == 409 and "cancelled" in again.json()["error"]["message"]
    deleted = httpx.delete(f"{jobs_server.url}{job['urls']['self']}").json()
    assert deleted == {"id": job["id"], "object": "job.deleted", "deleted": True}
    assert httpx.get(f"{jobs_server.url}{job['urls']['self']}").status_code == 404
    assert httpx.get(f"{jobs_server.url}/healthz").status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"text": "你好", "webhook_url": "ftp://example.com/x"}, 422, "invalid_webhook_url"),
        ({"text": "你好", "webhook_url": "x" * 3000}, 422, "invalid_parameter"),
        ({"text": "你好", "voice": "nobody"}, 404, "unknown_voice"),
        ({"text": "你好", "emotion": "bored"}, 400, "unknown_emotion"),
        ({"text": "你好", "format": "ogg"}, 400, "unknown_format"),
        ({"text": "好" * 30001}, 413, "text_too_long"),
        ({"text": ""}, 422, "invalid_parameter"),
    ],
)
def test_bad_submissions(
    jobs_server: ServerProcess, body: dict[str, Any], status: int, code: str
) -> None:
    r = httpx.post(f"{jobs_server.url}/v1/jobs", json=body)
    assert r.status_code == status and r.json()["error"]["code"] == code, r.text


def test_private_webhook_addresses_are_refused_by_default(server: ServerProcess) -> None:
    r = httpx.post(
        f"{server.url}/v1/jobs", json={"text": "你好", "webhook_url": "http://127.0.0.1:9/hook"}
    )
    assert r.status_code == 422 and r.json()["error"]["param"] == "webhook_url"
    assert "non-public" in r.json()["error"]["message"]


class FlakyReceiver:
    """Answers 500 to the first three POSTs, then 200."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append((dict(self.headers), body))
                self.send_response(500 if len(outer.received) <= 3 else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_webhook_is_signed_and_retried_until_delivered(jobs_server: ServerProcess) -> None:
    receiver = FlakyReceiver()
    try:
        job = _submit(jobs_server, text="您好，欢迎致电。", format="mp3", webhook_url=receiver.url)
        assert wait_job(jobs_server, job["id"])["status"] == "succeeded"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            view = httpx.get(f"{jobs_server.url}{job['urls']['self']}").json()
            if view["webhook"]["state"] == "delivered":
                break
            time.sleep(0.1)
    finally:
        receiver.server.shutdown()
    assert view["webhook"]["state"] == "delivered"
    assert [a["status"] for a in view["webhook"]["attempts"]] == [500, 500, 500, 200]
    assert len(receiver.received) == 4
    secret = (jobs_server.data_dir / "webhook-secret").read_text().strip().encode()
    headers, body = receiver.received[-1]
    assert verify(secret, headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER])
    event = json.loads(body)
    assert event["type"] == "job.succeeded" and event["data"]["id"] == job["id"]
    assert all(h["Voxserve-Event-Id"] == event["id"] for h, _ in receiver.received)


def _renders(data_dir: Path, job_id: str) -> list[int]:
    with sqlite3.connect(data_dir / "jobs" / "jobs.db") as db:
        rows = db.execute("SELECT renders FROM units WHERE job_id = ? ORDER BY idx", (job_id,))
        return [r[0] for r in rows]


def _unit_seconds(data_dir: Path, job_id: str) -> float:
    with sqlite3.connect(data_dir / "jobs" / "jobs.db") as db:
        query = "SELECT SUM(seconds) FROM units WHERE job_id = ?"
        return float(db.execute(query, (job_id,)).fetchone()[0])


def _wav_frames(server: ServerProcess, job: dict[str, Any]) -> bytes:
    audio = httpx.get(f"{server.url}{job['urls']['audio']}", timeout=60)
    assert audio.status_code == 200
    with wave.open(io.BytesIO(audio.content)) as w:
        return w.readframes(w.getnframes())


def _timings(server: ServerProcess, job: dict[str, Any]) -> dict[str, Any]:
    r = httpx.get(f"{server.url}{job['urls']['captions']}?format=json", timeout=60)
    assert r.status_code == 200, r.text
    timings: dict[str, Any] = r.json()
    return timings


def _in_sentence(timings: dict[str, Any]) -> list[int]:
    """Each token's start from the start of its sentence."""
    sentences = iter(timings["sentences"])
    sentence = next(sentences)
    found = []
    for token in timings["tokens"]:
        while token["orig_start"] >= sentence["orig_end"]:
            sentence = next(sentences)
        found.append(token["start_ms"] - sentence["start_ms"])
    return found


def test_captions_in_every_format_cover_the_audio_in_order(jobs_server: ServerProcess) -> None:
    text = (
        "第一句话很短。第二句话稍微长一点，中间有逗号，还有更多的字让它超过一行。"
        "Then an English sentence follows. 最后一句！"
    )
    job = wait_job(jobs_server, _submit(jobs_server, text=text, format="wav")["id"])
    url = f"{jobs_server.url}{job['urls']['captions']}"
    duration = job["audio"]["duration"]
    vtt = httpx.get(url, timeout=30)
    assert vtt.status_code == 200 and vtt.headers["content-type"].startswith("text/vtt")
    cues = [
        (c.start_time.in_milliseconds() / 1000, c.end_time.in_milliseconds() / 1000, c.raw_text)
        for c in webvtt.from_string(vtt.text, strict=True).captions
    ]
    srt_answer = httpx.get(url, params={"format": "srt"}, timeout=30)
    assert srt_answer.headers["content-type"].startswith("application/x-subrip")
    subtitles = list(srt.parse(srt_answer.text))
    assert len(subtitles) == len(cues) >= 3
    for (start, end, caption), subtitle in zip(cues, subtitles, strict=True):
        assert subtitle.start.total_seconds() == pytest.approx(start, abs=0.001)
        assert subtitle.end.total_seconds() == pytest.approx(end, abs=0.001)
        assert subtitle.content == caption and caption in text
    assert cues[0][0] == 0 and cues[-1][1] == pytest.approx(duration, abs=0.002)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(cues))  # in order
    assert "".join(c[2] for c in cues).replace(" ", "") == text.replace(" ", "")
    timings = _timings(jobs_server, job)
    assert {"tokens", "sentences", "cues", "duration_ms"} <= set(timings)
    assert all(text[t["orig_start"] : t["orig_end"]] == t["text"] for t in timings["tokens"])
    bad = httpx.get(url, params={"format": "ass"}, timeout=30)
    assert bad.status_code == 422 and bad.json()["error"]["param"] == "query.format"


def test_captions_of_a_job_finished_before_timestamps_are_404(
    jobs_server: ServerProcess,
) -> None:
    job = wait_job(jobs_server, _submit(jobs_server, text="旧的任务。", format="wav")["id"])
    (jobs_server.data_dir / "jobs" / job["id"] / "timings").unlink()  # as a store made before
    r = httpx.get(f"{jobs_server.url}{job['urls']['captions']}", timeout=30)
    assert r.status_code == 404 and r.json()["error"]["code"] == "captions_unavailable"
    unknown = httpx.get(f"{jobs_server.url}/v1/jobs/job_{'0' * 24}/captions", timeout=30)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "job_not_found"


def test_sigkilled_server_resumes_the_job_where_it_stopped(tmp_path: Path) -> None:
    env = {**ENV, "VOXSERVE_CACHE_BACKEND": "off"}
    server = ServerProcess(env, workers=2, log=tmp_path / "server.log").start()
    try:
        text = chapter(20000)
        job = _submit(server, text=text, format="wav", sample_rate=8000)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            progress = httpx.get(f"{server.url}{job['urls']['self']}").json()["progress"]
            if progress["units_total"] and progress["units_done"] >= progress["units_total"] // 4:
                break
            time.sleep(0.05)
        server.kill()
        done_at_kill = _renders(server.data_dir, job["id"])
        assert 0 < len(done_at_kill) < progress["units_total"], "killed too late to test resuming"
        server.start()
        resumed = wait_job(server, job["id"])
        assert resumed["status"] == "succeeded" and resumed["restarts"] == 1
        assert set(_renders(server.data_dir, job["id"])) == {1}  # no unit saved twice
        again = wait_job(server, _submit(server, text=text, format="wav", sample_rate=8000)["id"])
        assert again["restarts"] == 0
        interrupted, uninterrupted = _wav_frames(server, resumed), _wav_frames(server, again)
        # Every unit exactly once: the file is as long as the saved units together.
        expected = _unit_seconds(server.data_dir, job["id"])
        assert len(interrupted) / 2 / 8000 == pytest.approx(expected, abs=1e-3)
        # espeak-ng carries state from one sentence to the next, so two runs of the same text
        # differ by a few samples per thousand sentences; a lost or doubled unit is seconds.
        assert len(interrupted) == pytest.approx(len(uninterrupted), rel=1e-4)
        # The captions of the resumed job are those of its stored audio; inside each sentence
        # they follow an uninterrupted run's (espeak-ng's carried state moves a word here and
        # there by a few milliseconds, which adds up over the file; the Baker voice has no such
        # state: test_resumed_baker_job_has_the_captions_of_an_uninterrupted_run).
        resumed_timings, again_timings = _timings(server, resumed), _timings(server, again)
        assert resumed_timings["duration_ms"] == round(len(interrupted) / 2 / 8000 * 1000)
        assert resumed_timings["tokens"][-1]["end_ms"] <= resumed_timings["duration_ms"]
        starts = [t["start_ms"] for t in resumed_timings["tokens"]]
        assert starts == sorted(starts)
        relative, again_relative = _in_sentence(resumed_timings), _in_sentence(again_timings)
        assert len(relative) == len(again_relative) == len(starts)
        differences = [abs(a - b) for a, b in zip(relative, again_relative, strict=True)]
        assert sorted(differences)[len(differences) * 9 // 10] <= 13 and max(differences) <= 50
    finally:
        server.stop()
    assert "resumes at unit" in (tmp_path / "server.log").read_text()


def test_resumed_baker_job_has_the_captions_of_an_uninterrupted_run(tmp_path: Path) -> None:
    env = {
        "VOXSERVE_ENGINES": "baker-zh",
        "VOXSERVE_CACHE_BACKEND": "off",
        "VOXSERVE_MAX_JOB_CHARS": "30000",
    }
    server = ServerProcess(env, workers=2, log=tmp_path / "server.log").start()
    try:
        text = chapter(1500)
        job = _submit(server, text=text, format="wav", voice="zh-baker")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            progress = httpx.get(f"{server.url}{job['urls']['self']}").json()["progress"]
            if progress["units_total"] and progress["units_done"] >= progress["units_total"] // 3:
                break
            time.sleep(0.05)
        server.kill()
        assert 0 < len(_renders(server.data_dir, job["id"])) < progress["units_total"]
        server.start()
        resumed = wait_job(server, job["id"], timeout=300)
        again = wait_job(server, _submit(server, text=text, voice="zh-baker")["id"], timeout=300)
        assert resumed["restarts"] == 1 and again["restarts"] == 0
        assert _wav_frames(server, resumed) == _wav_frames(server, again)
        ours, theirs = _timings(server, resumed), _timings(server, again)
        starts = [(t["start_ms"], t["end_ms"]) for t in ours["tokens"]]
        again_starts = [(t["start_ms"], t["end_ms"]) for t in theirs["tokens"]]
        assert len(starts) == len(again_starts) > 1000
        frame_ms = 12.5
        assert all(
            abs(a[0] - b[0]) <= frame_ms and abs(a[1] - b[1]) <= frame_ms
            for a, b in zip(starts, again_starts, strict=True)
        )
    finally:
        server.stop()
