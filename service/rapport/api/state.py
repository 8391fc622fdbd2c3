"""What the app owns while it runs (the Redis pool, the settings, the metric config, the
connector registry, the metrics) and the dependency providers that hand it to handlers."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from litestar import Request
from litestar.datastructures import State
from litestar.exceptions import NotAuthorizedException
from redis.asyncio import Redis

from rapport.api.access_log import AccessLog
from rapport.api.observability import Metrics
from rapport.api.score_cache import ScoreCache
from rapport.api.single_flight import SingleFlight
from rapport.metric import MetricConfig
from rapport.plugins.host import ConnectorRegistry
from rapport.settings import Settings
from rapport.storage.ratelimit import BatchedLimiter
from rapport.storage.records import ApiKeyRecord

__all__ = [
    "Ctx",
    "Services",
    "provide_ctx",
    "provide_services",
    "provide_tenant",
]


@dataclass
class Services:
    """Everything a request handler may need, created by the app's lifespan."""

    settings: Settings
    config: MetricConfig
    metrics: Metrics
    registry: ConnectorRegistry | None
    clock: Callable[[], float] = time.time
    redis: Redis | None = None
    limiter: BatchedLimiter = field(init=False)
    score_cache: ScoreCache = field(init=False)
    access_log: AccessLog = field(default_factory=AccessLog)
    #: sha256(key) -> (record, expires_at): a revoked key stops working within `KEY_CACHE_TTL`.
    key_cache: dict[str, tuple[ApiKeyRecord, float]] = field(default_factory=dict)
    #: one Redis look-up per key at a time, however many requests miss `key_cache` at once
    key_loads: SingleFlight[str, ApiKeyRecord | None] = field(default_factory=SingleFlight)

    def __post_init__(self) -> None:
        self.limiter = BatchedLimiter(self.settings.rate_limit_per_minute)
        self.score_cache = ScoreCache(
            ttl=self.settings.score_cache_seconds, max_bytes=self.settings.score_cache_max_bytes
        )

    @property
    def db(self) -> Redis:
        if self.redis is None:
            raise RuntimeError("the Redis pool is not open (the app's lifespan has not started)")
        return self.redis


def services_of(state: State) -> Services:
    services: Services = state.services
    return services


def provide_services(state: State) -> Services:
    return services_of(state)


@dataclass(slots=True, frozen=True)
class Ctx:
    """What a `/v1` handler works with: one dependency, so litestar resolves it without
    spawning a task group per request (several dependencies are resolved concurrently)."""

    services: Services
    redis: Redis
    tenant: str
    now: float


def provide_ctx(request: Request[ApiKeyRecord, ApiKeyRecord, State]) -> Ctx:
    """The authenticated tenant, the Redis pool, the services and the request's clock time."""
    services = services_of(request.app.state)
    return Ctx(services, services.db, provide_tenant(request), services.clock())


def provide_tenant(request: Request[ApiKeyRecord, ApiKeyRecord, State]) -> str:
    """The tenant of the authenticated key: every storage call of a handler is scoped by it."""
    record = request.scope.get("auth")
    if not isinstance(record, ApiKeyRecord):  # only reachable if a route escaped the middleware
        raise NotAuthorizedException("missing API key")
    return record.tenant
