"""Recompute an account's score, store it, and queue webhook deliveries when it changed:
the step every job that changes data ends with."""

from __future__ import annotations

from service.jobs.context import JobContext
from service.model import AccountRef
from service.storage import scores, webhooks

__all__ = ["rescore_and_notify"]


async def rescore_and_notify(jc: JobContext, tenant: str, ref: AccountRef) -> tuple[float, int]:
    """Store the account's score now; return it and how many deliveries were queued.

    Deliveries are queued only when the score moved: a job that runs twice stores the same
    score the second time and notifies nobody again.
    """
    now = jc.clock()
    previous, report = await scores.refresh(
        jc.redis,
        tenant,
        ref,
        now=now,
        config=jc.config,
        history_len=jc.settings.score_history_len,
    )
    if previous is not None and previous == report.score:
        return report.score, 0
    queued = await webhooks.emit(jc.redis, tenant, ref, previous, report, now=now)
    if queued:
        jc.wake_pump.set()
    return report.score, len(queued)
