"""The queue on a Sentinel-managed Redis: a real `redis-server --sentinel` in front of the
worker's real Redis, reached through a `redis+sentinel://` URL, as RAPPORT_QUEUE_REDIS_URL."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis.asyncio.sentinel import MasterNotFoundError

from rapport.errors import InputError
from rapport.jobs.arq_queue import ArqJobQueue
from rapport.jobs.queue import NOOP
from rapport.jobs.redis_url import parse_sentinel_url
from rapport.redis_launcher import RedisServer, find_redis_server, free_port
from tests.children import kill_group, popen
from tests.deadlines import scaled

pytestmark = pytest.mark.anyio


@pytest.fixture
def sentinel(redis_server: RedisServer, tmp_path: Path) -> Iterator[int]:
    """A sentinel monitoring the test worker's Redis as `rapportq`; yields its port."""
    port = free_port()
    conf = tmp_path / "sentinel.conf"
    conf.write_text(
        f"port {port}\nbind 127.0.0.1\ndir {tmp_path}\n"
        f"sentinel monitor rapportq 127.0.0.1 {redis_server.port} 1\n"
        "sentinel down-after-milliseconds rapportq 60000\n"
    )
    process = popen(
        [find_redis_server(), str(conf), "--sentinel"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + scaled(10)
        while True:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert process.poll() is None, "the sentinel exited"
            assert time.monotonic() < deadline, "the sentinel never listened"
            time.sleep(0.05)
        yield port
    finally:
        kill_group(process)


async def test_the_queue_runs_through_a_sentinel_url(sentinel: int, redis_url: str) -> None:
    del redis_url  # the fixture empties the worker's Redis, which the sentinel points at
    queue = ArqJobQueue.from_url(f"redis+sentinel://127.0.0.1:{sentinel}/rapportq/0")
    try:
        created = await queue.enqueue(NOOP, {}, job_id="via-sentinel")
        assert created.created
        info = await queue.status("via-sentinel")
        assert info is not None
        assert await queue.depth() == 1
    finally:
        await queue.aclose()

    unknown = ArqJobQueue.from_url(f"redis+sentinel://127.0.0.1:{sentinel}/nosuch/0")
    try:
        with pytest.raises(MasterNotFoundError):
            await unknown.enqueue(NOOP, {}, job_id="nowhere")
    finally:
        await unknown.aclose()


def test_sentinel_urls_parse_and_bad_ones_are_named() -> None:
    parsed = parse_sentinel_url("redis+sentinel://:s3cret@10.0.0.1:26379,[::1]:26380/jobs/2")
    assert parsed.sentinels == [("10.0.0.1", 26379), ("::1", 26380)]
    assert (parsed.service, parsed.db, parsed.password) == ("jobs", 2, "s3cret")
    assert parse_sentinel_url("redis+sentinel://h/jobs").sentinels == [("h", 26379)]
    for bad in (
        "redis+sentinel://h:1",
        "redis+sentinel://h:x/jobs",
        "redis+sentinel://h:1/a/b/c",
        "redis+sentinel://:pw@h:1",
    ):
        with pytest.raises(InputError) as caught:
            parse_sentinel_url(bad)
        assert "pw" not in str(caught.value)
