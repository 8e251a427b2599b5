"""Jobs vs interactive requests: short requests' latency on an idle server and beside a long job.

    .venv/bin/python bench/job_priority.py [--seconds 30] [--json out.json]

One server (baker-zh, 2 workers, cache off so that every request is synthesized). A client sends
short Mandarin requests (a different 16-20 character text each time) one after another with a
0.2 s pause, for ``--seconds``: first on the idle server, then while a 100,000-character job
runs. Reported: each phase's latency percentiles, the ratio of the p95s, and how far the job
got meanwhile (it must progress, not just wait).
"""

from __future__ import annotations

import argparse
import json
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

from texts import zh_text

JOB_CHARS = 100_000


def short_text(n: int) -> str:
    return f"您的验证码是{n % 1000:03d}{(n * 7919) % 1000:03d}，请在五分钟内输入。"


def percentiles(values: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {
        "n": len(values),
        "p50": statistics.median(values),
        "p95": cuts[94],
        "p99": cuts[98],
        "max": max(values),
    }


def measure(client: httpx.Client, seconds: float, start: int) -> list[float]:
    latencies = []
    end = time.monotonic() + seconds
    n = start
    while time.monotonic() < end:
        began = time.perf_counter()
        r = client.post("/v1/tts", json={"text": short_text(n), "format": "wav"})
        r.raise_for_status()
        latencies.append(time.perf_counter() - began)
        n += 1
        time.sleep(0.2)
    return latencies


def job_progress(client: httpx.Client, job_id: str) -> dict[str, Any]:
    view: dict[str, Any] = client.get(f"/v1/jobs/{job_id}").json()
    return view


def run(seconds: float) -> dict[str, Any]:
    env = {
        "VOXSERVE_ENGINES": "baker-zh",
        "VOXSERVE_CACHE_BACKEND": "off",
        "VOXSERVE_LOG_LEVEL": "warning",
    }
    server = ServerProcess(env, workers=2).start()
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            measure(client, 3, 900)  # warm up
            idle = measure(client, seconds, 0)
            job = client.post("/v1/jobs", json={"text": zh_text(JOB_CHARS), "format": "opus"})
            job.raise_for_status()
            job_id = job.json()["id"]
            while job_progress(client, job_id)["progress"]["units_done"] < 2:
                time.sleep(0.2)
            before = job_progress(client, job_id)["progress"]
            busy = measure(client, seconds, 10_000)
            after = job_progress(client, job_id)
            client.delete(f"/v1/jobs/{job_id}")
    finally:
        server.stop()
    return report(idle, busy, before, after, seconds)


def report(
    idle: list[float],
    busy: list[float],
    before: dict[str, Any],
    after: dict[str, Any],
    seconds: float,
) -> dict[str, Any]:
    idle_stats, busy_stats = percentiles(idle), percentiles(busy)
    done = after["progress"]["chars_done"] - before["chars_done"]
    return {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "idle": idle_stats,
        "with_job": busy_stats,
        "p95_ratio": busy_stats["p95"] / idle_stats["p95"],
        "p50_ratio": busy_stats["p50"] / idle_stats["p50"],
        "job": {
            "chars": JOB_CHARS,
            "status": after["status"],
            "chars_done_during_phase": done,
            "chars_per_second": done / seconds,
            "audio_seconds_done": after["progress"]["audio_seconds"],
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    result = run(args.seconds)
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
