"""The worker processes: spawn, watch, replace. One unit at a time per worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from dataclasses import dataclass, field
from typing import Protocol

from voxserve.errors import UnavailableError
from voxserve.scheduler.protocol import FrameReader, Hello, Message, Render, Stop, encode_frame
from voxserve.scheduler.worker import SETTINGS_ENV
from voxserve.settings import Settings
from voxserve.types import Voice

log = logging.getLogger(__name__)


class PoolListener(Protocol):
    """What the pool tells its owner (the scheduler)."""

    def worker_ready(self, worker: Worker) -> None:
        """A worker (new or replacement) is free for work."""

    def worker_message(self, worker: Worker, message: Message) -> None:
        """A worker sent a result."""

    def worker_lost(self, worker: Worker) -> None:
        """A worker died; whatever it was rendering is lost."""


@dataclass(eq=False)
class Worker:
    """One live worker process and the job it is rendering (if any)."""

    process: asyncio.subprocess.Process
    frames: FrameReader
    """Its output: the messages it sends."""
    hello: Hello
    background: bool = False
    """Renders job units only, at a lower CPU priority (``job_worker_nice``)."""
    job: object | None = None
    watch_task: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        return self.hello.pid

    def send(self, message: Render | Stop) -> None:
        stdin = self.process.stdin
        if stdin is None or stdin.is_closing():
            raise UnavailableError("worker is gone")
        stdin.write(encode_frame(message))


class WorkerPool:
    """Keeps ``size`` worker processes alive, reporting their results and deaths.

    Up to ``background_size`` more workers render jobs only; they start with the first job
    (:meth:`ensure_background`), so a service that runs no jobs never pays for them.
    """

    def __init__(
        self, settings: Settings, size: int, listener: PoolListener, background_size: int = 0
    ) -> None:
        self.settings = settings
        self.size = size
        self.background_size = background_size
        self._background_lock = asyncio.Lock()
        self.workers: list[Worker] = []
        self.restarts = 0
        self._listener = listener
        self._closing = False
        self._spawning: set[asyncio.Task[None]] = set()
        self.voices: tuple[Voice, ...] = ()
        self.extra_voices: tuple[Voice, ...] = ()

    async def start(self) -> None:
        """Start every worker and wait until all have loaded their engines."""
        await asyncio.gather(*(self._spawn() for _ in range(self.size)))

    @property
    def ready(self) -> bool:
        return not self._closing and len(self.interactive) == self.size

    @property
    def interactive(self) -> list[Worker]:
        return [w for w in self.workers if not w.background]

    @property
    def background(self) -> list[Worker]:
        return [w for w in self.workers if w.background]

    async def ensure_background(self) -> None:
        """Start the job workers if they are not running (the first job waits for them)."""
        async with self._background_lock:
            missing = self.background_size - len(self.background)
            if missing > 0 and not self._closing:
                await asyncio.gather(*(self._spawn(background=True) for _ in range(missing)))

    async def _spawn(self, background: bool = False) -> None:
        process, frames = await self._start_process(background)
        try:
            async with asyncio.timeout(self.settings.worker_start_timeout_s):
                hello = await frames.first()
        except (TimeoutError, EOFError, ValueError) as exc:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
            frames.close()
            raise UnavailableError("a worker failed to start; see the server log") from exc
        if not isinstance(hello, Hello):
            raise UnavailableError("a worker spoke out of turn")
        worker = Worker(process, frames, hello, background)
        self.voices, self.extra_voices = hello.voices, hello.extra_voices
        frames.attach(lambda message: self._listener.worker_message(worker, message))
        worker.watch_task = asyncio.create_task(self._watch(worker))
        self.workers.append(worker)
        log.info("worker %d ready (engines loaded in %.2f s)", hello.pid, hello.load_seconds)
        self._listener.worker_ready(worker)

    async def _start_process(
        self, background: bool
    ) -> tuple[asyncio.subprocess.Process, FrameReader]:
        settings = self.settings
        if background:
            settings = settings.model_copy(update={"worker_nice": settings.job_worker_nice})
        # Settings travel in the environment, not argv: argv is visible to every local user.
        env = {**os.environ, SETTINGS_ENV: settings.model_dump_json()}
        # The worker's output is read by a FrameReader on a pipe of our own (not a
        # StreamReader, which copies every frame twice on its way to the message).
        read_end, write_end = os.pipe()
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "voxserve.scheduler.worker",
                env=env,
                stdin=asyncio.subprocess.PIPE,
                stdout=write_end,
            )
        except BaseException:
            os.close(read_end)
            raise
        finally:
            os.close(write_end)
        pipe = os.fdopen(read_end, "rb", buffering=0)
        loop = asyncio.get_running_loop()
        _, frames = await loop.connect_read_pipe(FrameReader, pipe)
        return process, frames

    async def _watch(self, worker: Worker) -> None:
        await worker.frames.closed
        if worker.frames.error is not None:  # it cannot be understood: replace it
            log.error("worker %d: %s", worker.pid, worker.frames.error)
            with contextlib.suppress(ProcessLookupError):
                worker.process.kill()
        await worker.process.wait()
        self._bury(worker)

    def _bury(self, worker: Worker) -> None:
        if worker in self.workers:
            self.workers.remove(worker)
        if self._closing:
            return
        log.warning("worker %d died (exit %s); replacing it", worker.pid, worker.process.returncode)
        self.restarts += 1
        self._listener.worker_lost(worker)
        task = asyncio.create_task(self._respawn(worker.background))
        self._spawning.add(task)
        task.add_done_callback(self._spawning.discard)

    async def _respawn(self, background: bool) -> None:
        while not self._closing:
            try:
                await self._spawn(background)
            except UnavailableError:
                log.exception("replacement worker failed to start; retrying")
                await asyncio.sleep(1.0)
                continue
            return

    async def close(self, grace: float) -> None:
        """Stop every worker: ask politely, then kill what is left after ``grace`` seconds."""
        self._closing = True
        for task in self._spawning:
            task.cancel()
        for worker in self.workers:
            with contextlib.suppress(UnavailableError, ConnectionError):
                worker.send(Stop())
        procs = [w.process for w in self.workers]
        try:
            async with asyncio.timeout(grace):
                await asyncio.gather(*(p.wait() for p in procs))
        except TimeoutError:
            for p in procs:
                with contextlib.suppress(ProcessLookupError):
                    p.kill()
            await asyncio.gather(*(p.wait() for p in procs))
