"""Emotions on baker-zh: rendered by the model (native) beside WORLD re-synthesis (DSP), one run.

    .venv/bin/python bench/emotions.py [--passes 3] [--json out.json] [--markdown out.md]

Twelve Mandarin sentences, every emotion at intensity 1, one process, one engine thread, cache
off (the synthesizer is called directly). ``dsp`` is the rendering that native prosody replaced:
the same engine told it renders only the rate, so that pitch and range go through
``voxserve.prosody.dsp`` (pYIN + WORLD). Per emotion and rendering:

- cost: seconds of compute per second of speech (median of ``--passes`` passes over all
  sentences), and its ratio to neutral's;
- DNSMOS (PyPI ``speechmos``, 16 kHz) SIG and OVRL, averaged over the sentences: as rendered,
  and with every clip at one active speech level (-26 dBFS, gated RMS) first. MOS models score
  too loud and too quiet speech as degraded, so an emotion's own loudness (angry +3 dB, sad
  -4 dB) moves the as-rendered score whatever the voice's quality; the levelled score compares
  the voices alone, as NISQA's authors advise and CHiME-UDASE's evaluation does (loudness
  normalization before DNSMOS);
- round-trip CER (Whisper base), averaged over the sentences;
- mean F0 shift (semitones), F0 range and duration against neutral (``tests.support.acoustics``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from tests.support.acoustics import measure_renditions
from tests.support.asr import Transcriber, score, to_whisper_rate

from texts import _ZH_SENTENCES
from voxserve.audio.loudness import active_rms_db, apply_gain_db
from voxserve.pipeline import Synthesizer
from voxserve.prosody.emotions import EMOTIONS
from voxserve.settings import Settings
from voxserve.types import ProsodyControl, SynthesisRequest


def _synthesizers() -> dict[str, Synthesizer]:
    settings = Settings(engines="baker-zh", engine_threads=1)
    native = Synthesizer.load(settings)
    dsp = Synthesizer(settings, {"baker-zh": _rate_only(native.engines["baker-zh"])})
    return {"native": native, "dsp": dsp}


def _rate_only(engine: Any) -> Any:
    """The engine, declaring only its rate control: pitch and range then go through DSP."""

    class RateOnly:
        name = engine.name
        native_controls = frozenset({ProsodyControl.RATE})

        def voices(self) -> Any:
            return engine.voices()

        def synthesize(self, text: str, voice: Any, prosody: Any) -> Any:
            return engine.synthesize(text, voice, prosody)

    return RateOnly()


def _render(synth: Synthesizer, emotion: str) -> tuple[list[np.ndarray], float]:  # type: ignore[type-arg]
    started = time.perf_counter()
    pcms = [
        synth.synthesize(SynthesisRequest(text=t, voice="zh-baker", emotion=emotion)).pcm
        for t in _ZH_SENTENCES
    ]
    return pcms, time.perf_counter() - started


LEVEL_DB = -26.0
"""The active speech level every clip is brought to for the levelled DNSMOS scores."""


def _dnsmos(pcms: list[np.ndarray], rate: int) -> list[dict[str, float]]:  # type: ignore[type-arg]
    from speechmos import dnsmos

    # DNSMOS refuses samples outside [-1, 1] (resampling can overshoot by a hair).
    return [dnsmos.run(np.clip(to_whisper_rate(p, rate), -1.0, 1.0), sr=16000) for p in pcms]


def _row(pcms: list[np.ndarray], costs: list[float], transcriber: Transcriber) -> dict[str, Any]:  # type: ignore[type-arg]
    rate = 24000
    mos = _dnsmos(pcms, rate)
    levelled = _dnsmos([apply_gain_db(p, LEVEL_DB - active_rms_db(p, rate)) for p in pcms], rate)
    cer = [
        score(t, transcriber.transcribe(p, rate, "zh"), "zh")
        for t, p in zip(_ZH_SENTENCES, pcms, strict=True)
    ]
    seconds = sum(len(p) for p in pcms) / rate
    acoustics = [measure_renditions([(p, rate)]) for p in pcms]
    return {
        "cost": statistics.median(costs) / seconds,
        "sig": float(np.mean([m["sig_mos"] for m in mos])),
        "ovrl": float(np.mean([m["ovrl_mos"] for m in mos])),
        "sig_levelled": float(np.mean([m["sig_mos"] for m in levelled])),
        "ovrl_levelled": float(np.mean([m["ovrl_mos"] for m in levelled])),
        "cer": float(np.mean(cer)),
        "f0": [a.f0_mean for a in acoustics],
        "range": [a.f0_range for a in acoustics],
        "seconds": seconds,
    }


def measure(passes: int) -> dict[str, dict[str, dict[str, float]]]:
    synths = _synthesizers()
    transcriber = Transcriber()
    for synth in synths.values():  # warm up: first calls load pYIN, jieba, sessions
        _render(synth, "happy")
    report: dict[str, dict[str, dict[str, float]]] = {}
    for name, synth in synths.items():
        rows = {}
        for emotion in EMOTIONS:
            runs = [_render(synth, emotion) for _ in range(passes)]
            rows[emotion] = _row(runs[0][0], [cost for _, cost in runs], transcriber)
            print(f"{name} {emotion}: {rows[emotion]['cost']:.4f} s/s", file=sys.stderr)
        report[name] = _relative(rows)
    return report


def _relative(rows: dict[str, dict[str, Any]]) -> dict[str, dict[str, float]]:
    neutral = rows["neutral"]
    out = {}
    for emotion, row in rows.items():
        shift = np.mean(np.subtract(row["f0"], neutral["f0"]))
        spread = np.mean(np.divide(row["range"], neutral["range"]))
        out[emotion] = {
            "cost_per_speech_s": row["cost"],
            "cost_vs_neutral": row["cost"] / neutral["cost"],
            "dnsmos_sig": row["sig"],
            "dnsmos_ovrl": row["ovrl"],
            "dnsmos_sig_levelled": row["sig_levelled"],
            "dnsmos_ovrl_levelled": row["ovrl_levelled"],
            "cer": row["cer"],
            "f0_shift_st": float(shift),
            "f0_range_x": float(spread),
            "duration_x": row["seconds"] / neutral["seconds"],
        }
    return out


def markdown(report: dict[str, dict[str, dict[str, float]]]) -> str:
    lines = []
    for name, rows in report.items():
        lines += [
            f"**{name}**",
            "",
            "| emotion | cost (s/s) | vs neutral | SIG | OVRL | SIG levelled | OVRL levelled "
            "| CER | F0 shift (st) | range | duration |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for emotion, r in rows.items():
            lines.append(
                f"| {emotion} | {r['cost_per_speech_s']:.4f} | {r['cost_vs_neutral']:.2f}x "
                f"| {r['dnsmos_sig']:.2f} | {r['dnsmos_ovrl']:.2f} "
                f"| {r['dnsmos_sig_levelled']:.2f} | {r['dnsmos_ovrl_levelled']:.2f} "
                f"| {r['cer']:.3f} "
                f"| {r['f0_shift_st']:+.2f} | x{r['f0_range_x']:.2f} | x{r['duration_x']:.2f} |"
            )
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--markdown", type=Path, default=None)
    args = parser.parse_args()
    report = measure(args.passes)
    text = markdown(report)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    if args.markdown:
        args.markdown.write_text(text)


if __name__ == "__main__":
    main()
