"""Stored records to response bodies."""

from __future__ import annotations

from datetime import datetime

from rapport.api.schemas import AccountOut, HistoryPoint, WebhookOut
from rapport.metric.decay import from_epoch
from rapport.storage.records import AccountRecord, ScorePoint, Webhook

__all__ = ["account_out", "history_point", "webhook_out"]


def _dt(value: float | None) -> datetime | None:
    return None if value is None else from_epoch(value)


def account_out(record: AccountRecord, score: float | None) -> AccountOut:
    return AccountOut(
        platform=record.platform,
        account=record.account,
        tracked_at=from_epoch(record.tracked_at),
        events=record.events,
        newest_event_at=_dt(record.newest_event_at),
        last_ingest_at=_dt(record.last_ingest_at),
        score=score,
    )


def history_point(point: ScorePoint) -> HistoryPoint:
    return HistoryPoint(
        as_of=from_epoch(point.as_of),
        computed_at=from_epoch(point.computed_at),
        score=point.score,
        genuine_connections=point.genuine_connections,
        relationships_total=point.relationships_total,
        metric_version=point.metric_version,
        config_digest=point.config_digest,
    )


def webhook_out(hook: Webhook) -> WebhookOut:
    return WebhookOut(
        id=hook.id, url=hook.url, threshold=hook.threshold, created_at=from_epoch(hook.created_at)
    )
