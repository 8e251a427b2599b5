"""How baker-zh vocodes: which mel frames, in which parts, and where the audio is trimmed.

The acoustic model predicts a whole utterance's mel frames at once; the vocoder (MB-MelGAN)
then turns them into samples. Each sample depends only on the mel frames near its own, so the
vocoder can run on parts of the mel (with some frames of context either side) and the parts join
into exactly the samples of the whole: the first part's samples can leave before the rest is
vocoded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np
import numpy.typing as npt

from voxserve.engines.base import PartSink
from voxserve.models import baker_zh as recipe
from voxserve.types import PCM

Mel = npt.NDArray[np.float32]
"""A ``[1, frames, 80]`` mel spectrogram."""
ChunkVocoder = Callable[[Mel, Sequence[int]], Iterator[PCM]]
"""Vocodes a mel in parts of the given sizes (:meth:`BakerZhEngine.vocode_chunks`)."""

_SILENCE = 0.01
_MARGIN_S = 0.05
VOCODER_CONTEXT = 24
"""Mel frames on each side of a part that :meth:`BakerZhEngine.vocode_chunks` vocodes with it.
A sample of MB-MelGAN's output depends on the mel frames within about 18 of its own (measured
by changing one frame); with 24 the parts join to the whole-mel samples exactly."""
PART_FRAMES = (40, 120)
"""Mel frames of the parts :meth:`BakerZhEngine.synthesize_parts` vocodes before the rest: the
first 0.5 s of audio, then 1.5 s more (each part costs 2 x :data:`VOCODER_CONTEXT` frames
more vocoding)."""
SILENCE_FRAMES_KEPT = (8, 24)
"""Mel frames of the predicted leading and trailing silence that are vocoded; the rest is
never vocoded, since trimming would cut it. Speech starts within a frame of the leading
silence's end (8 frames: 100 ms, twice the trim margin), but the last syllable decays up to
about 17 frames into the trailing silence (measured on the load benchmark's corpus)."""


def trim_silence(pcm: PCM, sample_rate: int) -> PCM:
    """Cut leading/trailing near-silence, keeping a short margin so onsets and tails survive."""
    start, end = trim_bounds(pcm, sample_rate)
    return pcm[start:end]


def trim_bounds(pcm: PCM, sample_rate: int) -> tuple[int, int]:
    """Where :func:`trim_silence` cuts ``pcm``: the first sample kept and the one after the
    last (``0, 0`` when all of it is silent)."""
    loud = np.flatnonzero(np.abs(pcm) > _SILENCE)
    if loud.size == 0:
        return 0, 0
    margin = int(_MARGIN_S * sample_rate)
    return max(0, int(loud[0]) - margin), min(len(pcm), int(loud[-1]) + margin + 1)


def speech_end(phones: Sequence[str], durations: npt.NDArray[np.int32], first: int) -> int:
    """The sample (of the audio vocoded from frame ``first``) where the trailing silence
    starts: trimming never cuts before it."""
    tail = next((i for i, phone in enumerate(reversed(phones)) if phone != "sil"), len(phones))
    return (int(np.sum(durations[: len(phones) - tail])) - first) * recipe.HOP_LENGTH


class Parts:
    """Vocoding an utterance, handing its first samples to a sink while the rest is vocoded.

    What the sink gets is final: it starts where trimming will start (the first loud sample is
    in the first part, or nothing is given yet), and stops before the trailing silence (the
    only place trimming cuts at the end)."""

    def __init__(self, sink: PartSink | None, end: int) -> None:
        self.sink = sink
        self.speech_end = end
        """Where the trailing silence starts (:func:`speech_end`): nothing after it is given."""
        self.start = -1
        """Where the samples given start (-1: none given)."""
        self.given_end = 0

    def vocode(self, vocode_chunks: ChunkVocoder, mel: Mel) -> PCM:
        """All of ``mel`` vocoded (in :data:`PART_FRAMES` parts when there is a sink)."""
        pieces: list[PCM] = []
        done, total = 0, mel.shape[1] * recipe.HOP_LENGTH
        sizes = PART_FRAMES if self.sink is not None else ()
        for piece in vocode_chunks(mel, sizes):
            pieces.append(piece)
            done += len(piece)
            if done < total:  # the last part comes back with the whole utterance
                self._give(np.concatenate(pieces), min(done, self.speech_end))
        return np.concatenate(pieces)

    def _give(self, pcm: PCM, upto: int) -> None:
        assert self.sink is not None
        if self.start < 0:
            start, end = trim_bounds(pcm, recipe.SAMPLE_RATE)
            if end == 0:  # nothing loud yet: the start is unknown
                return
            self.start = self.given_end = start
        if upto > self.given_end:
            self.sink(pcm[self.given_end : upto])
            self.given_end = upto

    def bounds(self, pcm: PCM) -> tuple[int, int]:
        """Where to trim ``pcm``: as :func:`trim_bounds`, keeping every sample given."""
        start, end = trim_bounds(pcm, recipe.SAMPLE_RATE)
        if self.start < 0:
            return start, end
        return self.start, max(end, self.given_end)


def spoken_frames(phones: Sequence[str], durations: npt.NDArray[np.int32]) -> tuple[int, int]:
    """The mel frames worth vocoding: all but the predicted silence before the first phone and
    after the last (``sil`` phones and the end-of-sequence input that follows ``phones``),
    keeping :data:`SILENCE_FRAMES_KEPT` of them."""
    total = int(np.sum(durations))
    lead = next((i for i, phone in enumerate(phones) if phone != "sil"), len(phones))
    tail = next((i for i, phone in enumerate(reversed(phones)) if phone != "sil"), len(phones))
    leading = int(np.sum(durations[:lead]))
    trailing = int(np.sum(durations[len(phones) - tail :]))  # with the end-of-sequence input
    keep_leading, keep_trailing = SILENCE_FRAMES_KEPT
    first = max(0, leading - keep_leading)
    last = min(total, max(first, total - trailing + keep_trailing))
    return first, last
