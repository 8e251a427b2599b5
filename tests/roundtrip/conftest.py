from __future__ import annotations

import pytest

from voxserve.pipeline import Synthesizer
from voxserve.settings import Settings


@pytest.fixture(scope="session")
def synthesizer() -> Synthesizer:
    """Every engine, loaded once, in this process."""
    return Synthesizer.load(Settings(engines="baker-zh,piper,espeak"))
