"""Ingestion properties over generated batches, on the real Redis: re-sending any part of what
was ingested changes nothing, and a batch (one event per id) is stored the same whatever its
order. Generated batches reuse ids and mix two accounts, five counterparts and every kind."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from rapport.metric import MetricConfig
from rapport.model import Direction, Interaction, Kind
from rapport.storage.ingest import ingest
from tests.storage.conftest import T0, snapshot

NOW = 1_900_000_000.0

events = st.lists(
    st.builds(
        lambda n, cp, out, kind, minutes, ego: Interaction(
            platform="mastodon",
            ego=f"ego{ego}",
            counterpart=f"cp{cp}",
            direction=Direction.OUT if out else Direction.IN,
            kind=kind,
            at=T0 + timedelta(minutes=minutes),
            event_id=f"e{n}",
            text_len=30,
        ),
        st.integers(0, 40),
        st.integers(0, 4),
        st.booleans(),
        st.sampled_from(list(Kind)),
        st.integers(0, 60 * 24 * 60),
        st.integers(0, 1),
    ),
    min_size=1,
    max_size=40,
)


def _run(url: str, *batches: list[Interaction]) -> dict[str, object]:
    async def go() -> dict[str, object]:
        client = Redis.from_url(url)
        try:
            await client.flushall()
            for batch in batches:
                await ingest(
                    client,
                    "acme",
                    batch,
                    now=NOW,
                    config=MetricConfig(),
                    dedup_window_days=400,
                    events_retention_days=3650,
                )
            return await snapshot(client)
        finally:
            await client.aclose()

    return asyncio.run(go())


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batch=events, again=st.data())
def test_resending_any_part_changes_nothing(
    redis_url: str, batch: list[Interaction], again: st.DataObject
) -> None:
    part = again.draw(st.lists(st.sampled_from(batch), max_size=len(batch)))
    assert _run(redis_url, batch, part) == _run(redis_url, batch)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batch=events.map(lambda b: list({e.event_id: e for e in b}.values())), order=st.randoms())
def test_one_batch_is_counted_the_same_in_any_order(
    redis_url: str, batch: list[Interaction], order: object
) -> None:
    shuffled = list(batch)
    order.shuffle(shuffled)  # type: ignore[attr-defined]
    assert _run(redis_url, shuffled) == _run(redis_url, batch)
