"""The load generator: closed-loop virtual users on one asyncio event loop (aiohttp).

Each virtual user sends a request, waits for the whole answer (or the client timeout), and
sends the next one at once, like a k6 virtual user without think time. A 429 answer is
honoured: the user waits for its ``Retry-After`` (capped) before the next request, as a
well-behaved client does; the 429 is still counted, separately from the other errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
import time
from dataclasses import dataclass

import aiohttp

from .stats import OK, Sample, classify
from .workload import INTENSITY, request_stream

MAX_RETRY_AFTER_S = 10.0
"""Longest Retry-After a virtual user obeys (a server asking for more is asked again sooner)."""


@dataclass(frozen=True)
class LoadSpec:
    """What a stage sends: ``users`` closed-loop users for ``seconds`` against ``url + path``."""

    url: str
    users: int
    seconds: float
    path: str = "/v1/tts"
    method: str = "POST"
    """``POST`` sends ``{"text", "format"}`` JSON (plus ``stream``/``voice``); ``GET`` no body."""
    timeout: float = 10.0
    stream: bool = False
    voice: str | None = None
    workload: str = "neutral"
    """``neutral``, or ``emotional``: every second request with an emotion (``workload.py``)."""
    seed: int = 0
    ramp_seconds: float = 0.5
    """Users start spread over this long, so that the first requests do not land as one burst."""


@dataclass
class StageRun:
    """The raw outcome of one stage: samples (times from the stage start) and loose ends."""

    samples: list[Sample]
    in_flight_at_end: int
    started_at: float
    """Wall-clock time (``time.time()``) of the stage start, to align resource samples."""


def wav_seconds(body: bytes) -> float:
    """Duration of a mono/stereo PCM WAV file from its header (0 when it is not one).

    A streamed WAV may carry a placeholder data size; the bytes received are used then.
    """
    if len(body) < 12 or body[:4] != b"RIFF" or body[8:12] != b"WAVE":
        return 0.0
    offset, rate, block = 12, 0, 0
    while offset + 8 <= len(body):
        chunk, size = (
            body[offset : offset + 4],
            struct.unpack("<I", body[offset + 4 : offset + 8])[0],
        )
        if chunk == b"fmt ":
            channels, rate = struct.unpack("<HI", body[offset + 10 : offset + 16])
            bits = struct.unpack("<H", body[offset + 22 : offset + 24])[0]
            block = channels * bits // 8
        elif chunk == b"data":
            size = min(size, len(body) - offset - 8)
            return size / (rate * block) if rate and block else 0.0
        offset += 8 + size + (size & 1)
    return 0.0


def payload(spec: LoadSpec, text: str, emotion: str | None = None) -> dict[str, object]:
    """The JSON body of one request; an emotion is sent at intensity 1, a neutral request
    carries no emotion field (voxserve's default)."""
    body: dict[str, object] = {"text": text, "format": "pcm" if spec.stream else "wav"}
    if spec.stream:
        body["stream"] = True
    if spec.voice:
        body["voice"] = spec.voice
    if emotion:
        body["emotion"] = emotion
        body["intensity"] = INTENSITY
    return body


async def _read_stream(response: aiohttp.ClientResponse, started: float) -> tuple[float, int]:
    """Time to the first audio bytes and the number of bytes of a streamed answer."""
    ttfa, size = 0.0, 0
    async for chunk in response.content.iter_any():
        if chunk and not size:
            ttfa = time.perf_counter() - started
        size += len(chunk)
    return ttfa, size


def _retry_after(response: aiohttp.ClientResponse) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _timeout(spec: LoadSpec) -> aiohttp.ClientTimeout:
    """The whole answer within ``spec.timeout``, as in the study; a stream instead fails when no
    byte arrives for that long (first audio, or a stall later): a player consumes a stream as
    it comes, and a long text's stream may rightly last longer than the timeout."""
    if spec.stream:
        return aiohttp.ClientTimeout(total=None, sock_connect=spec.timeout, sock_read=spec.timeout)
    return aiohttp.ClientTimeout(total=spec.timeout)


async def request_once(
    session: aiohttp.ClientSession,
    spec: LoadSpec,
    text: str,
    origin: float,
    emotion: str | None = None,
) -> Sample:
    """Send one request and describe how it ended; times relative to ``origin``."""
    started = time.perf_counter()
    timeout = _timeout(spec)
    body = payload(spec, text, emotion) if spec.method == "POST" else None
    ttfa: float | None = None
    audio = 0.0
    try:
        async with session.request(
            spec.method, spec.url + spec.path, json=body, timeout=timeout
        ) as response:
            kind = classify(response.status)
            if kind == OK and spec.stream:
                ttfa, size = await _read_stream(response, started)
                rate = float(response.headers.get("X-Sample-Rate", "0") or 0)
                audio = size / (2 * rate) if rate else 0.0  # s16le mono
            else:
                data = await response.read()
                audio = wav_seconds(data) if kind == OK else 0.0
            status, retry = response.status, _retry_after(response)
    except TimeoutError:
        kind, status, retry = classify(None, timed_out=True), None, None
    except aiohttp.ClientError:
        kind, status, retry = classify(None), None, None
    end = time.perf_counter()
    return Sample(started - origin, end - origin, kind, status, ttfa, audio, len(text), retry)


class _Users:
    """The state the virtual users of one stage share."""

    def __init__(self, spec: LoadSpec) -> None:
        self.spec = spec
        self.samples: list[Sample] = []
        self.in_flight = 0
        self.origin = time.perf_counter()

    async def user(self, session: aiohttp.ClientSession, index: int) -> None:
        """One virtual user: its own text order (and, under the emotional workload, its own
        place in the emotion cycle), then request after request until cancelled."""
        spec = self.spec
        await asyncio.sleep(spec.ramp_seconds * index / max(1, spec.users))
        stream = request_stream(spec.seed * 100_003 + index, spec.workload, offset=index)
        for text, emotion in stream:
            self.in_flight += 1
            try:
                sample = await request_once(session, spec, text, self.origin, emotion)
            finally:
                self.in_flight -= 1
            self.samples.append(sample)
            if sample.kind == "429" and sample.retry_after:
                await asyncio.sleep(min(sample.retry_after, MAX_RETRY_AFTER_S))


async def run_stage(spec: LoadSpec) -> StageRun:
    """Run ``spec.users`` virtual users for ``spec.seconds``.

    Requests still running at the end are abandoned (their connections closed, which tells a
    server that watches for it to drop their work) and only counted.
    """
    # No connection limit: each user keeps its own keep-alive connection, as k6 users do.
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        users = _Users(spec)
        wall = time.time()
        tasks = [asyncio.create_task(users.user(session, i)) for i in range(spec.users)]
        await asyncio.sleep(spec.seconds)
        in_flight, samples = users.in_flight, list(users.samples)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
    return StageRun(samples, in_flight, wall)
