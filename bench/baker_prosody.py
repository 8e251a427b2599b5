"""Calibration of baker-zh's native prosody inputs: semitones per model unit, measured.

    .venv/bin/python bench/baker_prosody.py [--json out.json]

Twelve Mandarin sentences are spoken with an F0 offset added to every phone (model units:
z-normalized F0) and with ``f0_ratios`` (a scale of the contour around the speaker's mean), and
measured with pYIN: the median F0 shift and the change of the F0 spread (interquartile range),
in semitones, against the same sentence spoken neutrally. Reported: the median over the
sentences for every setting; the engine's calibration table comes from this.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import librosa
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from texts import _ZH_SENTENCES
from voxserve.engines.baker_zh import SPEC, BakerZhEngine, PhoneProsody
from voxserve.settings import Settings

OFFSETS = (-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5)
RATIOS = (0.5, 0.75, 1.0, 1.5, 2.0, 2.5)


def _semitones(pcm: np.ndarray, rate: int) -> np.ndarray:  # type: ignore[type-arg]
    audio = librosa.resample(pcm, orig_sr=rate, target_sr=16000)
    f0, voiced, _ = librosa.pyin(
        audio, fmin=80, fmax=700, sr=16000, frame_length=1024, hop_length=160
    )
    return 12 * np.log2(f0[voiced & np.isfinite(f0)] / 100.0)


def _speak(engine: BakerZhEngine, ids: list[int], offset: float, ratio: float) -> np.ndarray:  # type: ignore[type-arg]
    neutral = PhoneProsody.neutral(len(ids))
    phones = PhoneProsody(
        neutral.f0_offsets + offset, neutral.energy_offsets, neutral.duration_scales
    )
    mel, _ = engine.predict(ids, f0=ratio, phones=phones)
    return engine.vocode(mel)


def _spread(semitones: np.ndarray) -> float:  # type: ignore[type-arg]
    q1, q3 = np.percentile(semitones, [25, 75])
    return float(q3 - q1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    engine = SPEC.load(Settings())
    rate = engine.voice.sample_rate
    grid = [(o, r) for o in OFFSETS for r in RATIOS]
    shifts: dict[tuple[float, float], list[float]] = {c: [] for c in grid}
    spreads: dict[tuple[float, float], list[float]] = {c: [] for c in grid}
    for sentence in _ZH_SENTENCES:
        ids = engine.frontend.ids(sentence)
        base = _semitones(_speak(engine, ids, 0.0, 1.0), rate)
        for offset, ratio in grid:
            st = _semitones(_speak(engine, ids, offset, ratio), rate)
            shifts[(offset, ratio)].append(float(np.median(st) - np.median(base)))
            spreads[(offset, ratio)].append(_spread(st) / _spread(base))
    shift = [[statistics.median(shifts[(o, r)]) for r in RATIOS] for o in OFFSETS]
    spread = [[statistics.median(spreads[(o, r)]) for r in RATIOS] for o in OFFSETS]
    print(f"{len(_ZH_SENTENCES)} sentences; rows: F0 offset, columns: f0_ratios {RATIOS}")
    print("median F0 shift (semitones):")
    for o, row in zip(OFFSETS, shift, strict=True):
        print(f"{o:+5.1f} " + " ".join(f"{v:+6.2f}" for v in row))
    print("F0 spread (interquartile range), times neutral:")
    for o, row in zip(OFFSETS, spread, strict=True):
        print(f"{o:+5.1f} " + " ".join(f"{v:6.2f}" for v in row))
    if args.json:
        report = {"offsets": OFFSETS, "ratios": RATIOS, "shift_st": shift, "spread": spread}
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
