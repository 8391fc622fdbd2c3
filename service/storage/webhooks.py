"""Webhooks: a tenant subscribes a URL to score changes; a change of at least the subscription's
threshold (in score points) queues a delivery record signed with HMAC-SHA256. Sending it is the
worker's job (jobs issue): this module only writes what must be sent."""

from __future__ import annotations

import hashlib
import hmac
import secrets

import msgspec
from redis.asyncio import Redis

from service.metric import ScoreReport
from service.model import AccountRef
from service.storage import keys
from service.storage._redis import aw
from service.storage.records import Delivery, Webhook, decode, encode

__all__ = ["ScoreChanged", "create", "delete", "emit", "list_webhooks", "sign"]


class ScoreChanged(msgspec.Struct, kw_only=True, frozen=True):
    """The JSON body of a delivery."""

    event: str
    webhook_id: str
    platform: str
    account: str
    previous_score: float | None
    score: float
    as_of: str
    metric_version: str


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """`Rapport-Signature` value: `t=<timestamp>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


async def create(redis: Redis, tenant: str, *, url: str, threshold: float, now: float) -> Webhook:
    """Subscribe `url`; the returned record holds the signing secret (shown once by the API)."""
    hook = Webhook(
        id=secrets.token_hex(8),
        url=url,
        threshold=threshold,
        created_at=now,
        secret="whsec_" + secrets.token_urlsafe(32),
    )
    await aw(redis.hset(keys.tenant_webhooks(tenant), mapping={hook.id: encode(hook)}))
    return hook


async def list_webhooks(redis: Redis, tenant: str) -> list[Webhook]:
    raw = await aw(redis.hvals(keys.tenant_webhooks(tenant)))
    return sorted((decode(r, Webhook) for r in raw), key=lambda h: (h.created_at, h.id))


async def delete(redis: Redis, tenant: str, webhook_id: str) -> bool:
    return bool(await aw(redis.hdel(keys.tenant_webhooks(tenant), webhook_id)))


async def emit(
    redis: Redis,
    tenant: str,
    ref: AccountRef,
    previous: float | None,
    report: ScoreReport,
    *,
    now: float,
) -> list[Delivery]:
    """Queue a signed delivery for every subscription whose threshold the change reaches."""
    hooks = await list_webhooks(redis, tenant)
    change = report.score - (previous if previous is not None else 0.0)
    deliveries: list[Delivery] = []
    timestamp = int(now)
    for hook in hooks:
        if previous is not None and abs(change) < hook.threshold:
            continue
        if previous is None and report.score == 0.0 and hook.threshold > 0:
            continue
        body = msgspec.json.encode(
            ScoreChanged(
                event="score.changed",
                webhook_id=hook.id,
                platform=ref.platform,
                account=ref.account,
                previous_score=previous,
                score=report.score,
                as_of=report.as_of.isoformat(),
                metric_version=report.metric_version,
            )
        )
        deliveries.append(
            Delivery(
                id=secrets.token_hex(8),
                tenant=tenant,
                webhook_id=hook.id,
                url=hook.url,
                created_at=now,
                body=body,
                headers={
                    "Content-Type": "application/json",
                    "Rapport-Signature": sign(hook.secret, timestamp, body),
                },
            )
        )
    if deliveries:
        await aw(redis.lpush(keys.pending_deliveries(), *[encode(d) for d in deliveries]))
    return deliveries
