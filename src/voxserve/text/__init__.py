"""Text front end: normalize, split into units, find language runs.

``prepare`` is the one entry point the pipeline uses.
"""

from voxserve.text.frontend import Run, Unit, prepare

__all__ = ["Run", "Unit", "prepare"]
