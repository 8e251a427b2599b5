"""Fixtures shared by every test package."""

from __future__ import annotations

import pytest

from tests.support.asr import Transcriber


@pytest.fixture(scope="session")
def transcriber() -> Transcriber:
    """Whisper base on CPU (int8), loaded once per test session; assembled on first use."""
    return Transcriber()
