"""English timestamps against two independent references: Whisper base and a forced aligner.

Usage (the aligner is an optional extra)::

    .venv/bin/pip install -e '.[align]'
    .venv/bin/python bench/timestamp_references.py [--out FILE.json]

Whisper base's word starts are the acceptance reference for timestamps (``bench/timestamps.py``),
and on slow English they disagree with both English engines. To tell whose starts are off, a
second reference that works another way places the same words: PocketSphinx (PyPI
``pocketsphinx``, its US English acoustic model and dictionary inside the wheel) in forced
alignment mode, which knows the words and finds where each starts (10 ms frames) with an HMM.

Every English sentence of the round-trip test is spoken by both English voices at speed 1, 0.5
and 2.0. For each pair among voxserve's tokens, Whisper's words and the aligner's words, the
words are matched as in ``tests/support/alignment.py`` and the table gives the median and 90th
percentile of |start difference|, the median signed offset (the second's start minus the
first's: negative where the second places words earlier) and the matched share of the second's
words. A sentence the aligner cannot align whole (a word outside its dictionary, or a search that
loses its path part of the way, as it does in some of espeak-ng's formant speech) is counted as
unaligned and left out of the aligner's pairs.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.roundtrip.test_timestamps import EN
from tests.support.alignment import Agreement, HeardWord, SpokenToken, agreement, heard_words
from tests.support.asr import Transcriber, normalize_en, to_whisper_rate

from voxserve.pipeline import Synthesizer
from voxserve.settings import Settings
from voxserve.text.tokens import default_tokenizer
from voxserve.timestamps import synthesize_timed
from voxserve.types import SynthesisRequest

VOICES = ("en-joe", "espeak-en")
SPEEDS = (1.0, 0.5, 2.0)
PAIRS = (("voxserve", "aligner"), ("whisper", "aligner"), ("voxserve", "whisper"))
ALIGNER_FRAME_MS = 10
"""PocketSphinx's frame: 100 frames a second, its default."""


class Aligner:
    """PocketSphinx in forced alignment mode: where each word of a known text starts."""

    def __init__(self) -> None:
        from pocketsphinx import Decoder

        # Beams wider than the defaults (1e-48, 7e-29, 1e-48): with those, the search lost the
        # path through some of espeak-ng's formant speech and aligned nothing.
        self._decoder = Decoder(
            samprate=16000, loglevel="FATAL", beam=1e-80, wbeam=1e-60, pbeam=1e-80
        )

    def words(self, pcm: np.ndarray, rate: int, text: str) -> list[HeardWord] | None:  # type: ignore[type-arg]
        """The words of ``text`` with their starts, or None where it cannot be aligned whole."""
        samples = np.clip(to_whisper_rate(pcm, rate), -1.0, 1.0)
        expected = normalize_en(text).split()
        try:
            self._decoder.set_align_text(" ".join(expected))
        except RuntimeError:  # a word outside the dictionary
            return None
        self._decoder.start_utt()
        self._decoder.process_raw((samples * 32767).astype(np.int16).tobytes(), full_utt=True)
        self._decoder.end_utt()
        words = [
            HeardWord(re.sub(r"\(\d+\)$", "", s.word), s.start_frame * ALIGNER_FRAME_MS)
            for s in self._decoder.seg() or []
            if not s.word.startswith(("<", "["))  # <s>, </s>, <sil>, [NOISE]
        ]
        # Where the search loses the path it returns the words up to there: only whole
        # alignments are kept.
        return words if len(words) == len(expected) else None


@dataclass
class Comparison:
    """The three pairwise agreements of one voice and speed."""

    pairs: dict[str, Agreement] = field(
        default_factory=lambda: {f"{a}-{b}": Agreement() for a, b in PAIRS}
    )
    unaligned: int = 0


def _as_tokens(words: list[HeardWord]) -> list[SpokenToken]:
    return [SpokenToken(w.text, w.start_ms) for w in words]


def compare(
    synthesizer: Synthesizer, transcriber: Transcriber, aligner: Aligner, voice: str, speed: float
) -> Comparison:
    """Speak every sentence with ``voice`` at ``speed`` and compare the three placements."""
    tokenizer, found = default_tokenizer(), Comparison()
    for text in EN:
        request = SynthesisRequest(text=text, voice=voice, speed=speed)
        result = synthesize_timed(synthesizer, tokenizer, request)
        pcm, rate = result.audio.pcm, result.audio.sample_rate
        ours = [SpokenToken(t.token.spoken, t.start_ms) for t in result.tokens]
        whisper = heard_words(transcriber, pcm, rate, "en")
        spoken = " ".join(t.spoken for t in ours)
        aligned = aligner.words(pcm, rate, spoken)
        found.pairs["voxserve-whisper"].add(agreement(ours, whisper, "en"))
        if aligned is None:
            found.unaligned += 1
            continue
        found.pairs["voxserve-aligner"].add(agreement(ours, aligned, "en"))
        found.pairs["whisper-aligner"].add(agreement(_as_tokens(whisper), aligned, "en"))
    return found


def _rows(label: str, found: Comparison) -> list[dict[str, Any]]:
    return [
        {
            "set": label,
            "pair": pair,
            "median_ms": a.median if a.matched else None,
            "p90_ms": a.p90 if a.matched else None,
            "bias_ms": a.bias,
            "matched": a.matched,
            "words": a.heard,
            "unaligned_sentences": found.unaligned,
        }
        for pair, a in found.pairs.items()
    ]


def _markdown(row: dict[str, Any]) -> str:
    if not row["matched"]:
        figures = "- | - | -"
    else:
        figures = f"{row['median_ms']:.0f} | {row['p90_ms']:.0f} | {row['bias_ms']:+.0f}"
    return (
        f"| {row['set']} | {row['pair']} | {figures} | {row['matched']}/{row['words']} "
        f"| {row['unaligned_sentences']} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="Write the figures as JSON here.")
    args = parser.parse_args()
    synthesizer = Synthesizer.load(Settings(engines="piper,espeak"))
    transcriber, aligner = Transcriber(), Aligner()
    rows: list[dict[str, Any]] = []
    print("| set | pair | median (ms) | p90 (ms) | bias (ms) | matched | unaligned |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for voice in VOICES:
        for speed in SPEEDS:
            label = f"{voice} speed {speed:g}"
            for row in _rows(label, compare(synthesizer, transcriber, aligner, voice, speed)):
                rows.append(row)
                print(_markdown(row), flush=True)
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
