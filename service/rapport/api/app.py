"""The litestar app factory of the scoring API.

`create_app(settings)` assembles the controllers under `/v1`, the auth and observability
middleware, the problem+json error handlers, the OpenAPI document (served at
`/schema/openapi.json`, browsable at `/schema`: rapport.api.schema_page) and a lifespan that
opens the Redis pool on start-up and closes it on shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, OpenAPIType, Schema, SecurityScheme
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from rapport import __version__ as rapport_version
from rapport.api.accounts import AccountsController
from rapport.api.auth import BearerKeyMiddleware
from rapport.api.cached_scores import serve_cached_scores
from rapport.api.connectors import ConnectorsController
from rapport.api.health import healthz, metrics, readyz
from rapport.api.ingest import IngestController
from rapport.api.jobs import JobsController, jobs_lifespan
from rapport.api.observability import (
    Metrics,
    ScoreCacheCollector,
    configure_logging,
    observe,
)
from rapport.api.problems import (
    bad_encoding_handler,
    http_exception_handler,
    internal_error_handler,
    service_unavailable_handler,
    too_deep_handler,
)
from rapport.api.profiles import ProfilesController
from rapport.api.schema_page import SwaggerUiPage, schema_router
from rapport.api.scores import BatchController, ScoresController
from rapport.api.state import (
    Services,
    provide_ctx,
    provide_services,
)
from rapport.api.webhooks import WebhooksController
from rapport.metric import MetricConfig
from rapport.plugins.host import ConnectorRegistry
from rapport.settings import Settings
from rapport.web import skip_ui, ui_router

__all__ = ["create_app", "openapi_config"]


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Rapport scoring API",
        version=rapport_version,
        description="How genuine an account's social network is: real, two-way, sustained "
        "relationships, not follower counts. Every error is RFC 9457 problem+json. "
        "Authenticate with `Authorization: Bearer <key>` (`rapport keys create --tenant NAME`).",
        openapi_router=schema_router(),
        render_plugins=[SwaggerUiPage()],
        components=Components(
            security_schemes={
                "bearer": SecurityScheme(type="http", scheme="bearer", description="API key")
            }
        ),
        security=[{"bearer": []}],
        use_handler_docstrings=False,
    )


def _overlapping_unions_as_any_of(schemas: dict[str, Schema]) -> None:
    """litestar documents `float | int` as `oneOf: [number, integer]`, which no integer can
    satisfy (an integer is a number too: it matches two branches); `anyOf` says what the
    type means. Found by schemathesis on a score's `inputs`."""

    def fix(node: object) -> None:
        if not isinstance(node, Schema):
            return
        types = {getattr(branch, "type", None) for branch in node.one_of or ()}
        if {OpenAPIType.NUMBER, OpenAPIType.INTEGER} <= types:
            node.any_of, node.one_of = node.one_of, None
        for child in (
            *(node.properties or {}).values(),
            node.additional_properties,
            node.items,
            *(node.one_of or ()),
            *(node.any_of or ()),
            *(node.all_of or ()),
        ):
            fix(child)

    for schema in schemas.values():
        fix(schema)


def create_app(
    settings: Settings,
    *,
    redis_url: str | None = None,
    config: MetricConfig | None = None,
    registry: ConnectorRegistry | None = None,
    load_plugins: bool = True,
    clock: Callable[[], float] = time.time,
) -> Litestar:
    """Build the API. `redis_url` overrides `settings.redis_url`; `registry` is the connector
    registry to report (default: load the installed plugins, unless `load_plugins` is False)."""
    url = redis_url or settings.redis_url
    if url is None:
        raise ValueError("no Redis: set RAPPORT_REDIS_URL (or pass redis_url)")
    if registry is None and load_plugins:
        from rapport.plugins.host import load_connectors

        registry = load_connectors(settings)
    configure_logging(settings.log_level)
    services = Services(
        settings=settings,
        config=config or MetricConfig(),
        metrics=Metrics(),
        registry=registry,
        clock=clock,
    )

    @asynccontextmanager
    async def redis_pool(app: Litestar) -> AsyncIterator[None]:
        """Own the Redis pool for the app's lifetime (one pool per process)."""
        services.redis = Redis.from_url(
            url, socket_timeout=5.0, socket_connect_timeout=2.0, health_check_interval=30
        )
        # The notices connection blocks in a read: no socket timeout on that pool.
        notices = Redis.from_url(url, socket_connect_timeout=2.0, health_check_interval=30)
        follower = asyncio.create_task(services.score_cache.follow(notices))
        try:
            yield
        finally:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower
            await notices.aclose()
            redis, services.redis = services.redis, None
            await redis.aclose()
            services.access_log.flush()

    cors = None
    if settings.cors_origins:
        origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
        cors = CORSConfig(
            allow_origins=origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
        )

    app = Litestar(
        route_handlers=[
            AccountsController,
            ScoresController,
            BatchController,
            IngestController,
            ProfilesController,
            ConnectorsController,
            WebhooksController,
            JobsController,
            healthz,
            readyz,
            metrics,
            ui_router(),  # the account pages (docs/web.md): cookie sign-in, not bearer
        ],
        dependencies={
            "services": Provide(provide_services, sync_to_thread=False),
            "ctx": Provide(provide_ctx, sync_to_thread=False),
        },
        middleware=[skip_ui(BearerKeyMiddleware)],
        exception_handlers={
            HTTPException: http_exception_handler,
            UnicodeDecodeError: bad_encoding_handler,
            RecursionError: too_deep_handler,
            Exception: internal_error_handler,
            RedisConnectionError: service_unavailable_handler,
            RedisTimeoutError: service_unavailable_handler,
        },
        lifespan=[redis_pool, jobs_lifespan(settings.queue_redis_url or url)],
        logging_config=None,  # JSON lines from `rapport.*` only; root logging is left alone
        state=None,
        openapi_config=openapi_config(),
        cors_config=cors,
        request_max_body_size=settings.max_body_bytes,
        debug=False,
    )
    app.state.services = services
    services.metrics.registry.register(ScoreCacheCollector(services.score_cache))
    _overlapping_unions_as_any_of(app.openapi_schema.components.schemas or {})
    # Cached score documents are answered before routing (service/rapport/api/cached_scores.py).
    app.asgi_handler = serve_cached_scores(services)(app.asgi_handler)
    # Outermost wrapper (around routing and error handling), so 404/405 get a request id,
    # a log line and a metric too; app middleware would only see routed requests.
    app.asgi_handler = observe(services.metrics, services.access_log)(app.asgi_handler)
    return app
