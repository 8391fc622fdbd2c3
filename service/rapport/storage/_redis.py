"""Typing glue for redis-py's asyncio client, whose hash, list and set commands are annotated
as `Awaitable[T] | T` (shared with the sync client): `aw(...)` states they are awaitable."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar, cast

__all__ = ["aw"]

T = TypeVar("T")


def aw(call: Awaitable[T] | T) -> Awaitable[T]:
    """The asyncio client's command call, typed as the awaitable it is."""
    return cast(Awaitable[T], call)
