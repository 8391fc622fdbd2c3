"""Concurrent loads of the same thing share one call.

Why: when a cached entry (a verified API key, a score document) expires while the service is
busy, every request that needs it misses at the same moment and each goes to Redis. redis-py's
asyncio pool opens the extra connections this needs one at a time under a lock, and on an event
loop saturated with requests that are answered from memory, each opening waits out a few full
loop turns. Measured: requests stuck for up to 1.8 s behind 64 simultaneous misses
(docs/api.md, Benchmark). With one load per key, the others wait for its result instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["SingleFlight"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SingleFlight(Generic[K, V]):
    """`await flights.run(key, load)`: the first caller for `key` runs `load()`; callers that
    arrive while it runs get its result (or its exception) instead of running it again."""

    def __init__(self) -> None:
        self._running: dict[K, asyncio.Future[V]] = {}

    def __len__(self) -> int:
        return len(self._running)

    def forget(self, key: K | None = None) -> None:
        """Callers from now on start a new load of `key` (of every key when None): what the
        running load read may be older than the change that called this. Its own waiters
        still get its result."""
        if key is None:
            self._running.clear()
        else:
            self._running.pop(key, None)

    async def run(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        running = self._running.get(key)
        if running is not None:
            # shield: a waiter that is cancelled must not cancel the load the others await
            return await asyncio.shield(running)
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            value = await load()
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError):
                future.cancel()
            else:
                future.set_exception(exc)
                future.exception()  # retrieved: no "never retrieved" warning without waiters
            raise
        else:
            future.set_result(value)
            return value
        finally:
            if self._running.get(key) is future:  # not forgotten meanwhile
                del self._running[key]
