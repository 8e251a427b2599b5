"""The speech service the routes call: plan, schedule, assemble, encode (never on the loop)."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from dataclasses import asdict, dataclass, field, replace

from voxserve.api.streaming import AudioStream
from voxserve.audio.encode import encode_pieces
from voxserve.cache.keys import cache_key
from voxserve.cache.service import CachedAudio
from voxserve.metrics import Metrics
from voxserve.pipeline import Planner, SynthesisPlan
from voxserve.scheduler.scheduler import Scheduler
from voxserve.security.caller import charge_characters
from voxserve.settings import Settings
from voxserve.text.tokens import Tokenizer, default_tokenizer
from voxserve.timestamps import Sentence, TimedToken, Timeline
from voxserve.types import PCM, AudioFormat, SynthesisRequest


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


@dataclass(frozen=True)
class TimedSpeech:
    """A finished clip with when each token and each sentence of it is heard."""

    audio: SpeechAudio
    tokens: list[TimedToken] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        """The native JSON answer: the audio (base64) and its timestamps."""
        audio = self.audio
        return {
            "audio": base64.b64encode(audio.data).decode(),
            "format": audio.format.value,
            "sample_rate": audio.sample_rate,
            "duration": round(audio.duration, 3),
            "voice": audio.voice,
            "engine": audio.engine,
            "tokens": [t.as_json() for t in self.tokens],
            "sentences": [s.as_json() for s in self.sentences],
        }


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
        self._tokenizer: Tokenizer | None = None
        self._tokenizer_lock = threading.Lock()

    def tokenizer(self) -> Tokenizer:
        """The front end's tokenizer, loaded on first use (jieba and the polyphone model take
        a second): call it from a thread, not the event loop."""
        with self._tokenizer_lock:
            if self._tokenizer is None:
                self._tokenizer = default_tokenizer(self.settings.max_unit_chars)
            return self._tokenizer

    async def timeline(
        self, request: SynthesisRequest, plan: SynthesisPlan, stream: bool = False
    ) -> Timeline:
        """A timeline for ``plan`` (planned for a stream or not): the request's tokens, read in
        a thread, unit by unit as the plan's units were."""
        first = self.settings.stream_first_unit_chars if stream else 0

        def read() -> Timeline:
            tokenizer = self.tokenizer()
            if request.ssml:
                tokens = tokenizer.ssml_tokens(request.text, request.lexicon)
            else:
                tokens = tokenizer.tokens(request.text, request.lexicon, first or None)
            return Timeline(plan, tokens, request.text)

        return await asyncio.to_thread(read)

    async def plan(
        self, request: SynthesisRequest, *, charge: bool = True, stream: bool = False
    ) -> SynthesisPlan:
        """Validate and split the text (in a thread: the front end is CPU work), then charge its
        characters to the caller's daily limit (text refused as invalid, or refused because the
        service is full, costs nothing). ``stream``: see :meth:`Planner.plan`."""
        self.scheduler.precheck(len(request.text))
        plan = await asyncio.to_thread(self.planner.plan, request, None, stream)
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
        async with self.scheduler.submit(plan, stream=False) as ticket:
            pieces = [unit.pcm async for unit in ticket]
        return await self._encoded(request, plan, pieces)

    async def synthesize_timed(self, request: SynthesisRequest) -> TimedSpeech:
        """Speak ``request`` as one encoded file with its timestamps (the response cache is not
        used; units still come from the unit cache, marks and all)."""
        plan = await self.plan(request)
        timeline = await self.timeline(request, plan)
        pieces, tokens, sentences = [], [], []
        async with self.scheduler.submit(plan, stream=False) as ticket:
            async for unit in ticket:
                done, sentence = timeline.add(unit)
                pieces.append(unit.pcm)
                tokens += done
                sentences += [sentence] if sentence else []
        audio = await self._encoded(request, plan, pieces)
        return TimedSpeech(audio, tokens + timeline.rest(), sentences)

    async def _encoded(
        self, request: SynthesisRequest, plan: SynthesisPlan, pieces: list[PCM]
    ) -> SpeechAudio:
        data = await asyncio.to_thread(encode_pieces, pieces, plan.sample_rate, request.format)
        return SpeechAudio(
            data,
            request.format,
            sum(len(p) for p in pieces) / plan.sample_rate,
            plan.sample_rate,
            plan.voice.id,
            plan.voice.engine,
        )

    async def open_stream(
        self, request: SynthesisRequest, *, timestamps: bool = False
    ) -> AudioStream:
        """A stream of ``request``'s audio (each unit with its tokens when ``timestamps``);
        nothing runs until it is iterated."""
        plan = await self.plan(request, stream=True)
        timeline = await self.timeline(request, plan, stream=True) if timestamps else None
        return AudioStream(self.scheduler, self.metrics, plan, request.format, timeline)
