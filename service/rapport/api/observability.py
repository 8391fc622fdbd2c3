"""Request ids, structured JSON logs and Prometheus metrics.

One pure-ASGI middleware wraps every request: it takes the caller's `X-Request-ID` when it is a
plain token (else makes one), returns it, times the request, counts it by route template and
status, and writes one JSON access-log line (`rapport.api.access_log`). Nothing from headers
or bodies is logged, so keys and payloads never reach the logs.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import secrets
import sys
import time
from collections.abc import Iterator
from typing import Any

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from rapport.api.access_log import AccessLine, AccessLog
from rapport.api.score_cache import ScoreCache

__all__ = [
    "REQUEST_ID_HEADER",
    "JsonFormatter",
    "Metrics",
    "ScoreCacheCollector",
    "configure_logging",
    "observe",
]

REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID_RE = re.compile(rb"^[A-Za-z0-9._-]{1,64}$")


class Metrics:
    """The app's Prometheus metrics, in a registry of its own (two apps in one process, as in
    the tests, never clash)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "rapport_http_requests",
            "HTTP requests by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "rapport_http_request_duration_seconds",
            "HTTP request latency by route template.",
            ["route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
            registry=self.registry,
        )
        self.score_computations = Counter(
            "rapport_score_computations",
            "Scores computed from stored aggregates or raw events, by reason.",
            ["reason"],
            registry=self.registry,
        )
        self.events_ingested = Counter(
            "rapport_events_ingested",
            "Events counted into relationship aggregates.",
            registry=self.registry,
        )
        self.webhook_deliveries = Counter(
            "rapport_webhook_deliveries_queued",
            "Signed webhook deliveries queued for the worker.",
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "rapport_webhook_pending_deliveries",
            "Webhook deliveries waiting for the worker (sampled at scrape time).",
            registry=self.registry,
        )


class ScoreCacheCollector(Collector):
    """Reads the score cache's own counters at scrape time (the hot path only adds to ints)."""

    def __init__(self, cache: ScoreCache) -> None:
        self.cache = cache

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "rapport_score_cache_live",
            "1 while this process receives score-change notices and serves cached scores.",
            value=int(self.cache.live),
        )
        reads = CounterMetricFamily(
            "rapport_score_cache_reads",
            "Score reads by where they were served from: memory (hit) or Redis (miss).",
            labels=["result"],
        )
        reads.add_metric(["hit"], self.cache.hits)
        reads.add_metric(["miss"], self.cache.misses)
        yield reads


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the record's `extra`."""

    _skip = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": round(record.created, 6),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        data.update((k, v) for k, v in record.__dict__.items() if k not in self._skip)
        if record.exc_info and record.exc_info[0] is not None:
            data["exc_type"] = record.exc_info[0].__name__
            data["traceback"] = self.formatException(record.exc_info)
        return msgspec.json.encode(data).decode()


def configure_logging(level: str) -> None:
    """Send `rapport.*` logs to stderr as JSON lines (idempotent)."""
    root = logging.getLogger("rapport")
    root.setLevel(level)
    if not any(getattr(h, "_rapport", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        handler._rapport = True  # type: ignore[attr-defined]
        root.addHandler(handler)
        root.propagate = False


class _RequestIds:
    """Request ids that are unique without asking the OS for randomness per request: a random
    per-process prefix (renewed in a forked child) and a counter, 32 hex digits like a UUID."""

    def __init__(self) -> None:
        self._renew()
        os.register_at_fork(after_in_child=self._renew)

    def _renew(self) -> None:
        self._prefix = secrets.token_hex(8)
        self._counter = itertools.count()

    def next(self) -> str:
        return f"{self._prefix}{next(self._counter) & 0xFFFF_FFFF_FFFF_FFFF:016x}"


_ids = _RequestIds()


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id" and _REQUEST_ID_RE.match(value):
            return value.decode()
    return _ids.next()


def observe(metrics: Metrics, access_log: AccessLog) -> Any:
    """The middleware factory (litestar calls it with the next ASGI app)."""
    requests: dict[tuple[str, str, int], Any] = {}  # bound metric children, one per label set
    latencies: dict[str, Any] = {}

    def count(route: str, method: str, status: int, elapsed: float) -> None:
        child = requests.get((route, method, status))
        if child is None:
            child = requests[(route, method, status)] = metrics.requests.labels(
                route, method, str(status)
            )
        child.inc()
        histogram = latencies.get(route)
        if histogram is None:
            histogram = latencies[route] = metrics.latency.labels(route)
        histogram.observe(elapsed)

    def middleware(app: ASGIApp) -> ASGIApp:
        async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP:
                await app(scope, receive, send)
                return
            request_id = _request_id(scope)
            scope.setdefault("state", {})["request_id"] = request_id
            started = time.perf_counter()
            status = 500

            async def send_wrapper(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    headers = list(message.get("headers", ()))
                    headers.append((b"x-request-id", request_id.encode()))
                    message["headers"] = headers
                await send(message)

            try:
                await app(scope, receive, send_wrapper)
            finally:
                elapsed = time.perf_counter() - started
                route = scope.get("path_template") or "unmatched"
                method = scope.get("method", "")
                count(route, method, status, elapsed)
                if access_log.enabled:
                    auth = scope.get("auth")
                    access_log.write(
                        AccessLine(
                            ts=access_log.now(),
                            request_id=request_id,
                            method=method,
                            route=route,
                            status=status,
                            duration_ms=round(elapsed * 1000, 3),
                            tenant=getattr(auth, "tenant", None),
                        )
                    )

        return wrapped

    return middleware
