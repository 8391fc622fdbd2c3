"""Scores: one account (stored, or computed for `as_of`/`top`), a batch, and the history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.serialization import encode_json
from litestar.status_codes import HTTP_200_OK
from redis.asyncio import Redis

from rapport.api.accounts import account_not_found
from rapport.api.convert import history_point
from rapport.api.problems import AUTHED, UnprocessableError, documented
from rapport.api.schemas import BatchItem, BatchRequest, BatchResponse, HistoryOut
from rapport.api.state import Ctx
from rapport.metric import ScoreReport
from rapport.metric.decay import from_epoch
from rapport.model import AccountRef
from rapport.storage import accounts
from rapport.storage import scores as score_store
from rapport.storage.changes import AccountId
from rapport.storage.records import ScoreSummary

__all__ = ["BatchController", "ScoresController"]

_ACCOUNT = "/v1/accounts/{platform:str}/{account:str}"


async def _require_account(redis: Redis, tenant: str, ref: AccountRef) -> None:
    if await accounts.get(redis, tenant, ref) is None:
        raise account_not_found(ref)


class ScoresController(Controller):
    path = _ACCOUNT
    tags = ("scores",)

    @get(
        "/score",
        summary="The account's score document",
        description="Without `as_of` and with the default `top`, the stored current score. "
        "With `as_of` (an ISO 8601 instant with a timezone) the score at that instant, computed "
        "from the stored aggregates, or from the kept raw events for an instant before the "
        "newest event. `top` is how many relationships the document lists.",
        responses=documented(404, 422, *AUTHED),
    )
    async def score(
        self,
        ctx: NamedDependency[Ctx],
        platform: FromPath[str],
        account: FromPath[str],
        as_of: FromQuery[datetime | None] = None,
        top: Annotated[int, QueryParameter(ge=0, le=1000)] = score_store.DEFAULT_TOP,
    ) -> Response[ScoreReport]:
        redis, tenant, services, now = ctx.redis, ctx.tenant, ctx.services, ctx.now
        ref = AccountRef(platform, account)
        if as_of is None and top == score_store.DEFAULT_TOP:
            body = await _stored_document(ctx, (tenant, platform, account), ref)
            if body is not None:
                return _encoded(body)
        await _require_account(redis, tenant, ref)
        if as_of is not None and as_of.tzinfo is None:
            raise UnprocessableError(
                "`as_of` needs a timezone, e.g. 2026-01-31T12:00:00Z",
                extra=[{"field": "as_of", "source": "query", "message": "no timezone"}],
            )
        services.metrics.score_computations.labels("as_of" if as_of else "on_demand").inc()
        report = await score_store.compute(
            redis,
            tenant,
            ref,
            now=now,
            config=services.config,
            as_of=None if as_of is None else as_of.timestamp(),
            top=top,
        )
        return Response(report)

    @get(
        "/score/history",
        summary="The account's score history, newest first",
        responses=documented(404, *AUTHED),
    )
    async def history(
        self,
        ctx: NamedDependency[Ctx],
        platform: FromPath[str],
        account: FromPath[str],
        limit: Annotated[int, QueryParameter(ge=1, le=10_000)] = 100,
    ) -> HistoryOut:
        redis, tenant = ctx.redis, ctx.tenant
        ref = AccountRef(platform, account)
        await _require_account(redis, tenant, ref)
        points = await score_store.history(redis, tenant, ref, limit=limit)
        return HistoryOut(
            platform=platform, account=account, history=[history_point(p) for p in points]
        )


class BatchController(Controller):
    path = "/v1/scores"
    tags = ("scores",)

    @post(
        "/batch",
        status_code=HTTP_200_OK,
        summary="Current scores of up to 1,000 accounts",
        description="One result per requested account, in order: `ok` with the headline "
        "figures of the stored current score, `not_found` when this tenant does not track the "
        "account, `not_scored` when it is tracked but not scored yet. The full document of one "
        "account is `GET /v1/accounts/{platform}/{account}/score`.",
        responses=documented(*AUTHED),
    )
    async def batch(
        self, data: JSONBody[BatchRequest], ctx: NamedDependency[Ctx]
    ) -> Response[BatchResponse]:
        redis, tenant, now, cache = ctx.redis, ctx.tenant, ctx.now, ctx.services.score_cache
        ids = [(tenant, a.platform, a.account) for a in data.accounts]
        parts = [cache.item(account, now) for account in ids]
        misses = [i for i, part in enumerate(parts) if part is None]
        if misses:
            mark = cache.mark()
            refs = [AccountRef(ids[i][1], ids[i][2]) for i in misses]
            points = await score_store.summaries(redis, tenant, refs)
            unscored = [ref for ref, point in zip(refs, points, strict=True) if point is None]
            tracked = await accounts.tracked(redis, tenant, unscored)
            for i, ref, point in zip(misses, refs, points, strict=True):
                if point is None:
                    item = BatchItem(
                        platform=ref.platform,
                        account=ref.account,
                        status="not_scored" if tracked[ref] else "not_found",
                    )
                    parts[i] = encode_json(item)
                else:
                    parts[i] = part = encode_json(_ok(ref, point))
                    cache.put_item(ids[i], mark, part, now)
        # The same bytes `encode_json(BatchResponse(results=...))` would give, put together
        # from the per-account entries.
        body = b'{"results":[' + b",".join(parts) + b"]}"  # type: ignore[arg-type]
        return _encoded(body)


def _encoded(body: bytes) -> Response[Any]:
    """JSON already encoded (by `encode_json`, as litestar would), sent as is."""
    return Response(body, media_type=MediaType.JSON)


def _ok(ref: AccountRef, point: ScoreSummary) -> BatchItem:
    return BatchItem(
        platform=ref.platform,
        account=ref.account,
        status="ok",
        score=point.score,
        genuine_connections=point.genuine_connections,
        relationships_total=point.relationships_total,
        as_of=from_epoch(point.as_of),
        metric_version=point.metric_version,
        missing=point.missing,
    )


async def _stored_document(ctx: Ctx, account: AccountId, ref: AccountRef) -> bytes | None:
    """The stored current score as the JSON bytes to send: from this process's cache, else
    from Redis (and then cached; requests that miss at once share one read)."""
    cache = ctx.services.score_cache
    body = cache.document(account, ctx.now)
    if body is not None:
        return body

    async def load() -> bytes | None:
        mark = cache.mark()
        stored = await score_store.get_current(ctx.redis, ctx.tenant, ref)
        if stored is None:
            return None
        encoded = encode_json(stored)
        cache.put_document(account, mark, encoded, ctx.now)
        return encoded

    return await cache.loads.run(account, load)
