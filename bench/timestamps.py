"""How well timestamps agree with Whisper base's word timestamps, per engine and condition.

Usage: ``.venv/bin/python bench/timestamps.py [--out bench/results/timestamps-2core.json]``

Every engine speaks the round-trip test's sentences (20 Mandarin, 10 English); each condition
(speed, sample rate, emotion) repeats a subset. For each set: the median and 90th percentile
of |start difference| over Whisper's matched words, and the share of its words matched (see
``tests/support/alignment.py``). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.roundtrip.test_timestamps import EN, ZH
from tests.support.alignment import measure
from tests.support.asr import Language, Transcriber

from voxserve.pipeline import Synthesizer
from voxserve.prosody.emotions import EMOTIONS
from voxserve.settings import Settings
from voxserve.text.tokens import default_tokenizer
from voxserve.types import SynthesisRequest

SUBSET = 5


def _sets() -> list[tuple[str, str, Language, list[str], dict[str, Any]]]:
    """(label, voice, language, sentences, request fields) of every measured set."""
    found: list[tuple[str, str, Language, list[str], dict[str, Any]]] = [
        ("zh-baker", "zh-baker", "zh", ZH, {}),
        ("en-joe", "en-joe", "en", EN, {}),
        ("espeak-en", "espeak-en", "en", EN, {}),
    ]
    for speed in (0.5, 2.0):
        found.append((f"zh-baker speed {speed}", "zh-baker", "zh", ZH[:SUBSET], {"speed": speed}))
        for voice in ("en-joe", "espeak-en"):
            found.append((f"{voice} speed {speed}", voice, "en", EN, {"speed": speed}))
    found.append(("zh-baker 16 kHz", "zh-baker", "zh", ZH[:SUBSET], {"sample_rate": 16000}))
    for emotion in EMOTIONS:
        if emotion != "neutral":
            fields = {"emotion": emotion}
            found.append((f"zh-baker {emotion}", "zh-baker", "zh", ZH[:SUBSET], fields))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="Write the figures as JSON here.")
    args = parser.parse_args()
    synthesizer = Synthesizer.load(Settings(engines="baker-zh,piper,espeak"))
    tokenizer, transcriber = default_tokenizer(), Transcriber()
    rows = []
    print("| set | sentences | median (ms) | p90 (ms) | matched |")
    print("|---|---:|---:|---:|---:|")
    for label, voice, language, sentences, fields in _sets():
        started = time.perf_counter()
        request = SynthesisRequest(text="-", voice=voice, **fields)
        found = measure(synthesizer, tokenizer, transcriber, sentences, request, language)
        rows.append(
            {
                "set": label,
                "sentences": len(sentences),
                "median_ms": found.median,
                "p90_ms": found.p90,
                "matched": found.matched,
                "heard": found.heard,
                "seconds": round(time.perf_counter() - started, 1),
            }
        )
        print(
            f"| {label} | {len(sentences)} | {found.median:.0f} | {found.p90:.0f} | "
            f"{found.matched}/{found.heard} ({found.match_rate:.0%}) |",
            flush=True,
        )
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
