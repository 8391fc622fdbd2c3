"""Running `rapport` as a person does: through typer's CliRunner at a chosen terminal width,
or the installed script with its output going into a real pipe or a real terminal (a pty)."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

from rich.cells import cell_len
from typer.testing import CliRunner, Result

from rapport.cli import app

__all__ = ["RAPPORT", "invoke", "run_in_pipe", "run_in_terminal", "widest_line"]

RAPPORT = str(Path(sys.executable).with_name("rapport"))
_RUNNER = CliRunner()
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
#: Generous: a slow, shared machine passes, only later.
_WAIT = 120.0


def invoke(*args: str, columns: int = 80, stdin: str | None = None) -> Result:
    """`rapport ARGS` in-process, with COLUMNS set as a terminal of that width would."""
    return _RUNNER.invoke(app, list(args), input=stdin, env={"COLUMNS": str(columns)})


def run_in_pipe(*args: str, columns: int = 80) -> subprocess.CompletedProcess[str]:
    """The installed `rapport` with stdout and stderr into pipes."""
    return subprocess.run(
        [RAPPORT, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": str(columns)},
        check=False,
        timeout=_WAIT,
    )


def run_in_terminal(*args: str, columns: int = 80) -> tuple[int, str]:
    """The installed `rapport` with stdout on a pseudo-terminal: its exit code and what it
    printed there, without colour codes and with plain line ends."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [RAPPORT, *args],
        stdout=terminal,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": str(columns), "TERM": "xterm"},
    )
    os.close(terminal)
    chunks = []
    try:
        while select.select([controller], [], [], _WAIT)[0]:
            try:
                chunk = os.read(controller, 1 << 16)
            except OSError:  # EIO: the terminal's other end is closed, the command is done
                break
            if not chunk:
                break
            chunks.append(chunk)
        code = process.wait(timeout=_WAIT)
    finally:
        os.close(controller)
        if process.poll() is None:
            process.kill()
            process.wait()
    text = b"".join(chunks).decode("utf-8").replace("\r\n", "\n")
    return code, _ANSI.sub("", text)


def widest_line(text: str) -> int:
    """The widest line, in terminal cells."""
    return max((cell_len(line) for line in text.splitlines()), default=0)
