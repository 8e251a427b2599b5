"""Mandarin text normalization against PaddleSpeech's public cases.

    .venv/bin/python bench/text_normalization.py [--cases FILE] [--json out.json]

Each case is ``raw|normalized``. Both sides are compared on Han characters only (punctuation,
Latin letters and spaces are not scored), with 幺 and 一 counted as equal (幺 for 1 in digit
strings is a convention); nothing else is excused. Reported: sentences exactly right, the
character error rate over all cases, and every miss.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from voxserve.text import normalize
from voxserve.text.script import HAN_CLASS

DEFAULT_CASES = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "tn" / "paddlespeech_cases.txt"
)
_NOT_HAN = re.compile(f"[^{HAN_CLASS}]")


def han(text: str) -> str:
    """The Han characters of ``text``, with 幺 written 一."""
    return _NOT_HAN.sub("", text).replace("幺", "一")


def edits(a: str, b: str) -> int:
    """Levenshtein distance between two strings."""
    row = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, char_b in enumerate(b, 1):
            substitute = previous + (char_a != char_b)
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, substitute)
    return row[-1]


def score(cases: list[tuple[str, str]]) -> dict[str, object]:
    misses, errors, chars = [], 0, 0
    for raw, expected in cases:
        got, want = han(normalize(raw, "zh")), han(expected)
        errors += edits(got, want)
        chars += len(want)
        if got != want:
            misses.append({"raw": raw, "expected": want, "got": got})
    return {
        "cases": len(cases),
        "exact": len(cases) - len(misses),
        "cer": errors / chars,
        "misses": misses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=Path, default=DEFAULT_CASES)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    lines = args.cases.read_text(encoding="utf-8").splitlines()
    cases = [(raw, want) for raw, _, want in (line.partition("|") for line in lines if line)]
    report = score(cases)
    for miss in report["misses"]:  # type: ignore[attr-defined]
        print(f"  {miss['raw']}\n    want {miss['expected']}\n    got  {miss['got']}")
    print(f"{report['exact']} of {report['cases']} exact, CER {report['cer']:.4f}")
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")


if __name__ == "__main__":
    main()
