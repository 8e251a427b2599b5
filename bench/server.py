"""Server benchmark: raw engine capacity vs the HTTP server at saturation, sentence parallelism,
and time to first audio of a stream, all measured in one run on the same machine.

    .venv/bin/python bench/server.py [--workers 2] [--seconds 30] [--repeat 10] [--json out.json]

1. Raw capacity: ``workers`` processes, each with the engines loaded in-process, synthesize the
   87-character Mandarin paragraph in a loop (no HTTP, no scheduler); requests per second.
2. Server throughput: ``voxserve serve --workers N`` under a closed loop of 2N clients sending
   the same paragraph to ``POST /v1/tts`` (wav); successful requests per second.
3. Sentence parallelism: one 3,000-character request against servers of 1 and of 2 workers.
4. Streaming: time to first audio byte of a 600-character text (``stream: true``, pcm) vs the
   in-process synthesis time of its first sentence and of the whole text.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.server import ServerProcess

from texts import ZH_PARAGRAPH, zh_text
from voxserve.pipeline import Synthesizer
from voxserve.settings import Settings
from voxserve.types import AudioFormat, SynthesisRequest

ENGINES = "baker-zh,piper,espeak"


def _raw_worker(seconds: float, start_at: float, results: Any) -> None:
    synthesizer = Synthesizer.load(Settings(engines=ENGINES))
    request = SynthesisRequest(text=ZH_PARAGRAPH, format=AudioFormat.WAV)
    synthesizer.synthesize(request)  # warm-up
    while time.time() < start_at:
        time.sleep(0.01)
    done, audio = 0, 0.0
    while time.time() < start_at + seconds:
        audio += synthesizer.synthesize(request).duration
        done += 1
    results.put((done, audio))


def raw_capacity(workers: int, seconds: float) -> dict[str, float]:
    """Requests per second of ``workers`` processes synthesizing in a loop."""
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    start_at = time.time() + 15  # every process loaded and warm before the clock starts
    procs = [
        ctx.Process(target=_raw_worker, args=(seconds, start_at, results)) for _ in range(workers)
    ]
    for p in procs:
        p.start()
    counts = [results.get(timeout=seconds + 120) for _ in procs]
    for p in procs:
        p.join()
    done = sum(c[0] for c in counts)
    # Requests that were in flight at the end count as the fraction they completed, roughly.
    return {"requests_per_s": done / seconds, "audio_s_per_s": sum(c[1] for c in counts) / seconds}


async def _closed_loop(url: str, clients: int, seconds: float) -> dict[str, float]:
    ok = errors = 0
    latencies: list[float] = []
    end = time.perf_counter() + seconds
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:

        async def one_client() -> None:
            nonlocal ok, errors
            while time.perf_counter() < end:
                started = time.perf_counter()
                r = await client.post("/v1/tts", json={"text": ZH_PARAGRAPH, "format": "wav"})
                if r.status_code == 200:
                    ok += 1
                    latencies.append(time.perf_counter() - started)
                else:
                    errors += 1

        await asyncio.gather(*(one_client() for _ in range(clients)))
    return {
        "requests_per_s": ok / seconds,
        "errors": errors,
        "latency_median_s": statistics.median(latencies) if latencies else 0.0,
    }


def server_throughput(workers: int, seconds: float) -> dict[str, float]:
    server = ServerProcess({"VOXSERVE_ENGINES": ENGINES}, workers=workers).start()
    try:
        asyncio.run(_closed_loop(server.url, 2 * workers, 5))  # warm-up
        return asyncio.run(_closed_loop(server.url, 2 * workers, seconds))
    finally:
        server.stop()


def long_text_seconds(workers: int, repeat: int) -> float:
    text = zh_text(3000)
    server = ServerProcess({"VOXSERVE_ENGINES": ENGINES}, workers=workers).start()
    try:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            r = httpx.post(
                f"{server.url}/v1/tts", json={"text": text, "format": "wav"}, timeout=300
            )
            r.raise_for_status()
            times.append(time.perf_counter() - started)
        return statistics.median(times)
    finally:
        server.stop()


def first_audio(workers: int, repeat: int) -> dict[str, float]:
    text = zh_text(600)
    synthesizer = Synthesizer.load(Settings(engines=ENGINES))
    plan = synthesizer.plan(SynthesisRequest(text=text, format=AudioFormat.PCM))
    first_unit, whole = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        synthesizer.render_unit(plan.units[0])
        first_unit.append(time.perf_counter() - started)
    started = time.perf_counter()
    for unit in plan.units:
        synthesizer.render_unit(unit)
    whole_inprocess = time.perf_counter() - started
    server = ServerProcess({"VOXSERVE_ENGINES": ENGINES}, workers=workers).start()
    ttfb = []
    try:
        for _ in range(repeat):
            started = time.perf_counter()
            with httpx.stream(
                "POST",
                f"{server.url}/v1/tts",
                timeout=120,
                json={"text": text, "format": "pcm", "stream": True},
            ) as r:
                chunks = r.iter_bytes()
                next(chunks)
                ttfb.append(time.perf_counter() - started)
                for _ in chunks:
                    pass
            whole.append(time.perf_counter() - started)
    finally:
        server.stop()
    return {
        "chars": len(text),
        "units": len(plan.units),
        "ttfb_median_s": statistics.median(ttfb),
        "first_sentence_synthesis_s": statistics.median(first_unit),
        "whole_stream_median_s": statistics.median(whole),
        "whole_inprocess_1_worker_s": whole_inprocess,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--only", default="capacity,parallel,stream")
    args = parser.parse_args()
    only = set(args.only.split(","))
    report: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "processor": platform.processor() or platform.machine(),
        },
        "workers": args.workers,
    }
    if "capacity" in only:
        raw = raw_capacity(args.workers, args.seconds)
        served = server_throughput(args.workers, args.seconds)
        report["capacity"] = {
            "raw": raw,
            "server": served,
            "ratio": served["requests_per_s"] / raw["requests_per_s"],
        }
        print(json.dumps(report["capacity"], indent=2), flush=True)
    if "parallel" in only:
        one = long_text_seconds(1, max(1, args.repeat // 3))
        two = long_text_seconds(2, max(1, args.repeat // 3))
        report["parallel"] = {"one_worker_s": one, "two_workers_s": two, "ratio": two / one}
        print(json.dumps(report["parallel"], indent=2), flush=True)
    if "stream" in only:
        s = first_audio(args.workers, args.repeat)
        s["ttfb_vs_first_sentence_plus_100ms"] = (
            s["ttfb_median_s"] <= s["first_sentence_synthesis_s"] + 0.1
        )
        s["ttfb_share_of_whole"] = s["ttfb_median_s"] / s["whole_stream_median_s"]
        report["stream"] = s
        print(json.dumps(s, indent=2), flush=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
