"""`rapport worker`: the background worker as deployed (arq, msgpack jobs), one process.

It needs `RAPPORT_REDIS_URL` (and `RAPPORT_QUEUE_REDIS_URL` when the queue lives elsewhere), or
a running `rapport up`, whose Redis it then shares (`rapport.cli.which_redis`).
SIGTERM or Ctrl-C stops it gracefully: no new jobs, running ones get
`RAPPORT_WORKER_SHUTDOWN_SECONDS` to finish, the rest run again on another worker.
"""

from __future__ import annotations

import asyncio
import logging

import msgspec
import typer

from rapport.api.observability import JsonFormatter, configure_logging
from rapport.cli.errors import handle_input_errors
from rapport.cli.which_redis import which_redis
from rapport.settings import Settings

__all__ = ["configure_worker_logging", "register", "worker"]


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)


def configure_worker_logging(level: str) -> None:
    """JSON lines on stderr for Rapport's logs and arq's (job start, retry, failure)."""
    configure_logging(level)
    arq_log = logging.getLogger("arq")
    arq_log.setLevel(level)
    if not any(getattr(h, "_rapport", False) for h in arq_log.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        handler._rapport = True  # type: ignore[attr-defined]
        arq_log.addHandler(handler)
        arq_log.propagate = False


def worker() -> None:
    """Run the background worker: account refreshes, archive ingestion, score recomputes,
    webhook deliveries."""
    from rapport.jobs.worker import run_worker

    with handle_input_errors():
        settings = Settings.from_env()
        settings = msgspec.structs.replace(settings, redis_url=which_redis(settings))
    configure_worker_logging(settings.log_level)
    asyncio.run(run_worker(settings))
