"""The Wyoming TCP server, beside the HTTP one and sharing its speech service: the same
scheduler (admission, priorities, workers), cache, per-caller limits and metrics."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from wyoming.error import Error
from wyoming.info import Attribution, Info, TtsProgram, TtsVoice, TtsVoiceSpeaker

from voxserve import __version__
from voxserve.api.service import SpeechService
from voxserve.prosody.emotions import EMOTIONS
from voxserve.security import caller as callers
from voxserve.security.limits import Limiter
from voxserve.voices import VoiceCatalog
from voxserve.wyoming.framing import write_event
from voxserve.wyoming.session import WyomingSession

log = logging.getLogger(__name__)

PROGRAM = "voxserve"
_ATTRIBUTIONS = {
    "baker-zh": Attribution(
        "TensorFlowTTS FastSpeech2 + MB-MelGAN, DataBaker corpus (non-commercial)",
        "https://github.com/TensorSpeech/TensorFlowTTS",
    ),
    "piper": Attribution("Piper", "https://github.com/OHF-Voice/piper1-gpl"),
    "espeak": Attribution("eSpeak NG", "https://github.com/espeak-ng/espeak-ng"),
}
_VOXSERVE = Attribution("voxserve", "")


def describe(catalog: VoiceCatalog) -> Info:
    """What ``describe`` answers: every listed voice, with one speaker per emotion."""
    speakers = [TtsVoiceSpeaker(name) for name in EMOTIONS]
    voices = [
        TtsVoice(
            name=voice.id,
            attribution=_ATTRIBUTIONS.get(voice.engine, _VOXSERVE),
            installed=True,
            description=voice.description or voice.name,
            version=None,
            languages=[voice.language],
            speakers=speakers,
        )
        for voice in catalog.all()
    ]
    program = TtsProgram(
        name=PROGRAM,
        attribution=_VOXSERVE,
        installed=True,
        description="Mandarin and English speech with emotions (a voice's speakers)",
        version=__version__,
        voices=voices,
        supports_synthesize_streaming=True,
    )
    return Info(tts=[program])


class WyomingServer:
    """Accepts connections and runs a :class:`WyomingSession` for each."""

    def __init__(self, service: SpeechService, limiter: Limiter) -> None:
        self.service = service
        self.limiter = limiter
        self.settings = service.settings
        self.info = describe(service.planner.catalog)
        self.sessions: set[asyncio.Task[None]] = set()
        self.server: asyncio.Server | None = None

    async def start(self) -> None:
        self.server = await asyncio.start_server(
            self._connected, self.settings.wyoming_host, self.settings.wyoming_port
        )
        log.info("Wyoming server on %s:%d", self.settings.wyoming_host, self.settings.wyoming_port)

    async def close(self, drain_s: float) -> None:
        """Stop accepting, give open sessions ``drain_s`` to finish, then end them."""
        if self.server is not None:
            self.server.close()
        if self.sessions:
            await asyncio.wait(self.sessions, timeout=drain_s)
        for task in self.sessions:
            task.cancel()
        await asyncio.gather(*self.sessions, return_exceptions=True)

    async def _connected(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        metrics = self.service.metrics
        self.sessions.add(task)
        metrics.wyoming_connections.inc()
        try:
            if len(self.sessions) > self.settings.wyoming_max_connections:
                busy = Error(text="too many Wyoming connections; retry later", code="overloaded")
                await write_event(writer, busy.event())
            else:
                await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            log.debug("Wyoming peer went away")
        finally:
            self.sessions.discard(task)
            metrics.wyoming_connections.dec()
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        principal = f"addr:{peer[0] if peer else 'unknown'}"
        # Characters spoken are charged deep inside the speech service, to the current caller.
        context = callers.current.set(callers.Caller(principal, self.limiter))
        try:
            session = WyomingSession(
                reader, writer, self.service, self.limiter, principal, self.info
            )
            await session.run()
        finally:
            callers.current.reset(context)


@contextlib.asynccontextmanager
async def serve_wyoming(service: SpeechService, limiter: Limiter) -> AsyncIterator[WyomingServer]:
    """Run a Wyoming server for the block (``wyoming_port`` and ``wyoming_host`` settings)."""
    server = WyomingServer(service, limiter)
    await server.start()
    try:
        yield server
    finally:
        await server.close(service.settings.drain_timeout_s)
