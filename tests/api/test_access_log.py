"""The batched access log: lines reach the stream, in order, on time, at shutdown, and only at
INFO and below."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterator

import msgspec
import pytest

from rapport.api.access_log import FLUSH_SECONDS, MAX_BUFFER, AccessLine, AccessLog


def _line(n: int) -> AccessLine:
    return AccessLine(
        ts=1.5,
        request_id=f"id-{n}",
        method="GET",
        route="/v1/accounts",
        status=200,
        duration_ms=0.25,
        tenant="acme",
    )


def _decoded(stream: io.BytesIO) -> list[dict[str, object]]:
    return [msgspec.json.decode(line) for line in stream.getvalue().splitlines()]


@pytest.fixture
def api_logger_level() -> Iterator[logging.Logger]:
    logger = logging.getLogger("rapport.api")
    level = logger.level
    yield logger
    logger.setLevel(level)


def test_lines_wait_for_the_timer_then_arrive_in_order() -> None:
    stream = io.BytesIO()
    log = AccessLog(stream)

    async def scenario() -> tuple[int, list[dict[str, object]]]:
        for n in range(3):
            log.write(_line(n))
        before = len(stream.getvalue())
        await asyncio.sleep(FLUSH_SECONDS * 4)
        return before, _decoded(stream)

    before, lines = asyncio.run(scenario())
    assert before == 0
    assert [line["request_id"] for line in lines] == ["id-0", "id-1", "id-2"]
    assert lines[0] == {
        "ts": 1.5,
        "level": "INFO",
        "logger": "rapport.api",
        "msg": "request",
        "request_id": "id-0",
        "method": "GET",
        "route": "/v1/accounts",
        "status": 200,
        "duration_ms": 0.25,
        "tenant": "acme",
    }


def test_a_full_buffer_is_written_at_once() -> None:
    stream = io.BytesIO()
    log = AccessLog(stream)

    async def scenario() -> int:
        n = 0
        while not stream.getvalue():
            log.write(_line(n))
            n += 1
        return n

    written = asyncio.run(scenario())
    size = len(stream.getvalue())
    last = len(msgspec.json.encode(_line(written - 1))) + 1
    assert size - last < MAX_BUFFER <= size  # the line that filled the buffer sent it
    assert len(_decoded(stream)) == written


def test_without_an_event_loop_a_line_is_written_at_once() -> None:
    stream = io.BytesIO()
    AccessLog(stream).write(_line(7))
    assert _decoded(stream)[0]["request_id"] == "id-7"


def test_follows_the_api_logger_level(api_logger_level: logging.Logger) -> None:
    log = AccessLog(io.BytesIO())
    api_logger_level.setLevel(logging.WARNING)
    assert not log.enabled
    api_logger_level.setLevel(logging.INFO)
    assert log.enabled


def test_a_broken_stream_never_fails_the_caller() -> None:
    stream = io.BytesIO()
    log = AccessLog(stream)
    stream.close()
    log.write(_line(1))  # would raise ValueError on a closed stream if not contained
    log.flush()
