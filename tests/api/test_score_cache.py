"""The in-process score cache: what it serves is what Redis holds, for the right tenant only,
and every way a score changes (this process, another process, a purge, a lost subscription)
reaches it. Pure cache rules are tested on `ScoreCache` directly."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import msgspec
import pytest
from redis.asyncio import Redis

from rapport.api.score_cache import ScoreCache
from rapport.api.state import services_of
from rapport.metric import MetricConfig, ScoreReport
from rapport.metric.config import Points
from rapport.model import AccountRef
from rapport.storage import keys
from rapport.storage import scores as score_store
from rapport.storage.records import decode, encode
from tests.api.conftest import NDJSON, Api, ndjson_events
from tests.deadlines import wait_until

ALICE = ("acme", "mastodon", "alice")
SCORE = "/v1/accounts/mastodon/alice/score"
BATCH = {
    "accounts": [
        {"platform": "mastodon", "account": "alice"},
        {"platform": "x", "account": "nobody"},
    ]
}


def _cache(api: Api) -> ScoreCache:
    return services_of(api.client.app.state).score_cache


@pytest.fixture
def loaded(make_api: Callable[..., Api]) -> Api:
    api = make_api()
    wait_until(lambda: _cache(api).live, "cache subscribed")
    r = api.client.post("/v1/ingest", content=ndjson_events(60), headers={**api.acme, **NDJSON})
    assert r.status_code == 200
    return api


def _rewrite_behind_the_back(api: Api, score: float) -> None:
    """Change the stored document without a notice (what a lost notice would look like)."""
    k = keys.AccountKeys(*ALICE)
    report = decode(api.redis.get(k.score), ScoreReport)
    api.redis.set(k.score, encode(msgspec.structs.replace(report, score=score)))


def test_a_second_read_is_served_from_memory_with_the_same_bytes(loaded: Api) -> None:
    cache = _cache(loaded)
    first = loaded.client.get(SCORE, headers=loaded.acme)
    hits = cache.hits
    second = loaded.client.get(SCORE, headers=loaded.acme)
    assert cache.hits == hits + 1
    assert second.content == first.content
    assert second.headers["content-type"] == "application/json"
    stored = decode(loaded.redis.get(keys.AccountKeys(*ALICE).score), ScoreReport)
    assert second.json()["score"] == stored.score


def test_cached_bytes_equal_what_the_uncached_service_sends(
    loaded: Api, make_api: Callable[..., Api]
) -> None:
    uncached = make_api(score_cache_seconds=0)
    for _ in range(2):  # the second round is served from the cache
        cached_doc = loaded.client.get(SCORE, headers=loaded.acme)
        cached_batch = loaded.client.post("/v1/scores/batch", json=BATCH, headers=loaded.acme)
    plain_doc = uncached.client.get(SCORE, headers=uncached.acme)
    plain_batch = uncached.client.post("/v1/scores/batch", json=BATCH, headers=uncached.acme)
    assert _cache(uncached).hits == 0
    assert cached_doc.content == plain_doc.content
    assert cached_batch.content == plain_batch.content
    assert [r["status"] for r in cached_batch.json()["results"]] == ["ok", "not_found"]


def test_another_tenant_never_gets_a_cached_score(loaded: Api) -> None:
    loaded.client.get(SCORE, headers=loaded.acme)
    loaded.client.post("/v1/scores/batch", json=BATCH, headers=loaded.acme)
    assert loaded.client.get(SCORE, headers=loaded.rival).status_code == 404
    batch = loaded.client.post("/v1/scores/batch", json=BATCH, headers=loaded.rival).json()
    assert [r["status"] for r in batch["results"]] == ["not_found", "not_found"]


def test_an_ingest_here_is_read_back_at_once(loaded: Api) -> None:
    before = loaded.client.get(SCORE, headers=loaded.acme).json()
    batch_before = loaded.client.post("/v1/scores/batch", json=BATCH, headers=loaded.acme).json()
    recent = ndjson_events(100).replace(b"2026-03-", b"2027-01-").replace(b':"ev', b':"recent')
    r = loaded.client.post("/v1/ingest", content=recent, headers={**loaded.acme, **NDJSON})
    assert r.status_code == 200, r.text
    new_score = r.json()["scores"]["mastodon/alice"]
    assert new_score != before["score"]
    assert loaded.client.get(SCORE, headers=loaded.acme).json()["score"] == new_score
    batch = loaded.client.post("/v1/scores/batch", json=BATCH, headers=loaded.acme).json()
    assert batch["results"][0]["score"] == new_score != batch_before["results"][0]["score"]


def test_a_score_written_by_another_process_replaces_the_cached_one(
    loaded: Api, redis_url: str
) -> None:
    cached = loaded.client.get(SCORE, headers=loaded.acme).json()["score"]
    loaded.client.post("/v1/scores/batch", json=BATCH, headers=loaded.acme)
    no_authenticity = MetricConfig(points=Points(authenticity=0.0, connections=45.0))

    async def rescore_like_a_worker() -> float:
        client = Redis.from_url(redis_url)
        try:
            _, report = await score_store.refresh(
                client,
                "acme",
                AccountRef("mastodon", "alice"),
                now=loaded.clock.now,
                config=no_authenticity,
                history_len=10,
            )
            return report.score
        finally:
            await client.aclose()

    fresh = asyncio.run(rescore_like_a_worker())
    assert fresh < cached
    wait_until(
        lambda: loaded.client.get(SCORE, headers=loaded.acme).json()["score"] == fresh,
        "the worker's score served",
    )
    wait_until(
        lambda: (
            loaded.client.post("/v1/scores/batch", json=BATCH, headers=loaded.acme).json()[
                "results"
            ][0]["score"]
            == fresh
        ),
        "the worker's score in the batch",
    )


def test_a_purge_here_or_elsewhere_is_never_served_from_memory(loaded: Api, redis_url: str) -> None:
    loaded.client.get(SCORE, headers=loaded.acme)
    assert (
        loaded.client.delete("/v1/accounts/mastodon/alice", headers=loaded.acme).status_code == 204
    )
    assert loaded.client.get(SCORE, headers=loaded.acme).status_code == 404

    r = loaded.client.post(
        "/v1/ingest", content=ndjson_events(60), headers={**loaded.acme, **NDJSON}
    )
    assert r.status_code == 200
    loaded.client.get(SCORE, headers=loaded.acme)
    loaded.client.post("/v1/scores/batch", json=BATCH, headers=loaded.acme)

    async def purge_elsewhere() -> None:
        from rapport.storage import accounts

        client = Redis.from_url(redis_url)
        try:
            assert await accounts.delete(client, "acme", AccountRef("mastodon", "alice"))
        finally:
            await client.aclose()

    asyncio.run(purge_elsewhere())
    wait_until(
        lambda: loaded.client.get(SCORE, headers=loaded.acme).status_code == 404,
        "the purge seen by this process",
    )
    batch = loaded.client.post("/v1/scores/batch", json=BATCH, headers=loaded.acme).json()
    assert batch["results"][0]["status"] == "not_found"


def test_staleness_is_bounded_by_the_ttl_when_a_notice_is_lost(loaded: Api) -> None:
    ttl = _cache(loaded).ttl
    original = loaded.client.get(SCORE, headers=loaded.acme).json()["score"]
    _rewrite_behind_the_back(loaded, 99.5)
    assert loaded.client.get(SCORE, headers=loaded.acme).json()["score"] == original
    loaded.clock.now += ttl
    assert loaded.client.get(SCORE, headers=loaded.acme).json()["score"] == 99.5


def test_a_lost_subscription_drops_everything_cached(loaded: Api) -> None:
    cache = _cache(loaded)
    original = loaded.client.get(SCORE, headers=loaded.acme).json()["score"]
    _rewrite_behind_the_back(loaded, 98.5)
    assert loaded.client.get(SCORE, headers=loaded.acme).json()["score"] == original
    epoch = cache.mark()
    assert loaded.redis.client_kill_filter(_type="pubsub") >= 1
    wait_until(lambda: cache.mark() != epoch and cache.live, "cleared and subscribed again")
    assert loaded.client.get(SCORE, headers=loaded.acme).json()["score"] == 98.5


# --- the cache's own rules ---


def _live(**kwargs: float) -> ScoreCache:
    cache = ScoreCache(ttl=kwargs.get("ttl", 5.0), max_bytes=int(kwargs.get("max_bytes", 1000)))
    cache.live = True
    return cache


def test_a_put_that_raced_a_notice_is_dropped() -> None:
    cache = _live()
    mark = cache.mark()
    cache.invalidate(ALICE)  # the notice arrives while the Redis read is in flight
    cache.put_document(ALICE, mark, b"old", now=0.0)
    assert cache.document(ALICE, 0.0) is None
    cache.put_document(ALICE, cache.mark(), b"new", now=0.0)
    assert cache.document(ALICE, 0.0) == b"new"


def test_nothing_is_served_or_kept_while_not_subscribed() -> None:
    cache = _live()
    cache.put_item(ALICE, cache.mark(), b"x", now=0.0)
    cache.live = False
    assert cache.item(ALICE, 0.0) is None
    cache.put_item(("acme", "x", "b"), cache.mark(), b"y", now=0.0)
    cache.live = True
    assert cache.item(("acme", "x", "b"), 0.0) is None


def test_entries_expire_and_memory_stays_bounded() -> None:
    cache = _live(ttl=5.0, max_bytes=10)
    cache.put_document(("t", "p", "a"), cache.mark(), b"12345", now=0.0)
    cache.put_item(("t", "p", "b"), cache.mark(), b"12345", now=0.0)
    assert cache.document(("t", "p", "a"), 3.9) == b"12345"  # expiry: 80-100 % of the ttl
    assert cache.document(("t", "p", "a"), 5.0) is None
    cache.put_item(("t", "p", "c"), cache.mark(), b"123", now=0.0)  # the oldest item goes
    assert cache.item(("t", "p", "b"), 0.0) is None
    assert cache.document(("t", "p", "a"), 0.0) == b"12345"
    cache.put_item(("t", "p", "d"), cache.mark(), b"12345678901", now=0.0)  # never fits
    assert cache.item(("t", "p", "d"), 0.0) is None
    cache.put_item(("t", "p", "e"), cache.mark(), b"12345678", now=0.0)  # evicts across kinds
    assert cache.item(("t", "p", "e"), 0.0) == b"12345678"
    assert cache.document(("t", "p", "a"), 0.0) is None


def test_a_zero_ttl_turns_the_cache_off() -> None:
    cache = ScoreCache(ttl=0, max_bytes=1000)
    assert not cache.enabled
    asyncio.run(cache.follow(Redis()))  # returns at once: never subscribes
    assert not cache.live


def test_metrics_tell_whether_the_cache_is_on_and_how_it_is_used(loaded: Api) -> None:
    loaded.client.get(SCORE, headers=loaded.acme)
    loaded.client.get(SCORE, headers=loaded.acme)
    text = loaded.client.get("/metrics").text
    cache = _cache(loaded)
    assert "rapport_score_cache_live 1.0" in text
    assert f'rapport_score_cache_reads_total{{result="hit"}} {float(cache.hits)}' in text
    assert f'rapport_score_cache_reads_total{{result="miss"}} {float(cache.misses)}' in text
    assert cache.hits >= 1
