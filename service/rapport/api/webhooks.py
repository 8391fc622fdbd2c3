"""`/v1/webhooks`: the tenant's subscriptions to score changes."""

from __future__ import annotations

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from rapport.api.convert import webhook_out
from rapport.api.problems import AUTHED, NotFound, UnprocessableError, documented
from rapport.api.schemas import WebhookCreate, WebhookCreated, WebhookList
from rapport.api.state import Ctx
from rapport.metric.decay import from_epoch
from rapport.storage import webhooks
from rapport.webhook_targets import TargetPolicy, TargetRefused, check_url

__all__ = ["WebhooksController"]


class WebhooksController(Controller):
    path = "/v1/webhooks"
    tags = ("webhooks",)

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        summary="Subscribe a URL to score changes",
        description="The response holds the signing `secret`, shown only once. Each delivery "
        "carries `Rapport-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of '<t>.' + body>`.",
        responses=documented(422, *AUTHED),
    )
    async def create(
        self, data: JSONBody[WebhookCreate], ctx: NamedDependency[Ctx]
    ) -> WebhookCreated:
        redis, tenant, now = ctx.redis, ctx.tenant, ctx.now
        try:
            check_url(data.url, TargetPolicy.from_settings(ctx.services.settings))
        except TargetRefused as exc:
            raise UnprocessableError(f"url: {exc}") from None
        hook = await webhooks.create(redis, tenant, url=data.url, threshold=data.threshold, now=now)
        return WebhookCreated(
            id=hook.id,
            url=hook.url,
            threshold=hook.threshold,
            created_at=from_epoch(hook.created_at),
            secret=hook.secret,
        )

    @get(
        "/",
        summary="List the tenant's webhooks (secrets are not shown)",
        responses=documented(*AUTHED),
    )
    async def list_webhooks(self, ctx: NamedDependency[Ctx]) -> WebhookList:
        redis, tenant = ctx.redis, ctx.tenant
        hooks = await webhooks.list_webhooks(redis, tenant)
        return WebhookList(webhooks=[webhook_out(h) for h in hooks])

    @delete(
        "/{webhook_id:str}",
        status_code=HTTP_204_NO_CONTENT,
        summary="Delete a webhook",
        responses=documented(404, *AUTHED),
    )
    async def remove(self, webhook_id: FromPath[str], ctx: NamedDependency[Ctx]) -> None:
        redis, tenant = ctx.redis, ctx.tenant
        if not await webhooks.delete(redis, tenant, webhook_id):
            raise NotFound(f"webhook {webhook_id} not found")
