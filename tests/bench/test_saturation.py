"""The saturation benchmark's round (against a small aiohttp server) and its paired summary."""

from __future__ import annotations

import asyncio
import os

import numpy as np
from aiohttp import web

from loadgen.targets import Running
from saturation import Round, _summary, one_round
from voxserve.audio.encode import encode

ONE_SECOND = encode(np.zeros(16000, dtype=np.float32), 16000, "wav")


async def _round_against_fake(batch: list[tuple[str, str | None]]) -> tuple[Round, list[dict]]:
    bodies: list[dict] = []

    async def tts(request: web.Request) -> web.Response:
        bodies.append(await request.json())
        if len(bodies) == 1:  # the first request is refused once
            return web.json_response({}, status=429, headers={"Retry-After": "0"})
        return web.Response(body=ONE_SECOND, content_type="audio/wav")

    app = web.Application()
    app.router.add_post("/v1/tts", tts)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        server = Running(f"http://127.0.0.1:{port}", os.getpid(), lambda: None)
        result = await one_round(server, batch, clients=2)
    finally:
        await runner.cleanup()
    return result, bodies


def test_a_round_speaks_the_whole_batch_and_retries_a_refusal() -> None:
    batch = [("一", None), ("二", "happy"), ("三", None), ("四", "sad"), ("五", None)]
    result, bodies = asyncio.run(_round_against_fake(batch))
    assert result.refusals == 1
    # Every text once, the refused one twice; five seconds of audio in all.
    assert sorted(b["text"] for b in bodies) == sorted(["一", "一", "二", "三", "四", "五"])
    assert {b["text"]: b.get("emotion") for b in bodies}["四"] == "sad"
    assert abs(result.audio_s_per_s * result.seconds - 5.0) < 1e-6
    assert result.cpu_ms_per_audio_s >= result.root_cpu_ms_per_audio_s >= 0


def test_the_summary_pairs_voxserve_with_each_baseline_round_by_round() -> None:
    def row(rate: float) -> Round:
        return Round(rate, 40.0, 0.4, 20.0, 0)

    summary = _summary(
        {"voxserve": [row(50.0), row(45.0), row(48.0)], "flask": [row(40.0), row(50.0), row(48.0)]}
    )
    assert summary["targets"]["voxserve"]["median_audio_s_per_s"] == 48.0
    assert summary["voxserve_throughput_over"]["flask"]["rounds"] == [1.25, 0.9, 1.0]
    assert summary["voxserve_throughput_over"]["flask"]["median"] == 1.0
    assert "voxserve" not in summary["voxserve_throughput_over"]
