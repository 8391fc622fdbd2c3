"""One load per key at a time: waiters share its result, its error, and survive their own
cancellation; the key is free again once the load ends."""

from __future__ import annotations

import asyncio

import pytest

from rapport.api.single_flight import SingleFlight


def test_concurrent_callers_share_one_load() -> None:
    calls = 0

    async def scenario() -> list[int]:
        flights: SingleFlight[str, int] = SingleFlight()
        gate = asyncio.Event()

        async def load() -> int:
            nonlocal calls
            calls += 1
            await gate.wait()
            return 42

        waiting = [asyncio.create_task(flights.run("k", load)) for _ in range(10)]
        await asyncio.sleep(0)
        assert len(flights) == 1
        gate.set()
        results = await asyncio.gather(*waiting)
        assert len(flights) == 0
        assert await flights.run("k", load) == 42  # free again: a new load
        return results

    assert asyncio.run(scenario()) == [42] * 10
    assert calls == 2


def test_an_error_reaches_every_waiter_and_is_not_kept() -> None:
    async def scenario() -> None:
        flights: SingleFlight[str, int] = SingleFlight()
        gate = asyncio.Event()

        async def failing() -> int:
            await gate.wait()
            raise OSError("redis went away")

        waiting = [asyncio.create_task(flights.run("k", failing)) for _ in range(3)]
        await asyncio.sleep(0)
        gate.set()
        outcomes = await asyncio.gather(*waiting, return_exceptions=True)
        assert all(isinstance(o, OSError) for o in outcomes)

        async def fine() -> int:
            return 7

        assert await flights.run("k", fine) == 7

    asyncio.run(scenario())


def test_a_cancelled_waiter_does_not_cancel_the_load() -> None:
    async def scenario() -> None:
        flights: SingleFlight[str, int] = SingleFlight()
        gate = asyncio.Event()

        async def load() -> int:
            await gate.wait()
            return 5

        leader = asyncio.create_task(flights.run("k", load))
        await asyncio.sleep(0)
        impatient = asyncio.create_task(flights.run("k", load))
        patient = asyncio.create_task(flights.run("k", load))
        await asyncio.sleep(0)
        impatient.cancel()
        with pytest.raises(asyncio.CancelledError):
            await impatient
        gate.set()
        assert await leader == 5
        assert await patient == 5

    asyncio.run(scenario())


def test_different_keys_load_separately() -> None:
    async def scenario() -> list[str]:
        flights: SingleFlight[str, str] = SingleFlight()

        async def echo(value: str) -> str:
            await asyncio.sleep(0)
            return value

        return list(
            await asyncio.gather(
                flights.run("a", lambda: echo("a")), flights.run("b", lambda: echo("b"))
            )
        )

    assert asyncio.run(scenario()) == ["a", "b"]


def test_after_forget_new_callers_start_a_new_load() -> None:
    """A change arrived while a load was running: what it read may be older than the change,
    so callers from then on must not share it (the load's own waiters still do)."""

    async def scenario() -> tuple[int, int, int, int]:
        flights: SingleFlight[str, int] = SingleFlight()
        gate = asyncio.Event()
        version = 1

        async def load() -> int:
            seen = version
            await gate.wait()
            return seen

        before = asyncio.create_task(flights.run("k", load))
        joined = asyncio.create_task(flights.run("k", load))
        await asyncio.sleep(0)
        version = 2
        flights.forget("k")
        after = asyncio.create_task(flights.run("k", load))
        await asyncio.sleep(0)
        gate.set()
        results = (await before, await joined, await after)
        return (*results, len(flights))

    assert asyncio.run(scenario()) == (1, 1, 2, 0)
