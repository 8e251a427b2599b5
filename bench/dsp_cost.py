"""Emotions on the engines without native pitch controls: what the DSP costs and what it renders,
the pYIN renderer (old) beside the current one (new), measured side by side in one run.

    .venv/bin/python bench/dsp_cost.py [--passes 5] [--mos 0] [--json out.json] [--markdown out.md]

Voices: ``en-joe`` (Piper: rate native, pitch and pitch range by ``voxserve.prosody.dsp``),
``espeak-en`` and ``espeak-zh`` (espeak-ng renders all four controls itself, so its emotions
never reach the WORLD renderer: its rows show what an emotion costs there without DSP). Twelve
sentences per voice (``texts.EN_SENTENCES``, ``texts._ZH_SENTENCES``), every emotion at
intensity 1 plus a bare +3 and -3 semitone request, one process, one engine thread, cache off
(the synthesizer is called directly, as a worker does).

``old`` swaps in a copy of the renderer this replaced (pYIN every 20 ms, WORLD every 5 ms);
``new`` is ``voxserve.prosody.dsp`` as it is. Passes alternate between them, so that a neighbour's
load falls on both. Per voice, rendering and condition:

- cost: compute seconds (this process's CPU time) per second of speech produced, the median of
  ``--passes`` passes over all sentences, and its ratio to neutral's in the same rendering;
- F0 shift: mean F0 (pYIN at 16 kHz, the measuring tool of the emotion tests) against the same
  sentence spoken neutrally, in semitones: the mean over sentences and the lowest and highest
  sentence (an octave error shows as a sentence far above the others);
- octave frames: the share of voiced frames more than 6 semitones above where the neutral
  sentence's 99th percentile of F0 lands once the asked shift and range are applied;
- F0 range (interquartile, as a ratio), loudness (active RMS, dB) and duration against neutral;
- with ``--mos N``: DNSMOS (PyPI ``speechmos``) SIG and OVRL over the first N sentences.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyworld

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from texts import _ZH_SENTENCES, EN_SENTENCES
from voxserve.audio.loudness import active_rms_db
from voxserve.pipeline import Synthesizer
from voxserve.prosody import dsp
from voxserve.prosody.emotions import EMOTIONS
from voxserve.settings import Settings
from voxserve.types import PCM, Prosody, SynthesisRequest

VOICES = {"en-joe": EN_SENTENCES, "espeak-en": EN_SENTENCES, "espeak-zh": _ZH_SENTENCES}
CONDITIONS: dict[str, dict[str, Any]] = {
    **{name: {"emotion": name} for name in EMOTIONS},
    "pitch +3": {"pitch": 3.0},
    "pitch -3": {"pitch": -3.0},
}
RENDERINGS = ("old", "new")
_MEASURE_RATE = 16000


# --- the renderer this replaced, kept here only to be measured against ---------------------


def _pyin_f0(pcm: PCM, sample_rate: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The old tracker: pYIN every 20 ms, interpolated to WORLD's 5 ms frames."""
    import librosa

    hop = round(sample_rate * 5.0 / 1000)
    f0, voiced, _ = librosa.pyin(
        pcm, fmin=50.0, fmax=600.0, sr=sample_rate, frame_length=2048, hop_length=hop * 4
    )
    times = np.arange(len(pcm) // hop + 1, dtype=np.float64) * 0.005
    coarse_times = np.arange(len(f0)) * (hop * 4 / sample_rate)
    voiced = voiced & np.isfinite(f0)
    if not voiced.any():
        return np.zeros_like(times), times
    is_voiced = np.interp(times, coarse_times, voiced.astype(np.float64)) > 0.5
    smooth = np.interp(times, coarse_times[voiced], f0[voiced])
    return np.where(is_voiced, smooth, 0.0).astype(np.float64), times


def _old_world_render(pcm: PCM, sample_rate: int, prosody: Prosody) -> PCM:
    """The old ``dsp.world_render``: pYIN F0, WORLD analysis and synthesis every 5 ms."""
    if len(pcm) < sample_rate // 20:
        return pcm
    x = pcm.astype(np.float64)
    f0, times = _pyin_f0(pcm.astype(np.float32), sample_rate)
    envelope = pyworld.cheaptrick(x, f0, times, sample_rate)
    aperiodicity = pyworld.d4c(x, f0, times, sample_rate)
    f0 = dsp.reshape_f0(f0, prosody.pitch, prosody.pitch_range)
    if prosody.rate != 1.0:
        f0, envelope, aperiodicity = (
            dsp._stretch_frames(a, prosody.rate) for a in (f0, envelope, aperiodicity)
        )
    y = pyworld.synthesize(f0, envelope, aperiodicity, sample_rate, frame_period=5.0)
    return np.asarray(y, dtype=np.float32)


@contextmanager
def _rendering(name: str) -> Iterator[None]:
    """Route the pipeline's WORLD rendering through the old renderer while ``name`` is old."""
    current = dsp.world_render
    if name == "old":
        dsp.world_render = _old_world_render
    try:
        yield
    finally:
        dsp.world_render = current


# --- measuring ---------------------------------------------------------------------------


def _speak(synth: Synthesizer, voice: str, condition: str) -> tuple[list[PCM], int, float]:
    """Every sentence of ``voice`` in ``condition``, and the compute seconds they took."""
    started = time.process_time()
    results = [
        synth.synthesize(SynthesisRequest(text=text, voice=voice, **CONDITIONS[condition]))
        for text in VOICES[voice]
    ]
    return [r.pcm for r in results], results[0].sample_rate, time.process_time() - started


_measured: dict[str, npt.NDArray[np.float64]] = {}


def _contour(pcm: PCM, rate: int) -> npt.NDArray[np.float64]:
    """F0 of ``pcm`` every 20 ms in semitones over 100 Hz, NaN where unvoiced (pYIN at 16 kHz,
    as in tests.support.acoustics), measured once per distinct audio."""
    import librosa

    key = hashlib.sha1(pcm.tobytes()).hexdigest()
    if key not in _measured:
        audio = librosa.resample(pcm.astype(np.float32), orig_sr=rate, target_sr=_MEASURE_RATE)
        f0, voiced, _ = librosa.pyin(
            audio, fmin=50, fmax=600, sr=_MEASURE_RATE, frame_length=1024, hop_length=320
        )
        _measured[key] = np.where(voiced & np.isfinite(f0), 12 * np.log2(f0 / 100.0), np.nan)
    return _measured[key]


def _semitones(pcm: PCM, rate: int) -> npt.NDArray[np.float64]:
    """The voiced frames of :func:`_contour`."""
    contour = _contour(pcm, rate)
    return contour[np.isfinite(contour)]


def _expected_top(neutral: npt.NDArray[np.float64], prosody: Prosody) -> float:
    """Where the neutral sentence's 99th percentile of F0 lands after ``dsp.reshape_f0``."""
    top = float(np.percentile(neutral, 99))
    anchor = float(np.percentile(neutral, 10) if prosody.pitch_range > 1 else neutral.mean())
    return anchor + (top - anchor) * prosody.pitch_range + prosody.pitch


def _prosody(condition: str) -> Prosody:
    asked = CONDITIONS[condition]
    if "emotion" in asked:
        return EMOTIONS[asked["emotion"]].prosody
    return Prosody(pitch=asked["pitch"])


def _compare(spoken: list[PCM], neutral: list[PCM], rate: int, condition: str) -> dict[str, float]:
    """Pitch, octave frames, range, loudness and duration of ``spoken`` against ``neutral``."""
    prosody = _prosody(condition)
    shifts, ranges, louder, octave, voiced = [], [], [], 0, 0
    for pcm, base in zip(spoken, neutral, strict=True):
        heard, plain = _semitones(pcm, rate), _semitones(base, rate)
        if heard.size == 0 or plain.size == 0:
            continue
        shifts.append(float(heard.mean() - plain.mean()))
        ranges.append(
            float(np.subtract(*np.percentile(heard, [75, 25])))
            / float(np.subtract(*np.percentile(plain, [75, 25])))
        )
        louder.append(active_rms_db(pcm, rate) - active_rms_db(base, rate))
        octave += int((heard > _expected_top(plain, prosody) + 6.0).sum())
        voiced += heard.size
    return {
        "asked_st": prosody.pitch,
        "f0_shift_st": float(np.mean(shifts)),
        "f0_shift_min_st": float(np.min(shifts)),
        "f0_shift_max_st": float(np.max(shifts)),
        "octave_frames": octave / max(1, voiced),
        "f0_range_x": float(np.mean(ranges)),
        "loudness_db": float(np.mean(louder)),
        "duration_x": sum(map(len, spoken)) / sum(map(len, neutral)),
    }


def _mos(pcms: list[PCM], rate: int) -> dict[str, float]:
    import librosa
    from speechmos import dnsmos

    scores = [
        dnsmos.run(
            np.clip(librosa.resample(p, orig_sr=rate, target_sr=_MEASURE_RATE), -1.0, 1.0),
            sr=_MEASURE_RATE,
        )
        for p in pcms
    ]
    return {
        "dnsmos_sig": float(np.mean([s["sig_mos"] for s in scores])),
        "dnsmos_ovrl": float(np.mean([s["ovrl_mos"] for s in scores])),
    }


def _renderer_alone(
    audio: dict[tuple[str, str, str], tuple[list[PCM], int]], passes: int
) -> dict[str, Any]:
    """The WORLD renderers alone on the same input, each voice's neutral speech: their cost for
    +3 semitones (median of passes, old and new alternating), and the shift they render, frame
    by frame (the speech keeps its duration, so pYIN's frames line up)."""
    report: dict[str, Any] = {}
    renderers = {"old": _old_world_render, "new": dsp.world_render}
    for voice in VOICES:
        pcms, rate = audio[voice, "new", "neutral"]
        speech = sum(map(len, pcms)) / rate
        costs: dict[str, list[float]] = {name: [] for name in renderers}
        for _ in range(passes):
            for name, renderer in renderers.items():
                started = time.process_time()
                for pcm in pcms:
                    renderer(pcm, rate, Prosody(pitch=3.0))
                costs[name].append((time.process_time() - started) / speech)
        report[voice] = {
            name: {
                "cost_per_speech_s": statistics.median(costs[name]),
                "passes": costs[name],
                **{
                    f"{asked:+.0f} st": _framewise(pcms, renderer, rate, asked)
                    for asked in (3.0, -3.0)
                },
            }
            for name, renderer in renderers.items()
        }
        print(f"{voice} renderers measured", file=sys.stderr)
    return report


def _framewise(pcms: list[PCM], renderer: Any, rate: int, asked: float) -> dict[str, float]:
    """Median per-frame shift of ``pcms`` rendered ``asked`` semitones away, and the share of
    frames rendered more than 6 semitones from the asked shift (octave errors)."""
    shifts = []
    for pcm in pcms:
        before, after = (
            _contour(pcm, rate),
            _contour(renderer(pcm, rate, Prosody(pitch=asked)), rate),
        )
        size = min(len(before), len(after))
        shift = after[:size] - before[:size]
        shifts.append(shift[np.isfinite(shift)])
    every = np.concatenate(shifts)
    return {
        "median_shift_st": float(np.median(every)),
        "octave_frames": float(np.mean(np.abs(every - asked) > 6.0)),
        "frames": int(every.size),
    }


def measure(passes: int, mos: int) -> dict[str, Any]:
    """Time every voice, rendering and condition ``passes`` times, then measure the first pass."""
    synth = Synthesizer.load(Settings(engines="piper,espeak", engine_threads=1))
    for rendering in RENDERINGS:  # warm up: sessions, the trackers' first calls
        with _rendering(rendering):
            _speak(synth, "en-joe", "happy")
    costs: dict[tuple[str, str, str], list[float]] = {}
    audio: dict[tuple[str, str, str], tuple[list[PCM], int]] = {}
    for index in range(passes):
        for voice in VOICES:
            for rendering in RENDERINGS:
                with _rendering(rendering):
                    for condition in CONDITIONS:
                        pcms, rate, seconds = _speak(synth, voice, condition)
                        speech = sum(map(len, pcms)) / rate
                        costs.setdefault((voice, rendering, condition), []).append(seconds / speech)
                        audio.setdefault((voice, rendering, condition), (pcms, rate))
        print(f"pass {index + 1}/{passes} done", file=sys.stderr)
    return {
        "machine": _machine(),
        "passes": passes,
        "voices": _report(costs, audio, mos),
        "renderer_alone": _renderer_alone(audio, passes),
    }


def _report(
    costs: dict[tuple[str, str, str], list[float]],
    audio: dict[tuple[str, str, str], tuple[list[PCM], int]],
    mos: int,
) -> dict[str, Any]:
    report: dict[str, Any] = {}
    for voice in VOICES:
        for rendering in RENDERINGS:
            neutral_cost = statistics.median(costs[voice, rendering, "neutral"])
            neutral, rate = audio[voice, rendering, "neutral"]
            rows = {}
            for condition in CONDITIONS:
                cost = statistics.median(costs[voice, rendering, condition])
                pcms, _ = audio[voice, rendering, condition]
                rows[condition] = {
                    "cost_per_speech_s": cost,
                    "cost_vs_neutral": cost / neutral_cost,
                    "passes": costs[voice, rendering, condition],
                    **_compare(pcms, neutral, rate, condition),
                    **(_mos(pcms[:mos], rate) if mos else {}),
                }
            report.setdefault(voice, {})[rendering] = rows
            print(f"{voice} {rendering} measured", file=sys.stderr)
    return report


def _machine() -> dict[str, Any]:
    import os

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cpu": cpu,
        "usable_cores": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d"),
    }


# --- output ------------------------------------------------------------------------------


def markdown(result: dict[str, Any]) -> str:
    """One table per voice: each condition's cost and rendering, old beside new."""
    machine = result["machine"]
    lines = [
        f"{machine['cpu']}, {machine['usable_cores']} usable cores, {result['passes']} passes, "
        f"{machine['date']}. Cost: compute s per s of speech (median of passes); "
        "shift: mean F0 vs neutral, st (lowest..highest sentence).",
        "",
    ]
    for voice, renderings in result["voices"].items():
        old, new = renderings["old"], renderings["new"]
        lines += [
            f"**{voice}** ({len(VOICES[voice])} sentences)",
            "",
            "| condition | asked st | cost old | cost new | vs neutral old | vs neutral new "
            "| F0 shift old | F0 shift new | octave frames old / new | range old / new "
            "| loudness dB old / new |"
            + (" SIG old / new |" if "dnsmos_sig" in new["neutral"] else ""),
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
            + ("---:|" if "dnsmos_sig" in new["neutral"] else ""),
        ]
        lines += [_markdown_row(condition, old[condition], new[condition]) for condition in new]
        lines.append("")
    return "\n".join(lines + _markdown_alone(result["renderer_alone"]))


def _markdown_alone(alone: dict[str, Any]) -> list[str]:
    lines = [
        "**The WORLD renderer alone** on each voice's neutral speech (the same input for both): "
        "cost of +3 st, and the shift rendered frame by frame (median; share of frames an "
        "octave off).",
        "",
        "| voice | cost old | cost new | +3 st old | +3 st new | -3 st old | -3 st new |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for voice, by in alone.items():
        old, new = by["old"], by["new"]

        def shift(r: dict[str, Any], asked: str) -> str:
            return f"{r[asked]['median_shift_st']:+.2f} ({r[asked]['octave_frames']:.3f})"

        lines.append(
            f"| {voice} | {old['cost_per_speech_s']:.4f} | {new['cost_per_speech_s']:.4f} "
            f"| {shift(old, '+3 st')} | {shift(new, '+3 st')} "
            f"| {shift(old, '-3 st')} | {shift(new, '-3 st')} |"
        )
    return [*lines, ""]


def _markdown_row(condition: str, old: dict[str, Any], new: dict[str, Any]) -> str:
    def shift(r: dict[str, Any]) -> str:
        return f"{r['f0_shift_st']:+.2f} ({r['f0_shift_min_st']:+.1f}..{r['f0_shift_max_st']:+.1f})"

    row = (
        f"| {condition} | {new['asked_st']:+.1f} | {old['cost_per_speech_s']:.4f} "
        f"| {new['cost_per_speech_s']:.4f} | {old['cost_vs_neutral']:.2f}x "
        f"| {new['cost_vs_neutral']:.2f}x | {shift(old)} | {shift(new)} "
        f"| {old['octave_frames']:.3f} / {new['octave_frames']:.3f} "
        f"| x{old['f0_range_x']:.2f} / x{new['f0_range_x']:.2f} "
        f"| {old['loudness_db']:+.1f} / {new['loudness_db']:+.1f} |"
    )
    if "dnsmos_sig" in new:
        row += f" {old['dnsmos_sig']:.2f} / {new['dnsmos_sig']:.2f} |"
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--mos", type=int, default=0, help="DNSMOS over the first N sentences")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--markdown", type=Path, default=None)
    args = parser.parse_args()
    result = measure(args.passes, args.mos)
    text = markdown(result)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    if args.markdown:
        args.markdown.write_text(text + "\n")


if __name__ == "__main__":
    main()
