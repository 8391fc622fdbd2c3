"""Liveness, readiness and Prometheus metrics (no API key: probes and scrapers have none)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.di import NamedDependency
from prometheus_client import generate_latest
from redis.exceptions import RedisError

from rapport.api.draining import DRAINING
from rapport.api.problems import documented, problem_response
from rapport.api.state import Services
from rapport.storage import keys
from rapport.storage._redis import aw

__all__ = ["healthz", "metrics", "readyz"]

#: The Prometheus text exposition format (litestar appends `; charset=utf-8`).
_PROMETHEUS_TEXT = "text/plain; version=0.0.4"


@get("/healthz", summary="Liveness: the process answers", tags=["health"])
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get(
    "/readyz",
    summary="Readiness: Redis answers and the process is not draining (503 problem+json when not)",
    tags=["health"],
    responses=documented(503),
)
async def readyz(
    request: Request[Any, Any, Any], services: NamedDependency[Services]
) -> Response[Any]:
    if DRAINING.is_set():
        return problem_response(
            request, 503, "Stopping: this process is draining", headers={"Retry-After": "5"}
        )
    try:
        if services.redis is not None and await services.redis.ping():
            return Response({"status": "ready"})
    except (RedisError, OSError):
        pass
    return problem_response(request, 503, "Redis does not answer", headers={"Retry-After": "5"})


@get("/metrics", summary="Prometheus metrics", tags=["health"], media_type=_PROMETHEUS_TEXT)
async def metrics(services: NamedDependency[Services]) -> Response[bytes]:
    if services.redis is not None:
        try:
            depth = await aw(services.redis.llen(keys.pending_deliveries()))
            services.metrics.queue_depth.set(depth)
        except (RedisError, OSError):
            pass
    return Response(generate_latest(services.metrics.registry), media_type=_PROMETHEUS_TEXT)
