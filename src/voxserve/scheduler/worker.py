"""A worker process: loads the engines once, then renders units sent on stdin until told to stop.

Run as ``python -m voxserve.scheduler.worker`` with the settings (JSON) in
``VOXSERVE_WORKER_SETTINGS``. Frames go over stdin/stdout;
logs go to stderr. Domain errors are reported per unit; anything else kills the worker, and the
pool replaces it (the unit is retried elsewhere).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import BinaryIO

import numpy as np

from voxserve import logs
from voxserve.allocator import tune_allocator
from voxserve.errors import VoxError
from voxserve.pipeline import Synthesizer
from voxserve.prosody import dsp
from voxserve.scheduler.protocol import (
    Failed,
    Hello,
    Part,
    Render,
    Rendered,
    Stop,
    read_frame_sync,
    write_frame_sync,
)
from voxserve.settings import Settings
from voxserve.types import PCM

SETTINGS_ENV = "VOXSERVE_WORKER_SETTINGS"
"""The environment variable that carries the parent's Settings (JSON) to a worker."""

log = logging.getLogger("voxserve.worker")


def _render(synthesizer: Synthesizer, message: Render, outbox: BinaryIO) -> Rendered | Failed:
    # Every line logged while rendering (here, in engines, in libraries) names the request.
    context = logs.request_id.set(message.request_id)
    try:
        return _render_unit(synthesizer, message, outbox)
    finally:
        logs.request_id.reset(context)


def _render_unit(synthesizer: Synthesizer, message: Render, outbox: BinaryIO) -> Rendered | Failed:
    started = time.process_time()
    text = logs.text_field(synthesizer.settings, message.task.text)

    def send_part(pcm: PCM) -> None:
        samples = np.ascontiguousarray(pcm, dtype=np.float32).data.cast("B")
        write_frame_sync(outbox, Part(message.job_id, samples))

    try:
        rendered = synthesizer.render_unit(message.task, send_part if message.parts else None)
    except VoxError as exc:
        log.info("unit failed: %s", exc.code, extra={"job": message.job_id, **text})
        return Failed(message.job_id, exc.code, exc.message, exc.param)
    seconds = time.process_time() - started
    log.debug(
        "unit rendered: %d chars in %.3f s",
        len(message.task.text),
        seconds,
        extra={"job": message.job_id, "chars": len(message.task.text), **text},
    )
    return Rendered(message.job_id, rendered.pack(), seconds)


def serve(settings: Settings, inbox: BinaryIO, outbox: BinaryIO) -> None:
    """Load engines, say hello, then render until Stop or end of input."""
    started = time.perf_counter()
    synthesizer = Synthesizer.load(settings)
    dsp.warm_up()
    catalog = synthesizer.catalog
    hello = Hello(
        os.getpid(), tuple(catalog.all()), tuple(catalog.extra()), time.perf_counter() - started
    )
    write_frame_sync(outbox, hello)
    while True:
        message = read_frame_sync(inbox)
        if message is None or isinstance(message, Stop):
            return
        if isinstance(message, Render):
            write_frame_sync(outbox, _render(synthesizer, message, outbox))


def main() -> None:
    settings = Settings.model_validate_json(os.environ.pop(SETTINGS_ENV))
    logs.configure(settings)
    tune_allocator(settings, worker=True)
    if settings.worker_nice:
        os.nice(settings.worker_nice)
    # The protocol owns the real stdout; stray prints from libraries go to stderr instead.
    outbox = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(settings, sys.stdin.buffer, outbox)


if __name__ == "__main__":
    main()
