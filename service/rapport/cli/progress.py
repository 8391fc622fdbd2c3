"""Progress bars for long reads: on a terminal only, never in a pipe or a log file."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

__all__ = ["PROGRESS_MIN_BYTES", "progress_reader"]

#: Below this size a read is too quick for a bar to help.
PROGRESS_MIN_BYTES = 4 << 20


def _size(stream: IO[bytes]) -> int | None:
    try:
        return os.fstat(stream.fileno()).st_size
    except (OSError, ValueError, AttributeError):
        return None


@contextmanager
def progress_reader(stream: IO[bytes], label: str) -> Iterator[Iterator[bytes]]:
    """Yield the stream's lines, with a byte-based progress bar on stderr when it is a
    terminal and the input is a large regular file."""
    size = _size(stream)
    if size is None or size < PROGRESS_MIN_BYTES or not sys.stderr.isatty():
        yield iter(stream)
        return
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        transient=True,
    )
    with progress:
        task = progress.add_task(label, total=size)

        def lines() -> Iterator[bytes]:
            for line in stream:
                progress.advance(task, len(line))
                yield line

        yield lines()
