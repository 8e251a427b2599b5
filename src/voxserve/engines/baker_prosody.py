"""How the Baker voice renders prosody itself: semitones and ranges to model inputs, intonation.

The acoustic model takes, per input phone, an F0 offset (z-normalized F0 units), an energy
offset and a duration scale, and one ``f0_ratios`` that scales the F0 contour around the
speaker's mean (``voxserve.models.baker_zh_graph``). Their joint effect on the median F0 and on
the F0 spread (interquartile range) was measured on a grid (``bench/baker_prosody.py``: 12
sentences, pYIN, median over the sentences): ``_SHIFT_ST`` and ``_SPREAD`` below. Two facts shape
the plan: the voice saturates above an offset of +1.5 (about +3 semitones), and a positive
offset narrows the spread (x0.72 at +1.0). For a target pitch shift and spread, :func:`native_pitch`
picks the offset and a ratio of at most ``MAX_RATIO`` that come closest, and renders the pitch
they leave over by resampling: the model speaks slower by ``k`` and the audio is resampled ``k``
times shorter, raising the pitch by ``k`` (formants move with it, so the planner keeps that part
small). The ratio is capped because it stretches every tone's own contour, and Mandarin tones
tell words apart: over 20 sentences, ratios up to 2.5 put the round trip's character error rate
0.03-0.07 above neutral's. When a wider range than neutral is asked, the spread the ratio
does not reach comes from phrase contours instead: each phrase (between pauses) starts higher
and ends lower, as emphatic speech does, which leaves the tones' shapes alone (a spread of
x1.46 asked this way cost no intelligibility).

Intonation: a question (a sentence ending in ``？``) rises over its last inputs, and a
neutral-tone final particle (吗, 呢, 吧 ...) is raised further, since its own contour falls. An
exclamation (``！``) is spoken in a raised register and peaks on its focus, then falls back.
Emphasis: in an exclamation, or in a voice asked for a wider range (happy, angry, fear,
surprise, disgust), the words that carry the feeling (太, 真, 非常, 简直 ...; found by
:mod:`voxserve.engines.baker_shape`) are raised and lengthened. Phrase-final lengthening: a
slower rate stretches a phrase's last syllable more than the rest, as speakers do; the sum of
the durations is kept, so the rate holds. Neutral statements are the model as it is: its own
declination and phrase-final lengthening, learned from the recordings.

Energy is never offset: below -0.5 units it damages the voice; loudness stays a gain.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from voxserve.types import Prosody

_OFFSETS = (-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5)
_RATIOS = (0.5, 0.75, 1.0, 1.5, 2.0, 2.5)
_SHIFT_ST = (  # median F0 shift in semitones; rows: offsets, columns: ratios
    (-5.25, -4.95, -4.80, -4.75, -4.10, -3.90),
    (-4.15, -4.10, -3.95, -3.70, -3.40, -2.95),
    (-2.98, -2.92, -2.85, -2.72, -2.55, -2.10),
    (-1.55, -1.53, -1.55, -1.40, -1.00, -0.40),
    (0.05, 0.00, 0.00, 0.10, 0.30, 0.60),
    (1.30, 1.25, 1.25, 1.20, 1.35, 1.45),
    (2.30, 2.30, 2.20, 2.10, 2.20, 1.92),
    (3.00, 3.00, 3.00, 2.80, 2.45, 2.30),
)
_SPREAD = (  # F0 spread, times the neutral one; rows: offsets, columns: ratios
    (0.58, 0.69, 0.81, 1.03, 1.23, 1.39),
    (0.54, 0.70, 0.87, 1.18, 1.32, 1.61),
    (0.57, 0.73, 0.91, 1.26, 1.51, 1.51),
    (0.59, 0.84, 1.02, 1.26, 1.50, 1.66),
    (0.56, 0.78, 1.00, 1.32, 1.58, 1.63),
    (0.44, 0.64, 0.85, 1.25, 1.53, 1.59),
    (0.45, 0.57, 0.72, 1.06, 1.37, 1.46),
    (0.44, 0.54, 0.64, 0.92, 1.18, 1.32),
)
_SPREAD_TOLERANCE = math.log(1.15)
_SHORT_SPREAD_TOLERANCE = math.log(1.6)
_RESAMPLE_TOLERANCE_ST = 2.0
"""Weights of the plan's two errors: a spread 15% off costs as much as 2 semitones of resampling."""
_MAX_OFFSET = 2.0
"""Highest offset of any phone (a question's end on top of a raised voice): the voice saturates."""

QUESTION_RISE = 2.0
"""F0 offset added at the end of a question, reached linearly over ``QUESTION_SPAN`` inputs."""
QUESTION_SPAN = 10
PARTICLE_RISE = 2.0
"""Offset of a question's final neutral-tone particle (its own contour falls)."""
MAX_RATIO = 1.15
"""Largest ``f0_ratios``: stretching every tone's contour further costs the round trip
intelligibility (tones tell Mandarin words apart); a wider range comes from phrase contours."""
PHRASE_FALL = 3.0
"""Offset at a phrase's start (and minus it at its end) per unit of log extra spread."""
_MIN_PHRASE = 4
_SATURATION = 1.5
"""Offset above which the voice rises no further (about +3 semitones)."""
_FLOOR = -1.6
"""Lowest offset a phrase's fall reaches: below it the voice goes creaky and the round trip
loses words (a lowered voice's phrase ends)."""
MAX_MEAN_DROP = 0.875
"""How far a phrase's fall may take its mean under the sentence's offset: a raised voice starts
its falls at saturation, and a deeper fall would take back the raise it was asked for."""
EXCLAMATION_RAISE = 0.3
"""Offset of a whole exclamation: it is spoken higher than the same words stated."""
EXCLAMATION_PEAK = 0.8
"""Offset added on an exclamation's focus; what follows falls back from half of it."""
EMPHASIS_RISE = 0.5
"""Offset added on a word that carries the emotion (an emotional voice, or an exclamation)."""
EMPHASIS_LENGTH = 1.2
"""Duration scale of an emphasized word."""
FINAL_SHARE = 0.5
"""How much more of a slower rate (in log terms) a phrase's last syllable takes: with rate 0.8
it is 1.12x longer than the others, with rate 0.5 1.41x."""
_MIN_SPEED, _MAX_SPEED = 0.25, 4.0


@dataclass(frozen=True)
class Rendering:
    """The model inputs that render one sentence's prosody."""

    f0_offsets: npt.NDArray[np.float32]
    f0_ratio: float
    speed: float
    """Duration multiplier (``speed_ratios``: > 1 is slower), resampling included."""
    resample: float
    """Playback speed-up of the audio afterwards (1: none; 1.1 raises pitch by 1.65 st)."""
    duration_scales: npt.NDArray[np.float32]
    """Each input's duration against the others (emphasis, phrase-final lengthening); their
    mean is about 1, ``speed`` sets the overall rate."""


def _fine_grid() -> tuple[npt.NDArray[np.float64], ...]:
    """Offsets, ratios, shifts and spreads on a finer grid (steps of 0.1 offset and 0.05 ratio,
    bilinear interpolation of the measured one)."""
    offsets = np.linspace(_OFFSETS[0], _OFFSETS[-1], 36)
    ratios = np.linspace(_RATIOS[0], _RATIOS[-1], 41)

    def fine(table: tuple[tuple[float, ...], ...]) -> npt.NDArray[np.float64]:
        by_ratio = np.array([np.interp(ratios, _RATIOS, row) for row in table])
        return np.array([np.interp(offsets, _OFFSETS, col) for col in by_ratio.T]).T

    grid_o, grid_r = np.meshgrid(offsets, ratios, indexing="ij")
    return grid_o.ravel(), grid_r.ravel(), fine(_SHIFT_ST).ravel(), fine(_SPREAD).ravel()


_GRID = _fine_grid()


@dataclass(frozen=True)
class PitchPlan:
    """How one pitch shift and spread are rendered."""

    offset: float
    """F0 offset of every input (the model's z-normalized units)."""
    ratio: float
    """``f0_ratios``: the contour's scale around the speaker's mean."""
    rest: float
    """Semitones left for resampling."""
    spread: float
    """The F0 spread these give, times the neutral one (measured on the grid)."""


def native_pitch(semitones: float, spread: float, max_ratio: float = MAX_RATIO) -> PitchPlan:
    """The F0 offset and ratio (at most ``max_ratio``) that come closest to a pitch shift of
    ``semitones`` and an F0 spread of ``spread`` times the neutral one, and the semitones left
    for resampling."""
    offsets, ratios, shifts, spreads = _GRID
    allowed = ratios <= max_ratio + 1e-9
    rest = semitones - shifts
    off = np.log(spreads / max(spread, 0.05))
    # Phrase contours widen a spread that falls short, not one that is too wide.
    tolerance = np.where(off > 0, _SPREAD_TOLERANCE, _SHORT_SPREAD_TOLERANCE)
    cost = (off / tolerance) ** 2 + (rest / _RESAMPLE_TOLERANCE_ST) ** 2
    best = int(np.argmin(np.where(allowed, cost, np.inf)))
    return PitchPlan(
        float(offsets[best]), float(ratios[best]), float(rest[best]), float(spreads[best])
    )


SentenceKind = Literal["statement", "question", "exclamation"]


@dataclass(frozen=True)
class Shape:
    """Where the parts of one sentence sit in the model's input (indexes of its input ids;
    :mod:`voxserve.engines.baker_shape` finds them)."""

    length: int
    kind: SentenceKind = "statement"
    phrases: Sequence[range] = ()
    """The spans between pauses."""
    final_particle: range | None = None
    """A final neutral-tone syllable (吗, 呢, 吧 ...)."""
    phrase_finals: Sequence[range] = ()
    """Each phrase's last syllable."""
    emphasis: Sequence[range] = ()
    """Words that carry the sentence's feeling (太, 真, 非常 ...)."""


def plan(prosody: Prosody, shape: Shape) -> Rendering:
    """Model inputs for a sentence of ``shape`` spoken with ``prosody``: the mean shift and
    range, a question's final rise, an exclamation's peak, emphasis on the words that carry an
    emotion, and phrase-final lengthening in slow speech. The part of a
    wider range that the contour's ratio leaves over is a fall across each phrase."""
    if prosody.pitch == 0.0 and prosody.pitch_range == 1.0:
        pitch = PitchPlan(0.0, 1.0, 0.0, 1.0)  # neutral speech: the model as it is
    else:
        pitch = native_pitch(prosody.pitch, prosody.pitch_range)
    offsets = np.full(shape.length, pitch.offset, dtype=np.float32)
    durations = np.ones(shape.length, dtype=np.float32)
    if prosody.pitch_range > 1.0:  # a pitch alone keeps the voice's own phrasing
        _decline(offsets, shape.phrases, prosody.pitch_range / pitch.spread)
    if shape.kind == "question":
        _rise(offsets, shape.final_particle)
    elif shape.kind == "exclamation":
        _exclaim(offsets, shape)
    if shape.kind == "exclamation" or prosody.pitch_range > 1.0:
        _emphasize(offsets, durations, shape.emphasis)
    _lengthen_finals(durations, shape.phrase_finals, prosody.rate)
    np.minimum(offsets, _MAX_OFFSET, out=offsets)
    resample = 2.0 ** (pitch.rest / 12.0)
    speed = min(max(resample / prosody.rate, _MIN_SPEED), _MAX_SPEED)
    return Rendering(offsets, pitch.ratio, speed, resample, durations)


def _decline(offsets: npt.NDArray[np.float32], phrases: Sequence[range], extra: float) -> None:
    if extra <= 1.0:
        return
    depth = PHRASE_FALL * math.log(extra)
    # Past saturation a higher start adds nothing: the fall goes lower instead.
    base = float(offsets.max()) if offsets.size else 0.0
    top = min(depth, max(0.0, _SATURATION - base))
    bottom = max(top - 2 * depth, -top - 2 * MAX_MEAN_DROP, _FLOOR - base)
    for phrase in phrases:
        if len(phrase) >= _MIN_PHRASE:
            offsets[phrase.start : phrase.stop] += np.linspace(
                top, bottom, len(phrase), dtype=np.float32
            )


def _rise(offsets: npt.NDArray[np.float32], final_particle: range | None) -> None:
    span = min(QUESTION_SPAN, len(offsets))
    offsets[-span:] += np.linspace(0.0, QUESTION_RISE, span, dtype=np.float32)
    if final_particle is not None:
        particle = offsets[final_particle.start : final_particle.stop]
        particle[:] = np.maximum(particle, offsets[0] + PARTICLE_RISE)


def _exclaim(offsets: npt.NDArray[np.float32], shape: Shape) -> None:
    """An exclamation is spoken in a raised register that peaks on its focus: the emphasized
    words, or without one its first word, and falls from there to its end."""
    offsets += EXCLAMATION_RAISE
    focus = shape.emphasis[0] if shape.emphasis else _first_word(shape)
    if focus is None:
        return
    offsets[focus.start : focus.stop] += EXCLAMATION_PEAK
    tail = offsets[focus.stop :]
    tail += np.linspace(EXCLAMATION_PEAK / 2, 0.0, len(tail), dtype=np.float32)


def _first_word(shape: Shape) -> range | None:
    """The first phrase's first five inputs: about two syllables (initial, final, boundary,
    initial, final); None without phrases."""
    if not shape.phrases:
        return None
    first = shape.phrases[0]
    return range(first.start, min(first.stop, first.start + 5))


def _emphasize(
    offsets: npt.NDArray[np.float32],
    durations: npt.NDArray[np.float32],
    words: Sequence[range],
) -> None:
    for word in words:
        offsets[word.start : word.stop] += EMPHASIS_RISE
        durations[word.start : word.stop] *= EMPHASIS_LENGTH


def _lengthen_finals(
    durations: npt.NDArray[np.float32], finals: Sequence[range], rate: float
) -> None:
    """Slow speech stretches a phrase's last syllable more than the rest (``FINAL_SHARE`` of
    the rate's change, in log terms, on top); the sum of the scales stays, so that ``rate``
    still holds on average. Fast speech is left even: giving its phrase ends their length back
    compresses the other syllables further, and the round trip lost words (happy and angry,
    rate 1.08: character error +0.01 to +0.035 against neutral on 12 and 24 sentences)."""
    extra = math.exp(FINAL_SHARE * math.log(1.0 / rate)) if rate < 1.0 else 1.0
    indexes = [i for final in finals for i in final]
    if extra == 1.0 or not indexes or len(indexes) >= durations.size:
        return
    before = float(durations.sum())
    durations[indexes] *= extra
    durations *= before / float(durations.sum())
