"""The synthesis pipeline: request -> units (front end) -> engine + DSP per unit -> PCM.

Planning (:meth:`Synthesizer.plan`) is cheap and pure; rendering a unit
(:meth:`Synthesizer.render_unit`) is the CPU work that worker processes run. ``synthesize`` does
both in-process for the CLI, tests and benchmarks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from voxserve import parts, timing
from voxserve.audio.join import fade_edges, silence
from voxserve.audio.loudness import active_rms_db, apply_gain_db, peak_limit
from voxserve.audio.resample import resample
from voxserve.engines.base import Engine, PartsEngine, PartSink, TimedEngine
from voxserve.engines.registry import load_engines
from voxserve.errors import EmptyTextError, EngineError, TextTooLongError
from voxserve.prosody import dsp
from voxserve.prosody.emotions import combine, emotion_prosody
from voxserve.settings import Settings
from voxserve.text import Run, Unit, prepare, ssml
from voxserve.text.pinyin import strip_marks
from voxserve.timing import Timed
from voxserve.types import (
    PCM,
    PITCH_RANGE,
    SPEED_RANGE,
    VOLUME_RANGE,
    AudioResult,
    Prosody,
    ProsodyControl,
    SynthesisRequest,
    Voice,
)
from voxserve.voices import VoiceCatalog

TARGET_RMS_DB = -23.0
"""Loudness every run is brought to before the prosody gain, so voices and engines match."""
MAX_MATCH_GAIN_DB = 24.0
"""Near-silent output is not blown up into noise by loudness matching."""


@dataclass(frozen=True)
class RunTask:
    text: str
    voice: Voice


@dataclass(frozen=True)
class UnitTask:
    """Everything a worker needs to render one unit (picklable, engine-free)."""

    index: int
    text: str
    runs: tuple[RunTask, ...]
    prosody: Prosody
    pause_after: float
    sample_rate: int


@dataclass(frozen=True)
class SynthesisPlan:
    voice: Voice
    sample_rate: int
    units: tuple[UnitTask, ...]


class Planner:
    """Turns requests into unit tasks. Needs the voice catalog only, not the engines."""

    def __init__(self, settings: Settings, catalog: VoiceCatalog) -> None:
        self.settings = settings
        self.catalog = catalog

    def plan(
        self, request: SynthesisRequest, max_chars: int | None = None, stream: bool = False
    ) -> SynthesisPlan:
        """Validate ``request`` and split it into unit tasks. Raises InputError subclasses.

        ``max_chars`` replaces the ``max_text_chars`` setting (jobs have a limit of their own).
        ``stream``: the audio is played as it comes, so a long first sentence is cut after its
        first clause (``stream_first_unit_chars``): the listener hears it sooner.
        """
        limit = self.settings.max_text_chars if max_chars is None else max_chars
        voice = self.catalog.resolve(request.voice)
        rate = request.sample_rate or voice.sample_rate
        if request.ssml:
            return SynthesisPlan(voice, rate, self._ssml_tasks(request, voice, rate, limit))
        if len(request.text) > limit:
            raise TextTooLongError(len(request.text), limit)
        first = self.settings.stream_first_unit_chars if stream else 0
        units = prepare(
            request.text,
            max_unit_chars=self.settings.max_unit_chars,
            lexicon=request.lexicon,
            first_unit_chars=first or None,
        )
        prosody = _prosody(request, ssml.Style())
        return SynthesisPlan(voice, rate, self._tasks(units, voice, prosody, rate, 0))

    def _tasks(
        self, units: Sequence[Unit], voice: Voice, prosody: Prosody, rate: int, first: int
    ) -> tuple[UnitTask, ...]:
        return tuple(
            UnitTask(
                first + i,
                u.text,
                self._run_tasks(u.runs, voice),
                prosody,
                u.pause_after * prosody.pause_scale,
                rate,
            )
            for i, u in enumerate(units)
        )

    def _ssml_tasks(
        self, request: SynthesisRequest, voice: Voice, rate: int, limit: int
    ) -> tuple[UnitTask, ...]:
        """Each segment planned as text in its own voice and prosody; breaks as pauses."""
        if len(request.text) > limit * SSML_MARKUP_FACTOR:
            raise TextTooLongError(len(request.text), limit * SSML_MARKUP_FACTOR)
        segments = ssml.parse(request.text)
        if (spoken := sum(len(s.text) for s in segments)) > limit:
            raise TextTooLongError(spoken, limit)
        tasks: list[UnitTask] = []
        for segment in segments:
            prosody = _prosody(request, segment.style)
            own = self.catalog.resolve(segment.style.voice) if segment.style.voice else voice
            units = self._units_of(segment.text, request)
            tasks += self._tasks(units, own, prosody, rate, len(tasks))
            if segment.pause_after and tasks:
                last = tasks[-1]
                tasks[-1] = replace(last, pause_after=last.pause_after + segment.pause_after)
            elif segment.pause_after:  # a break before any speech: silence first
                tasks.append(UnitTask(0, "", (), prosody, segment.pause_after, rate))
        if not any(task.runs for task in tasks):
            raise EmptyTextError("the document has no text to speak")
        return tuple(tasks)

    def _units_of(self, text: str, request: SynthesisRequest) -> list[Unit]:
        """A segment's units; none when it holds nothing to speak (punctuation between tags)."""
        try:
            return prepare(
                text, max_unit_chars=self.settings.max_unit_chars, lexicon=request.lexicon
            )
        except EmptyTextError:
            return []

    def _run_tasks(self, runs: Sequence[Run], voice: Voice) -> tuple[RunTask, ...]:
        return tuple(RunTask(r.text, self._voice_for(r.lang, voice)) for r in runs)

    def _voice_for(self, language: str, voice: Voice) -> Voice:
        if voice.language == language:
            return voice
        return self.catalog.default_for(language) or voice


SSML_MARKUP_FACTOR = 4
"""An SSML document may be this many times the text limit (its markup does not count)."""


def _prosody(request: SynthesisRequest, style: ssml.Style) -> Prosody:
    """The request's emotion and prosody, with what the SSML around a segment asks for."""
    emotion = style.emotion or request.emotion
    intensity = request.intensity if style.intensity is None else style.intensity
    return combine(
        emotion_prosody(emotion, intensity),
        speed=SPEED_RANGE.clamp(request.speed * style.rate),
        pitch=PITCH_RANGE.clamp(request.pitch + style.pitch),
        volume=VOLUME_RANGE.clamp(request.volume + style.volume),
    )


class Synthesizer:
    """Plans and renders speech with a set of loaded engines."""

    def __init__(self, settings: Settings, engines: Mapping[str, Engine]) -> None:
        self.settings = settings
        self.engines = dict(engines)
        self.catalog = VoiceCatalog.from_engines(self.engines, settings)
        self.planner = Planner(settings, self.catalog)

    @classmethod
    def load(cls, settings: Settings) -> Synthesizer:
        """Load the engines ``settings`` selects (slow) and build a synthesizer on them."""
        return cls(settings, load_engines(settings))

    def plan(self, request: SynthesisRequest, stream: bool = False) -> SynthesisPlan:
        """See :meth:`Planner.plan`."""
        return self.planner.plan(request, stream=stream)

    def render_unit(self, task: UnitTask, on_part: PartSink | None = None) -> Timed:
        """Speak one unit at ``task.sample_rate``, followed by its pause, with the marks of the
        items it spoke (offsets into its samples). CPU-bound.

        ``on_part`` is given the unit's first samples before the rest is synthesized where
        that is possible (a unit of one run, on an engine that gives parts, needing no DSP or
        resampling; else nothing): whatever it gets is a prefix of the returned samples."""
        pieces: list[PCM] = []
        marks: list[timing.Marks] = [timing.NO_MARKS]
        offset, measured = 0, True
        for run in task.runs:
            sink = on_part if len(task.runs) == 1 else None
            rendered = self._render_run(run, task.prosody, task.sample_rate, sink)
            pieces.append(rendered.pcm)
            marks.append(rendered.marks + offset)
            offset += len(rendered.pcm)
            measured = measured and rendered.measured
        pieces.append(silence(task.pause_after, task.sample_rate))
        pcm = peak_limit(np.concatenate(pieces).astype(np.float32))
        return Timed(pcm, np.concatenate(marks), measured)

    def _render_run(
        self, run: RunTask, prosody: Prosody, sample_rate: int, on_part: PartSink | None = None
    ) -> Timed:
        engine = self.engines.get(run.voice.engine)
        if engine is None:
            raise EngineError(f"engine {run.voice.engine!r} is not loaded")
        # Volume is always a gain applied after loudness matching (which would undo an engine's).
        native = engine.native_controls - {ProsodyControl.VOLUME}
        rate = run.voice.sample_rate
        # Readings given by the caller ride in the text as marks; only some engines read them.
        text = run.text if getattr(engine, "reads_pinyin_marks", False) else strip_marks(run.text)
        effects = replace(prosody.without(native), gain_db=0.0)
        feed = None
        direct = rate == sample_rate and not dsp.needs_world(effects)  # nothing needs it whole
        if on_part is not None and direct and isinstance(engine, PartsEngine):
            feed = parts.Feed(on_part, _gain(engine, None, rate, prosody), rate)
        spoken = _speak(engine, text, run.voice, prosody.only(native), feed)
        pcm = dsp.render(spoken.pcm, rate, effects)
        gain = _gain(engine, pcm, rate, prosody)
        marks = timing.rescale(spoken.marks, len(pcm) / max(1, len(spoken.pcm)), len(pcm))
        pcm = apply_gain_db(pcm, gain)
        resampled = resample(pcm, rate, sample_rate)
        marks = timing.rescale(marks, len(resampled) / max(1, len(pcm)), len(resampled))
        return Timed(fade_edges(resampled, sample_rate), marks, spoken.measured)

    def synthesize(self, request: SynthesisRequest, stream: bool = False) -> AudioResult:
        """Plan (as a stream's units, or a whole file's) and render a whole request in this
        process."""
        plan = self.plan(request, stream)
        pcm = np.concatenate([self.render_unit(u).pcm for u in plan.units]).astype(np.float32)
        return AudioResult(pcm, plan.sample_rate, plan.voice.id, plan.voice.engine)


def _gain(engine: Engine, pcm: PCM | None, rate: int, prosody: Prosody) -> float:
    """The gain (dB) that brings a run to :data:`TARGET_RMS_DB`, plus the prosody's own: from
    the level the engine declares, or else measured on the run's samples ``pcm``."""
    if isinstance(engine, PartsEngine):
        level = engine.level_db
    else:
        assert pcm is not None
        level = active_rms_db(pcm, rate)
    return min(MAX_MATCH_GAIN_DB, TARGET_RMS_DB - level) + prosody.gain_db


def _speak(
    engine: Engine, text: str, voice: Voice, prosody: Prosody, feed: PartSink | None = None
) -> Timed:
    """The engine's samples with its own marks, or marks estimated when it gives none;
    ``feed`` gets the first samples early where the engine gives parts."""
    if feed is not None and isinstance(engine, PartsEngine):
        return engine.synthesize_parts(text, voice, prosody, feed)
    if isinstance(engine, TimedEngine):
        return engine.synthesize_timed(text, voice, prosody)
    pcm = engine.synthesize(text, voice, prosody)
    return Timed(pcm, timing.estimate(text, pcm), measured=False)
