"""The window model's stage: hand-counted cases, with costs given instead of measured."""

from __future__ import annotations

import argparse

import pytest

from loadgen.corpus import CORPUS
from window_model import ORDERS, TURNAROUND_S, Cost, Costs, compare, goodput


def _costs(*units: float, audio: float = 10.0) -> Costs:
    return {(text, None): Cost(units, audio) for text in CORPUS}


def _args(users: int, seconds: float, jitter: float = 0.0) -> argparse.Namespace:
    return argparse.Namespace(
        users=users, seconds=seconds, workers=2, workload="neutral", repeats=3, jitter=jitter
    )


@pytest.mark.parametrize("order", ORDERS)
def test_one_user_one_unit_counts_the_answers_finished_inside_the_window(order: str) -> None:
    # Answers at 1, 2 + turnaround and 3 + 2 turnarounds: three inside 3.5 s, of 10 s each.
    assert goodput(_costs(1.0), order, 0, _args(1, 3.5)) == pytest.approx(30.0 / 3.5)


def test_units_spread_over_both_processes_finish_a_request_sooner_than_one_process() -> None:
    costs, args = _costs(1.0, 1.0), _args(1, 1.5)
    assert goodput(costs, "whole", 0, args) == 0.0  # one process: done at 2 s
    for order in ("due", "arrival", "begun"):
        assert goodput(costs, order, 0, args) == pytest.approx(10.0 / 1.5)  # done at 1 s


def test_an_answer_finished_after_the_window_is_not_counted() -> None:
    window = 2.0 + TURNAROUND_S / 2  # the second answer is due at 2 + turnaround
    assert goodput(_costs(1.0), "whole", 0, _args(1, window)) == pytest.approx(10.0 / window)


def test_compare_gives_each_order_its_ratio_to_whole_service() -> None:
    summary = compare(_costs(0.4, 0.3, 0.2), _args(4, 6.0, jitter=0.1))
    assert set(summary) == set(ORDERS)
    assert summary["whole"]["ratio_to_whole_mean"] == 1.0
    for order in ORDERS:
        assert summary[order]["goodput_mean"] > 0
        assert 0.0 <= summary[order]["share_at_least_whole"] <= 1.0
