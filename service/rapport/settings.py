"""Runtime settings of the service, from `RAPPORT_*` environment variables (12-factor).

A variable that is set but empty (or blank) counts as unset: its default applies.

This module is the one place a setting is declared: its name, type, default and meaning. The
table in docs/configuration.md is generated from it (`python -m rapport.settings`) and a test
fails when the two drift. Metric tuning is not here: it is a metric config file
(service/rapport/metric/config.py), because tenants override it per request.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import msgspec

from rapport.errors import InputError

__all__ = ["ENV_PREFIX", "Settings", "SettingsError", "markdown_table"]

ENV_PREFIX = "RAPPORT_"


class SettingsError(InputError):
    """An environment variable with a value that cannot be used; the message names it."""


def _doc(text: str) -> msgspec.Meta:
    return msgspec.Meta(extra_json_schema={"description": text})


class Settings(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Every runtime setting. Field `x` is read from `RAPPORT_X`."""

    redis_url: Annotated[
        str | None,
        _doc(
            "Redis for data (scores, aggregates, keys). Unset: `rapport up` starts a private "
            "Redis server in the data directory, and `rapport keys`, `worker` and `api` use "
            "that of a running `rapport up` (they say so on stderr)."
        ),
    ] = None
    queue_redis_url: Annotated[
        str | None,
        _doc(
            "Redis for the job queue, if separate from `RAPPORT_REDIS_URL`; a Sentinel-managed "
            "one as `redis+sentinel://host:26379[,host:port]/<master name>[/<db>]`."
        ),
    ] = None
    data_dir: Annotated[
        str | None,
        _doc(
            "Where `rapport up` keeps its private Redis data, uploads and the record "
            "(`rapport-up.json`) other commands find it by. Default: "
            "`$XDG_DATA_HOME/rapport` when XDG_DATA_HOME is set, else `./.rapport`."
        ),
    ] = None
    plugins_strict: Annotated[
        bool, _doc("Make a plugin that fails to load a fatal error instead of a reported one.")
    ] = False
    plugins_allow: Annotated[
        str | None, _doc("Comma-separated connector plugins to load; others are skipped.")
    ] = None
    plugins_block: Annotated[
        str | None, _doc("Comma-separated connector plugins never to load.")
    ] = None
    log_level: Annotated[
        Literal["DEBUG", "INFO", "WARNING", "ERROR"],
        _doc("Log level: DEBUG, INFO, WARNING or ERROR."),
    ] = "INFO"
    # --- scoring API and storage (issue 4) ---
    events_retention_days: Annotated[
        int,
        msgspec.Meta(ge=1, le=3650),
        _doc("How long raw events are kept (for recomputing a past score), in days."),
    ] = 90
    dedup_max_ids: Annotated[
        int,
        msgspec.Meta(ge=1),
        _doc(
            "Most event ids one account remembers for de-duplication (102-115 bytes of Redis "
            "each, whatever the id's length). Every counted event's id is kept, however old; "
            "past this many, the oldest are forgotten and events that old are refused, so "
            "nothing is ever counted twice (docs/jobs.md)."
        ),
    ] = 1_000_000
    score_history_len: Annotated[
        int, msgspec.Meta(ge=1, le=10_000), _doc("Scores kept in each account's history.")
    ] = 100
    score_cache_seconds: Annotated[
        float,
        msgspec.Meta(ge=0, le=3600),
        _doc(
            "How long an API process may serve a score from memory, at most (score changes "
            "reach every process at once through Redis pub/sub; this bounds a lost notice). "
            "0 turns the cache off."
        ),
    ] = 5.0
    score_cache_max_bytes: Annotated[
        int,
        msgspec.Meta(ge=0),
        _doc("Memory each API process may use for cached scores, in bytes (0: no cache)."),
    ] = 64 * 1024 * 1024
    rate_limit_per_minute: Annotated[
        int, msgspec.Meta(ge=1), _doc("Requests per minute allowed to one API key (429 after).")
    ] = 6000
    max_body_bytes: Annotated[
        int,
        msgspec.Meta(ge=1024),
        _doc("Largest request body the API accepts, in bytes (413 beyond)."),
    ] = 8 * 1024 * 1024
    cors_origins: Annotated[
        str | None,
        _doc("Comma-separated origins allowed by CORS. Unset: CORS is off."),
    ] = None
    ui_secure_cookies: Annotated[
        bool,
        _doc(
            "Mark the account pages' (`/ui`) cookies Secure even when requests reach the app "
            "over plain http, as behind a TLS-terminating proxy (over https they always are)."
        ),
    ] = False
    api_drain_seconds: Annotated[
        float,
        msgspec.Meta(ge=0, le=3600),
        _doc(
            "On SIGTERM, how long `rapport api` keeps accepting and serving requests (with "
            "`/readyz` answering 503) before it stops listening: the time Kubernetes takes to "
            "remove a terminating pod from its Services and Ingresses, which still route to "
            "it meanwhile (the chart sets it: `api.drainSeconds`). SIGINT (Ctrl-C) stops at once."
        ),
    ] = 0.0
    api_shutdown_seconds: Annotated[
        float,
        msgspec.Meta(gt=0, le=3600),
        _doc(
            "Once `rapport api` stops listening, how long requests in flight may take to "
            "finish before their connections are closed."
        ),
    ] = 10.0
    # --- background jobs and `rapport up` (issue 5) ---
    job_max_tries: Annotated[
        int,
        msgspec.Meta(ge=1, le=100),
        _doc(
            "Tries of a background job (a refresh, an archive, a webhook delivery) before it "
            "is moved to the dead-letter set."
        ),
    ] = 5
    job_timeout_seconds: Annotated[
        float,
        msgspec.Meta(gt=0, le=86_400),
        _doc("Longest a job may run; a job over it is tried again (it counts as a try)."),
    ] = 300.0
    job_retry_base_seconds: Annotated[
        float,
        msgspec.Meta(ge=0, le=3600),
        _doc(
            "Back-off before the second try of a failed job; doubled for each further try "
            "(with jitter), capped at one hour."
        ),
    ] = 5.0
    worker_max_jobs: Annotated[
        int, msgspec.Meta(ge=1, le=10_000), _doc("Jobs one worker runs at the same time.")
    ] = 10
    worker_shutdown_seconds: Annotated[
        float,
        msgspec.Meta(ge=0, le=3600),
        _doc(
            "On SIGTERM/SIGINT, how long a worker lets running jobs finish before it cancels "
            "them (a cancelled job runs again later)."
        ),
    ] = 20.0
    upload_max_bytes: Annotated[
        int,
        msgspec.Meta(ge=1024),
        _doc("Largest export archive the upload route accepts, in bytes (413 beyond)."),
    ] = 512 * 1024 * 1024
    upload_dir: Annotated[
        str | None,
        _doc(
            "Where uploaded archives wait for the worker (API and worker must share it). "
            "Default: `uploads/` in the data directory."
        ),
    ] = None
    rescore_threshold: Annotated[
        float,
        msgspec.Meta(ge=0, le=100),
        _doc(
            "The periodic recompute stores a score again when decay has moved it by more than "
            "this many points."
        ),
    ] = 1.0
    rescore_max_age_hours: Annotated[
        float,
        msgspec.Meta(gt=0, le=8760),
        _doc("The periodic recompute stores any score older than this, moved or not."),
    ] = 24.0
    webhook_timeout_seconds: Annotated[
        float,
        msgspec.Meta(gt=0, le=300),
        _doc("Timeout of one webhook delivery (an HTTP POST); a timeout is retried."),
    ] = 10.0
    webhook_allow_private: Annotated[
        bool,
        _doc(
            "Let webhooks reach loopback and private addresses (development, an in-cluster "
            "receiver). Link-local and cloud metadata addresses stay refused."
        ),
    ] = False
    webhook_allow_networks: Annotated[
        str | None,
        _doc(
            "Comma-separated CIDRs (or addresses) webhooks may reach even when refused by "
            "default, e.g. `10.20.0.0/16`; checked after DNS resolution at each delivery."
        ),
    ] = None
    archive_max_files: Annotated[
        int,
        msgspec.Meta(ge=1),
        _doc("Most files an uploaded export archive may hold (more: the job fails, no import)."),
    ] = 50_000
    archive_max_member_bytes: Annotated[
        int,
        msgspec.Meta(ge=1024),
        _doc(
            "Largest archive member the worker holds in memory at once, decompressed, in bytes "
            "(a JSON or CSV file is parsed whole; larger: the job fails, no import). Memory "
            "while importing is about 3 times this plus what the parsed items take "
            "(docs/security.md)."
        ),
    ] = 64 << 20
    archive_max_unpacked_bytes: Annotated[
        int,
        msgspec.Meta(ge=1024),
        _doc(
            "Most bytes the worker decompresses from one uploaded archive, all members "
            "together (a zip bomb fails the job, no import)."
        ),
    ] = 4 << 30

    def __post_init__(self) -> None:
        """Fail at start-up, naming the variable, rather than at the first webhook."""
        for item in (self.webhook_allow_networks or "").split(","):
            try:
                if item.strip():
                    ipaddress.ip_network(item.strip(), strict=False)
            except ValueError:
                raise ValueError(
                    f"RAPPORT_WEBHOOK_ALLOW_NETWORKS: {item.strip()!r} is not an address or a CIDR"
                ) from None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from `environ` (default: the process environment)."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in msgspec.structs.fields(cls):
            key = ENV_PREFIX + field.name.upper()
            # Empty means unset: Kubernetes turns a value a chart left out (`null` after a
            # `helm upgrade --reuse-values` from an older chart) into "", and the default
            # is what was meant (docs/operations.md, Upgrade).
            if environ.get(key, "").strip():
                values[field.name] = environ[key]
        try:
            return msgspec.convert(values, cls, strict=False)
        except msgspec.ValidationError as exc:
            message = str(exc)
            for field in msgspec.structs.fields(cls):
                message = message.replace(f"`$.{field.name}`", ENV_PREFIX + field.name.upper())
            raise SettingsError(f"invalid environment: {message}") from None


def _default_text(value: object) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return "1" if value else "0"
    return f"`{value}`"


def markdown_table() -> str:
    """The configuration table of docs/configuration.md."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    info = msgspec.inspect.type_info(Settings)
    assert isinstance(info, msgspec.inspect.StructType)
    for field in info.fields:
        meta = field.type
        description = ""
        if isinstance(meta, msgspec.inspect.Metadata) and meta.extra_json_schema:
            description = str(meta.extra_json_schema.get("description", ""))
        name = f"`{ENV_PREFIX}{field.name.upper()}`"
        lines.append(f"| {name} | {_default_text(field.default)} | {description} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - `python -m rapport.settings` prints the table
    print(markdown_table(), end="")
