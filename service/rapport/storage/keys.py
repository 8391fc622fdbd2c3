"""Every Redis key Rapport writes, named in one place.

All keys of one account share the hash tag `{t:<tenant>:<platform>:<account>}`, so one account's
data lives in one Cluster slot and a transaction over it works unchanged on Redis Cluster.
Tenant-level data (the account index, webhooks) has its own tag per tenant; API keys, rate-limit
counters and the pending webhook deliveries have tags of their own.

Ids from platforms are arbitrary strings: they are percent-encoded into a key so that `{`, `}`,
`:` and glob characters can never break a hash tag or a SCAN pattern.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

__all__ = [
    "PREFIX",
    "TENANT_PATTERN",
    "AccountKeys",
    "account_member",
    "api_key",
    "api_keys_of_tenant",
    "archive_done",
    "dead_letters",
    "deliveries_in_flight",
    "delivery_queued",
    "job_outcomes",
    "member_account",
    "pending_deliveries",
    "rate_limit",
    "refresh_cursor",
    "score_changes",
    "tenant_accounts",
    "tenant_webhooks",
]

PREFIX = "rapport"
#: What a tenant name may look like (it is part of every key, so it is kept plain).
TENANT_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
_TENANT_RE = re.compile(TENANT_PATTERN)
_SAFE = "-_.@"


def _part(value: str) -> str:
    return quote(value, safe=_SAFE)


def _tenant(tenant: str) -> str:
    if not _TENANT_RE.match(tenant):
        raise ValueError(f"invalid tenant name {tenant!r}: expected {TENANT_PATTERN}")
    return tenant


class AccountKeys:
    """The keys of one tracked account of one tenant."""

    __slots__ = (
        "events",
        "history",
        "legacy_seen",
        "meta",
        "outbox",
        "profiles",
        "relationships",
        "score",
        "seen",
        "sources",
        "summary",
        "tag",
    )

    def __init__(self, tenant: str, platform: str, account: str) -> None:
        self.tag = f"{PREFIX}:{{t:{_tenant(tenant)}:{_part(platform)}:{_part(account)}}}"
        #: string, msgpack `AccountRecord`
        self.meta = f"{self.tag}:meta"
        #: hash counterpart -> msgpack `RelationshipAggregate`
        self.relationships = f"{self.tag}:rel"
        #: sorted set, 16-byte BLAKE2b digest of an event_id -> event time: every counted
        #: event's id, at most `RAPPORT_DEDUP_MAX_IDS` of them (rapport.storage.ingest)
        self.seen = f"{self.tag}:ids"
        #: sorted set event_id -> event time, as written before issue 13 (a 400-day window of
        #: raw ids); turned into `seen` by the account's next ingest, then gone
        self.legacy_seen = f"{self.tag}:seen"
        #: sorted set msgpack `Interaction` -> event time (raw events, bounded retention)
        self.events = f"{self.tag}:events"
        #: hash account id -> msgpack `Profile` (the ego's own and its counterparts')
        self.profiles = f"{self.tag}:profiles"
        #: string, msgpack `StoredScore` (the current score document)
        self.score = f"{self.tag}:score"
        #: list, newest first, msgpack `ScorePoint` (bounded)
        self.history = f"{self.tag}:history"
        #: string, msgpack `ScorePoint` of the current score (what a batch look-up reads)
        self.summary = f"{self.tag}:summary"
        #: list of msgpack `ScoreChange`: score changes stored but not yet turned into webhook
        #: deliveries (written in the score's transaction, emptied by `webhooks.flush`)
        self.outbox = f"{self.tag}:outbox"
        #: hash source (`archive`, `api`) -> msgpack `SourceReport`: what the latest import
        #: from each source lacked (rapport.storage.sources)
        self.sources = f"{self.tag}:sources"

    def all(self) -> list[str]:
        """Every key of the account (what a delete removes)."""
        return [
            self.meta,
            self.relationships,
            self.seen,
            self.events,
            self.profiles,
            self.score,
            self.history,
            self.summary,
            self.outbox,
            self.sources,
            self.legacy_seen,
        ]

    def scan_pattern(self) -> str:
        """SCAN pattern matching every key of the account (percent-encoding keeps it literal)."""
        return f"{self.tag}:*"


def account_member(platform: str, account: str) -> str:
    """How an account is named in its tenant's index (`platform:account`, encoded)."""
    return f"{_part(platform)}:{_part(account)}"


def member_account(member: str) -> tuple[str, str]:
    """(platform, account) of an index member written by `account_member`."""
    platform, account = member.split(":", 1)
    return unquote(platform), unquote(account)


def tenant_accounts(tenant: str) -> str:
    """Sorted set of the tenant's tracked accounts: `account_member` -> tracked-at epoch."""
    return f"{PREFIX}:{{tenant:{_tenant(tenant)}}}:accounts"


def tenant_webhooks(tenant: str) -> str:
    """Hash webhook id -> msgpack `Webhook`."""
    return f"{PREFIX}:{{tenant:{_tenant(tenant)}}}:webhooks"


def api_key(key_id: str) -> str:
    """String, msgpack `ApiKeyRecord` (holds only the SHA-256 of the secret)."""
    return f"{PREFIX}:{{keys}}:id:{_part(key_id)}"


def api_keys_of_tenant(tenant: str) -> str:
    """Set of the tenant's key ids."""
    return f"{PREFIX}:{{keys}}:tenant:{_tenant(tenant)}"


def rate_limit(key_id: str, window: int) -> str:
    """Counter of requests by one API key in one fixed window (expires with it)."""
    return f"{PREFIX}:{{rl:{_part(key_id)}}}:{window}"


def score_changes() -> str:
    """Pub/sub channel (not a key): a notice per account whose stored score changed or was
    purged, so API processes drop what they cached of it (`rapport.storage.changes`)."""
    return f"{PREFIX}:score-changes"


def pending_deliveries() -> str:
    """List of msgpack `Delivery` records waiting for the webhook worker (jobs issue)."""
    return f"{PREFIX}:{{webhooks}}:pending"


# --- background jobs (issue 5) ---


def refresh_cursor(tenant: str, platform: str, account: str) -> str:
    """String: the connector's cursor after the account's last refresh (the account's tag)."""
    return f"{AccountKeys(tenant, platform, account).tag}:cursor"


def delivery_queued(delivery_id: str) -> str:
    """String, kept for a week: the delivery was queued once (a rerun that queues it again is
    a no-op); same tag as the pending list, so the check and the push are one script."""
    return f"{PREFIX}:{{webhooks}}:queued:{_part(delivery_id)}"


def deliveries_in_flight() -> str:
    """Hash delivery id -> msgpack `Delivery`: taken from `pending_deliveries` by the worker,
    removed once delivered or dead-lettered (same tag as the pending list, so the move is one
    atomic script)."""
    return f"{PREFIX}:{{webhooks}}:inflight"


def dead_letters(tenant: str) -> str:
    """Hash job or delivery id -> msgpack `DeadLetter`: work that failed its last try."""
    return f"{PREFIX}:{{jobs:{_tenant(tenant)}}}:dead"


def archive_done(tenant: str, upload: str) -> str:
    """String, kept for a week: an uploaded archive was ingested, so a rerun that finds its file
    gone knows the work landed (and a worker that never saw the file knows it did not)."""
    return f"{PREFIX}:{{jobs:{_tenant(tenant)}}}:archive-done:{_part(upload)}"


def job_outcomes() -> str:
    """Hash `<job name>:<outcome>` -> count, written by workers, read by the API's /metrics."""
    return f"{PREFIX}:{{jobs}}:outcomes"
