"""The interactive lane's finish estimates and admission test, on a simulated clock."""

from __future__ import annotations

import pytest

from voxserve.scheduler.policy import (
    Load,
    Margin,
    finish_times,
    first_audio_wait,
    judge,
    place_for,
)

NOW = 100.0


def test_nothing_waiting_finishes_when_the_running_work_does() -> None:
    assert finish_times(NOW, 2, 3.0, [Load(None, 0.0, 0.0, 0.0)]) == [NOW + 1.5]


def test_work_spreads_over_the_workers_except_the_largest_unit() -> None:
    # 4 s of units on 2 workers: 2 s, plus half of the 2 s unit that cannot be split.
    [finish] = finish_times(NOW, 2, 0.0, [Load(None, 1.0, 3.0, 2.0)])
    assert finish == pytest.approx(NOW + 2.0 + 1.0)


def test_first_units_of_every_new_request_go_ahead_of_the_rest() -> None:
    old = Load(None, 0.0, 6.0, 1.0)  # begun: its other units wait behind new first units
    new = Load(None, 1.0, 0.0, 1.0)  # a one-unit request that has not started
    finish_old, finish_new = finish_times(NOW, 1, 0.0, [old, new])
    assert finish_new == NOW + 1.0  # only its own first unit before it
    assert finish_old == NOW + 7.0  # its 6 s plus the newcomer's first unit


def test_earlier_deadlines_finish_first() -> None:
    loads = [Load(10.0, 1.0, 2.0, 1.0), Load(20.0, 1.0, 2.0, 1.0)]
    first, second = finish_times(NOW, 1, 0.0, loads)
    assert first == NOW + 1 + 1 + 2  # both first units, then its rest
    assert second == first + 2


def test_first_audio_waits_for_running_work_and_earlier_first_units_only() -> None:
    loads = [Load(None, 0.5, 9.0, 3.0), Load(None, 0.0, 30.0, 3.0)]
    assert first_audio_wait(2, 1.0, loads) == pytest.approx(0.75)


def test_an_idle_pool_admits_even_what_outlasts_the_deadline() -> None:
    verdict = judge(NOW, 2, 0.0, [], Load(NOW + 10, 1.0, 40.0, 1.0), Margin(0.8, 0.0))
    assert verdict.overrun <= 0  # refusing would not help: retrying fails again


def test_a_newcomer_late_for_its_own_deadline_is_refused_by_the_lateness() -> None:
    queued = [Load(NOW + 10, 0.0, 12.0, 1.0)]
    newcomer = Load(NOW + 10, 1.0, 1.0, 1.0)  # 6 s + 0.5 + 0.5 + 0.5 tail on 2 workers
    verdict = judge(NOW, 2, 0.0, queued, newcomer, Margin(0.8, 0.0))
    assert verdict.finish == pytest.approx(7.5)
    assert verdict.overrun < 0  # within 8 s
    later = judge(
        NOW, 2, 2.0, queued, newcomer, Margin(0.8, 0.0)
    )  # 1 s more ahead of it: 8.5 s > 8 s
    assert later.overrun == pytest.approx(0.5)


def test_a_newcomer_that_would_make_an_admitted_request_late_is_refused() -> None:
    # The admitted request finishes at 6.5 s of its 8 s share alone; a newcomer's 4 s first
    # unit goes ahead of it and makes it 8.5 s: late by 0.5 s, and the newcomer caused it.
    queued = [Load(NOW + 10, 0.0, 12.0, 1.0)]
    verdict = judge(NOW, 2, 0.0, queued, Load(NOW + 10, 4.0, 0.0, 4.0), Margin(0.8, 0.0))
    assert verdict.overrun == pytest.approx(0.5)
    small = judge(NOW, 2, 0.0, queued, Load(NOW + 10, 0.5, 0.0, 0.5), Margin(0.8, 0.0))
    assert small.overrun < 0


def test_a_newcomer_yields_to_a_request_it_would_make_late_when_it_still_fits() -> None:
    margin = Margin(0.8, 1.0)
    tight = Load(NOW + 9, 0.0, 12.0, 1.0)  # admitted a second ago: 6.5 s of its 7.2 s share
    newcomer = Load(NOW + 10, 0.0, 2.0, 1.0)  # due first, but ahead it makes `tight` 7.5 s
    ahead = judge(NOW, 2, 0.0, [tight], newcomer, margin, 0)
    assert ahead.overrun == pytest.approx(0.3) and ahead.last_late == 0
    place, verdict = place_for(NOW, 2, 0.0, [tight], newcomer, margin, 0)
    assert place == 1 and verdict.overrun <= 0  # behind it: 7.5 s of its own 8 s
    assert verdict.finish == pytest.approx(7.5)
    # One that would be late itself behind it is refused, as at its own place.
    big = Load(NOW + 10, 0.0, 5.0, 1.0)
    place, verdict = place_for(NOW, 2, 0.0, [tight], big, margin, 0)
    assert place == 0 and verdict.overrun > 0


def test_a_request_already_late_is_not_blamed_on_the_newcomer_beyond_its_share() -> None:
    # Already past its share without the newcomer: only the delay the newcomer adds counts.
    queued = [Load(NOW + 5, 0.0, 20.0, 1.0)]
    verdict = judge(NOW, 2, 0.0, queued, Load(NOW + 10, 0.2, 0.0, 0.2), Margin(0.8, 0.0))
    assert verdict.overrun == pytest.approx(0.1)


def test_the_margin_keeps_a_share_of_the_time_left_and_at_least_a_reserve() -> None:
    margin = Margin(0.8, 1.0)
    assert margin.limit(NOW, NOW + 10) == pytest.approx(NOW + 8)  # 20% of 10 s
    assert margin.limit(NOW, NOW + 3) == pytest.approx(NOW + 2)  # the 1 s reserve
    assert margin.limit(NOW, NOW + 1) == pytest.approx(NOW + 0.5)  # at most half what is left
