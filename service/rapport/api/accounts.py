"""`/v1/accounts`: the tenant's tracked accounts."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT
from redis.asyncio import Redis

from rapport.api.convert import account_out
from rapport.api.problems import AUTHED, NotFound, documented
from rapport.api.schemas import AccountList, AccountOut, TrackAccount
from rapport.api.state import Ctx
from rapport.model import AccountRef
from rapport.storage import accounts
from rapport.storage import scores as score_store

__all__ = ["AccountsController", "account_not_found"]


def account_not_found(ref: AccountRef) -> NotFound:
    """The one 404 for an account this tenant does not track (whether or not another does)."""
    return NotFound(f"account {ref.platform}/{ref.account} is not tracked")


async def _latest_score(redis: Redis, tenant: str, ref: AccountRef) -> float | None:
    [point] = await score_store.summaries(redis, tenant, [ref])
    return None if point is None else point.score


#: Largest `offset` of a listing: 2**53 - 1, exact in every JSON client and far inside the
#: signed 64-bit range of the Redis index it becomes.
MAX_OFFSET = 2**53 - 1


class AccountsController(Controller):
    path = "/v1/accounts"
    tags = ("accounts",)

    @get("/", summary="List the tenant's tracked accounts", responses=documented(*AUTHED))
    async def list_accounts(
        self,
        ctx: NamedDependency[Ctx],
        # Bounded: Redis indexes are signed 64-bit, so a bigger offset was a 500 (fuzzing).
        offset: Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET)] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    ) -> AccountList:
        redis, tenant = ctx.redis, ctx.tenant
        records, total = await accounts.list_accounts(redis, tenant, offset=offset, limit=limit)
        refs = [AccountRef(r.platform, r.account) for r in records]
        points = await score_store.summaries(redis, tenant, refs)
        items = [
            account_out(r, None if point is None else point.score)
            for r, point in zip(records, points, strict=True)
        ]
        return AccountList(accounts=items, total=total, offset=offset, limit=limit)

    @post(
        "/", status_code=HTTP_201_CREATED, summary="Track an account", responses=documented(*AUTHED)
    )
    async def track(self, data: JSONBody[TrackAccount], ctx: NamedDependency[Ctx]) -> AccountOut:
        redis, tenant, now = ctx.redis, ctx.tenant, ctx.now
        ref = AccountRef(data.platform, data.account)
        record = await accounts.track(redis, tenant, ref, now)
        return account_out(record, await _latest_score(redis, tenant, ref))

    @get(
        "/{platform:str}/{account:str}",
        summary="Read a tracked account",
        responses=documented(404, *AUTHED),
    )
    async def read(
        self, platform: FromPath[str], account: FromPath[str], ctx: NamedDependency[Ctx]
    ) -> AccountOut:
        redis, tenant = ctx.redis, ctx.tenant
        ref = AccountRef(platform, account)
        record = await accounts.get(redis, tenant, ref)
        if record is None:
            raise account_not_found(ref)
        return account_out(record, await _latest_score(redis, tenant, ref))

    @delete(
        "/{platform:str}/{account:str}",
        status_code=HTTP_204_NO_CONTENT,
        summary="Stop tracking an account and purge everything stored about it",
        responses=documented(404, *AUTHED),
    )
    async def remove(
        self, platform: FromPath[str], account: FromPath[str], ctx: NamedDependency[Ctx]
    ) -> None:
        redis, tenant = ctx.redis, ctx.tenant
        ref = AccountRef(platform, account)
        deleted = await accounts.delete(redis, tenant, ref)
        ctx.services.score_cache.invalidate((tenant, platform, account))
        if not deleted:
            raise account_not_found(ref)
