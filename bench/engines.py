"""Engine benchmark: cold load time, real-time factor and peak memory of each engine.

    .venv/bin/python bench/engines.py [--engines baker-zh,piper,espeak] [--repeat 5] \\
        [--json out.json]
    .venv/bin/python bench/engines.py --builds [--passes 3] [--texts 40] [--json out.json]

Every (engine, thread count) pair is measured in a fresh subprocess, so its load is cold and its
peak RSS is that of one engine alone. ``--builds`` instead compares baker-zh's previous recipe
with the current build (speed, round-trip CER, DNSMOS: ``baker_builds``). See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from texts import EN_PARAGRAPH, ZH_PARAGRAPH
from voxserve.engines.base import Engine
from voxserve.engines.registry import engine_spec
from voxserve.errors import ModelMissingError
from voxserve.settings import Settings
from voxserve.text import prepare
from voxserve.types import NEUTRAL_PROSODY, Voice

PARAGRAPHS = {"zh": ZH_PARAGRAPH, "en": EN_PARAGRAPH}
"""The fixed texts: one Mandarin and one English paragraph."""

DEFAULT_ENGINES = ("baker-zh", "piper", "espeak")
RunTask = tuple[str, Voice]
"""A front-end run ready for the engine: its text and the voice to speak it with."""
WORKER_TIMEOUT_S = 900


@dataclass
class Result:
    """One engine speaking one paragraph with one thread count (or why it could not)."""

    engine: str
    threads: int
    status: str = "ok"
    """``ok``, ``skipped`` (assets or code missing) or ``error``."""
    reason: str = ""
    language: str = ""
    voice: str = ""
    load_s: float = 0.0
    """Seconds in ``spec.load(settings)``."""
    first_s: float = 0.0
    """Seconds of the first (warm-up) pass: includes whatever the engine loads lazily."""
    synth_s: float = 0.0
    """Median seconds to synthesize the paragraph."""
    audio_s: float = 0.0
    rtf: float = 0.0
    """Median over the timed passes of synthesis seconds / audio seconds."""
    peak_rss_mib: float = 0.0
    base_rss_mib: float = 0.0
    """Peak RSS before the engine was loaded (Python, numpy, voxserve)."""
    runs: list[float] = field(default_factory=list)
    """Synthesis seconds of every timed run."""


# --- worker: runs in a fresh process, measures one engine with one thread count ------------


def peak_rss_mib() -> float:
    """Peak resident set size of this process (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pick_voice(voices: Sequence[Voice], language: str, preferred: str | None) -> Voice | None:
    """The engine's voice for ``language``: the configured default if it is one, else the first."""
    matching = [v for v in voices if v.language == language]
    for voice in matching:
        if voice.id == preferred:
            return voice
    return matching[0] if matching else None


def prepare_runs(text: str, voice: Voice, engine: Engine, settings: Settings) -> list[RunTask]:
    """``text`` through the front end, each run paired with the engine's voice for its language."""
    voices = engine.voices()
    return [
        (run.text, pick_voice(voices, run.lang, voice.id) or voice)
        for unit in prepare(text, max_unit_chars=settings.max_unit_chars)
        for run in unit.runs
    ]


def synthesize_runs(engine: Engine, runs: Sequence[RunTask]) -> float:
    """Speak every run; return the seconds of audio produced."""
    audio_s = 0.0
    for text, voice in runs:
        pcm = engine.synthesize(text, voice, NEUTRAL_PROSODY)
        audio_s += len(pcm) / voice.sample_rate
    return audio_s


@dataclass(frozen=True)
class Timing:
    """Seconds to synthesize a paragraph once, and the seconds of audio it gave."""

    synth_s: float
    audio_s: float

    @property
    def rtf(self) -> float:
        return self.synth_s / self.audio_s if self.audio_s else float("inf")


def time_pass(engine: Engine, runs: Sequence[RunTask]) -> Timing:
    """Synthesize every run once, timed."""
    started = time.perf_counter()
    audio_s = synthesize_runs(engine, runs)
    return Timing(time.perf_counter() - started, audio_s)


def time_runs(engine: Engine, runs: Sequence[RunTask], repeat: int) -> tuple[Timing, list[Timing]]:
    """One warm-up pass (the first, cold), then ``repeat`` timed passes."""
    first = time_pass(engine, runs)
    return first, [time_pass(engine, runs) for _ in range(repeat)]


def load_engine(name: str, settings: Settings) -> tuple[Engine, float]:
    """Load engine ``name`` cold: (engine, seconds). Raises LookupError if it is unavailable."""
    try:
        spec = engine_spec(name)
    except ImportError as exc:
        raise LookupError(f"engine code not importable: {exc}") from exc
    if not spec.available(settings):
        raise LookupError("assets missing (run `voxserve models build`)")
    started = time.perf_counter()
    try:
        engine = spec.load(settings)
    except ModelMissingError as exc:
        raise LookupError(f"assets missing: {exc}") from exc
    return engine, time.perf_counter() - started


def measure(name: str, threads: int, repeat: int) -> list[Result]:
    """Every paragraph ``name`` can speak, timed with ``threads`` threads."""
    settings = Settings(engines=name, engine_threads=threads)
    base_rss = peak_rss_mib()
    try:
        engine, load_s = load_engine(name, settings)
    except LookupError as exc:
        return [Result(name, threads, status="skipped", reason=str(exc))]
    results = []
    for language, text in PARAGRAPHS.items():
        voice = pick_voice(engine.voices(), language, settings.default_voices.get(language))
        if voice is None:
            continue
        first, timings = time_runs(engine, prepare_runs(text, voice, engine, settings), repeat)
        results.append(
            Result(
                name,
                threads,
                language=language,
                voice=voice.id,
                load_s=load_s,
                first_s=first.synth_s,
                synth_s=statistics.median(t.synth_s for t in timings),
                audio_s=statistics.median(t.audio_s for t in timings),
                rtf=statistics.median(t.rtf for t in timings),
                runs=[t.synth_s for t in timings],
            )
        )
    rss = peak_rss_mib()
    for result in results:
        result.peak_rss_mib = rss
        result.base_rss_mib = base_rss
    return results or [Result(name, threads, status="skipped", reason="no zh or en voice")]


def worker_main(name: str, threads: int, repeat: int) -> None:
    """Measure in this process and print the results as one JSON line."""
    try:
        results = measure(name, threads, repeat)
    except Exception as exc:
        results = [Result(name, threads, status="error", reason=f"{type(exc).__name__}: {exc}")]
    print(json.dumps([asdict(r) for r in results]))


# --- parent: one subprocess per engine and thread count, then report ------------------------


def run_worker(name: str, threads: int, repeat: int) -> list[Result]:
    """Measure ``name`` with ``threads`` threads in a fresh Python process."""
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", name]
    command += ["--threads", str(threads), "--repeat", str(repeat)]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=WORKER_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        return [Result(name, threads, status="error", reason=f"timed out ({WORKER_TIMEOUT_S} s)")]
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = done.stderr.strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
        return [Result(name, threads, status="error", reason=tail[0])]
    return [Result(**item) for item in json.loads(lines[-1])]


def cpu_model() -> str:
    """The CPU's marketing name, from /proc/cpuinfo where there is one."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict[str, Any]:
    """What the numbers were measured on."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": cpu_model(),
        "logical_cores": os.cpu_count(),
        "usable_cores": usable,
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def thread_counts() -> list[int]:
    """1 and the default thread count (the machine's logical cores)."""
    return sorted({1, os.cpu_count() or 1})


def markdown(results: Sequence[Result], machine: dict[str, Any], repeat: int) -> str:
    """A Markdown report: machine line, result table, skipped and failed engines."""
    lines = [
        f"Machine: {machine['cpu']}, {machine['logical_cores']} logical cores "
        f"({machine['usable_cores']} usable), {machine['system']}, Python {machine['python']}; "
        f"median of {repeat} runs after one warm-up.",
        "",
        "| engine | lang | voice | threads | load s | first pass s | synth s | audio s | RTF "
        "| peak RSS MiB | before load MiB |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        if r.status == "ok":
            lines.append(
                f"| {r.engine} | {r.language} | {r.voice} | {r.threads} | {r.load_s:.2f} "
                f"| {r.first_s:.3f} "
                f"| {r.synth_s:.3f} | {r.audio_s:.2f} | {r.rtf:.4f} | {r.peak_rss_mib:.0f} "
                f"| {r.base_rss_mib:.0f} |"
            )
    if not any(r.status == "ok" for r in results):
        lines.append("| (no engine measured) | | | | | | | | | | |")
    others = {(r.engine, r.status, r.reason) for r in results if r.status != "ok"}
    if others:
        lines.append("")
        lines += [f"- {engine}: {status}: {reason}" for engine, status, reason in sorted(others)]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default=",".join(DEFAULT_ENGINES), help="comma-separated")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per paragraph")
    parser.add_argument("--json", type=Path, help="also write the results here as JSON")
    parser.add_argument(
        "--builds", action="store_true", help="compare baker-zh's previous and current builds"
    )
    parser.add_argument("--passes", type=int, default=3, help="--builds: timed passes")
    parser.add_argument("--texts", type=int, help="--builds: the corpus's first N texts")
    parser.add_argument("--builds-dir", type=Path, help="--builds: where to build the previous")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.builds:
        compare_builds(args)
        return
    if args.worker:
        worker_main(args.worker, args.threads, args.repeat)
        return
    names = [n.strip() for n in args.engines.split(",") if n.strip()]
    results: list[Result] = []
    for name in names:
        for threads in thread_counts():
            print(f"measuring {name} with {threads} thread(s)...", file=sys.stderr, flush=True)
            results += run_worker(name, threads, args.repeat)
    machine = machine_info()
    print(markdown(results, machine, args.repeat))
    if args.json:
        report = {"machine": machine, "repeat": args.repeat, "paragraphs": PARAGRAPHS}
        report["results"] = [asdict(r) for r in results]
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")


def compare_builds(args: argparse.Namespace) -> None:
    """``--builds``: baker-zh's recipes side by side (see ``baker_builds``)."""
    import baker_builds

    root = args.builds_dir or baker_builds.default_root()
    report = baker_builds.compare(root, args.passes, args.texts)
    report["machine"] = machine_info()
    print(baker_builds.markdown(report))
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")


if __name__ == "__main__":
    main()
