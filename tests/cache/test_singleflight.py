from __future__ import annotations

import asyncio

import pytest

from voxserve.cache.singleflight import SingleFlight


class BoomError(Exception):
    pass


def test_concurrent_calls_share_one_computation() -> None:
    calls = 0

    async def compute() -> str:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.02)
        return "result"

    async def go() -> list[tuple[str, bool]]:
        flight: SingleFlight[str] = SingleFlight()
        results = await asyncio.gather(*(flight.run("k", compute) for _ in range(10)))
        assert len(flight) == 0
        assert await flight.run("k", compute) == ("result", False)  # not a cache
        return results

    results = asyncio.run(go())
    assert calls == 2
    assert [shared for _, shared in results] == [False] + [True] * 9
    assert {value for value, _ in results} == {"result"}


def test_different_keys_do_not_share() -> None:
    async def go() -> None:
        flight: SingleFlight[str] = SingleFlight()

        async def echo(value: str) -> str:
            await asyncio.sleep(0.01)
            return value

        a, b = await asyncio.gather(
            flight.run("a", lambda: echo("a")), flight.run("b", lambda: echo("b"))
        )
        assert a == ("a", False) and b == ("b", False)

    asyncio.run(go())


def test_exception_reaches_every_caller_and_frees_the_key() -> None:
    async def fail() -> str:
        await asyncio.sleep(0.01)
        raise BoomError("no")

    async def go() -> None:
        flight: SingleFlight[str] = SingleFlight()
        results = await asyncio.gather(
            *(flight.run("k", fail) for _ in range(5)), return_exceptions=True
        )
        assert all(isinstance(r, BoomError) for r in results)
        assert len(flight) == 0

    asyncio.run(go())


def test_cancelling_one_caller_leaves_the_others_served() -> None:
    calls = 0

    async def compute() -> str:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return "done"

    async def go() -> None:
        flight: SingleFlight[str] = SingleFlight()
        first = asyncio.create_task(flight.run("k", compute))
        others = [asyncio.create_task(flight.run("k", compute)) for _ in range(3)]
        await asyncio.sleep(0.01)
        first.cancel()  # the caller that started the computation
        others[0].cancel()
        assert await asyncio.gather(*others[1:]) == [("done", True)] * 2
        with pytest.raises(asyncio.CancelledError):
            await first
        assert len(flight) == 0

    asyncio.run(go())
    assert calls == 1


def test_computation_is_cancelled_when_every_caller_is() -> None:
    outcome: list[str] = []

    async def compute() -> str:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            outcome.append("cancelled")
            raise
        return "never"

    async def go() -> None:
        flight: SingleFlight[str] = SingleFlight()
        callers = [asyncio.create_task(flight.run("k", compute)) for _ in range(3)]
        await asyncio.sleep(0.01)
        for caller in callers:
            caller.cancel()
        await asyncio.gather(*callers, return_exceptions=True)
        assert len(flight) == 0
        # A caller arriving now starts afresh rather than joining the cancelled computation.
        result = await flight.run("k", lambda: asyncio.sleep(0, "fresh"))
        assert result == ("fresh", False)
        await asyncio.sleep(0)

    asyncio.run(go())
    assert outcome == ["cancelled"]


def test_a_timeout_counts_as_a_cancel() -> None:
    async def slow() -> str:
        await asyncio.sleep(0.05)
        return "late"

    async def go() -> None:
        flight: SingleFlight[str] = SingleFlight()
        patient = asyncio.create_task(flight.run("k", slow))
        await asyncio.sleep(0)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.01):
                await flight.run("k", slow)
        assert await patient == ("late", False)

    asyncio.run(go())
