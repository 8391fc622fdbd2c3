"""The access log: one JSON line per request on stderr, written in batches.

Why not a `logging` call per request: a LogRecord, the caller lookup, the formatter and a
flushed write cost about 20 µs a request, a third of what a cached score GET costs in all
(docs/api.md, Performance). Lines here are encoded by msgspec from one Struct and written at
most every `FLUSH_SECONDS` (or when `MAX_BUFFER` bytes wait), and at shutdown. They have the
same shape as every other `rapport.*` log line (`observability.JsonFormatter`), and follow the
`rapport.api` logger's level: INFO and below write them, WARNING and above do not.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from typing import BinaryIO

import msgspec

__all__ = ["FLUSH_SECONDS", "MAX_BUFFER", "AccessLine", "AccessLog"]

FLUSH_SECONDS = 0.05
MAX_BUFFER = 64 * 1024


class AccessLine(msgspec.Struct, kw_only=True):
    """One request. Nothing from headers or bodies: keys and payloads never reach the logs."""

    ts: float
    level: str = "INFO"
    logger: str = "rapport.api"
    msg: str = "request"
    request_id: str
    method: str
    route: str
    status: int
    duration_ms: float
    tenant: str | None


class AccessLog:
    """Buffers access lines and writes them to `stream` (default: stderr) in batches."""

    def __init__(self, stream: BinaryIO | None = None) -> None:
        self.stream = stream
        self._level = logging.getLogger("rapport.api")
        self._encoder = msgspec.json.Encoder()
        self._buffer = bytearray()
        self._scheduled = False

    @property
    def enabled(self) -> bool:
        return self._level.isEnabledFor(logging.INFO)

    def write(self, line: AccessLine) -> None:
        self._encoder.encode_into(line, self._buffer, -1)
        self._buffer += b"\n"
        if len(self._buffer) >= MAX_BUFFER:
            self.flush()
        elif not self._scheduled:
            try:
                asyncio.get_running_loop().call_later(FLUSH_SECONDS, self.flush)
                self._scheduled = True
            except RuntimeError:  # no loop (a synchronous caller): write at once
                self.flush()

    def flush(self) -> None:
        self._scheduled = False
        if not self._buffer:
            return
        data, self._buffer = bytes(self._buffer), bytearray()
        stream = self.stream or sys.stderr.buffer
        try:
            stream.write(data)
            stream.flush()
        except (OSError, ValueError):  # a closed or broken stderr must not fail requests
            pass

    @staticmethod
    def now() -> float:
        return round(time.time(), 6)
