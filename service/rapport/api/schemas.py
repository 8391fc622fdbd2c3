"""Request and response bodies of the API (msgspec Structs: validated on the way in, encoded
without copies on the way out, and described in the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from rapport.metric import ScoreReport
from rapport.model import AccountId, PlatformName

__all__ = [
    "BATCH_LIMIT",
    "AccountList",
    "AccountOut",
    "BatchItem",
    "BatchRequest",
    "BatchResponse",
    "ConnectorOut",
    "ConnectorsOut",
    "HistoryOut",
    "HistoryPoint",
    "IngestOut",
    "LoadErrorOut",
    "Problem",
    "ProfilesOut",
    "ScoreOut",
    "TrackAccount",
    "WebhookCreate",
    "WebhookCreated",
    "WebhookList",
    "WebhookOut",
]

#: Most accounts one `POST /v1/scores/batch` may ask for.
BATCH_LIMIT = 1000


class Problem(msgspec.Struct, kw_only=True, omit_defaults=True):
    """RFC 9457 problem details (`application/problem+json`), the body of every error."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: list[dict[str, str]] | None = None


class TrackAccount(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Start tracking an account of a platform."""

    platform: PlatformName
    account: AccountId


class AccountOut(msgspec.Struct, kw_only=True):
    platform: str
    account: str
    tracked_at: datetime
    events: int
    newest_event_at: datetime | None
    last_ingest_at: datetime | None
    score: float | None


class AccountList(msgspec.Struct, kw_only=True):
    accounts: list[AccountOut]
    total: int
    offset: int
    limit: int


class BatchRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Up to `BATCH_LIMIT` (1,000) accounts; each is answered by its current stored score."""

    accounts: Annotated[list[TrackAccount], msgspec.Meta(min_length=1, max_length=BATCH_LIMIT)]


class BatchItem(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One account of a batch: `status` is `ok`, `not_found` (not tracked by this tenant) or
    `not_scored` (tracked, no score computed yet)."""

    platform: str
    account: str
    status: Literal["ok", "not_found", "not_scored"]
    score: float | None = None
    genuine_connections: int | None = None
    relationships_total: int | None = None
    as_of: datetime | None = None
    metric_version: str | None = None
    missing: list[str] | None = None
    """With `ok`: the data the score is missing, by name (the score document has each note's
    effect and source)."""


class BatchResponse(msgspec.Struct, kw_only=True):
    results: list[BatchItem]


class HistoryPoint(msgspec.Struct, kw_only=True):
    as_of: datetime
    computed_at: datetime
    score: float
    genuine_connections: int
    relationships_total: int
    metric_version: str
    config_digest: str


class HistoryOut(msgspec.Struct, kw_only=True):
    platform: str
    account: str
    history: list[HistoryPoint]


class IngestOut(msgspec.Struct, kw_only=True):
    """What an ingest did: `accepted` events were counted, `duplicates` were counted before
    (same event id), and `refused` maps a reason code to the events not counted for it:
    `before_history` is an event at or before the account's de-duplication horizon, which
    exists only once the account has remembered `RAPPORT_DEDUP_MAX_IDS` event ids (an event
    that old could not be told from one already counted). Events of any age are counted
    otherwise."""

    accepted: int
    duplicates: int
    refused: dict[str, int] = msgspec.field(default_factory=dict)
    relationships_updated: int
    accounts: list[TrackAccount]
    scores: dict[str, float]


class ProfilesOut(msgspec.Struct, kw_only=True):
    """What a profiles upload did: `stored` distinct profiles (a repeated account: the last
    one wins) and the account's new current `score`, rescored with them."""

    stored: int
    score: float


class WebhookCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Subscribe `url` to score changes of at least `threshold` points (0-100 scale). A URL
    with spaces or control characters, credentials, or a host that is local, private,
    link-local or a cloud metadata address is refused with 422 (docs/security.md)."""

    url: Annotated[str, msgspec.Meta(pattern=r"^https?://", max_length=2048)]
    threshold: Annotated[float, msgspec.Meta(ge=0, le=100)] = 1.0


class WebhookOut(msgspec.Struct, kw_only=True):
    id: str
    url: str
    threshold: float
    created_at: datetime


class WebhookCreated(WebhookOut, kw_only=True):
    """The subscription and its signing secret, shown only here, once."""

    secret: str


class WebhookList(msgspec.Struct, kw_only=True):
    webhooks: list[WebhookOut]


class ConnectorOut(msgspec.Struct, kw_only=True):
    name: str
    version: str
    capabilities: dict[str, object]


class LoadErrorOut(msgspec.Struct, kw_only=True):
    plugin: str
    message: str


class ConnectorsOut(msgspec.Struct, kw_only=True):
    connectors: list[ConnectorOut]
    errors: list[LoadErrorOut]


ScoreOut = ScoreReport
