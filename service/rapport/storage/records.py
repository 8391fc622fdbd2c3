"""What Rapport stores in Redis, as msgspec Structs encoded with msgpack (never pickle: whoever
can write to Redis must not be able to run code in the service)."""

from __future__ import annotations

import secrets
from typing import Any, TypeVar

import msgspec

from rapport.metric import ScoreReport
from rapport.model import MissingData

__all__ = [
    "AccountRecord",
    "ApiKeyRecord",
    "Delivery",
    "ScoreChange",
    "ScorePoint",
    "ScoreSummary",
    "SourceReport",
    "Webhook",
    "decode",
    "encode",
]

T = TypeVar("T")

_encoder = msgspec.msgpack.Encoder()
_decoders: dict[Any, msgspec.msgpack.Decoder[Any]] = {}


def encode(value: object) -> bytes:
    """msgpack bytes of a Struct (or plain data)."""
    return _encoder.encode(value)


def decode(data: bytes, type_: type[T]) -> T:
    """Decode msgpack bytes written by `encode` into `type_` (decoders are cached per type)."""
    decoder = _decoders.get(type_)
    if decoder is None:
        decoder = _decoders[type_] = msgspec.msgpack.Decoder(type_)
    result: T = decoder.decode(data)
    return result


class AccountRecord(msgspec.Struct, kw_only=True):
    """A tracked account: when it was tracked and what has been ingested for it.

    `dedup_horizon` stays None until the account's remembered event ids reach
    `RAPPORT_DEDUP_MAX_IDS`; then the oldest ids are forgotten and it is the time of the newest
    forgotten one: an event at or before it is refused, because it could not be told from one
    already counted (rapport.storage.ingest)."""

    platform: str
    account: str
    tracked_at: float
    events: int = 0
    newest_event_at: float | None = None
    last_ingest_at: float | None = None
    dedup_horizon: float | None = None


class ScorePoint(msgspec.Struct, kw_only=True, frozen=True):
    """One entry of an account's score history."""

    as_of: float
    computed_at: float
    score: float
    genuine_connections: int
    relationships_total: int
    metric_version: str
    config_digest: str

    @classmethod
    def of(cls, report: ScoreReport, computed_at: float) -> ScorePoint:
        return cls(
            as_of=report.as_of.timestamp(),
            computed_at=computed_at,
            score=report.score,
            genuine_connections=report.genuine_connections,
            relationships_total=report.relationships_total,
            metric_version=report.metric_version,
            config_digest=report.config_digest,
        )


class ScoreSummary(ScorePoint, kw_only=True, frozen=True):
    """The headline of the current score, as a batch look-up reads it: the history point plus
    the names of the data the score is missing (the full notes are in the score document)."""

    missing: list[str] = msgspec.field(default_factory=list)

    @classmethod
    def of(cls, report: ScoreReport, computed_at: float) -> ScoreSummary:
        point = ScorePoint.of(report, computed_at)
        return cls(
            **msgspec.structs.asdict(point),
            missing=[note.data for note in report.missing],
        )


class SourceReport(msgspec.Struct, kw_only=True, frozen=True):
    """What the latest import from one source (`archive` or `api`) of an account reported:
    when it ran, the instant its data reaches (an archive's own date), and what it lacked."""

    source: str
    reported_at: float
    data_until: float | None = None
    missing: list[MissingData] = msgspec.field(default_factory=list)


class ScoreChange(msgspec.Struct, kw_only=True, frozen=True):
    """A stored change of an account's score, waiting in its outbox to become webhook
    deliveries. `id` is random, made once when the change is stored; the deliveries' ids derive
    from it, so turning the same change into deliveries twice queues nothing new."""

    id: str
    previous: float | None
    score: float
    as_of: str  # ISO 8601, as the delivery body says it
    metric_version: str

    @classmethod
    def of(cls, previous: float | None, report: ScoreReport) -> ScoreChange:
        return cls(
            id=secrets.token_hex(8),
            previous=previous,
            score=report.score,
            as_of=report.as_of.isoformat(),
            metric_version=report.metric_version,
        )


class ApiKeyRecord(msgspec.Struct, kw_only=True, frozen=True):
    """An API key as stored: its public id, its tenant, and only the SHA-256 of its secret."""

    key_id: str
    tenant: str
    sha256: str
    created_at: float


class Webhook(msgspec.Struct, kw_only=True, frozen=True):
    """A tenant's subscription to score changes of at least `threshold` points."""

    id: str
    url: str
    threshold: float
    created_at: float
    secret: str


class Delivery(msgspec.Struct, kw_only=True, frozen=True):
    """A signed webhook call waiting for the delivery worker.

    `headers` carries `Rapport-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>." + body>`
    keyed with the webhook's secret, so a receiver can check origin and reject replays.
    """

    id: str
    tenant: str
    webhook_id: str
    url: str
    created_at: float
    body: bytes
    headers: dict[str, str]
    attempts: int = 0
