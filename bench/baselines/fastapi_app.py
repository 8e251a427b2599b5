"""The study's rewrite: FastAPI under uvicorn, the engine called through ``run_in_executor``.

    python bench/baselines/fastapi_app.py --port 8002 --workers 2

One uvicorn process (the event loop) and a ``ProcessPoolExecutor`` of ``--workers`` processes,
each with its own engine. A process pool rather than the default thread pool: the text front
end, the DSP and the WAV encoding are Python code that holds the GIL, so threads in one process
could not use both cores, and the baseline would be slower for a reason the study did not
intend. No admission control: requests queue in the executor without limit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import time
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor

import engine
import uvicorn
from fastapi import FastAPI, HTTPException, Response
from pydantic import BaseModel, Field

from voxserve.pipeline import Synthesizer

_synthesizer: Synthesizer | None = None


class TTSBody(BaseModel):
    """The fields of voxserve's ``POST /v1/tts`` that the load sends."""

    text: str = Field(min_length=1)
    format: str = "wav"
    emotion: str = "neutral"
    intensity: float = Field(default=1.0, ge=0.0, le=2.0)


def _init_process() -> None:
    global _synthesizer
    _synthesizer = engine.load()


def _synthesize(text: str, emotion: str, intensity: float) -> tuple[bytes, float]:
    assert _synthesizer is not None, "the pool initializer loads the engine"
    data, duration = engine.synthesize_wav(_synthesizer, text, emotion, intensity)
    return data, duration


def _pid_after(seconds: float) -> int:
    time.sleep(seconds)  # keep this process busy so that the next call lands on another
    return os.getpid()


async def _start_all(executor: ProcessPoolExecutor, workers: int) -> None:
    """Start every pool process and wait until each has loaded its engine."""
    loop = asyncio.get_running_loop()
    seen: set[int] = set()
    while len(seen) < workers:
        calls = (loop.run_in_executor(executor, _pid_after, 0.3) for _ in range(workers))
        seen.update(await asyncio.gather(*calls))


def create_app(workers: int) -> FastAPI:
    """The app with a pool of ``workers`` engine processes, started before it serves."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        context = multiprocessing.get_context("spawn")  # no fork of a running event loop
        with ProcessPoolExecutor(workers, context, initializer=_init_process) as executor:
            await _start_all(executor, workers)
            app.state.executor = executor
            yield

    app = FastAPI(lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/tts")
    async def tts(body: TTSBody) -> Response:
        problem = engine.invalid_emotion(body.emotion, body.intensity)
        if problem:
            raise HTTPException(400, problem)
        loop = asyncio.get_running_loop()
        data, duration = await loop.run_in_executor(
            app.state.executor, _synthesize, body.text, body.emotion, body.intensity
        )
        return Response(
            data, media_type="audio/wav", headers={"X-Audio-Duration": f"{duration:.3f}"}
        )

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    # uvicorn's defaults (loop, HTTP parser, access log at info), as ``voxserve serve`` uses.
    uvicorn.run(create_app(args.workers), host="127.0.0.1", port=args.port, log_level="info")


if __name__ == "__main__":
    main()
