from __future__ import annotations

import random

import pytest

from voxserve.scheduler.retry import RetryAdvisor


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def advisor(clock: Clock, cap: float = 10.0) -> RetryAdvisor:
    return RetryAdvisor(clock, window=10.0, invite=3.0, cap=cap, rng=random.Random(7))


def test_a_lone_refusal_waits_until_the_request_would_fit() -> None:
    retry = advisor(Clock())
    assert retry.refused(0.2) == 2.0  # a second past its overrun, in whole seconds
    assert retry.refused(-0.5) == 1.0  # never under a second
    assert retry.refused(4.1) == 6.0


def test_a_few_refusals_among_admissions_keep_their_own_wait() -> None:
    clock = Clock()
    retry = advisor(clock)
    for _ in range(5):
        clock.now += 1.0
        retry.admitted()
        assert retry.refused(0.0) == 1.0


def rude_crowd(clock: Clock, retry: RetryAdvisor, admitted: int, refused: int) -> list[float]:
    """Ten seconds of ``admitted`` admissions and ``refused`` refusals (each 1 s short) a
    second, whatever the refused were told."""
    waits = []
    for _ in range(10):
        clock.now += 1.0
        for _ in range(admitted):
            retry.admitted()
        waits += [retry.refused(1.0) for _ in range(refused)]
    return waits


def polite_crowd(clients: int, per_second: int, seconds: float) -> tuple[int, list[float], float]:
    """``clients`` that each ask again when told; the service admits ``per_second`` requests a
    second, queueing up to 2 s of them (each client back 2 s after its turn), and refuses the
    rest, 1 s short. Returns the refusals of the last half, the waits told then and the
    share of the service's turns that went unused."""
    clock = Clock()
    retry = advisor(clock)
    next_at = [i / clients for i in range(clients)]
    refused, waits, slot, idle = 0, [], 0.0, 0.0
    while clock.now < seconds:
        clock.now = round(clock.now + 0.05, 2)
        for client, when in enumerate(next_at):
            if when > clock.now:
                continue
            if slot - clock.now < 2.0:  # room in the queue
                idle += max(0.0, clock.now - slot) if clock.now > seconds / 2 else 0.0
                slot = max(slot, clock.now) + 1.0 / per_second
                retry.admitted()
                next_at[client] = slot + 2.0
                continue
            wait = retry.refused(1.0)
            next_at[client] = clock.now + wait
            if clock.now > seconds / 2:
                refused += 1
                waits.append(wait)
    return refused, waits, idle / (seconds / 2)


def test_a_polite_crowd_comes_back_about_three_times_as_fast_as_it_is_admitted() -> None:
    # 100 clients, 4 admissions a second: each refused one told "2 s" would come back 40
    # times a second; told to wait for the crowd, about 12 times.
    refused, waits, idle = polite_crowd(100, 4, 120.0)
    per_second = refused / 60.0
    assert 6.0 <= per_second <= 20.0
    assert idle < 0.02  # the service never waits for them
    assert all(w >= 2.0 for w in waits)
    assert len(set(waits)) > 3  # spread: clients refused together come back apart


def test_the_crowd_wait_is_capped_when_clients_do_not_wait() -> None:
    # Clients that ask again at once, whatever they are told, make the crowd look larger and
    # larger: the wait stops at the cap.
    clock = Clock()
    retry = advisor(clock, cap=10.0)
    waits = rude_crowd(clock, retry, admitted=4, refused=40)
    assert max(waits) == 10.0


def test_the_crowd_is_forgotten_after_the_window() -> None:
    clock = Clock()
    retry = advisor(clock)
    rude_crowd(clock, retry, admitted=4, refused=40)
    assert retry.refused(1.0) > 2.0
    clock.now += 10.5
    assert retry.refused(1.0) == pytest.approx(2.0)
