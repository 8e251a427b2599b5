"""Goodput and status codes of a stage."""

from __future__ import annotations

import pytest

from loadgen.stats import Sample, goodput, in_time, sample_from_row, stage_stats, status_counts


def test_status_counts_every_non_2xx_code_and_no_answers_apart() -> None:
    samples = [
        Sample(0.0, 1.0, "ok", 200),
        Sample(0.0, 1.0, "ok", 204),
        Sample(0.0, 0.1, "429", 429),
        Sample(0.0, 0.1, "429", 429),
        Sample(0.0, 0.2, "5xx", 503),
        Sample(0.0, 0.2, "5xx", 500),
        Sample(0.0, 0.2, "4xx", 400),
        Sample(0.0, 0.2, "connection", 302),
        Sample(0.0, 10.0, "timeout"),
        Sample(0.0, 0.3, "connection"),
    ]
    counts = status_counts(samples)
    assert counts == {"302": 1, "400": 1, "429": 2, "500": 1, "503": 1, "timeout": 1, "error": 1}
    assert list(counts)[-2:] == ["timeout", "error"]


def test_status_counts_always_has_timeouts_and_errors() -> None:
    assert status_counts([Sample(0.0, 1.0, "ok", 200)]) == {"timeout": 0, "error": 0}
    assert status_counts([]) == {"timeout": 0, "error": 0}


def test_goodput_counts_only_the_audio_of_successes_within_the_deadline() -> None:
    samples = [
        Sample(0.0, 2.0, "ok", 200, audio_s=5.0),
        Sample(1.0, 10.9, "ok", 200, audio_s=7.0),  # 9.9 s: in time
        Sample(1.0, 11.5, "ok", 200, audio_s=11.0),  # 10.5 s: arrived, but too late
        Sample(0.0, 0.1, "429", 429, audio_s=3.0),  # never counted, whatever it claims
        Sample(0.0, 10.0, "timeout"),
    ]
    assert goodput(samples, 20.0, deadline=10.0) == pytest.approx((5.0 + 7.0) / 20)
    assert goodput(samples, 20.0, deadline=None) == pytest.approx((5.0 + 7.0 + 11.0) / 20)
    assert goodput(samples, 0.0, deadline=10.0) == 0.0
    assert in_time(samples[1], 9.9)
    assert not in_time(samples[2], 10.0)
    assert not in_time(samples[3], None)


def test_stage_stats_goodput_late_and_statuses_within_the_window() -> None:
    samples = [
        Sample(0.0, 2.0, "ok", 200, audio_s=4.0),
        Sample(0.0, 11.0, "ok", 200, audio_s=6.0),  # 11 s: late
        Sample(1.0, 1.1, "429", 429),
        Sample(2.0, 2.1, "5xx", 503),
        Sample(0.5, 10.5, "timeout"),
        Sample(19.0, 21.0, "5xx", 500),  # ends after the window: not counted
    ]
    stats = stage_stats(samples, users=5, seconds=20.0, deadline=10.0)
    assert stats.audio_s_per_s == pytest.approx(10.0 / 20)
    assert stats.goodput_audio_s_per_s == pytest.approx(4.0 / 20)
    assert stats.late == 1
    assert stats.deadline_s == 10.0
    assert stats.statuses == {"429": 1, "503": 1, "timeout": 1, "error": 0}
    assert stats.to_json()["statuses"] == stats.statuses


def test_stage_stats_without_a_deadline_has_goodput_equal_to_audio() -> None:
    stats = stage_stats([Sample(0.0, 30.0, "ok", 200, audio_s=9.0)], users=1, seconds=60.0)
    assert stats.goodput_audio_s_per_s == stats.audio_s_per_s == pytest.approx(0.15)
    assert stats.late == 0


def test_sample_from_row_reads_the_reports_compact_rows() -> None:
    sample = sample_from_row([0.5, 2.0, "ok", 200, 0.3, 4.2, 87])
    assert sample == Sample(0.5, 2.0, "ok", 200, 0.3, 4.2, 87)
    assert sample.latency == 1.5
