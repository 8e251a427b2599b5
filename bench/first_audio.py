"""Time to first audio of a stream whose first sentence is 60 characters, on an idle server with
the cache off: this tree against a baseline tree (another checkout and its model store), in one
run, requests alternating between the two servers.

    .venv/bin/python bench/first_audio.py --baseline-src ../old/src \\
        --baseline-models ~/old-models [--repeat 10] [--json out.json]

Each server has one worker and speaks ``zh-baker``. A request is ``POST /v1/tts`` with
``stream: true`` and raw PCM; the figure is the time from sending it to the first audio byte.
Without ``--baseline-src`` only this tree is measured.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.server import ServerProcess

FIRST_SENTENCE = (
    "各位旅客请注意，由于天气原因，您乘坐的航班将推迟起飞，"
    "具体起飞时间请留意机场广播和显示屏信息，给您带来不便我们深表歉意。"
)
TEXT = FIRST_SENTENCE + "感谢您的理解与配合，祝您旅途愉快。"
assert len(FIRST_SENTENCE) == 60


def first_byte(client: httpx.Client, url: str) -> tuple[float, float]:
    """Seconds to the first audio byte and to the last of one streamed request."""
    body = {"text": TEXT, "voice": "zh-baker", "stream": True, "format": "pcm"}
    started = time.perf_counter()
    first = 0.0
    with client.stream("POST", f"{url}/v1/tts", json=body) as response:
        response.raise_for_status()
        for chunk in response.iter_bytes():
            if chunk and not first:
                first = time.perf_counter() - started
    return first, time.perf_counter() - started


def server(src: Path | None, models: Path | None) -> ServerProcess:
    env = {"VOXSERVE_CACHE_BACKEND": "off", "VOXSERVE_ENGINES": "baker-zh"}
    if src is not None:
        env["PYTHONPATH"] = str(src.resolve())
    if models is not None:
        env["VOXSERVE_MODEL_DIR"] = str(models.expanduser().resolve())
    return ServerProcess(env, workers=1)


def measure(targets: dict[str, ServerProcess], repeat: int) -> dict[str, Any]:
    """``repeat`` requests per server (after one warm-up each), alternating."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in targets}
    with httpx.Client(timeout=60.0) as client:
        for target in targets.values():
            first_byte(client, target.url)
        for _ in range(repeat):
            for name, target in targets.items():
                time.sleep(0.5)  # idle: the previous request's worker is done
                times[name].append(first_byte(client, target.url))
    report: dict[str, Any] = {}
    for name, runs in times.items():
        report[name] = {
            "first_audio_s": [round(f, 4) for f, _ in runs],
            "first_audio_p50_s": statistics.median(f for f, _ in runs),
            "complete_p50_s": statistics.median(t for _, t in runs),
        }
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline-src", type=Path, help="the baseline tree's src directory")
    parser.add_argument("--baseline-models", type=Path, help="the baseline's model store")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with ExitStack() as stack:
        targets = {"current": stack.enter_context(_started(server(None, None)))}
        if args.baseline_src:
            baseline = server(args.baseline_src, args.baseline_models)
            targets["baseline"] = stack.enter_context(_started(baseline))
        report = measure(targets, args.repeat)
    if "baseline" in report:
        before = report["baseline"]["first_audio_p50_s"]
        report["drop"] = 1 - report["current"]["first_audio_p50_s"] / before
    report["text"] = TEXT
    report["cpu_count"] = os.cpu_count()
    for name in targets:
        row = report[name]
        print(
            f"{name}: first audio P50 {row['first_audio_p50_s'] * 1000:.0f} ms, "
            f"complete P50 {row['complete_p50_s'] * 1000:.0f} ms"
        )
    if "drop" in report:
        print(f"first audio {report['drop'] * 100:.0f}% earlier than the baseline")
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")


@contextmanager
def _started(process: ServerProcess) -> Iterator[ServerProcess]:
    """A server started on entry and stopped on exit."""
    try:
        yield process.start()
    finally:
        process.stop()


if __name__ == "__main__":
    main()
