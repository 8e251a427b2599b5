"""Statistics of the load benchmark: percentiles, rates, error kinds, stage summaries."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from loadgen.stats import (
    ERROR_KINDS,
    Sample,
    classify,
    latency_summary,
    percentile,
    rate,
    ratio,
    resource_summary,
    stage_stats,
)

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@given(st.lists(finite, min_size=1, max_size=200), st.floats(min_value=0, max_value=100))
def test_percentile_matches_numpy(values: list[float], q: float) -> None:
    assert percentile(values, q) == pytest.approx(np.percentile(values, q), rel=1e-9, abs=1e-6)


@given(st.lists(finite, min_size=1, max_size=100))
def test_percentiles_are_ordered_and_bounded(values: list[float]) -> None:
    p50, p90, p99 = (percentile(values, q) for q in (50, 90, 99))
    assert min(values) <= p50 <= p90 <= p99 <= max(values)


def test_percentile_known_values() -> None:
    values = [1.0, 2.0, 3.0, 4.0]
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 4.0
    assert percentile(values, 50) == 2.5
    assert percentile([7.0], 99) == 7.0
    assert percentile(list(range(101)), 95) == 95.0


def test_percentile_of_nothing_is_nan_and_range_is_checked() -> None:
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_rate_and_ratio() -> None:
    assert rate(30, 10.0) == 3.0
    assert rate(5, 0.0) == 0.0
    assert ratio(3.0, 1.5) == 2.0
    assert ratio(3.0, 0.0) is None


@pytest.mark.parametrize(
    ("status", "timed_out", "kind"),
    [
        (200, False, "ok"),
        (204, False, "ok"),
        (429, False, "429"),
        (400, False, "4xx"),
        (413, False, "4xx"),
        (500, False, "5xx"),
        (504, False, "5xx"),
        (None, True, "timeout"),
        (None, False, "connection"),
        (302, False, "connection"),
    ],
)
def test_classify(status: int | None, timed_out: bool, kind: str) -> None:
    assert classify(status, timed_out) == kind


def _stage_samples() -> list[Sample]:
    ok = [Sample(i * 1.0, i * 1.0 + 0.5, "ok", 200, audio_s=2.0, chars=10) for i in range(8)]
    streamed = [Sample(0.0, 1.0, "ok", 200, ttfa=0.2, audio_s=4.0, chars=20)]
    failed = [
        Sample(1.0, 1.1, "429", 429, retry_after=1.0),
        Sample(0.0, 10.0, "timeout"),
        Sample(2.0, 2.5, "5xx", 500),
        Sample(3.0, 3.1, "4xx", 400),
    ]
    late = [Sample(9.0, 10.5, "ok", 200, audio_s=100.0), Sample(5.0, 15.0, "timeout")]
    return ok + streamed + failed + late


def test_stage_stats_counts_only_requests_finished_in_the_window() -> None:
    stats = stage_stats(_stage_samples(), users=4, seconds=10.0, in_flight_at_end=3)
    assert stats.requests == 13
    assert stats.ok == 9
    assert stats.qps == pytest.approx(0.9)
    assert stats.audio_s_per_s == pytest.approx((8 * 2.0 + 4.0) / 10)
    assert stats.chars_per_s == pytest.approx((8 * 10 + 20) / 10)
    assert stats.errors == {"429": 1, "4xx": 1, "5xx": 1, "timeout": 1, "connection": 0}
    assert set(stats.errors) == set(ERROR_KINDS)
    assert stats.error_rate == pytest.approx(4 / 13)
    assert stats.hard_error_rate == pytest.approx(2 / 13)
    assert stats.in_flight_at_end == 3


def test_stage_stats_latency_is_of_successes_and_ttfa_of_streams() -> None:
    stats = stage_stats(_stage_samples(), users=4, seconds=10.0)
    assert stats.latency["count"] == 9
    assert stats.latency["max"] == pytest.approx(1.0)
    assert stats.latency["p50"] == pytest.approx(0.5)
    assert stats.ttfa is not None
    assert stats.ttfa["p50"] == pytest.approx(0.2)


def test_empty_stage_has_no_rates_and_no_errors() -> None:
    stats = stage_stats([], users=10, seconds=20.0)
    assert stats.qps == 0.0
    assert stats.error_rate == 0.0
    assert stats.ttfa is None
    assert math.isnan(stats.latency["p99"])


def test_latency_summary_keys() -> None:
    summary = latency_summary([0.1, 0.2, 0.3])
    assert set(summary) == {"p50", "p90", "p95", "p99", "mean", "max", "count"}
    assert summary["mean"] == pytest.approx(0.2)


def test_resource_summary_within_window_and_other_cpu() -> None:
    rows = [
        {"t": 0.0, "cpu_pct": 999.0, "rss_mib": 9999.0},  # before the window
        {"t": 1.0, "cpu_pct": 100.0, "generator_cpu_pct": 10.0, "system_cpu_pct": 150.0,
         "rss_mib": 300.0, "pss_mib": 200.0},
        {"t": 2.0, "cpu_pct": 180.0, "generator_cpu_pct": 20.0, "system_cpu_pct": 190.0,
         "rss_mib": 320.0, "pss_mib": 210.0},
    ]  # fmt: skip
    summary = resource_summary(rows, 0.5, 2.5)
    assert summary["cpu_pct_mean"] == pytest.approx(140.0)
    assert summary["cpu_pct_max"] == pytest.approx(180.0)
    assert summary["rss_mib_max"] == pytest.approx(320.0)
    assert summary["pss_mib_max"] == pytest.approx(210.0)
    # 150 - 100 - 10 = 40, and 190 - 180 - 20 < 0 counts as 0.
    assert summary["other_cpu_pct_mean"] == pytest.approx(20.0)
    assert resource_summary(rows, 5.0, 6.0) == {}
