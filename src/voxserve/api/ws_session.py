"""One ``WS /v1/stream`` session: text in as it is written, audio out as sentences complete.

Protocol (JSON text frames from the client, JSON text frames and binary audio frames back):

- client ``{"type": "config", "voice", "emotion", "intensity", "speed", "pitch", "volume",
  "format", "sample_rate"}`` first (every field optional); server answers ``{"type": "ready"}``;
- client ``{"type": "text", "text": "..."}`` any number of times, pieces of any size;
- client ``{"type": "flush"}`` speaks what is buffered; ``{"type": "close"}`` flushes and ends;
- server ``sentence_start`` / ``sentence_end`` events (index, text, audio offsets in seconds),
  binary frames carrying one continuous encoded stream, ``error`` events, and ``done``.

Backpressure: at most ``ws_max_pending_sentences`` sentences exist between the reader and the
client (being synthesized, waiting to be sent, or being sent); when the client stops reading
audio, the server stops reading text.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import ValidationError
from starlette.websockets import WebSocket, WebSocketDisconnect

from voxserve.api.schemas import StreamConfig
from voxserve.api.service import SpeechService
from voxserve.audio.base import StreamEncoder
from voxserve.audio.encode import open_encoder
from voxserve.errors import EmptyTextError, InputError, VoxError
from voxserve.text.incremental import SentenceBuffer
from voxserve.text.lexicon import Lexicon
from voxserve.text.ssml import is_ssml
from voxserve.timestamps import TimedToken
from voxserve.types import PCM, AudioFormat, SynthesisRequest

log = logging.getLogger(__name__)

CLOSE_NORMAL = 1000
CLOSE_UNSUPPORTED = 1003
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009


class SessionError(Exception):
    """Ends the session: an error event, then a close code."""

    def __init__(self, code: str, message: str, close_code: int) -> None:
        super().__init__(message)
        self.code, self.message, self.close_code = code, message, close_code


@dataclass(frozen=True)
class _Spoken:
    pcm: PCM
    tokens: list[TimedToken]
    """With timestamps on: the sentence's tokens, times from the start of the sentence."""


@dataclass
class _Sentence:
    index: int
    text: str
    audio: asyncio.Task[_Spoken | None]


_END = object()
LexiconResolver = Callable[[Sequence[str]], Awaitable[Lexicon]]
"""Lexicon names -> the caller's pronunciations (raises InputError for an unknown name)."""
APP_SUBPROTOCOL = "voxserve"
"""The subprotocol the server selects when a client offers it."""


class StreamSession:
    """Runs one WebSocket session to its end; never raises for client behaviour."""

    def __init__(
        self, ws: WebSocket, service: SpeechService, lexicons: LexiconResolver | None = None
    ) -> None:
        self.ws = ws
        self.service = service
        self.lexicons = lexicons
        self.lexicon = Lexicon()
        settings = service.settings
        self.max_message_chars = settings.ws_max_message_chars
        self.buffer = SentenceBuffer(settings.max_unit_chars * 3)
        self.queue: asyncio.Queue[_Sentence | object] = asyncio.Queue()
        # A slot is taken before a sentence's synthesis starts and given back once it is sent.
        self.slots = asyncio.Semaphore(settings.ws_max_pending_sentences)
        self.config = StreamConfig()
        self.encoder: StreamEncoder | None = None
        self.count = 0
        self.offset = 0.0
        self.rate = 0
        self.format = AudioFormat.PCM

    async def run(self) -> None:
        # A client that offers subprotocols (a browser carrying its key in one) must get one of
        # them back; "voxserve" is the one to choose, never the key.
        offered = self.ws.scope.get("subprotocols", [])
        await self.ws.accept(subprotocol=APP_SUBPROTOCOL if APP_SUBPROTOCOL in offered else None)
        metrics = self.service.metrics
        metrics.websocket_sessions.inc()
        metrics.websocket_total.inc()
        try:
            # Either side ending badly (client gone, bad message) ends the other at once.
            async with asyncio.TaskGroup() as group:
                group.create_task(self._receive_then_end())
                group.create_task(self._send_loop())
            await self.ws.close(CLOSE_NORMAL)
        except* SessionError as failed:
            error = failed.exceptions[0]
            assert isinstance(error, SessionError)
            await self._fail(error)
        except* (WebSocketDisconnect, ConnectionError, RuntimeError):
            log.debug("WebSocket client went away")
        finally:
            await self._cancel_pending()
            if self.encoder is not None:
                self.encoder.close()
            metrics.websocket_sessions.dec()

    # -- client -> server ---------------------------------------------------------------------

    async def _receive_then_end(self) -> None:
        await self._receive_loop()
        self.queue.put_nowait(_END)

    async def _receive_loop(self) -> None:
        self._configure(await self._next_message(expect_config=True))
        await self._resolve_lexicons()
        await self._send_json(
            {
                "type": "ready",
                "sample_rate": self._encoder().sample_rate,
                "format": self.format.value,
            }
        )
        while True:
            message = await self._next_message()
            kind = message.get("type")
            if kind == "text":
                await self._add_text(message.get("text"))
            elif kind == "flush":
                await self._enqueue(self.buffer.flush())
            elif kind in ("close", "end"):
                await self._enqueue(self.buffer.flush())
                return
            else:
                await self._send_error(
                    "invalid_message", "type must be text, flush or close", "type"
                )

    async def _next_message(self, expect_config: bool = False) -> dict[str, Any]:
        while True:
            raw = await self.ws.receive()
            if raw["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(raw.get("code", 1000))
            if raw.get("text") is None:
                raise SessionError(
                    "binary_not_accepted", "send JSON text frames, not binary", CLOSE_UNSUPPORTED
                )
            message = self._parse(raw["text"])
            if message is not None:
                return message
            if expect_config:
                raise SessionError(
                    "invalid_config", "the first message must be a JSON config", CLOSE_POLICY
                )
            await self._send_error("invalid_json", "messages must be JSON objects")

    def _parse(self, text: str) -> dict[str, Any] | None:
        if len(text) > self.max_message_chars * 2:
            raise SessionError(
                "message_too_large",
                f"messages are limited to {self.max_message_chars} characters",
                CLOSE_TOO_BIG,
            )
        try:
            message = json.loads(text)
        except ValueError:
            return None
        return message if isinstance(message, dict) else None

    def _configure(self, message: dict[str, Any]) -> None:
        if message.get("type") not in ("config", None):
            raise SessionError("invalid_config", "the first message must be a config", CLOSE_POLICY)
        try:
            self.config = StreamConfig.model_validate(
                {k: v for k, v in message.items() if k != "type"}
            )
            self.format = self._request("测试").format  # checks voice, emotion, format now
            self.service.planner.catalog.resolve(self.config.voice)
        except ValidationError as exc:
            raise SessionError("invalid_config", _first_error(exc), CLOSE_POLICY) from None
        except InputError as exc:
            raise SessionError(exc.code, exc.message, CLOSE_POLICY) from None

    async def _resolve_lexicons(self) -> None:
        """The pronunciations of the lexicons the config names, for every sentence."""
        if not self.config.lexicons:
            return
        try:
            if self.lexicons is None:
                raise InputError("lexicons are not available here", param="lexicons")
            self.lexicon = await self.lexicons(self.config.lexicons)
        except InputError as exc:
            raise SessionError(exc.code, exc.message, CLOSE_POLICY) from None

    async def _add_text(self, text: object) -> None:
        if not isinstance(text, str):
            await self._send_error("invalid_message", "text must be a string", "text")
            return
        if len(text) > self.max_message_chars:
            raise SessionError(
                "message_too_large",
                f"text pieces are limited to {self.max_message_chars} characters",
                CLOSE_TOO_BIG,
            )
        if self._is_document(text):  # a whole SSML document: spoken as one piece, after
            await self._enqueue([*self.buffer.flush(), text])  # what was buffered before it
            return
        await self._enqueue(self.buffer.feed(text))

    def _is_document(self, text: str) -> bool:
        return is_ssml(text) if self.config.ssml is None else self.config.ssml

    async def _enqueue(self, sentences: list[str]) -> None:
        for text in sentences:
            await self.slots.acquire()  # waits when the client lags
            task = asyncio.create_task(self._synthesize(text))
            self.queue.put_nowait(_Sentence(self.count, text, task))
            self.count += 1

    def _request(self, text: str) -> SynthesisRequest:
        return self.config.synthesis_request(text, self.lexicon)

    async def _synthesize(self, text: str) -> _Spoken | None:
        request = self._request(text)
        plan = await self.service.plan(request)
        timeline = await self.service.timeline(request, plan) if self.config.timestamps else None
        pieces, tokens = [], []
        async with self.service.scheduler.submit(plan) as ticket:
            async for unit in ticket:
                pieces.append(unit.pcm)
                tokens += timeline.add(unit)[0] if timeline else []
        if not pieces:
            return None
        tokens += timeline.rest() if timeline else []
        return _Spoken(np.concatenate(pieces).astype(np.float32), tokens)

    # -- server -> client ---------------------------------------------------------------------

    def _encoder(self) -> StreamEncoder:
        if self.encoder is None:
            rate = (
                self.config.sample_rate
                or self.service.planner.catalog.resolve(self.config.voice).sample_rate
            )
            self.encoder = open_encoder(self.format, rate)
            self.rate = rate
        return self.encoder

    async def _send_loop(self) -> None:
        encoder = self._encoder()
        while (item := await self.queue.get()) is not _END:
            assert isinstance(item, _Sentence)
            try:
                await self._send_sentence(item, encoder)
            finally:
                self.slots.release()
        tail = await asyncio.to_thread(encoder.finish)
        if tail:
            await self.ws.send_bytes(tail)
        await self._send_json(
            {"type": "done", "sentences": self.count, "duration": round(self.offset, 3)}
        )

    async def _send_sentence(self, sentence: _Sentence, encoder: StreamEncoder) -> None:
        try:
            spoken = await sentence.audio
        except EmptyTextError:
            return  # punctuation-only pieces say nothing
        except VoxError as exc:
            await self._send_error(exc.code, exc.message, exc.param, index=sentence.index)
            return
        if spoken is None:
            return
        pcm = spoken.pcm
        start = self.offset
        self.offset += len(pcm) / self.rate
        await self._send_json(
            {
                "type": "sentence_start",
                "index": sentence.index,
                "text": sentence.text,
                "audio_start": round(start, 3),
            }
        )
        data = await asyncio.to_thread(encoder.feed, pcm)
        if data:
            await self.ws.send_bytes(data)
        end: dict[str, Any] = {
            "type": "sentence_end",
            "index": sentence.index,
            "audio_start": round(start, 3),
            "audio_end": round(self.offset, 3),
        }
        if self.config.timestamps:
            end["tokens"] = [_on_session(t, start) for t in spoken.tokens]
        await self._send_json(end)

    async def _send_json(self, payload: dict[str, Any]) -> None:
        await self.ws.send_text(json.dumps(payload, ensure_ascii=False))

    async def _send_error(
        self, code: str, message: str, param: str | None = None, index: int | None = None
    ) -> None:
        payload: dict[str, Any] = {
            "type": "error",
            "code": code,
            "message": message,
            "param": param,
        }
        if index is not None:
            payload["index"] = index
        await self._send_json(payload)

    async def _fail(self, exc: SessionError) -> None:
        with contextlib.suppress(Exception):
            await self._send_error(exc.code, exc.message)
            await self.ws.close(exc.close_code)

    async def _cancel_pending(self) -> None:
        tasks = []
        while not self.queue.empty():
            item = self.queue.get_nowait()
            if isinstance(item, _Sentence):
                item.audio.cancel()
                tasks.append(item.audio)
        await asyncio.gather(*tasks, return_exceptions=True)


def _on_session(token: TimedToken, start: float) -> dict[str, object]:
    """A sentence's token with its times on the session's audio (offsets stay in the
    sentence's text)."""
    shift = round(start * 1000)
    return {
        **token.as_json(),
        "start_ms": token.start_ms + shift,
        "end_ms": token.end_ms + shift,
    }


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error.get("loc", ()))
    return f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg"))
