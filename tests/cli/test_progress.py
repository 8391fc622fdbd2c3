"""Progress bars appear on a terminal for large inputs only, and never change the data."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from rapport.cli import progress
from rapport.cli.progress import PROGRESS_MIN_BYTES, progress_reader


def big_file(tmp_path: Path) -> Path:
    path = tmp_path / "big.jsonl"
    line = b"x" * 99 + b"\n"
    path.write_bytes(line * (PROGRESS_MIN_BYTES // len(line) + 10))
    return path


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_pipe_gets_no_bar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    created: list[object] = []
    monkeypatch.setattr(progress, "Progress", lambda *a, **k: created.append(1))
    path = big_file(tmp_path)
    with path.open("rb") as handle, progress_reader(handle, "Reading") as lines:
        assert sum(1 for _ in lines) == path.read_bytes().count(b"\n")
    assert created == []


def test_a_terminal_gets_a_bar_for_a_large_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stderr", FakeTerminal())
    bars: list[progress.Progress] = []

    class Recording(progress.Progress):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            bars.append(self)

    monkeypatch.setattr(progress, "Progress", Recording)
    path = big_file(tmp_path)
    with path.open("rb") as handle, progress_reader(handle, "Reading") as lines:
        data = b"".join(lines)
    assert data == path.read_bytes()
    assert len(bars) == 1
    (task,) = bars[0].tasks
    assert task.completed == task.total == len(data)


def test_a_small_file_gets_no_bar_even_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stderr", FakeTerminal())
    created: list[object] = []
    monkeypatch.setattr(progress, "Progress", lambda *a, **k: created.append(1))
    path = tmp_path / "small.jsonl"
    path.write_bytes(b"a\nb\n")
    with path.open("rb") as handle, progress_reader(handle, "Reading") as lines:
        assert list(lines) == [b"a\n", b"b\n"]
    assert created == []
