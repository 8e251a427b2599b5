"""The speech service the routes call: plan, schedule, assemble, encode (never on the loop)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict, dataclass, replace

import numpy as np

from voxserve.api.streaming import AudioStream
from voxserve.audio.encode import encode
from voxserve.cache.keys import cache_key
from voxserve.cache.service import CachedAudio
from voxserve.metrics import Metrics
from voxserve.pipeline import Planner, SynthesisPlan
from voxserve.scheduler.scheduler import Scheduler
from voxserve.security.caller import charge_characters
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
    cache: str = "off"
    """Where it came from: ``miss`` (synthesized now), ``memory``/``disk`` (cached), ``shared``
    (joined an identical request in flight) or ``off`` (not cacheable)."""

    def packed(self) -> bytes:
        """Metadata line + audio, as the response cache keeps it."""
        meta = {k: v for k, v in asdict(self).items() if k not in ("data", "cache")}
        return json.dumps(meta).encode() + b"\n" + self.data

    @classmethod
    def unpacked(cls, packed: bytes, cache: str) -> SpeechAudio:
        meta, _, data = packed.partition(b"\n")
        fields = json.loads(meta)
        return cls(data=data, **{**fields, "format": AudioFormat(fields["format"])}, cache=cache)


class SpeechService:
    """Synthesizes whole clips through the scheduler's worker pool."""

    def __init__(
        self,
        settings: Settings,
        scheduler: Scheduler,
        planner: Planner,
        metrics: Metrics,
        cache: CachedAudio | None = None,
    ) -> None:
        self.settings = settings
        self.scheduler = scheduler
        self.planner = planner
        self.metrics = metrics
        self.cache = cache
        # Every voice's model checksum: rebuilding any model changes every response key.
        voices = sorted((v.id, v.model_id) for v in planner.catalog.all())
        self._models = cache_key("models", voices)

    async def plan(self, request: SynthesisRequest, *, charge: bool = True) -> SynthesisPlan:
        """Validate and split the text (in a thread: the front end is CPU work), then charge its
        characters to the caller's daily limit (text refused as invalid costs nothing)."""
        plan = await asyncio.to_thread(self.planner.plan, request)
        if charge:
            await charge_characters(len(request.text))
        return plan

    async def synthesize(self, request: SynthesisRequest) -> SpeechAudio:
        """Speak ``request`` as one encoded file (from the response cache when it is short)."""
        if self.cache is None or len(request.text) > self.settings.cache_response_chars:
            return await self._synthesize(request)
        voice = self.planner.catalog.resolve(request.voice).id
        key = cache_key("response", replace(request, voice=voice), self._models)
        # Answers from the cache count against the caller's daily characters too; the shared
        # computation below runs in a task of its own and must not charge its first caller twice.
        await charge_characters(len(request.text))

        async def compute() -> bytes:
            return (await self._synthesize(request, charge=False)).packed()

        packed, origin = await self.cache.get_or_compute(key, compute)
        return SpeechAudio.unpacked(packed, origin)

    async def _synthesize(self, request: SynthesisRequest, charge: bool = True) -> SpeechAudio:
        plan = await self.plan(request, charge=charge)
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
