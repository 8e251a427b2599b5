"""Fixtures of the cache tests."""

from __future__ import annotations

import pytest

from voxserve.metrics import Metrics


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    """The current value of one sample of ``metrics`` (0 when it was never touched)."""
    value = metrics.registry.get_sample_value(name, labels)
    return 0.0 if value is None else value
