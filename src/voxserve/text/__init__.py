"""Text front end: normalize, split into units, find language runs.

``prepare`` is the one entry point the pipeline uses; ``normalize`` gives the normalized text
alone (for reference transcripts and tests).
"""

from voxserve.text.frontend import Run, Unit, prepare
from voxserve.text.normalize import normalize

__all__ = ["Run", "Unit", "normalize", "prepare"]
