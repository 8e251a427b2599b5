"""One Wyoming connection: ``describe``, ``synthesize`` and streamed text, answered in order.

- ``describe`` -> ``info``: every voice, with the emotions as its speakers.
- ``synthesize`` -> ``audio-start``, ``audio-chunk``s as sentences are rendered, ``audio-stop``.
- ``synthesize-start``, ``synthesize-chunk``s, ``synthesize-stop``: each sentence is spoken as
  soon as its text is complete (an LLM's answer as it is written), all in one audio stream,
  then ``synthesize-stopped``. A ``synthesize`` sent beside a stream (clients do, for servers
  without streaming) is ignored: the stream speaks that text.
- ``ping`` -> ``pong``. Other events are ignored, as Wyoming peers do.

Failures are ``error`` events (``code`` is the HTTP API's error code); the connection stays
usable unless its bytes cannot be followed any more (a framing error).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator
from typing import Any

from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event
from wyoming.info import Describe, Info
from wyoming.ping import Ping, Pong
from wyoming.tts import (
    Synthesize,
    SynthesizeChunk,
    SynthesizeStart,
    SynthesizeStop,
    SynthesizeStopped,
    SynthesizeVoice,
)

from voxserve.api.service import SpeechService
from voxserve.errors import (
    AccessError,
    CapacityError,
    EmptyTextError,
    InputError,
    UnknownEmotionError,
    VoxError,
)
from voxserve.metrics import Metrics
from voxserve.prosody.emotions import EMOTIONS
from voxserve.security.limits import Limiter
from voxserve.text.incremental import SentenceBuffer
from voxserve.types import AudioFormat, SynthesisRequest
from voxserve.wyoming.framing import FramingError, Limits, read_event, write_event

log = logging.getLogger(__name__)

SAMPLE_WIDTH = 2  # 16-bit PCM, one channel
CHUNK_SECONDS = 0.5
"""Audio is sent in chunks of at most this long."""

_END = object()


class InvalidEventError(InputError):
    code = "invalid_event"


class WyomingSession:
    """Serves one connection until the peer closes it (or its bytes cannot be followed)."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        service: SpeechService,
        limiter: Limiter,
        principal: str,
        info: Info,
    ) -> None:
        self.reader, self.writer = reader, writer
        self.service, self.limiter, self.principal = service, limiter, principal
        self.info = info
        settings = service.settings
        self.limits = Limits(max_data_bytes=settings.max_text_chars * 12 + 4096)
        self.idle_timeout = settings.wyoming_idle_timeout_s
        self.stream: TextStream | None = None
        self._write_lock = asyncio.Lock()

    @property
    def metrics(self) -> Metrics:
        return self.service.metrics

    async def run(self) -> None:
        try:
            while (event := await self._next_event()) is not None:
                await self._dispatch(event)
        except FramingError as exc:
            await self.send_error(exc)
        finally:
            if self.stream is not None:
                await self.stream.cancel()

    async def _next_event(self) -> Event | None:
        """The next event; None when the peer closed, or sent nothing for the idle timeout."""
        try:
            async with asyncio.timeout(self.idle_timeout):
                return await read_event(self.reader, self.limits)
        except TimeoutError:
            log.debug("Wyoming connection idle for %.0f s: closed", self.idle_timeout)
            return None

    async def _dispatch(self, event: Event) -> None:
        try:
            await self._handle(event)
        except VoxError as exc:
            await self.send_error(exc)
        except (KeyError, TypeError, ValueError, AttributeError):
            log.debug("malformed Wyoming event %r", event.type, exc_info=True)
            await self.send_error(InvalidEventError(f"malformed '{event.type}' event"))

    async def _handle(self, event: Event) -> None:
        kind = event.type
        if Describe.is_type(kind):
            await self.send(self.info.event())
        elif Ping.is_type(kind):
            await self.send(Pong(text=Ping.from_event(event).text).event())
        elif Synthesize.is_type(kind):
            if self.stream is None:
                synthesize = Synthesize.from_event(event)
                await self._speak(synthesize.text, synthesize.voice)
        elif SynthesizeStart.is_type(kind):
            await self._start_stream(SynthesizeStart.from_event(event).voice)
        elif SynthesizeChunk.is_type(kind):
            await self._current_stream().feed(_text(SynthesizeChunk.from_event(event).text))
        elif SynthesizeStop.is_type(kind):
            stream, self.stream = self._current_stream(), None
            await stream.finish()

    def _current_stream(self) -> TextStream:
        if self.stream is None:
            raise InvalidEventError("no synthesize-start before this event")
        return self.stream

    async def _speak(self, text: str, voice: SynthesizeVoice | None) -> None:
        """A whole text: one audio stream, sent sentence by sentence as they are rendered."""
        request = self.request(_text(text), voice)
        async with self.limited("synthesize"):
            stream = await self.service.open_stream(request)
            units = stream.units()
            try:
                first = await anext(units)  # admitted, and the first sentence rendered
                await self.send(AudioStart(stream.sample_rate, SAMPLE_WIDTH, 1).event())
                await self.send_audio(first.data, stream.sample_rate)
                async for unit in units:
                    await self.send_audio(unit.data, stream.sample_rate)
            finally:
                await units.aclose()
            await self.send(AudioStop().event())

    async def _start_stream(self, voice: SynthesizeVoice | None) -> None:
        if self.stream is not None:
            raise InvalidEventError("a synthesize stream is already open")
        template = self.request("", voice)  # an unknown voice or emotion fails now
        held = contextlib.AsyncExitStack()
        await held.enter_async_context(self.limited("stream"))
        self.stream = TextStream(self, template, held)

    def request(self, text: str, voice: SynthesizeVoice | None) -> SynthesisRequest:
        """A request in the session's audio format; the voice's speaker names the emotion."""
        name = (voice.name or voice.language) if voice is not None else None
        emotion = (voice.speaker if voice is not None else None) or "neutral"
        self.service.planner.catalog.resolve(name)
        if emotion not in EMOTIONS:
            raise UnknownEmotionError(emotion, EMOTIONS, param="voice.speaker")
        return SynthesisRequest(text=text, voice=name, emotion=emotion, format=AudioFormat.PCM)

    @contextlib.asynccontextmanager
    async def limited(self, kind: str) -> AsyncIterator[None]:
        """The caller's request-rate and concurrency limits around one synthesis; its outcome
        counted."""
        outcome = "ok"
        try:
            await self.limiter.request(self.principal)
            async with self.limiter.stream(self.principal):
                yield
        except VoxError as exc:
            outcome = exc.code
            raise
        finally:
            self.metrics.wyoming_requests.labels(kind, outcome).inc()

    async def send(self, event: Event) -> None:
        async with self._write_lock:
            await write_event(self.writer, event)

    async def send_audio(self, pcm: bytes, rate: int) -> None:
        step = int(rate * CHUNK_SECONDS) * SAMPLE_WIDTH
        for start in range(0, len(pcm), step):
            chunk = AudioChunk(rate, SAMPLE_WIDTH, 1, pcm[start : start + step])
            await self.send(chunk.event())

    async def send_error(self, exc: VoxError) -> None:
        text = exc.message
        retry_after = getattr(exc, "retry_after", None)
        if isinstance(exc, AccessError | CapacityError) and retry_after:
            text = f"{text} (retry after {retry_after:.0f} s)"
        with contextlib.suppress(ConnectionError):
            await self.send(Error(text=text, code=exc.code).event())


class TextStream:
    """Text arriving in pieces, spoken sentence by sentence: at most ``ws_max_pending_sentences``
    sentences between reading text and sending their audio, so a peer that stops reading
    audio stops the reading of its text."""

    def __init__(
        self,
        session: WyomingSession,
        template: SynthesisRequest,
        held: contextlib.AsyncExitStack,
    ) -> None:
        settings = session.service.settings
        self.session, self.template = session, template
        self.held = held
        """The caller's limits, held until the stream ends."""
        self.buffer = SentenceBuffer(settings.max_unit_chars * 3)
        self.queue: asyncio.Queue[asyncio.Task[Any] | object] = asyncio.Queue()
        self.slots = asyncio.Semaphore(settings.ws_max_pending_sentences)
        self.sender = asyncio.create_task(self._send_all())

    async def feed(self, text: str) -> None:
        for sentence in self.buffer.feed(text):
            await self._add(sentence)

    async def finish(self) -> None:
        """Speak what is buffered, wait for every sentence's audio, end the stream."""
        for sentence in self.buffer.flush():
            await self._add(sentence)
        self.queue.put_nowait(_END)
        try:
            await self.sender
        finally:
            await self.held.aclose()

    async def cancel(self) -> None:
        self.sender.cancel()
        while not self.queue.empty():
            item = self.queue.get_nowait()
            if isinstance(item, asyncio.Task):
                item.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self.sender
        await self.held.aclose()

    async def _add(self, sentence: str) -> None:
        slot = asyncio.create_task(self.slots.acquire())  # waits while the peer lags...
        await asyncio.wait((slot, self.sender), return_when=asyncio.FIRST_COMPLETED)
        if not slot.done():  # ... unless the sender ended: the peer has gone
            slot.cancel()
            raise ConnectionError("the Wyoming peer stopped reading")
        request = dataclasses.replace(self.template, text=sentence)
        self.queue.put_nowait(asyncio.create_task(self.session.service.synthesize(request)))

    async def _send_all(self) -> None:
        session, rate = self.session, 0
        while (task := await self.queue.get()) is not _END:
            assert isinstance(task, asyncio.Task)
            try:
                audio = await task
                if not rate:
                    rate = audio.sample_rate
                    await session.send(AudioStart(rate, SAMPLE_WIDTH, 1).event())
                await session.send_audio(audio.data, rate)
            except EmptyTextError:
                pass  # punctuation alone says nothing
            except VoxError as exc:
                await session.send_error(exc)
            finally:
                self.slots.release()
        if rate:
            await session.send(AudioStop().event())
        await session.send(SynthesizeStopped().event())


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidEventError("'text' must be a string")
    return value
