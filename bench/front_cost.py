"""The server process's own cost per answer: CPU time (user and system) and fresh pages.

    .venv/bin/python bench/front_cost.py [--requests 80] [--clients 4] [--rounds 5]
        [--baseline-src DIR] [--json out.json]

Starts ``voxserve serve`` (2 workers, cache off) and, with ``--baseline-src``, a second server
whose code comes from ``DIR`` (the ``src`` directory of another checkout, say a ``git worktree``
of an older commit), then sends each the load benchmark's corpus with its emotional workload
(every second request with an emotion) from ``--clients`` closed-loop clients, round after
round, the servers taking turns. Around each round it reads the server process's own counters
from ``/proc`` (its workers are not counted: they run the engine, the same for both): CPU
seconds in user and system mode and minor page faults, per answer. Medians over the rounds.

The server process's cost is what the service adds to the engine's: HTTP, planning, admission,
the worker protocol, assembling and encoding the answer. On a machine whose cores the workers
keep busy, every millisecond of it is taken from them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

import aiohttp

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent)]

from tests.support.server import ServerProcess  # noqa: E402

from loadgen.workload import request_stream  # noqa: E402

TICK_S = 1.0 / os.sysconf("SC_CLK_TCK")
ENV = {"VOXSERVE_CACHE_BACKEND": "off", "VOXSERVE_ENGINES": "baker-zh"}


def counters(pid: int) -> tuple[float, float, int]:
    """User and system CPU seconds and minor page faults of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) * TICK_S, int(fields[12]) * TICK_S, int(fields[7])


async def one_round(url: str, pid: int, requests: int, clients: int, seed: int) -> dict[str, float]:
    stream = request_stream(seed, "emotional")
    queue = [next(stream) for _ in range(requests)]

    async def client(session: aiohttp.ClientSession, index: int) -> None:
        for text, emotion in queue[index::clients]:
            body: dict[str, object] = {"text": text}
            if emotion:
                body |= {"emotion": emotion, "intensity": 1.0}
            async with session.post(url + "/v1/tts", json=body) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"{response.status} from {url}")

    async with aiohttp.ClientSession() as session:
        before = counters(pid)
        await asyncio.gather(*(client(session, i) for i in range(clients)))
        after = counters(pid)
    user, system, faults = (a - b for a, b in zip(after, before, strict=True))
    return {
        "user_ms": 1000 * user / requests,
        "system_ms": 1000 * system / requests,
        "cpu_ms": 1000 * (user + system) / requests,
        "faults": faults / requests,
    }


def _start(name: str, src: str | None) -> ServerProcess:
    env = dict(ENV)
    if src is not None:
        env["PYTHONPATH"] = str(Path(src).resolve())
    server = ServerProcess(env, workers=2).start(timeout=300)
    print(f"{name}: {server.url} (pid {server.process.pid if server.process else '?'})")
    return server


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    names = ["voxserve"] + (["baseline"] if args.baseline_src else [])
    servers = {"voxserve": _start("voxserve", None)}
    if args.baseline_src:
        servers["baseline"] = _start("baseline", args.baseline_src)
    rounds: dict[str, list[dict[str, float]]] = {n: [] for n in names}
    try:
        for name in names:  # a warm-up round each: imports, first allocations, caches
            await _round_of(servers[name], args, seed=999)
        for index in range(args.rounds):
            for name in names if index % 2 == 0 else names[::-1]:
                result = await _round_of(servers[name], args, seed=index)
                rounds[name].append(result)
                print(f"round {index + 1} {name}: " + _line(result), flush=True)
    finally:
        for server in servers.values():
            server.stop()
    return {n: {"median": _medians(rounds[n]), "rounds": rounds[n]} for n in names}


async def _round_of(server: ServerProcess, args: argparse.Namespace, seed: int) -> dict[str, float]:
    assert server.process is not None
    return await one_round(server.url, server.process.pid, args.requests, args.clients, seed)


def _medians(rows: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in rows) for k in rows[0]}


def _line(row: dict[str, float]) -> str:
    return (
        f"{row['cpu_ms']:.2f} ms CPU per answer (user {row['user_ms']:.2f}, "
        f"system {row['system_ms']:.2f}), {row['faults']:.0f} page faults"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=80, help="answers per round")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--baseline-src", help="a second server's code (another checkout's src)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    results = asyncio.run(measure(args))
    for name, result in results.items():
        print(f"{name} (median of {args.rounds}): {_line(result['median'])}")
    if "baseline" in results:
        new, old = results["voxserve"]["median"], results["baseline"]["median"]
        print(f"voxserve / baseline CPU per answer: {new['cpu_ms'] / old['cpu_ms']:.2f}x")
    if args.json:
        meta = {"requests": args.requests, "clients": args.clients, "rounds": args.rounds}
        args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=1))


if __name__ == "__main__":
    main()
