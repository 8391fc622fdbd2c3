"""Webhook deliveries: from the pending list to a signed HTTP POST, retried, or a dead letter.

`rapport.storage.webhooks.flush` (called after every scoring, by the API and by jobs) pushes
each stored score change's `Delivery` records onto the pending list, once. The worker's *pump*
moves them, atomically in one Lua script, into the in-flight hash (keyed by the SHA-1 of the
record, which holds the delivery's unique id) and queues one `deliver_webhook` job per record
under the job id `delivery-<key>`, so a record is queued at most once at a time. Every minute
(and at start-up) the pump queues a job for every in-flight record again, which recovers a
worker that died between the move and the enqueue.

Each try signs the body afresh (`Rapport-Signature: t=<now>,v1=<HMAC-SHA256>`, with the
webhook's current secret) so a receiver's replay window holds for retries too, and sends the
delivery id as `Rapport-Delivery`. A 2xx removes the record: that removal is what makes a
second run a no-op (idempotent by delivery id). A worker killed after the receiver answered
and before the removal sends it once more; receivers de-duplicate on `Rapport-Delivery`.
Anything else is retried with back-off (the job runner's policy); after the last try the
delivery becomes a dead letter with the reason and leaves the in-flight hash.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import msgspec
from redis.exceptions import RedisError

from rapport.jobs.context import JobContext
from rapport.jobs.outage import OutageLog
from rapport.jobs.queue import DELIVER
from rapport.jobs.runner import JobSpec, Permanent
from rapport.storage import keys
from rapport.storage._redis import aw
from rapport.storage.records import Delivery, Webhook, decode
from rapport.storage.webhooks import sign
from rapport.webhook_targets import TargetPolicy, TargetRefused, check_url

__all__ = [
    "DELIVERY_HEADER",
    "SPEC",
    "DeliveryError",
    "DeliveryPayload",
    "delivery_job_id",
    "pump_forever",
    "pump_once",
]

log = logging.getLogger("rapport.jobs")

DELIVERY_HEADER = "Rapport-Delivery"
_MOVE_BATCH = 500
_RECONCILE_SECONDS = 60.0
_MOVE = """
local moved = {}
for i = 1, tonumber(ARGV[1]) do
  local raw = redis.call('RPOP', KEYS[1])
  if not raw then break end
  local key = redis.sha1hex(raw)
  redis.call('HSET', KEYS[2], key, raw)
  moved[#moved + 1] = key
end
return moved
"""


class DeliveryError(Exception):
    """The receiver did not answer 2xx (the message has the status, never the URL)."""


class DeliveryPayload(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    tenant: str
    key: str
    """Field of the in-flight hash."""
    delivery: str
    """The delivery's own id (also sent as `Rapport-Delivery`)."""
    webhook: str


def delivery_job_id(key: str) -> str:
    return f"delivery-{key}"


async def _enqueue(jc: JobContext, items: dict[str, bytes]) -> int:
    queued = 0
    for key, raw in items.items():
        try:
            record = decode(raw, Delivery)
        except (msgspec.DecodeError, msgspec.ValidationError):
            log.error("in-flight delivery %s is unreadable; dropped", key)
            await aw(jc.redis.hdel(keys.deliveries_in_flight(), key))
            continue
        payload = DeliveryPayload(
            tenant=record.tenant, key=key, delivery=record.id, webhook=record.webhook_id
        )
        result = await jc.queue.enqueue(
            DELIVER, msgspec.structs.asdict(payload), job_id=delivery_job_id(key)
        )
        queued += result.created
    return queued


async def pump_once(jc: JobContext, *, reconcile: bool = False) -> int:
    """Move pending deliveries in flight and queue their jobs; with `reconcile`, queue a job
    for every in-flight delivery (a no-op for those already queued). Returns jobs created."""
    inflight = keys.deliveries_in_flight()
    moved: list[bytes] = await jc.redis.eval(  # type: ignore[misc]
        _MOVE, 2, keys.pending_deliveries(), inflight, str(_MOVE_BATCH)
    )
    if reconcile:
        raw = await aw(jc.redis.hgetall(inflight))
        items = {k.decode(): v for k, v in raw.items()}
    elif moved:
        names = [m.decode() for m in moved]
        values = await aw(jc.redis.hmget(inflight, names))
        items = {n: v for n, v in zip(names, values, strict=True) if v is not None}
    else:
        return 0
    return await _enqueue(jc, items)


async def pump_forever(
    jc: JobContext, *, interval: float = 0.5, stop: asyncio.Event | None = None
) -> None:
    """The worker's background pump: every `interval`, or at once when a job queued
    deliveries; survives Redis outages (it logs and tries again). It ends when `stop` is set:
    a cancel alone is not enough, because redis-py can turn a cancellation that lands inside a
    command into a ConnectionError, which the loop would swallow and go on."""
    stop = stop or asyncio.Event()
    last_reconcile = 0.0
    outage = OutageLog(log, "the webhook delivery pump")
    while not stop.is_set():
        try:
            reconcile = time.monotonic() - last_reconcile > _RECONCILE_SECONDS
            while await pump_once(jc, reconcile=reconcile) and not reconcile:
                pass
            if reconcile:
                last_reconcile = time.monotonic()
            outage.succeeded()
        except (RedisError, OSError) as exc:
            outage.failed(exc)
        jc.wake_pump.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(jc.wake_pump.wait(), interval)


async def deliver_webhook(jc: JobContext, p: DeliveryPayload) -> dict[str, Any]:
    inflight = keys.deliveries_in_flight()
    raw: bytes | None = await aw(jc.redis.hget(inflight, p.key))  # type: ignore[arg-type]
    if raw is None:
        return {"status": "already delivered"}
    if await jc.queue.has_dead_letter(p.tenant, delivery_job_id(p.key)):
        await aw(jc.redis.hdel(inflight, p.key))
        return {"status": "dead letter"}
    delivery = decode(raw, Delivery)
    hook_raw: bytes | None = await aw(
        jc.redis.hget(keys.tenant_webhooks(delivery.tenant), delivery.webhook_id)  # type: ignore[arg-type]
    )
    if hook_raw is None:
        await aw(jc.redis.hdel(inflight, p.key))
        return {"status": "webhook deleted"}
    hook = decode(hook_raw, Webhook)
    headers = dict(delivery.headers)
    headers["Rapport-Signature"] = sign(hook.secret, int(jc.clock()), delivery.body)
    headers[DELIVERY_HEADER] = delivery.id
    try:
        # Again here (a record may predate the guard or a stricter setting); the worker's
        # transport then checks the resolved addresses of the connection itself.
        check_url(delivery.url, TargetPolicy.from_settings(jc.settings))
        response = await jc.webhooks.post(
            delivery.url,
            content=delivery.body,
            headers=headers,
            timeout=jc.settings.webhook_timeout_seconds,
        )
    except TargetRefused as exc:
        raise Permanent(f"refused webhook target: {exc}") from None
    if not 200 <= response.status_code < 300:
        raise DeliveryError(f"the receiver answered HTTP {response.status_code}")
    await aw(jc.redis.hdel(inflight, p.key))
    return {"status": response.status_code, "delivery": delivery.id}


async def _drop(jc: JobContext, p: DeliveryPayload) -> None:
    await aw(jc.redis.hdel(keys.deliveries_in_flight(), p.key))


SPEC = JobSpec(
    name=DELIVER,
    payload=DeliveryPayload,
    run=deliver_webhook,
    subject=lambda p: {"delivery": p.delivery, "webhook": p.webhook},
    on_dead=_drop,
)
