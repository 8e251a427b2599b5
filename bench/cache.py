"""Cache benchmark: a repeated IVR-style greeting served from the response cache.

    .venv/bin/python bench/cache.py [--seconds 10] [--repeat 3] [--json out.json]

A server (``voxserve serve``, baker-zh, 2 workers) speaks a 20-character Mandarin greeting once;
then wrk (C, one thread, 50 connections, keep-alive) asks for the same greeting as Opus for
``--seconds``, ``--repeat`` times. Reported: requests per second and the latency percentiles
wrk measures, each run and the median. The client runs on the same machine as the server.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.server import ServerProcess

GREETING = "您好，欢迎致电星河银行，我们竭诚为您服务。"
"""20 characters: what an IVR says to every caller."""

_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0}


def _seconds(text: str) -> float:
    value, unit = re.fullmatch(r"([0-9.]+)(us|ms|s)", text.strip()).groups()  # type: ignore[union-attr]
    return float(value) * _UNITS[unit]


def parse_wrk(output: str) -> dict[str, float]:
    """Requests per second, latency percentiles (seconds) and error counts from wrk's report."""
    result = {"rps": float(re.search(r"Requests/sec:\s+([0-9.]+)", output).group(1))}  # type: ignore[union-attr]
    for pct, value in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)$", output, re.MULTILINE):
        result[f"p{pct}"] = _seconds(value)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["non_2xx"] = float(errors.group(1)) if errors else 0.0
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    result["socket_errors"] = float(sum(map(int, socket.groups()))) if socket else 0.0
    return result


def run_wrk(url: str, body: str, seconds: int, connections: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, encoding="utf-8") as script:
        # A long-bracket string: raw UTF-8, no escapes for Lua to misread.
        script.write(
            'wrk.method = "POST"\n'
            f"wrk.body = [==[{body}]==]\n"
            'wrk.headers["Content-Type"] = "application/json"\n'
        )
    try:
        command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s"]
        out = subprocess.run(
            [*command, script.name, url], capture_output=True, text=True, check=True
        )
    finally:
        Path(script.name).unlink()
    return parse_wrk(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: scripts/setup --dev installs it (apt-get install wrk)")
    env = {"VOXSERVE_ENGINES": "baker-zh", "VOXSERVE_LOG_LEVEL": "warning"}
    server = ServerProcess(env, workers=2).start()
    body = json.dumps({"text": GREETING, "format": "opus"}, ensure_ascii=False)
    try:
        first = httpx.post(
            f"{server.url}/v1/tts",
            content=body.encode(),
            timeout=60,
            headers={"Content-Type": "application/json"},
        )
        check = httpx.post(
            f"{server.url}/v1/tts",
            content=body.encode(),
            timeout=60,
            headers={"Content-Type": "application/json"},
        )
        runs = [
            run_wrk(f"{server.url}/v1/tts", body, args.seconds, args.connections)
            for _ in range(args.repeat)
        ]
    finally:
        server.stop()
    report = summarize(runs, first, check, args)
    print(json.dumps(report["median"], indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


def summarize(
    runs: list[dict[str, float]],
    first: httpx.Response,
    check: httpx.Response,
    args: argparse.Namespace,
) -> dict[str, Any]:
    median = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    return {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
        },
        "client": f"wrk -t1 -c{args.connections} -d{args.seconds}s (same machine)",
        "text": GREETING,
        "chars": len(GREETING),
        "format": "opus",
        "first_response": {"x_cache": first.headers.get("x-cache"), "bytes": len(first.content)},
        "second_response": {"x_cache": check.headers.get("x-cache")},
        "runs": runs,
        "median": median,
    }


if __name__ == "__main__":
    main()
