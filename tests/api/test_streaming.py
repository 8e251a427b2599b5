"""Chunked and SSE streaming against a real server: valid streams, seamless joins, cancellation."""

from __future__ import annotations

import base64
import io
import itertools
import json
import time

import av
import httpx
import numpy as np
import pytest

from tests.support.server import ServerProcess
from voxserve.audio.encode import encoder_priming

TEXT = "今天天气真好。我们去公园散步吧！你觉得怎么样？明天可能会下雨，记得带伞。"
FORMATS = ["pcm", "wav", "mp3", "opus", "aac", "flac"]


def _samples(data: bytes, fmt: str) -> tuple[np.ndarray, int]:
    if fmt == "pcm":
        return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768, 0
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        frames = [f.to_ndarray().reshape(-1) for f in container.decode(stream)]
        pcm = np.concatenate(frames).astype(np.float32)
        if pcm.dtype.kind == "i":
            pcm /= 32768
        return pcm, stream.rate


def _stream(server: ServerProcess, body: dict[str, object]) -> tuple[list[bytes], httpx.Headers]:
    chunks = []
    with httpx.stream("POST", f"{server.url}/v1/tts", json=body, timeout=60) as r:
        assert r.status_code == 200, r.read()
        chunks = list(r.iter_bytes())
        return chunks, r.headers


@pytest.mark.parametrize("fmt", FORMATS)
def test_streamed_format_matches_whole_file(server: ServerProcess, fmt: str) -> None:
    whole = httpx.post(f"{server.url}/v1/tts", json={"text": TEXT, "format": fmt}, timeout=60)
    chunks, headers = _stream(server, {"text": TEXT, "format": fmt, "stream": True})
    assert headers["content-type"] == whole.headers["content-type"]
    rate = int(headers["x-sample-rate"])
    streamed, _ = _samples(b"".join(chunks), fmt)
    reference, _ = _samples(whole.content, fmt)
    decoded_rate = 48000 if fmt == "opus" else rate
    frame = {"mp3": 1152, "aac": 1024, "opus": 960}.get(fmt, 1)
    slack = frame + encoder_priming(fmt) * decoded_rate // rate
    assert abs(len(streamed) - len(reference)) <= slack, (len(streamed), len(reference))
    expected = float(whole.headers["x-audio-duration"]) * decoded_rate
    assert abs(len(streamed) - expected) <= slack + frame + decoded_rate / 1000  # header is in ms


def _join_jumps(pcm: np.ndarray, joins: list[int]) -> tuple[float, float]:
    """Largest sample step at the joins, and the 99.9th percentile step inside the audio."""
    steps = np.abs(np.diff(pcm))
    at_joins = max(float(steps[max(0, j - 2) : j + 2].max()) for j in joins)
    return at_joins, float(np.quantile(steps, 0.999))


def test_joins_are_seamless(server: ServerProcess) -> None:
    events = _sse_events(
        server, {"text": TEXT, "format": "pcm", "stream": True, "stream_format": "sse"}
    )
    units = [e for e in events if e["type"] == "unit"]
    assert len(units) == 4
    pcm_bytes = b"".join(base64.b64decode(str(e["audio"])) for e in units)
    pcm = np.frombuffer(pcm_bytes, dtype="<i2").astype(np.float32) / 32768
    rate = int(events[0]["sample_rate"])  # type: ignore[call-overload]
    joins = [round(float(u["end"]) * rate) for u in units[:-1]]  # type: ignore[arg-type]
    at_joins, inside = _join_jumps(pcm, joins)
    assert at_joins <= inside


def _sse_events(
    server: ServerProcess, body: dict[str, object], path: str = "/v1/tts"
) -> list[dict[str, object]]:
    with httpx.stream("POST", server.url + path, json=body, timeout=60) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        return [json.loads(line[6:]) for line in r.iter_lines() if line.startswith("data: ")]


def test_native_progress_events(server: ServerProcess) -> None:
    events = _sse_events(server, {"text": TEXT, "stream": True, "stream_format": "sse"})
    kinds = [e["type"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "done"
    units = [e for e in events if e["type"] == "unit"]
    assert [u["index"] for u in units] == list(range(len(units)))
    assert all(
        float(a["end"]) <= float(b["start"]) + 1e-3  # type: ignore[arg-type]
        for a, b in itertools.pairwise(units)
    )
    assert float(events[-1]["duration"]) == pytest.approx(float(units[-1]["end"]), abs=0.01)  # type: ignore[arg-type]


def test_openai_sse_shape(server: ServerProcess) -> None:
    body = {
        "model": "tts-1",
        "input": TEXT,
        "voice": "alloy",
        "response_format": "mp3",
        "stream_format": "sse",
    }
    events = _sse_events(server, body, "/v1/audio/speech")
    deltas = [e for e in events if e["type"] == "speech.audio.delta"]
    assert deltas and events[-1]["type"] == "speech.audio.done"
    usage = events[-1]["usage"]
    assert (
        isinstance(usage, dict)
        and usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    )
    audio = b"".join(base64.b64decode(str(e["audio"])) for e in deltas)
    pcm, rate = _samples(audio, "mp3")
    assert rate == 24000 and len(pcm) / rate > 3


def test_first_chunk_arrives_early(server: ServerProcess) -> None:
    # Distinct sentences: repeated ones would come from the sentence cache, all at once.
    long_text = "".join(f"第{n}段。{TEXT[:-1]}，这是第{n}遍。" for n in range(1, 7))
    started = time.perf_counter()
    with httpx.stream(
        "POST",
        f"{server.url}/v1/tts",
        json={"text": long_text, "format": "pcm", "stream": True},
        timeout=60,
    ) as r:
        chunks = r.iter_bytes()
        next(chunks)
        first = time.perf_counter() - started
        for _ in chunks:
            pass
    total = time.perf_counter() - started
    assert first < total / 3, (first, total)


def test_stream_errors_before_first_byte_have_a_status(server: ServerProcess) -> None:
    r = httpx.post(f"{server.url}/v1/tts", json={"text": "你好", "voice": "x", "stream": True})
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_voice"


def _early_parts(server: ServerProcess) -> float:
    metrics = httpx.get(f"{server.url}/metrics", timeout=10).text
    (line,) = [m for m in metrics.splitlines() if m.startswith("voxserve_early_parts_total ")]
    return float(line.split()[1])


def test_the_first_sentence_streams_in_parts_with_the_samples_of_the_whole(
    server: ServerProcess,
) -> None:
    """A long first sentence leaves in parts (the first after half a second of audio is
    vocoded); the stream still holds exactly the samples of the whole file. (No clause to cut
    off: a stream would speak that alone, see test_timestamps.)"""
    text = "前方三百米进入隧道时请打开车灯并且保持车距。请注意安全。"
    body = {"text": text, "voice": "zh-baker", "format": "pcm"}
    before = _early_parts(server)
    chunks, _ = _stream(server, {**body, "stream": True})
    assert _early_parts(server) >= before + 1
    whole = httpx.post(f"{server.url}/v1/tts", json=body, timeout=60)
    assert b"".join(chunks) == whole.content
