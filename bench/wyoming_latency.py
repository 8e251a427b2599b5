"""Wyoming beside HTTP: time to the first audio and to the last, on one server, side by side.

    .venv/bin/python bench/wyoming_latency.py [--rounds 10] [--json out.json]

A server (``voxserve serve``, baker-zh, 2 workers, cache off) with its Wyoming port on. Each
round speaks the same three-sentence Mandarin text once over each path, in turn:
Wyoming ``synthesize``, Wyoming streamed text (the text in four chunks, as an assistant's
language model writes it), and HTTP ``POST /v1/tts`` with ``stream: true`` (PCM). Reported per
path: the median and spread of the seconds to the first audio byte and to the end of the audio.
The client runs on the same machine as the server, one request at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from wyoming.client import AsyncTcpClient
from wyoming.tts import Synthesize, SynthesizeChunk, SynthesizeStart, SynthesizeStop

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.server import ServerProcess, free_port

TEXT = (
    "今天天气很好，我们一起去公园散步吧。公园里的花都开了，红的黄的都有。走累了就坐下来休息一会儿。"
)
PIECES = [
    "今天天气很好，我们一起去公园",
    "散步吧。公园里的花都开了，",
    "红的黄的都有。走累了就坐下来",
    "休息一会儿。",
]

Timing = tuple[float, float]  # seconds to the first audio, to the end


async def _wyoming_reply(client: AsyncTcpClient, last: str, started: float) -> Timing:
    first = 0.0
    while (event := await client.read_event()) is not None:
        if event.type == "audio-chunk" and not first:
            first = time.perf_counter() - started
        if event.type == last:
            return first, time.perf_counter() - started
        if event.type == "error":
            raise RuntimeError(event.data)
    raise RuntimeError("connection closed")


async def wyoming_whole(port: int) -> Timing:
    async with AsyncTcpClient("127.0.0.1", port) as client:
        started = time.perf_counter()
        await client.write_event(Synthesize(text=TEXT).event())
        return await _wyoming_reply(client, "audio-stop", started)


async def wyoming_streamed(port: int) -> Timing:
    async with AsyncTcpClient("127.0.0.1", port) as client:
        started = time.perf_counter()
        await client.write_event(SynthesizeStart().event())
        for piece in PIECES:
            await client.write_event(SynthesizeChunk(piece).event())
        await client.write_event(SynthesizeStop().event())
        return await _wyoming_reply(client, "synthesize-stopped", started)


async def http_stream(url: str) -> Timing:
    body = {"text": TEXT, "format": "pcm", "stream": True}
    async with httpx.AsyncClient(timeout=60) as client:
        started = time.perf_counter()
        first = 0.0
        async with client.stream("POST", f"{url}/v1/tts", json=body) as answer:
            answer.raise_for_status()
            async for chunk in answer.aiter_raw():
                if chunk and not first:
                    first = time.perf_counter() - started
        return first, time.perf_counter() - started


def _summary(timings: list[Timing]) -> dict[str, float]:
    firsts, ends = [t[0] for t in timings], [t[1] for t in timings]
    return {
        "first_median_s": statistics.median(firsts),
        "first_min_s": min(firsts),
        "first_max_s": max(firsts),
        "end_median_s": statistics.median(ends),
        "end_min_s": min(ends),
        "end_max_s": max(ends),
    }


async def measure(url: str, port: int, rounds: int) -> dict[str, dict[str, float]]:
    paths: dict[str, Callable[[], Awaitable[Timing]]] = {
        "wyoming synthesize": lambda: wyoming_whole(port),
        "wyoming streamed text": lambda: wyoming_streamed(port),
        "http stream": lambda: http_stream(url),
    }
    for run in paths.values():  # warm every path once
        await run()
    timings: dict[str, list[Timing]] = {name: [] for name in paths}
    for _ in range(rounds):
        for name, run in paths.items():
            timings[name].append(await run())
    return {name: _summary(values) for name, values in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    port = free_port()
    env = {
        "VOXSERVE_ENGINES": "baker-zh",
        "VOXSERVE_CACHE_BACKEND": "off",
        "VOXSERVE_WYOMING_PORT": str(port),
    }
    server = ServerProcess(env, workers=2).start()
    try:
        results = asyncio.run(measure(server.url, port, args.rounds))
    finally:
        server.stop()
    print(f"{'path':<24} {'first audio (median, range)':>30} {'whole text (median, range)':>30}")
    for name, r in results.items():
        first = f"{r['first_median_s']:.3f} ({r['first_min_s']:.3f}-{r['first_max_s']:.3f})"
        end = f"{r['end_median_s']:.3f} ({r['end_min_s']:.3f}-{r['end_max_s']:.3f})"
        print(f"{name:<24} {first:>30} {end:>30}")
    if args.json:
        report = {"machine": platform.machine(), "rounds": args.rounds, "results": results}
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
