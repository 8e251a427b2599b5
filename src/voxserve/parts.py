"""A unit's first samples before the unit is finished: the pipeline's processing, applied to
the parts an engine hands over early (:class:`voxserve.engines.base.PartsEngine`).

What the pipeline does to a run after the engine is a gain, short fades at both ends and, over
the whole unit, a peak limiter; all but the fade-out at the end are local (the limiter looks
about 10 ms either way), so the samples of a prefix are final once a little more has arrived.
"""

from __future__ import annotations

import numpy as np

from voxserve.audio.join import fade_in
from voxserve.audio.loudness import apply_gain_db, peak_limit
from voxserve.engines.base import PartSink
from voxserve.types import PCM

HOLD_S = 0.05
"""What is held back of each prefix: more than the limiter's and the fade-out's reach."""


class Feed:
    """Takes an engine's parts (its raw samples, in order) and gives ``sink`` the unit's final
    samples as far as they are known. Call it from the thread that renders the unit."""

    def __init__(self, sink: PartSink, gain_db: float, rate: int) -> None:
        self.sink = sink
        self.gain_db = gain_db
        self.rate = rate
        self.hold = round(HOLD_S * rate)
        self.given = 0
        """How many final samples ``sink`` has had."""
        self._raw: list[PCM] = []

    def __call__(self, part: PCM) -> None:
        self._raw.append(part)
        raw = np.concatenate(self._raw)
        # The same operations as Synthesizer.render_unit on the whole unit (its limiter too
        # assumes the default rate).
        final = peak_limit(fade_in(apply_gain_db(raw, self.gain_db), self.rate))
        ready = len(final) - self.hold
        if ready > self.given:
            self.sink(final[self.given : ready])
            self.given = ready
