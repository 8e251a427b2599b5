"""Soak benchmark: mixed traffic at a fraction of capacity for a long time; do the processes leak?

    .venv/bin/python bench/soak.py [--minutes 30 | --quick] [--rate R] [--load 0.7] [--workers 2]

1. Starts ``voxserve serve`` (baker-zh + espeak, ``--workers`` workers, the default cache).
2. Capacity: unless ``--rate`` is given, a closed loop of 2 x workers clients sends the standard
   request (two distinct Mandarin sentences to ``/v1/tts``, with the soak's mix of emotions and
   formats) for ``--calibrate-s`` seconds.
3. Soak: Poisson arrivals at ``--load`` x capacity (in standard-request equivalents) of
   sync ``/v1/tts`` (40 %), streamed ``/v1/tts`` (25 %), WebSocket ``/v1/stream`` sessions (25 %)
   and jobs (10 %, eight sentences each, polled until they finish). Every sentence carries a
   running number, so the cache never answers for the engine.
4. Every ``--sample-s`` seconds: RSS (VmRSS), threads and open file descriptors of the server
   and of each worker, job workers included (pids from ``/readyz``), and the load average.

The report: per process, the RSS slope after warm-up (least squares over the samples after the
first ``--warmup`` fraction of the run, MiB per hour), fd and thread ranges; answers by status
class per traffic kind; latency percentiles. JSON goes to ``bench/results/soak-<date>.json``,
a Markdown summary to ``--markdown`` (``docs/soak.md``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shlex
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus, WebSocketException

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from tests.support.server import ServerProcess  # noqa: E402

from texts import zh_text  # noqa: E402

MIX = {"sync": 0.40, "stream": 0.25, "ws": 0.25, "job": 0.10}
"""Share of arrivals per traffic kind."""
COST = {"sync": 1.0, "stream": 1.0, "ws": 1.0, "job": 4.0}
"""Work per arrival in standard requests (two sentences); a job has eight."""
MAX_IN_FLIGHT = 200
"""Arrivals beyond this many unfinished ones are shed client-side (and counted)."""
SENTENCES = [s + "。" for s in re.split("[。！？]", zh_text(600)) if s]
EMOTIONS = ("neutral", "neutral", "neutral", "happy", "sad")
ENGINES = "baker-zh,espeak"
WS_ERROR_STATUS = {"overloaded": 429, "too_many_streams": 429, "unavailable": 503}
WS_ERROR_STATUS["deadline_exceeded"] = 504


class Texts:
    """Distinct Mandarin sentences: each carries a running number, so none repeats."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, sentences: int) -> str:
        out = []
        for _ in range(sentences):
            self.n += 1
            base = SENTENCES[self.n % len(SENTENCES)]
            out.append(f"{base[:-1]}，第{self.n}遍。")
        return "".join(out)


@dataclass
class Tally:
    """Answers and latencies of one traffic kind."""

    statuses: Counter[str] = field(default_factory=Counter)
    latency: list[float] = field(default_factory=list)
    first_audio: list[float] = field(default_factory=list)

    def count(self, status: int | str) -> None:
        self.statuses[str(status)] += 1


# -- traffic -----------------------------------------------------------------------------------


class Traffic:
    """Sends one request of each kind and records what came back."""

    def __init__(self, client: httpx.AsyncClient, port: int, seed: int = 7) -> None:
        self.client = client
        self.port = port
        self.texts = Texts()
        self.rng = random.Random(seed)
        self.tally: dict[str, Tally] = defaultdict(Tally)
        self.http: Counter[int] = Counter()
        """Every HTTP status seen, job polls included."""

    async def run(self, kind: str) -> None:
        tally = self.tally[kind]
        started = time.perf_counter()
        try:
            await getattr(self, f"_{kind}")(tally, started)
        except (httpx.HTTPError, WebSocketException, OSError, TimeoutError) as exc:
            tally.count(f"error:{type(exc).__name__}")

    def _body(self, sentences: int) -> dict[str, Any]:
        return {"text": self.texts(sentences), "emotion": self.rng.choice(EMOTIONS)}

    def _record(self, tally: Tally, status: int, started: float) -> None:
        self.http[status] += 1
        tally.count(status)
        if status < 300:
            tally.latency.append(time.perf_counter() - started)

    async def _sync(self, tally: Tally, started: float) -> None:
        body = {**self._body(2), "format": self.rng.choice(("wav", "mp3", "opus"))}
        r = await self.client.post("/v1/tts", json=body)
        self._record(tally, r.status_code, started)

    async def _stream(self, tally: Tally, started: float) -> None:
        body = {**self._body(2), "stream": True, "format": self.rng.choice(("pcm", "mp3"))}
        async with self.client.stream("POST", "/v1/tts", json=body) as r:
            first = None
            async for _ in r.aiter_bytes():
                first = first or time.perf_counter() - started
        if first is not None and r.status_code < 300:
            tally.first_audio.append(first)
        self._record(tally, r.status_code, started)

    async def _ws(self, tally: Tally, started: float) -> None:
        text = self.texts(2)
        try:
            async with connect(f"ws://127.0.0.1:{self.port}/v1/stream", open_timeout=30) as ws:
                await ws.send(json.dumps({"type": "config", "format": "pcm"}))
                await asyncio.wait_for(ws.recv(), 30)  # ready
                for i in range(0, len(text), 7):  # as an LLM writes: a few characters at a time
                    await ws.send(json.dumps({"type": "text", "text": text[i : i + 7]}))
                await ws.send(json.dumps({"type": "close"}))
                status = await self._ws_collect(ws, tally, started)
        except InvalidStatus as exc:
            status = exc.response.status_code
        self._record(tally, status, started)

    @staticmethod
    async def _ws_collect(ws: Any, tally: Tally, started: float) -> int:
        """The session as an HTTP status: 200 when it reached ``done`` without an ``error``
        event, else the status of its error's code (a sentence refused as overloaded: 429)."""
        audio, status = False, 200
        while True:
            message = await asyncio.wait_for(ws.recv(), 180)
            if isinstance(message, bytes):
                if not audio:
                    tally.first_audio.append(time.perf_counter() - started)
                    audio = True
                continue
            event = json.loads(message)
            if event["type"] == "done":
                return status
            if event["type"] == "error":
                tally.count(f"ws-error:{event.get('code')}")
                status = max(status, WS_ERROR_STATUS.get(str(event.get("code")), 500))

    async def _job(self, tally: Tally, started: float) -> None:
        r = await self.client.post("/v1/jobs", json={**self._body(8), "format": "mp3"})
        self.http[r.status_code] += 1
        if r.status_code != 202:
            tally.count(r.status_code)
            return
        url = r.json()["urls"]["self"]
        while True:
            await asyncio.sleep(1.0)
            poll = await self.client.get(url)
            self.http[poll.status_code] += 1
            if poll.status_code >= 500:
                tally.count(f"poll:{poll.status_code}")
                continue
            status = poll.json()["status"]
            if status in ("succeeded", "failed", "cancelled"):
                tally.count(202 if status == "succeeded" else f"job:{status}")
                if status == "succeeded":
                    tally.latency.append(time.perf_counter() - started)
                return


async def calibrate(client: httpx.AsyncClient, port: int, clients: int, seconds: float) -> float:
    """Standard requests per second that the server completes under a closed loop (the sync
    requests of the soak: its emotions and formats, whose cost differs)."""
    traffic = Traffic(client, port, seed=3)
    traffic.texts.n = 10_000_000  # numbers the soak itself never reaches
    end = time.monotonic() + seconds

    async def loop() -> None:
        while time.monotonic() < end:
            await traffic.run("sync")

    started = time.monotonic()
    await asyncio.gather(*(loop() for _ in range(clients)))
    return traffic.tally["sync"].statuses["200"] / (time.monotonic() - started)


async def arrivals(traffic: Traffic, rate: float, seconds: float, shed: Counter[str]) -> None:
    """Open-loop Poisson arrivals at ``rate`` per second for ``seconds``."""
    rng = random.Random(11)
    kinds, weights = list(MIX), list(MIX.values())
    pending: set[asyncio.Task[None]] = set()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        await asyncio.sleep(rng.expovariate(rate))
        kind = rng.choices(kinds, weights)[0]
        if len(pending) >= MAX_IN_FLIGHT:
            shed[kind] += 1
            continue
        task = asyncio.create_task(traffic.run(kind))
        pending.add(task)
        task.add_done_callback(pending.discard)
    await asyncio.gather(*pending)


# -- sampling ----------------------------------------------------------------------------------


def proc_stats(pid: int) -> dict[str, float] | None:
    """RSS (MiB), threads and open fds of ``pid``; None once it has gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        fds = sum(1 for _ in Path(f"/proc/{pid}/fd").iterdir())
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    rss_kib = int(fields["VmRSS"].split()[0])
    return {"rss_mib": rss_kib / 1024, "threads": int(fields["Threads"]), "fds": fds}


async def sample_forever(
    server: ServerProcess, client: httpx.AsyncClient, every: float, samples: list[dict[str, Any]]
) -> None:
    """Append a sample of every process's figures every ``every`` seconds."""
    assert server.process is not None
    started = time.monotonic()
    while True:
        pids = {"server": server.process.pid}
        try:
            ready = (await client.get("/readyz")).json()
            # Every list of pids that readiness gives: interactive and job workers.
            for key, value in ready.items():
                if key.endswith("worker_pids"):
                    role = key.removesuffix("_pids").replace("_", "-")
                    pids.update({f"{role}-{pid}": pid for pid in value})
        except httpx.HTTPError:
            pass
        procs = {name: s for name, pid in pids.items() if (s := proc_stats(pid)) is not None}
        samples.append(
            {"t": time.monotonic() - started, "load": os.getloadavg()[0], "procs": procs}
        )
        await asyncio.sleep(every)


# -- report ------------------------------------------------------------------------------------


def percentiles(values: list[float]) -> dict[str, float] | None:
    if len(values) < 2:
        return None
    q = statistics.quantiles(values, n=100)
    return {"p50": q[49], "p95": q[94], "p99": q[98], "max": max(values)}


def process_summary(samples: list[dict[str, Any]], warmup: float) -> dict[str, Any]:
    """Per process: the RSS slope after warm-up (MiB/h) and the ranges of every figure."""
    end = samples[-1]["t"]
    series: dict[str, list[tuple[float, dict[str, float]]]] = defaultdict(list)
    for s in samples:
        for name, figures in s["procs"].items():
            series[name].append((s["t"], figures))
    out: dict[str, Any] = {}
    for name, points in series.items():
        late = [(t, f) for t, f in points if t >= warmup * end]
        slope = None
        if len(late) >= 3 and late[-1][0] > late[0][0]:
            fit = statistics.linear_regression(
                [t / 3600 for t, _ in late], [f["rss_mib"] for _, f in late]
            )
            slope = fit.slope
        thirds = len(late) // 3
        growth = None
        if thirds:
            early_rss = statistics.median(f["rss_mib"] for _, f in late[:thirds])
            late_rss = statistics.median(f["rss_mib"] for _, f in late[-thirds:])
            growth = late_rss - early_rss
        out[name] = {
            "samples": len(points),
            "rss_growth_mib_thirds": growth,
            "seconds": points[-1][0] - points[0][0],
            "rss_mib_first_after_warmup": late[0][1]["rss_mib"] if late else None,
            "rss_mib_last": points[-1][1]["rss_mib"],
            "rss_mib_max": max(f["rss_mib"] for _, f in points),
            "rss_slope_mib_per_hour": slope,
            **{
                f"{what}_{agg.__name__}": agg(f[what] for _, f in late or points)
                for what in ("fds", "threads")
                for agg in (min, max)
            },
        }
    return out


def status_classes(statuses: Counter[str]) -> dict[str, int]:
    classes: Counter[str] = Counter()
    for status, n in statuses.items():
        if status.isdigit():
            code = int(status)
            key = "429" if code == 429 else f"{code // 100}xx"
        else:
            key = status.split(":")[0]  # error:<exception>, job:failed, poll:<5xx>
        classes[key] += n
    return dict(classes)


def _cell(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def rss_timeline(report: dict[str, Any], rows: int = 7) -> list[str]:
    """RSS of every process at ``rows`` evenly spaced moments of the run, as a Markdown table."""
    samples = report["samples"]
    names = list(report["processes"])
    end = samples[-1]["t"]
    lines = [
        "RSS (MiB) over the run:",
        "",
        "| minute | load | " + " | ".join(names) + " |",
        "|---:|---:|" + "---:|" * len(names),
    ]
    for i in range(rows):
        at = end * i / (rows - 1)
        s = min(samples, key=lambda x: abs(x["t"] - at))
        cells = [f"{s['procs'][n]['rss_mib']:.0f}" if n in s["procs"] else "-" for n in names]
        lines.append(f"| {s['t'] / 60:.0f} | {s['load']:.2f} | " + " | ".join(cells) + " |")
    return lines


def markdown(report: dict[str, Any]) -> str:
    """The Markdown summary of ``report``."""
    c = report["config"]
    mix = ", ".join(f"{kind} {share:.0%}" for kind, share in MIX.items())
    lines = [
        "# Soak benchmark",
        "",
        f"Command: `{c['command']}`",
        "",
        f"Run {report['started']} for {c['minutes']:g} min on {c['cpus']} logical CPUs; "
        f"engines {c['engines']}, {c['workers']} workers; capacity "
        f"{c['capacity_rps']:.2f} standard requests/s "
        f"({'given' if c['rate_given'] else 'measured'}); offered {c['load']:.0%} of it: "
        f"{c['arrivals_per_s']:.2f} arrivals/s ({mix}). "
        f"Load average over the run: mean {report['load']['mean']:.2f}, max "
        f"{report['load']['max']:.2f} (the machine is shared: other work ran beside it).",
        "",
        f"## Processes (after the first {c['warmup']:.0%} of the run)",
        "",
        "| process | samples | RSS after warm-up MiB | RSS last MiB | RSS max MiB | "
        "RSS slope MiB/h | RSS growth MiB | fds min-max | threads min-max |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for name, p in report["processes"].items():
        lines.append(
            f"| {name} | {p['samples']} | {_cell(p['rss_mib_first_after_warmup'], '.1f')} | "
            f"{p['rss_mib_last']:.1f} | {p['rss_mib_max']:.1f} | "
            f"{_cell(p['rss_slope_mib_per_hour'], '+.2f')} | "
            f"{_cell(p.get('rss_growth_mib_thirds'), '+.1f')} | "
            f"{p['fds_min']}-{p['fds_max']} | {p['threads_min']}-{p['threads_max']} |"
        )
    lines += [
        "",
        "RSS growth: the median RSS of the last third of the samples after warm-up minus that of "
        "the first third (steadier than the slope where RSS swings with each job's size).",
        "",
        *rss_timeline(report),
        "",
        f"Worker restarts during the run: {report['worker_restarts']:g}.",
        "",
        "## Answers",
        "",
        "| kind | sent | 2xx | 4xx | 429 | 5xx | other | shed | p50 s | p95 s | p99 s | "
        "first audio p50 s | p95 s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, k in report["kinds"].items():
        cls = k["classes"]
        other = sum(v for key, v in cls.items() if key not in ("2xx", "4xx", "429", "5xx"))
        lat, first = k["latency_s"] or {}, k["first_audio_s"] or {}
        quantiles = ((lat, "p50"), (lat, "p95"), (lat, "p99"), (first, "p50"), (first, "p95"))
        lines.append(
            f"| {kind} | {k['sent']} | {cls.get('2xx', 0)} | {cls.get('4xx', 0)} | "
            f"{cls.get('429', 0)} | {cls.get('5xx', 0)} | {other} | {k['shed']} | "
            + " | ".join(f"{d[q]:.2f}" if q in d else "-" for d, q in quantiles)
            + " |"
        )
    lines += [
        "",
        f"Every HTTP answer (job polls included): {dict(sorted(report['http'].items()))}; "
        f"5xx in all: **{report['http_5xx']}**.",
        "",
    ]
    return "\n".join(lines)


# -- main --------------------------------------------------------------------------------------


async def soak(args: argparse.Namespace, server: ServerProcess) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=MAX_IN_FLIGHT + 10)
    async with httpx.AsyncClient(base_url=server.url, timeout=180, limits=limits) as client:
        capacity = args.rate
        if capacity is None:
            print(f"calibrating for {args.calibrate_s:g} s ...", flush=True)
            capacity = await calibrate(client, server.port, 2 * args.workers, args.calibrate_s)
        mean_cost = sum(MIX[k] * COST[k] for k in MIX)
        rate = args.load * capacity / mean_cost
        print(f"capacity {capacity:.2f} req/s; {rate:.2f} arrivals/s", flush=True)
        samples: list[dict[str, Any]] = []
        sampler = asyncio.create_task(sample_forever(server, client, args.sample_s, samples))
        traffic, shed = Traffic(client, server.port), Counter[str]()
        started = time.strftime("%Y-%m-%d %H:%M:%S")
        await arrivals(traffic, rate, args.minutes * 60, shed)
        sampler.cancel()
        restarts = await _metric(client, "voxserve_worker_restarts_total")
    return {
        "started": started,
        "capacity": capacity,
        "rate": rate,
        "samples": samples,
        "traffic": traffic,
        "shed": shed,
        "worker_restarts": restarts,
    }


async def _metric(client: httpx.AsyncClient, name: str) -> float:
    body = (await client.get("/metrics")).text
    found = re.findall(rf"^{re.escape(name)}(?:{{[^}}]*}})? ([0-9.e+-]+)$", body, re.MULTILINE)
    return sum(float(v) for v in found)


def build_report(args: argparse.Namespace, run: dict[str, Any]) -> dict[str, Any]:
    traffic: Traffic = run["traffic"]
    samples = run["samples"]
    loads = [s["load"] for s in samples]
    kinds = {}
    for kind in MIX:
        t = traffic.tally[kind]
        kinds[kind] = {
            "sent": sum(t.statuses.values()),
            "statuses": dict(t.statuses),
            "classes": status_classes(t.statuses),
            "shed": run["shed"][kind],
            "latency_s": percentiles(t.latency),
            "first_audio_s": percentiles(t.first_audio),
        }
    return {
        "started": run["started"],
        "config": {
            "command": args.command,
            "minutes": args.minutes,
            "workers": args.workers,
            "engines": ENGINES,
            "cpus": os.cpu_count(),
            "load": args.load,
            "warmup": args.warmup,
            "sample_s": args.sample_s,
            "capacity_rps": run["capacity"],
            "rate_given": args.rate is not None,
            "arrivals_per_s": run["rate"],
            "mix": MIX,
            "cost": COST,
        },
        "load": {"mean": statistics.fmean(loads), "max": max(loads)},
        "processes": process_summary(samples, args.warmup),
        "worker_restarts": run["worker_restarts"],
        "kinds": kinds,
        "http": {str(k): v for k, v in traffic.http.items()},
        "http_5xx": sum(v for k, v in traffic.http.items() if k >= 500),
        "samples": samples,
    }


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--quick", action="store_true", help="5 minutes")
    parser.add_argument("--rate", type=float, help="capacity, standard requests/s (no calibration)")
    parser.add_argument("--load", type=float, default=0.7, help="fraction of capacity offered")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--calibrate-s", type=float, default=30.0)
    parser.add_argument("--sample-s", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=0.2, help="fraction of the run excluded")
    parser.add_argument("--out", type=Path, help="JSON (default bench/results/soak-<date>.json)")
    parser.add_argument("--markdown", type=Path, help="write the Markdown summary here too")
    args = parser.parse_args(argv)
    if args.quick:
        args.minutes = 5.0
    args.command = "bench/soak.py " + shlex.join(sys.argv[1:] if argv is None else argv)
    return args


def main() -> None:
    args = parse()
    with tempfile.TemporaryDirectory(prefix="voxserve-soak-") as scratch:
        log = Path(scratch) / "server.log"
        server = ServerProcess({"VOXSERVE_ENGINES": ENGINES}, workers=args.workers, log=log)
        server.start()
        try:
            run = asyncio.run(soak(args, server))
        finally:
            server.stop()
    report = build_report(args, run)
    out = args.out or ROOT / "bench" / "results" / f"soak-{time.strftime('%Y%m%d-%H%M')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1, ensure_ascii=False))
    summary = markdown(report)
    if args.markdown:
        args.markdown.write_text(summary)
    print(summary)
    print(f"report: {out}")


if __name__ == "__main__":
    main()
