"""The load generator against a trivial server, and the WAV reader it measures audio with."""

from __future__ import annotations

import asyncio
import contextlib
import os

import numpy as np

from loadgen.client import LoadSpec, run_stage, wav_seconds
from loadgen.procstat import ResourceSampler
from loadgen.stats import stage_stats
from loadgen.trivial import TrivialProtocol
from voxserve.audio.encode import encode
from voxserve.audio.wav import WavStreamEncoder


def test_wav_seconds_of_a_whole_file() -> None:
    pcm = np.zeros(24000 * 3 // 2, dtype=np.float32)
    assert wav_seconds(encode(pcm, 24000, "wav")) == 1.5


def test_wav_seconds_of_a_streamed_file_counts_the_bytes_received() -> None:
    encoder = WavStreamEncoder(16000)
    data = encoder.feed(np.zeros(8000, dtype=np.float32)) + encoder.finish()
    assert abs(wav_seconds(data) - 0.5) < 1e-3


def test_wav_seconds_of_something_else_is_zero() -> None:
    assert wav_seconds(b"") == 0.0
    assert wav_seconds(b'{"error": "nope"}') == 0.0


async def _against_trivial_server(users: int, seconds: float) -> tuple[int, float, float]:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(TrivialProtocol, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    sampler = ResourceSampler(os.getpid(), interval=0.2)
    sampler.start()
    try:
        spec = LoadSpec(f"http://127.0.0.1:{port}", users, seconds, path="/x", method="GET")
        run = await run_stage(spec)
    finally:
        rows = await sampler.stop()
        server.close()
        with contextlib.suppress(Exception):
            await server.wait_closed()
    stats = stage_stats(run.samples, users, seconds, run.in_flight_at_end)
    assert sum(stats.errors.values()) == 0
    cpu = max(r["generator_cpu_pct"] for r in rows)
    return stats.ok, stats.qps, cpu


def test_generator_sustains_hundreds_of_requests_per_second() -> None:
    # Server and generator share this one event loop here, so this is a floor, not the ceiling.
    ok, qps, cpu = asyncio.run(_against_trivial_server(users=10, seconds=1.0))
    assert qps > 200, qps
    assert ok == round(qps * 1.0)
    assert cpu > 0


def test_post_bodies_are_read_by_the_trivial_server() -> None:
    async def one() -> int:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(TrivialProtocol, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        spec = LoadSpec(f"http://127.0.0.1:{port}", users=2, seconds=0.5)  # POST JSON bodies
        run = await run_stage(spec)
        server.close()
        return sum(1 for s in run.samples if s.kind == "ok")

    assert asyncio.run(one()) > 10
