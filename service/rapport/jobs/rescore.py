"""The periodic recompute: scores decay as time passes without new events, so a stored score
goes stale even when nothing is ingested. Every run compares each tracked account's stored
score with its score now, and stores it again (notifying webhooks) when decay has moved it by
more than `RAPPORT_RESCORE_THRESHOLD` points, or when it is older than
`RAPPORT_RESCORE_MAX_AGE_HOURS`. Running it twice stores nothing new the second time.

Tenants are found by SCAN over their account indexes (there is no list of tenants): fine for
thousands of tenants, a tenant registry would be the next step beyond that.
"""

from __future__ import annotations

from typing import Any

import msgspec

from rapport.jobs.context import JobContext
from rapport.jobs.queue import RESCORE
from rapport.jobs.runner import JobSpec
from rapport.jobs.scoring import rescore_and_notify
from rapport.model import AccountRef
from rapport.storage import keys, scores
from rapport.storage._redis import aw
from rapport.storage.records import ScorePoint, decode

__all__ = ["SPEC", "RescorePayload", "rescore_due"]

_HOUR = 3600.0


class RescorePayload(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """No input: the job looks at every tracked account."""


async def _tenants(jc: JobContext) -> list[str]:
    prefix = keys.tenant_accounts("x")[: -len("x}:accounts")]  # "rapport:{tenant:"
    pattern = prefix + "*}:accounts"
    found = []
    async for key in jc.redis.scan_iter(match=pattern, count=1000):
        name = key.decode()[len(prefix) : -len("}:accounts")]
        found.append(name)
    return sorted(set(found))


async def rescore_due(jc: JobContext, _p: RescorePayload) -> dict[str, Any]:
    settings = jc.settings
    checked = stored = 0
    for tenant in await _tenants(jc):
        members = await jc.redis.zrange(keys.tenant_accounts(tenant), 0, -1)
        for member in members:
            platform, account = keys.member_account(member.decode())
            ref_keys = keys.AccountKeys(tenant, platform, account)
            head: bytes | None = await aw(jc.redis.lindex(ref_keys.history, 0))  # type: ignore[arg-type]
            if head is None:
                continue  # never scored: ingestion scores it
            checked += 1
            point = decode(head, ScorePoint)
            now = jc.clock()
            ref = AccountRef(platform, account)
            fresh = await scores.compute(jc.redis, tenant, ref, now=now, config=jc.config)
            moved = abs(fresh.score - point.score) > settings.rescore_threshold
            old = now - point.computed_at > settings.rescore_max_age_hours * _HOUR
            if moved or old:
                await rescore_and_notify(jc, tenant, ref)
                stored += 1
    return {"checked": checked, "stored": stored}


SPEC = JobSpec(name=RESCORE, payload=RescorePayload, run=rescore_due)
