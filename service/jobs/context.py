"""What a running job may use: opened once per worker, handed to every job."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx
from redis.asyncio import Redis

from service.jobs.queue import JobQueue
from service.metric import MetricConfig
from service.plugins.host import ConnectorRegistry
from service.plugins.http import PlatformHttp
from service.settings import Settings

__all__ = ["JobContext"]


@dataclass
class JobContext:
    """The worker's resources. `redis` is the data Redis (storage), `queue` the job queue (which
    may be another Redis); `http` is the one shared client connectors talk through, and
    `webhooks` the client deliveries are posted with (no redirects, short timeout)."""

    settings: Settings
    redis: Redis
    queue: JobQueue
    registry: ConnectorRegistry
    http: PlatformHttp
    webhooks: httpx.AsyncClient
    config: MetricConfig = field(default_factory=MetricConfig)
    clock: Callable[[], float] = time.time
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    #: Set when deliveries were queued, so the delivery pump runs now rather than on its tick.
    wake_pump: asyncio.Event = field(default_factory=asyncio.Event)
