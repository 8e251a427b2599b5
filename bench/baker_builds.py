"""baker-zh builds side by side: the previous recipe against the current one, in one process.

Run through ``bench/engines.py --builds`` (see bench/README.md). The previous recipe is built
into a directory of its own under ``--builds-dir`` (cached there; the store keeps one build);
the current one is the store's. Every build speaks the load benchmark's corpus:

- speed: every pass speaks each text with each build in turn (the order rotates from text to
  text), so a noisy neighbour slows all of them alike; reported per build as the median over
  passes of the seconds per pass, and as the median of the per-pass ratios to the previous;
- quality: the audio of the last pass is transcribed with Whisper base (round-trip CER) and
  scored with DNSMOS (PyPI ``speechmos``), sentence by sentence (each run the front end made:
  Whisper transcribes a long paragraph in 30 s windows and may drop or repeat a stretch at a
  window's edge, which would swamp a small difference between builds).

``previous`` runs the previous build the way the engine ran it then (the whole mel vocoded);
``previous+trim`` is the previous build with the current engine, so the build's share and the
engine's share of the speed-up show separately.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.asr import Transcriber, score, to_whisper_rate

from loadgen.corpus import CORPUS
from voxserve.engines.baker_zh import VOICE, BakerZhEngine
from voxserve.models import baker_zh as recipe
from voxserve.models.store import BUILD_DIR, ModelStore
from voxserve.settings import Settings
from voxserve.text import prepare
from voxserve.types import PCM

PREVIOUS_RECIPE = 2


@dataclass
class Build:
    """One variant: its model directory and how the engine runs it."""

    name: str
    directory: Path
    vocode_silence: bool = False
    engine: BakerZhEngine | None = None


def previous_build(root: Path, settings: Settings) -> Path:
    """The previous recipe's build under ``root`` (built once, then reused)."""
    target = root / f"{recipe.NAME}-recipe{PREVIOUS_RECIPE}"
    if (target / "manifest.json").is_file():
        return target
    store = ModelStore(settings)
    build_root = store.root / BUILD_DIR
    build_root.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(target, ignore_errors=True)  # what a failed build left
    target.mkdir(parents=True)
    with tempfile.TemporaryDirectory(dir=build_root) as work:
        manifest = recipe.build(target, Path(work), build_root, _progress, PREVIOUS_RECIPE)
    manifest.write(target)
    return target


def _progress(line: str) -> None:
    print(f"  {line}", file=sys.stderr, flush=True)


def variants(root: Path, settings: Settings) -> list[Build]:
    """previous (as it ran), previous with today's engine, current."""
    previous = previous_build(root, settings)
    current = ModelStore(settings).path(recipe.NAME)
    builds = [
        Build("previous", previous, vocode_silence=True),
        Build("previous+trim", previous),
        Build("current", current),
    ]
    for build in builds:
        build.engine = BakerZhEngine(build.directory, threads=settings.engine_threads)
    return builds


def _runs(settings: Settings, texts: Sequence[str]) -> list[list[str]]:
    """Each text's runs as the front end splits them (the worker speaks one unit at a time)."""
    return [
        [
            run.text
            for unit in prepare(text, max_unit_chars=settings.max_unit_chars)
            for run in unit.runs
        ]
        for text in texts
    ]


def _speak(engine: BakerZhEngine, runs: Sequence[str]) -> tuple[list[PCM], float]:
    started = time.perf_counter()
    pcms = [engine.synthesize(text, VOICE) for text in runs]
    return pcms, time.perf_counter() - started


def time_builds(
    builds: Sequence[Build], runs: Sequence[Sequence[str]], passes: int
) -> tuple[dict[str, list[float]], dict[str, list[PCM]]]:
    """Seconds per pass of each build, and each build's audio of the last pass (one array per
    run, in order)."""
    seconds = {b.name: [0.0] * passes for b in builds}
    audio: dict[str, list[PCM]] = {b.name: [] for b in builds}
    for build in builds:  # warm-up: first runs allocate
        assert build.engine is not None
        _speak(build.engine, runs[0])
    for p in range(passes):
        audio = {b.name: [] for b in builds}
        for index, text_runs in enumerate(runs):
            order = builds[index % len(builds) :] + builds[: index % len(builds)]
            for build in order:
                assert build.engine is not None
                pcms, spent = _speak(build.engine, text_runs)
                seconds[build.name][p] += spent
                audio[build.name] += pcms
        print(f"  pass {p + 1}/{passes} done", file=sys.stderr, flush=True)
    return seconds, audio


def quality(
    texts: Sequence[str], audio: Sequence[PCM], transcriber: Transcriber
) -> dict[str, float]:
    """Mean round-trip CER and DNSMOS of ``audio`` (24 kHz) speaking ``texts``."""
    from speechmos import dnsmos

    cers, sig, ovrl = [], [], []
    for text, pcm in zip(texts, audio, strict=True):
        heard = transcriber.transcribe(pcm, recipe.SAMPLE_RATE, "zh")
        cers.append(score(text, heard, "zh"))
        mos = dnsmos.run(np.clip(to_whisper_rate(pcm, recipe.SAMPLE_RATE), -1, 1), sr=16000)
        sig.append(float(mos["sig_mos"]))
        ovrl.append(float(mos["ovrl_mos"]))
    return {"cer": float(np.mean(cers)), "sig": float(np.mean(sig)), "ovrl": float(np.mean(ovrl))}


def default_root() -> Path:
    """Where the previous recipe is built: beside the store's build cache."""
    return Settings().model_dir.expanduser() / BUILD_DIR / "bench-builds"


def compare(
    root: Path, passes: int, limit: int | None, quality_of: Sequence[str] = ("previous", "current")
) -> dict[str, Any]:
    """The whole comparison as a JSON-ready report."""
    settings = Settings(engines=recipe.NAME, engine_threads=1)
    texts = list(CORPUS[:limit] if limit else CORPUS)
    builds = variants(root, settings)
    runs = _runs(settings, texts)
    sentences = [text for text_runs in runs for text in text_runs]
    seconds, audio = time_builds(builds, runs, passes)
    transcriber = Transcriber()
    rows: dict[str, dict[str, Any]] = {}
    for build in builds:
        per_pass = seconds[build.name]
        ratios = [a / b for a, b in zip(seconds["previous"], per_pass, strict=True)]
        audio_s = sum(len(pcm) for pcm in audio[build.name]) / recipe.SAMPLE_RATE
        rows[build.name] = {
            "directory": str(build.directory),
            "seconds_per_pass": per_pass,
            "median_s": statistics.median(per_pass),
            "audio_s": audio_s,
            "rtf": statistics.median(per_pass) / audio_s,
            "speedup_vs_previous": statistics.median(ratios),
        }
        if build.name in quality_of:
            print(f"  scoring {build.name}", file=sys.stderr, flush=True)
            rows[build.name].update(quality(sentences, audio[build.name], transcriber))
    return {
        "texts": len(texts),
        "sentences": len(sentences),
        "characters": sum(map(len, texts)),
        "passes": passes,
        "builds": rows,
    }


def markdown(report: dict[str, Any]) -> str:
    """The comparison as a Markdown table."""
    lines = [
        f"{report['texts']} texts of the load benchmark's corpus ({report['characters']} "
        f"characters, {report['sentences']} sentences), {report['passes']} passes, one thread, "
        "builds interleaved; CER and DNSMOS: means over the sentences.",
        "",
        "| build | s per pass (median) | RTF | speed vs previous | CER | SIG | OVRL |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in report["builds"].items():
        scores = [f"{row[key]:.3f}" if key in row else "" for key in ("cer", "sig", "ovrl")]
        lines.append(
            f"| {name} | {row['median_s']:.2f} | {row['rtf']:.4f} "
            f"| {row['speedup_vs_previous']:.2f}x | {' | '.join(scores)} |"
        )
    return "\n".join(lines)
