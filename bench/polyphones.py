"""Polyphone accuracy of the Mandarin front end on the CPP benchmark, stage by stage.

    .venv/bin/python bench/polyphones.py [--split test] [--data DIR] [--json out.json]

CPP (Park & Lee 2020): each sentence marks one polyphonic character; the score is the share of
those characters read right, on citation tones (the readings before tone sandhi), with the
front end's cost per sentence (median of three passes). Options, all in one run:

- ``pypinyin``: pypinyin's dictionaries on the whole sentence (the front end before the
  readings stage);
- ``g2pm``: the polyphone model alone;
- ``dictionary+model``: pypinyin phrase readings for dictionary words, the model elsewhere;
- ``+rules``: and the context rules; ``voxserve``: and the override list (the shipped reader);
- ``pypinyin-large`` (when ``pypinyin-dict`` is installed): pypinyin with its larger phrase
  dictionary; measured last because loading it changes pypinyin's tables for the process.

The rules and the override list were written on the dev split and general usage; nothing in
them comes from the test split.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from voxserve.text.readings import Reader, g2pm_model, jieba_segmenter

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "cpp"
Case = tuple[str, int, str]
Readings = Callable[[str], Sequence[str | None]]


def load(data: Path, split: str) -> list[Case]:
    """(sentence, index of the target, its reading) for every line of the split."""
    sentences = (data / f"{split}.sent").read_text(encoding="utf-8").splitlines()
    labels = (data / f"{split}.lb").read_text(encoding="utf-8").splitlines()
    cases = []
    for marked, label in zip(sentences, labels, strict=True):
        cases.append((marked.replace("▁", ""), marked.index("▁"), label.replace("u:", "v")))
    return cases


def evaluate(read: Readings, cases: list[Case], passes: int) -> dict[str, float]:
    costs, right = [], 0
    for _ in range(passes):
        right, start = 0, time.perf_counter()
        for text, index, label in cases:
            reading = read(text)[index] or ""
            right += reading.replace("u:", "v").replace("ü", "v") == label
        costs.append((time.perf_counter() - start) / len(cases) * 1000)
    return {"accuracy": right / len(cases), "ms_per_sentence": statistics.median(costs)}


def options() -> dict[str, Readings]:
    segmenter = jieba_segmenter()
    model = g2pm_model()
    if model is None:
        raise SystemExit("g2pM is not installed (scripts/setup installs it)")
    plain = Reader()
    found: dict[str, Readings] = {"pypinyin": plain.dictionary, "g2pm": model}
    without_rules = Reader(segmenter, model, overrides={})
    found["dictionary+model"] = lambda text: without_rules._words(text)[0]
    found["+rules"] = Reader(segmenter, model, overrides={}).readings
    found["voxserve"] = Reader(segmenter, model).readings
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", default="test", choices=["dev", "test"])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    cases = load(args.data, args.split)
    results = {}
    for name, read in options().items():
        results[name] = evaluate(read, cases, args.passes)
        print(
            f"{name:18} {results[name]['accuracy']:.4f}  {results[name]['ms_per_sentence']:.2f} ms"
        )
    try:
        from pypinyin_dict.phrase_pinyin_data import large_pinyin  # type: ignore[import-untyped]
    except ImportError:
        pass
    else:
        large_pinyin.load()
        results["pypinyin-large"] = evaluate(Reader().dictionary, cases, args.passes)
        print(f"{'pypinyin-large':18} {results['pypinyin-large']['accuracy']:.4f}")
    report = {"split": args.split, "sentences": len(cases), "options": results}
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
