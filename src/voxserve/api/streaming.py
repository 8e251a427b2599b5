"""Streaming a request's audio as it is synthesized: encoded chunks, SSE events.

A stream is validated and its first audio chunk produced before the HTTP response starts, so
that errors up to then get a proper status; after the first byte an error can only end the
stream (it is logged and counted).
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass

import numpy as np

from voxserve.audio.encode import open_encoder
from voxserve.errors import VoxError
from voxserve.metrics import Metrics
from voxserve.pipeline import SynthesisPlan
from voxserve.scheduler.scheduler import Scheduler
from voxserve.timestamps import Sentence, TimedToken, Timeline
from voxserve.types import PCM, AudioFormat

log = logging.getLogger(__name__)

_NO_SAMPLES: PCM = np.zeros(0, dtype=np.float32)


@dataclass(frozen=True)
class UnitAudio:
    """One unit's samples and encoded bytes, with its place in the stream."""

    index: int
    text: str
    pcm: PCM
    data: bytes
    start: float
    """Seconds from the start of the stream to this unit's first sample."""
    tokens: tuple[TimedToken, ...] = ()
    """The tokens this unit completed (with timestamps on)."""
    sentence: Sentence | None = None


class AudioStream:
    """One request's audio, unit by unit, through one continuous encoder."""

    def __init__(
        self,
        scheduler: Scheduler,
        metrics: Metrics,
        plan: SynthesisPlan,
        fmt: AudioFormat,
        timeline: Timeline | None = None,
    ) -> None:
        self.plan = plan
        self.timeline = timeline
        self.format = fmt
        self.encoder = open_encoder(fmt, plan.sample_rate)
        self._scheduler = scheduler
        self._metrics = metrics
        self.duration = 0.0

    @property
    def sample_rate(self) -> int:
        """The rate of the encoded stream (Opus decodes at 48 kHz whatever this says)."""
        return self.encoder.sample_rate

    async def units(self) -> AsyncGenerator[UnitAudio, None]:
        """Each unit as soon as it and those before it are rendered; then the encoder's tail."""
        self._metrics.active_streams.inc()
        try:
            async with self._scheduler.submit(self.plan) as ticket:
                index = 0
                async for unit in ticket:
                    data = await asyncio.to_thread(self.encoder.feed, unit.pcm)
                    text = self.plan.units[index].text
                    tokens, sentence = self.timeline.add(unit) if self.timeline else ([], None)
                    yield UnitAudio(
                        index, text, unit.pcm, data, self.duration, tuple(tokens), sentence
                    )
                    self.duration += len(unit.pcm) / self.plan.sample_rate
                    index += 1
            tail = await asyncio.to_thread(self.encoder.finish)
            rest = tuple(self.timeline.rest()) if self.timeline else ()
            yield UnitAudio(index, "", _NO_SAMPLES, tail, self.duration, rest)
        finally:
            self.encoder.close()
            self._metrics.active_streams.dec()

    async def chunks(self) -> AsyncGenerator[bytes, None]:
        """The encoded bytes, skipping empty pieces. Without timestamps the first unit comes
        in parts where the engine gives them (its first samples before the rest is
        synthesized); with them, unit by unit (a unit's tokens need the whole unit)."""
        if self.timeline is None:
            async for data in self._piece_chunks():
                yield data
            return
        async for unit in self.units():
            if unit.data:
                yield unit.data

    async def _piece_chunks(self) -> AsyncGenerator[bytes, None]:
        self._metrics.active_streams.inc()
        try:
            async with self._scheduler.submit(self.plan, parts=True) as ticket:
                async for pcm in ticket.pieces():
                    data = await asyncio.to_thread(self.encoder.feed, pcm)
                    self.duration += len(pcm) / self.plan.sample_rate
                    if data:
                        yield data
            tail = await asyncio.to_thread(self.encoder.finish)
            if tail:
                yield tail
        finally:
            self.encoder.close()
            self._metrics.active_streams.dec()


async def started(
    chunks: AsyncGenerator[bytes, None], metrics: Metrics
) -> AsyncGenerator[bytes, None]:
    """Produce the first chunk now (errors raise here, before any byte is sent); then the rest.

    Returns an iterator over every chunk, the first included, that logs and ends quietly if an
    error happens later.
    """
    begun = time.perf_counter()
    try:
        first = await anext(chunks)
    except StopAsyncIteration:
        first = b""
    metrics.first_byte.observe(time.perf_counter() - begun)

    async def rest() -> AsyncGenerator[bytes, None]:
        yield first
        try:
            async for chunk in chunks:
                yield chunk
        except VoxError as exc:
            metrics.stream_errors.labels(exc.code).inc()
            log.warning("stream ended early: %s (%s)", exc.code, exc.message)
        finally:
            await chunks.aclose()

    return rest()


def _tokens_of(unit: UnitAudio) -> dict[str, object]:
    return {"tokens": [t.as_json() for t in unit.tokens]} if unit.tokens else {}


def sse_event(payload: dict[str, object]) -> bytes:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n".encode()


async def openai_sse(stream: AudioStream, input_chars: int) -> AsyncGenerator[bytes, None]:
    """OpenAI's speech SSE: ``speech.audio.delta`` events with base64 audio, then ``done``."""
    async for chunk in stream.chunks():
        yield sse_event({"type": "speech.audio.delta", "audio": base64.b64encode(chunk).decode()})
    output = round(stream.duration * 50)  # about 50 audio tokens per second, as OpenAI counts
    usage = {
        "input_tokens": input_chars,
        "output_tokens": output,
        "total_tokens": input_chars + output,
    }
    yield sse_event({"type": "speech.audio.done", "usage": usage})


async def progress_sse(stream: AudioStream) -> AsyncGenerator[bytes, None]:
    """The native progress stream: start, one event per unit (with its audio), done."""
    total = len(stream.plan.units)
    async for unit in stream.units():
        if unit.index == 0:  # after admission and the first unit: errors before it get a status
            yield sse_event(
                {
                    "type": "start",
                    "units": total,
                    "sample_rate": stream.sample_rate,
                    "format": stream.format.value,
                    "voice": stream.plan.voice.id,
                }
            )
        audio = base64.b64encode(unit.data).decode()
        if unit.index < total:
            end = unit.start + len(unit.pcm) / stream.plan.sample_rate
            event: dict[str, object] = {
                "type": "unit",
                "index": unit.index,
                "of": total,
                "text": unit.text,
                "start": round(unit.start, 3),
                "end": round(end, 3),
                "audio": audio,
            }
            if stream.timeline is not None:
                event["tokens"] = [t.as_json() for t in unit.tokens]
                event["sentence"] = unit.sentence.as_json() if unit.sentence else None
            yield sse_event(event)
        elif audio or unit.tokens:
            yield sse_event({"type": "tail", "audio": audio, **_tokens_of(unit)})
    yield sse_event({"type": "done", "duration": round(stream.duration, 3)})
