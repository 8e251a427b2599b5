"""The speech service the routes call: plan, schedule, assemble, encode (never on the loop)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import numpy as np

from voxserve.api.streaming import AudioStream
from voxserve.audio.encode import encode
from voxserve.metrics import Metrics
from voxserve.pipeline import Planner, SynthesisPlan
from voxserve.scheduler.scheduler import Scheduler
from voxserve.settings import Settings
from voxserve.types import AudioFormat, SynthesisRequest


@dataclass(frozen=True)
class SpeechAudio:
    """A finished, encoded clip and what the response headers say about it."""

    data: bytes
    format: AudioFormat
    duration: float
    sample_rate: int
    voice: str
    engine: str


class SpeechService:
    """Synthesizes whole clips through the scheduler's worker pool."""

    def __init__(
        self, settings: Settings, scheduler: Scheduler, planner: Planner, metrics: Metrics
    ) -> None:
        self.settings = settings
        self.scheduler = scheduler
        self.planner = planner
        self.metrics = metrics

    async def plan(self, request: SynthesisRequest) -> SynthesisPlan:
        """Validate and split the text (in a thread: the front end is CPU work)."""
        return await asyncio.to_thread(self.planner.plan, request)

    async def synthesize(self, request: SynthesisRequest) -> SpeechAudio:
        """Speak ``request`` as one encoded file."""
        plan = await self.plan(request)
        async with self.scheduler.submit(plan) as ticket:
            pieces = [pcm async for pcm in ticket]
        pcm = np.concatenate(pieces).astype(np.float32)
        data = await asyncio.to_thread(encode, pcm, plan.sample_rate, request.format)
        return SpeechAudio(
            data,
            request.format,
            len(pcm) / plan.sample_rate,
            plan.sample_rate,
            plan.voice.id,
            plan.voice.engine,
        )

    async def open_stream(self, request: SynthesisRequest) -> AudioStream:
        """A stream of ``request``'s audio; nothing runs until it is iterated."""
        return AudioStream(self.scheduler, self.metrics, await self.plan(request), request.format)
