"""Every endpoint of a real server, every format decoded with PyAV."""

from __future__ import annotations

import io

import av
import httpx
import pytest

from tests.support.server import ServerProcess
from voxserve.audio.encode import encoder_priming

FORMATS = ["wav", "mp3", "opus", "aac", "flac", "pcm"]
TEXT_ZH = "今天天气真好，适合出门散步。"


def _decode(data: bytes, fmt: str, rate: int) -> tuple[float, int]:
    """Duration (s) and sample rate of encoded audio, decoded with PyAV."""
    if fmt == "pcm":
        return len(data) / 2 / rate, rate
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(stream))
        return samples / stream.rate, stream.rate


@pytest.mark.parametrize("fmt", FORMATS)
def test_tts_every_format_decodes(server: ServerProcess, fmt: str) -> None:
    r = httpx.post(f"{server.url}/v1/tts", json={"text": TEXT_ZH, "format": fmt}, timeout=60)
    assert r.status_code == 200, r.text
    rate = int(r.headers["x-sample-rate"])
    duration, decoded_rate = _decode(r.content, fmt, rate)
    assert decoded_rate == (48000 if fmt == "opus" else rate)  # Opus always decodes at 48 kHz
    # ADTS has no way to tell decoders to skip the encoder's priming samples: allow one frame.
    priming = encoder_priming(fmt, whole_file=True) / rate + (1024 / rate if fmt == "aac" else 0)
    assert duration == pytest.approx(float(r.headers["x-audio-duration"]), abs=0.03 + priming)
    assert 1.5 < duration < 8
    assert r.headers["x-voice"] == "zh-baker" and r.headers["x-engine"] == "baker-zh"


def test_tts_sample_rate_and_english_voice(server: ServerProcess) -> None:
    body = {"text": "Hello there, how are you?", "voice": "en-joe", "sample_rate": 16000}
    r = httpx.post(f"{server.url}/v1/tts", json=body, timeout=60)
    assert r.status_code == 200, r.text
    assert _decode(r.content, "wav", 16000)[1] == 16000
    assert r.headers["content-type"] == "audio/wav"
    assert r.headers["x-engine"] == "piper"


@pytest.mark.parametrize(
    "path", ["/v1/voices", "/v1/emotions", "/v1/models", "/healthz", "/readyz", "/openapi.json"]
)
def test_json_endpoints(server: ServerProcess, path: str) -> None:
    r = httpx.get(server.url + path, timeout=10)
    assert r.status_code == 200
    assert r.json()


def test_catalog_shapes(server: ServerProcess) -> None:
    voices = httpx.get(f"{server.url}/v1/voices").json()
    assert {"zh-baker", "en-joe", "espeak-en"} <= {v["id"] for v in voices["voices"]}
    rendering = {v["id"]: v["emotion_rendering"] for v in voices["voices"]}
    assert rendering["zh-baker"] == "model" and rendering["en-joe"] == "dsp"
    listed = httpx.get(f"{server.url}/v1/emotions").json()
    emotions = {e["id"] for e in listed["emotions"]}
    assert {"neutral", "happy", "sad", "angry", "fear", "surprise", "disgust"} <= emotions
    assert listed["rendered_by_model"] == ["zh-baker"]
    happy = next(e for e in listed["emotions"] if e["id"] == "happy")
    measured = happy["measured"]["zh-baker"]
    assert measured["pitch_semitones"] > 1.0 and measured["pitch_range"] > 1.0
    assert measured["duration"] < 1.0
    models = httpx.get(f"{server.url}/v1/models").json()
    assert models["object"] == "list" and models["data"][0]["object"] == "model"


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_pages(server: ServerProcess, path: str) -> None:
    r = httpx.get(server.url + path)
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]


def test_metrics_exposition(server: ServerProcess) -> None:
    httpx.post(f"{server.url}/v1/tts", json={"text": "你好。"}, timeout=60)
    text = httpx.get(f"{server.url}/metrics").text
    for name in [
        "voxserve_http_requests_total",
        "voxserve_http_request_seconds_bucket",
        "voxserve_queue_units",
        "voxserve_workers_busy",
        "voxserve_worker_restarts_total",
        "voxserve_synthesis_seconds_total",
        "voxserve_audio_seconds_total",
        "voxserve_unit_rtf_bucket",
        "voxserve_admission_rejections_total",
    ]:
        assert name in text, name
    assert 'route="/v1/tts"' in text


def test_request_id_header(server: ServerProcess) -> None:
    assert len(httpx.get(f"{server.url}/healthz").headers["x-request-id"]) == 16
