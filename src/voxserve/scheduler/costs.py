"""What a unit costs a worker, learned online from the workers' own renders.

A unit's cost is its characters times the seconds per character of its *kind*: the engine that
speaks it and the prosody path it takes (``plain``: the engine renders everything itself;
``dsp``: pitch and range re-synthesized after the model, several times dearer). Each kind keeps
an exponential moving average of the wall seconds its renders took, so a slower machine, a busy
neighbour or a costlier emotion moves the estimates within a few units, without settings.
"""

from __future__ import annotations

from dataclasses import dataclass

from voxserve.pipeline import UnitTask

SMOOTHING = 0.2
"""Weight of each new measurement in the moving averages."""
DSP_PRIOR = 4.0
"""How much dearer a ``dsp`` unit is assumed to be than a ``plain`` one of the same engine until
one has been measured (emotions re-synthesized after the model cost 3-4.7x neutral speech)."""


@dataclass(frozen=True)
class Kind:
    """What decides a unit's cost per character."""

    engine: str
    path: str
    """``plain`` or ``dsp``."""


def kind_of(task: UnitTask) -> Kind:
    """The kind of ``task``: its first run's engine, and whether pitch or range go through DSP."""
    voice = task.runs[0].voice if task.runs else None
    engine = voice.engine if voice else ""
    reshaped = task.prosody.pitch != 0.0 or task.prosody.pitch_range != 1.0
    dsp = reshaped and voice is not None and voice.emotion_rendering == "dsp"
    return Kind(engine, "dsp" if dsp else "plain")


class CostModel:
    """Seconds per character per :class:`Kind`, and across all of them."""

    def __init__(self, initial_seconds_per_char: float) -> None:
        self.seconds_per_char = initial_seconds_per_char
        """Across every kind: the estimate for a kind not measured yet."""
        self._by_kind: dict[Kind, float] = {}

    def rate(self, kind: Kind) -> float:
        """Seconds per character of one worker for units of ``kind``."""
        known = self._by_kind.get(kind)
        if known is not None:
            return known
        if kind.path == "dsp":
            return DSP_PRIOR * self.rate(Kind(kind.engine, "plain"))
        return self.seconds_per_char

    def cost(self, task: UnitTask) -> float:
        """Seconds one worker is expected to spend on ``task``."""
        return len(task.text) * self.rate(kind_of(task))

    def observe(self, task: UnitTask, seconds: float) -> None:
        """Learn from a render of ``task`` that took ``seconds`` of a worker's wall time."""
        chars = len(task.text)
        if chars <= 0 or seconds < 0:
            return
        measured = seconds / chars
        kind = kind_of(task)
        before = self._by_kind.get(kind)
        self._by_kind[kind] = measured if before is None else _blend(before, measured)
        self.seconds_per_char = _blend(self.seconds_per_char, measured)

    def rates(self) -> dict[Kind, float]:
        """Every kind measured so far (for metrics and tests)."""
        return dict(self._by_kind)


def _blend(average: float, sample: float) -> float:
    return average + SMOOTHING * (sample - average)
