"""Recompute an account's score, store it, and queue webhook deliveries when it changed:
the step every job that changes data ends with."""

from __future__ import annotations

from rapport.jobs.context import JobContext
from rapport.metric import ScoreReport
from rapport.model import AccountRef
from rapport.storage import scores, webhooks

__all__ = ["rescore_and_notify", "score_at_data_end"]


async def rescore_and_notify(
    jc: JobContext, tenant: str, ref: AccountRef
) -> tuple[ScoreReport, int]:
    """Store the account's score now; return it and how many deliveries were queued.

    Deliveries come from the account's outbox, where the refresh stored the change (if the
    score moved) in the score's own transaction: a job that died after storing the score and
    runs again stores the same score, stores no new change, and sends the one it left behind;
    a change is never sent twice.
    """
    now = jc.clock()
    _, report = await scores.refresh(
        jc.redis,
        tenant,
        ref,
        now=now,
        config=jc.config,
        history_len=jc.settings.score_history_len,
    )
    queued = await webhooks.flush(jc.redis, tenant, ref, now=now)
    if queued:
        jc.wake_pump.set()
    return report, len(queued)


async def score_at_data_end(
    jc: JobContext, tenant: str, ref: AccountRef
) -> tuple[float | None, float | None]:
    """(the instant the account's data ends, its score then), or (None, None) without data."""
    report = await scores.at_data_end(jc.redis, tenant, ref, now=jc.clock(), config=jc.config)
    if report is None:
        return None, None
    return report.as_of.timestamp(), report.score
