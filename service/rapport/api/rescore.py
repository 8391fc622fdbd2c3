"""Rescoring an account after a write to what its score is computed from (events, profiles).

Every such route does the same four things, in this order, so they live here once: store the
new score (one transaction, `rapport.storage.scores.refresh`, which also stores the change in
the account's outbox), drop this process's cached copy at once (other processes drop theirs on
the change notice), count the computation, and queue the webhook deliveries waiting in the
outbox (`webhooks.flush`).
"""

from __future__ import annotations

from rapport.api.state import Ctx
from rapport.metric import ScoreReport
from rapport.model import AccountRef
from rapport.storage import scores as score_store
from rapport.storage import webhooks

__all__ = ["rescore"]


async def rescore(ctx: Ctx, ref: AccountRef, *, now: float, reason: str) -> ScoreReport:
    """Recompute and store the caller's account's score; `reason` labels the computation
    metric (`rapport_score_computations_total{reason}`)."""
    redis, tenant, services = ctx.redis, ctx.tenant, ctx.services
    _, report = await score_store.refresh(
        redis,
        tenant,
        ref,
        now=now,
        config=services.config,
        history_len=services.settings.score_history_len,
    )
    services.score_cache.invalidate((tenant, ref.platform, ref.account))
    services.metrics.score_computations.labels(reason).inc()
    queued = await webhooks.flush(redis, tenant, ref, now=now)
    services.metrics.webhook_deliveries.inc(len(queued))
    return report
