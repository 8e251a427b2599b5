"""Raw engine capacity: worker processes synthesizing the corpus in a loop, no HTTP at all.

    python bench/loadgen/raw.py --workers 2 --seconds 20 [--workload emotional]

Each process loads the engine as the baselines do (``bench/baselines/engine.py``), warms up,
waits for the common start, then speaks the corpus (its own shuffled order, like a virtual
user, with the workload's emotions) and encodes each text to WAV, the same work per request
as every server. The request in progress when the window closes counts for the fraction of it
done inside the window. Prints one JSON object; its capacity in the unit of goodput is
``audio_s_per_s``, seconds of audio per second.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(BENCH), str(BENCH / "baselines")]

import engine  # noqa: E402

from loadgen.stats import latency_summary  # noqa: E402
from loadgen.workload import INTENSITY, WORKLOADS, request_stream  # noqa: E402


def _loop(
    index: int, seconds: float, workload: str, ready: Any, go: Any, start_at: Any, out: Any
) -> None:
    synthesizer = engine.load()
    ready.put(index)
    go.wait()
    start = start_at.value
    end = start + seconds
    done = audio = chars = 0.0
    latencies: list[float] = []
    for text, emotion in request_stream(10_000 + index, workload, offset=index):
        began = time.time()
        _, duration = engine.synthesize_wav(synthesizer, text, emotion or "neutral", INTENSITY)
        finished = time.time()
        latencies.append(finished - began)
        share = 1.0 if finished <= end else max(0.0, (end - began) / (finished - began))
        done, audio, chars = done + share, audio + duration * share, chars + len(text) * share
        if finished >= end:
            break
    out.put({"requests": done, "audio_s": audio, "chars": chars, "latencies": latencies})


def measure(workers: int, seconds: float, workload: str = "neutral") -> dict[str, Any]:
    """Requests, audio seconds and characters per second of ``workers`` looping processes."""
    ctx = mp.get_context("spawn")
    ready, out, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    start_at = ctx.Value("d", 0.0)
    procs = [
        ctx.Process(target=_loop, args=(i, seconds, workload, ready, go, start_at, out))
        for i in range(workers)
    ]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=300)
    start_at.value = time.time() + 0.1
    go.set()
    parts = [out.get(timeout=seconds + 300) for _ in procs]
    for p in procs:
        p.join()
    latencies = [x for part in parts for x in part["latencies"]]
    return {
        "workers": workers,
        "seconds": seconds,
        "workload": workload,
        "window": [start_at.value, start_at.value + seconds],
        "requests": sum(p["requests"] for p in parts),
        "qps": sum(p["requests"] for p in parts) / seconds,
        "audio_s_per_s": sum(p["audio_s"] for p in parts) / seconds,
        "chars_per_s": sum(p["chars"] for p in parts) / seconds,
        "latency": latency_summary(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workload", choices=WORKLOADS, default="neutral")
    args = parser.parse_args()
    print(json.dumps(measure(args.workers, args.seconds, args.workload)))


if __name__ == "__main__":
    main()
