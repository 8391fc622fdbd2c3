"""Fault tests with real processes: a worker killed with SIGKILL in the middle of a refresh
(the job runs again and its effect lands exactly once), and Redis killed and restarted under
the API (503 problem+json while it is down, recovery by itself, no acknowledged write lost)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import redis as redis_sync
from litestar.testing import TestClient
from redis.asyncio import Redis

from rapport.api import create_app
from rapport.jobs.arq_queue import ArqJobQueue
from rapport.jobs.context import JobContext
from rapport.jobs.queue import REFRESH, JobState
from rapport.jobs.refresh import RefreshPayload, refresh_account, refresh_job_id
from rapport.plugins.http import PlatformHttp
from rapport.redis_launcher import RedisServer
from rapport.settings import Settings
from rapport.storage import keys
from rapport.storage.records import AccountRecord, decode
from tests.api.conftest import NDJSON, make_keys, ndjson_events
from tests.children import kill_group, popen
from tests.deadlines import scaled
from tests.jobs.conftest import finished, wait_for
from tests.jobs.helpers import EGO, HANDLE, TOKEN, replay, twitter_registry
from tests.jobs.replay_server import replay_server

RAPPORT = str(Path(sys.executable).with_name("rapport"))


@contextmanager
def worker_process(redis_url: str, base_url: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env |= {
        "RAPPORT_REDIS_URL": redis_url,
        "RAPPORT_TWITTER_BASE_URL": base_url,
        "RAPPORT_TWITTER_TOKEN": TOKEN,
        "RAPPORT_PLUGINS_ALLOW": "twitter",
        # A killed worker's job is picked up again once its in-progress marker expires
        # (the job timeout plus arq's margins): keep it short for the test.
        "RAPPORT_JOB_TIMEOUT_SECONDS": "3",
        "RAPPORT_WORKER_SHUTDOWN_SECONDS": "1",
    }
    with log.open("ab") as err:
        process = popen([RAPPORT, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=err)
    try:
        yield process
    finally:
        kill_group(process, grace=20)


async def _account_state(redis: Redis, tenant: str) -> tuple[object, ...]:
    k = keys.AccountKeys(tenant, "twitter", EGO)
    meta = await redis.get(k.meta)
    record = decode(meta, AccountRecord) if meta is not None else None
    return (
        None if record is None else record.events,
        await redis.hgetall(k.relationships),  # type: ignore[misc]
        await redis.zrange(k.seen, 0, -1, withscores=True),
        await redis.zrange(k.events, 0, -1, withscores=True),
    )


@pytest.mark.anyio
async def test_a_worker_killed_mid_job_runs_it_again_and_it_lands_exactly_once(
    redis_url: str, redis: Redis, queue: ArqJobQueue, settings: Settings, tmp_path: Path
) -> None:
    # The reference: the same refresh, run once, cleanly, for another tenant.
    reference = JobContext(
        settings=settings,
        redis=redis,
        queue=queue,
        registry=twitter_registry(),
        http=PlatformHttp(transport=httpx.MockTransport(replay())),
        webhooks=httpx.AsyncClient(),
        environ={"RAPPORT_TWITTER_BASE_URL": "http://127.0.0.1:9", "RAPPORT_TWITTER_TOKEN": TOKEN},
    )
    try:
        await refresh_account(
            reference, RefreshPayload(tenant="control", platform="twitter", account=HANDLE)
        )
    finally:
        await reference.http.aclose()
        await reference.webhooks.aclose()
    expected = await _account_state(redis, "control")
    assert expected[0]

    log = tmp_path / "workers.log"
    with replay_server(replay(), hold="/mentions") as platform:
        job_id = refresh_job_id("acme", "twitter", HANDLE)
        payload = {"tenant": "acme", "platform": "twitter", "account": HANDLE}
        await queue.enqueue(REFRESH, payload, job_id=job_id)
        with worker_process(redis_url, platform.base_url, log) as first:
            await wait_for(platform.held.is_set, timeout=60)
            # Mid-job: the timeline is ingested, the mentions request is in flight.
            partial = await _account_state(redis, "acme")
            assert partial[0], "the first try should have ingested part of the refresh"
            first.send_signal(signal.SIGKILL)
            first.wait(scaled(10))
        platform.release.set()
        running = await queue.status(job_id)
        assert running is not None
        assert running.state is JobState.RUNNING  # orphaned: nobody finishes it

        with worker_process(redis_url, platform.base_url, log):
            info = await finished(queue, job_id, timeout=90)
    assert info.state is JobState.COMPLETE, (info.error, log.read_text()[-3000:])
    assert info.tries == 2
    assert await _account_state(redis, "acme") == expected


def _kill_redis(server: RedisServer) -> None:
    client = redis_sync.Redis.from_url(server.url)
    pid = int(client.info("server")["process_id"])  # type: ignore[index]
    client.close()
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + scaled(10)
    while server.ping():
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_redis_killed_and_restarted_under_the_api_loses_no_acknowledged_write(
    tmp_path: Path,
) -> None:
    server = RedisServer(tmp_path / "redis", appendonly=True)
    server.start()
    try:
        control = redis_sync.Redis.from_url(server.url)
        control.config_set("appendfsync", "always")
        control.close()
        [key] = make_keys(server.url, "acme")
        auth = {"Authorization": f"Bearer {key}"}
        app = create_app(Settings(), redis_url=server.url, load_plugins=False)
        with TestClient(app, raise_server_exceptions=False) as client:
            acked = 0
            for batch in range(5):
                body = ndjson_events(20, ego=f"user{batch}")
                response = client.post("/v1/ingest", content=body, headers=auth | NDJSON)
                assert response.status_code == 200, response.text
                acked += response.json()["accepted"]
            # A refresh job accepted (202) is an acknowledged write too.
            queued = client.post("/v1/accounts/twitter/jack/refresh", headers=auth)
            assert queued.status_code == 202

            _kill_redis(server)  # SIGKILL: no shutdown, no final AOF rewrite
            for path in ("/v1/accounts", "/readyz"):
                down = client.get(path, headers=auth)
                assert down.status_code == 503, (path, down.text)
                assert down.headers["content-type"].startswith("application/problem+json")
                assert down.json()["status"] == 503
            refused = client.post("/v1/ingest", content=ndjson_events(5), headers=auth | NDJSON)
            assert refused.status_code == 503  # not acknowledged, so not expected back

            restarted = RedisServer(tmp_path / "redis", port=server.port, appendonly=True)
            restarted.start()
            server = restarted
            deadline = time.monotonic() + scaled(30)
            while client.get("/readyz").status_code != 200:
                assert time.monotonic() < deadline, "the API did not recover"
                time.sleep(0.1)
            listed = client.get("/v1/accounts", headers=auth)
            assert listed.status_code == 200
            events = {a["account"]: a["events"] for a in listed.json()["accounts"]}
            assert sum(events[f"user{b}"] for b in range(5)) == acked
            assert "alice" not in events
            job = client.get(queued.json()["status_url"], headers=auth)
            assert job.status_code == 200
            assert job.json()["state"] == "queued"
    finally:
        server.stop()
