"""Background loops log an outage once and its end once (rapport.jobs.outage), not a line per
retry: measured against a real Redis that goes away while the delivery pump runs."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from rapport.jobs.arq_queue import ArqJobQueue
from rapport.jobs.context import JobContext
from rapport.jobs.delivery import pump_forever
from rapport.jobs.outage import OutageLog
from rapport.plugins.host import ConnectorRegistry
from rapport.plugins.http import PlatformHttp
from rapport.redis_launcher import RedisServer
from rapport.settings import Settings
from tests.deadlines import wait_until

LOGGER = "rapport.jobs"


def test_an_outage_is_two_lines_however_many_tries(caplog: pytest.LogCaptureFixture) -> None:
    outage = OutageLog(logging.getLogger(LOGGER), "the thing")
    with caplog.at_level(logging.INFO, LOGGER):
        outage.succeeded()  # nothing was failing: nothing to say
        for _ in range(50):
            outage.failed(ConnectionError("gone"))
        assert outage.failing
        outage.succeeded()
        outage.succeeded()
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == [
        "the thing failing",
        "the thing works again after 0 s",
    ]
    assert "(50 failed tries)" in caplog.records[1].getMessage()


@pytest.mark.anyio
async def test_the_delivery_pump_logs_a_redis_outage_once(
    tmp_path: Path, queue: ArqJobQueue, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with RedisServer(tmp_path / "gone") as server:
        redis = Redis.from_url(server.url, socket_timeout=5, socket_connect_timeout=5)
        jc = JobContext(
            settings=settings,
            redis=redis,
            queue=queue,
            registry=ConnectorRegistry(),
            http=PlatformHttp(),
            webhooks=httpx.AsyncClient(),
        )
        stop = asyncio.Event()
        with caplog.at_level(logging.INFO, LOGGER):
            pump = asyncio.create_task(pump_forever(jc, interval=0.01, stop=stop))
            await asyncio.sleep(0.2)
            server.stop()  # Redis goes away under the running pump

            def failing() -> bool:
                return any("delivery pump failing" in r.getMessage() for r in caplog.records)

            await asyncio.to_thread(wait_until, failing, "the pump notices the outage")
            await asyncio.sleep(0.5)  # dozens of further tries at 0.01 s
            stop.set()
            await pump
        await redis.aclose()
        await jc.webhooks.aclose()
    messages = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert len([m for m in messages if "delivery pump" in m]) == 1, messages
