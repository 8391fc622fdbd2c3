"""Webhooks: a tenant subscribes a URL to score changes; a change of at least the subscription's
threshold (in score points) queues a delivery record signed with HMAC-SHA256. Sending it is the
worker's job (jobs issue): this module only writes what must be sent, each delivery once (the
account's outbox and `flush`)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

import msgspec
from redis.asyncio import Redis

from rapport.model import AccountRef
from rapport.storage import keys
from rapport.storage._redis import aw
from rapport.storage.records import Delivery, ScoreChange, Webhook, decode, encode

__all__ = [
    "ScoreChanged",
    "create",
    "delete",
    "deliveries_for",
    "flush",
    "list_webhooks",
    "queue_once",
    "sign",
]


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


#: Push each delivery unless its id was queued before (all keys share the `{webhooks}` tag).
#: KEYS[1] the pending list, KEYS[2..] the deliveries' `delivery_queued` markers; ARGV[1] the
#: markers' lifetime, ARGV[2..] the encoded deliveries. Returns the 1-based positions pushed.
_QUEUE_ONCE = """
local pushed = {}
for i = 2, #KEYS do
  if redis.call('SET', KEYS[i], '1', 'NX', 'EX', ARGV[1]) then
    redis.call('LPUSH', KEYS[1], ARGV[i])
    table.insert(pushed, i - 1)
  end
end
return pushed
"""
_MARKER_SECONDS = 7 * 24 * 3600


def _delivery_id(change: ScoreChange, hook: Webhook) -> str:
    """The same change and subscription always give the same delivery id."""
    return hashlib.sha256(f"{change.id}:{hook.id}".encode()).hexdigest()[:16]


def deliveries_for(
    tenant: str, ref: AccountRef, change: ScoreChange, hooks: list[Webhook], *, now: float
) -> list[Delivery]:
    """The signed deliveries one change makes: one per subscription whose threshold it
    reaches (a first score of 0 reaches only threshold-0 subscriptions)."""
    moved = change.score - (change.previous if change.previous is not None else 0.0)
    deliveries: list[Delivery] = []
    timestamp = int(now)
    for hook in hooks:
        if change.previous is not None and abs(moved) < hook.threshold:
            continue
        if change.previous is None and change.score == 0.0 and hook.threshold > 0:
            continue
        body = msgspec.json.encode(
            ScoreChanged(
                event="score.changed",
                webhook_id=hook.id,
                platform=ref.platform,
                account=ref.account,
                previous_score=change.previous,
                score=change.score,
                as_of=change.as_of,
                metric_version=change.metric_version,
            )
        )
        deliveries.append(
            Delivery(
                id=_delivery_id(change, hook),
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
    return deliveries


async def queue_once(redis: Redis, deliveries: list[Delivery]) -> list[Delivery]:
    """Queue the deliveries not queued before (by id); return those queued now."""
    if not deliveries:
        return []
    args: list[str | bytes] = [
        keys.pending_deliveries(),
        *[keys.delivery_queued(d.id) for d in deliveries],
        str(_MARKER_SECONDS),
        *[encode(d) for d in deliveries],
    ]
    pushed = await redis.eval(_QUEUE_ONCE, 1 + len(deliveries), *args)  # type: ignore[arg-type, misc]
    return [deliveries[int(i) - 1] for i in pushed]


async def flush(redis: Redis, tenant: str, ref: AccountRef, *, now: float) -> list[Delivery]:
    """Turn every score change waiting in the account's outbox into queued deliveries, each
    exactly once, oldest first; return the deliveries queued by this call.

    `scores.refresh` stores a change in the outbox in the same transaction as the score, so a
    process that dies before this runs loses nothing: the next flush (the job's rerun, or the
    account's next scoring) sends it. Running this twice, or twice at once, queues nothing
    twice: delivery ids derive from the change's id and `queue_once` refuses an id it saw.
    A change leaves the outbox only after its deliveries are queued.
    """
    outbox = keys.AccountKeys(tenant, ref.platform, ref.account).outbox
    raws: list[bytes] = await aw(redis.lrange(outbox, 0, -1))
    if not raws:
        return []
    hooks = await list_webhooks(redis, tenant)
    queued: list[Delivery] = []
    for raw in raws:
        change = decode(raw, ScoreChange)
        queued += await queue_once(redis, deliveries_for(tenant, ref, change, hooks, now=now))
        await aw(redis.lrem(outbox, 1, raw))  # type: ignore[arg-type]  # bytes, as stored
    return queued
