"""What a running job may use: opened once per worker, handed to every job."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx
from redis.asyncio import Redis

from rapport.jobs.queue import JobQueue
from rapport.metric import MetricConfig
from rapport.plugins.host import ConnectorRegistry
from rapport.plugins.http import PlatformHttp
from rapport.settings import Settings

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
