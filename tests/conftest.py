"""Shared test configuration. Fixtures that start real services live here so every test
module gets the same real parts."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import redis.asyncio as redis_asyncio
from hypothesis import HealthCheck, settings

from tests.children import SESSION_MARKER, survivors
from tests.deadlines import wait_until

if TYPE_CHECKING:
    from rapport.redis_launcher import RedisServer

# Hypothesis: no deadline (a per-example time limit is a timing assertion, and the machines are
# shared and noisy); in CI, derandomised so a run is reproducible from its log.
settings.register_profile("default", deadline=None)
settings.register_profile(
    "ci", deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci" if os.environ.get("CI") else "default")

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def pytest_configure(config: pytest.Config) -> None:
    """A new marker per session (the controller's; xdist workers inherit it), so that the
    processes this session starts can be told from any other session's."""
    if not hasattr(config, "workerinput"):
        os.environ[SESSION_MARKER] = uuid.uuid4().hex


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Fail the run when a process the suite started outlives it (after xdist has stopped its
    workers, and a scaled grace for processes still exiting); kill it so that none is left."""
    if hasattr(session.config, "workerinput"):
        return  # each worker's children are checked once, by the controller, at the very end
    marker = os.environ[SESSION_MARKER]
    basetemp = session.config._tmp_path_factory.getbasetemp()  # xdist workers' are inside it
    try:
        wait_until(lambda: not survivors(marker, basetemp), "the suite's children exit", 15)
    except AssertionError:
        left = survivors(marker, basetemp)
        for pid, _ in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        report = "\n".join(f"  {pid}: {command}" for pid, command in left)
        sys.stderr.write(f"\nFAILED: processes outlived the test session (now killed):\n{report}\n")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


# --- Real Redis (issue 4): one private redis-server per xdist worker (each worker is its own
# process, so "session" scope means "per worker"); every test gets it flushed. No fakeredis.


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    from rapport.redis_launcher import RedisServer

    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """URL of the worker's real Redis, emptied (FLUSHALL) for this test."""
    import redis

    client = redis.Redis.from_url(redis_server.url)
    try:
        client.flushall()
    finally:
        client.close()
    return redis_server.url


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio (anyio's pytest plugin), the loop the service runs on."""
    return "asyncio"


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[redis_asyncio.Redis]:
    """An asyncio client on the worker's real, freshly emptied Redis."""
    client = redis_asyncio.Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()
