"""Every command's help reads well at 80 columns, and every mistake on the command line is one
line, `rapport: error: ...`, exit code 2: no framed box, no usage block, no traceback."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import typer.main

from rapport.cli import app
from tests.cli.running import invoke, run_in_pipe, widest_line

ONE_LINE = re.compile(r"rapport: error: [^\n]+ \(see `rapport[a-z -]* --help`\)\n")


def command_paths() -> Iterator[list[str]]:
    """[], ["score"], ..., ["keys", "create"], ...: every command and group, walked."""

    def walk(command: object, path: list[str]) -> Iterator[list[str]]:
        yield path
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, [*path, name])

    yield from walk(typer.main.get_command(app), [])


COMMANDS = list(command_paths())
LEAVES = [path for path in COMMANDS if path and path != ["keys"]]


def test_the_walk_finds_every_command() -> None:
    names = {" ".join(path) for path in COMMANDS}
    assert names >= {"score", "connectors", "fetch", "new-connector", "api", "worker", "up"}
    assert names >= {"keys create", "keys list", "keys revoke"}


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "rapport")
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_reads_well_at_80_columns(path: list[str], flag: str) -> None:
    result = invoke(*path, flag, columns=80)
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith(f"Usage: rapport {' '.join(path)}".rstrip())
    assert widest_line(text) <= 80
    typed = re.search(r"--[\w-]+ <(bool|str|int|float|path|text)\b", text)
    assert not typed, f"an option shows a type instead of a name: {typed}"
    assert not re.search(r"RAPPORT__|RAPPORT_\s", text), "an eaten <PLATFORM>"
    assert "╭" not in text  # no rich panels
    if "Commands:" in text:
        assert "..." not in text.split("Commands:")[1], "a command summary was cut"


def test_help_shows_what_was_written() -> None:
    fetch = " ".join(invoke("fetch", "--help").stdout.split())
    assert "RAPPORT_<PLATFORM>_TOKEN" in fetch
    assert "`rapport connectors` lists" in fetch
    score = " ".join(invoke("score", "--help").stdout.split())
    assert "--demo Score the bundled example dataset, as if exported on the --as-of day." in score
    assert "--platform NAME" in score
    assert "-f, --format table|json|jsonl" in score


def test_the_command_list_gives_whole_sentences() -> None:
    text = " ".join(invoke("--help").stdout.split())
    assert "score Score how genuine an account's network is, from its interactions." in text
    assert "fetch Fetch an account's interactions from a platform API into a JSON Lines file." in (
        text
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["score", "--demo", "--format", "xml"], "--format: 'xml' is not one of"),
        (["score", "--demo", "--top", "-1"], "--top: input should be greater than or equal to 0"),
        (["score", "--demo", "--top", "many"], "--top: input should be a valid integer"),
        (["score", "--demo", "--as-of"], "option '--as-of' requires an argument"),
        (["score", "--demo", "--bogus"], "no such option: --bogus"),
        (["connectors", "--format", "yaml"], "--format: 'yaml' is not one of 'table', 'json'"),
        (["fetch", "mastodon"], "missing argument 'ACCOUNT'"),
        (["fetch", "mastodon", "ada"], "missing option '--out'"),
        (["keys", "create"], "missing option '--tenant'"),
        (["keys", "revoke"], "missing argument 'KEY_ID'"),
        (["keys", "rotate"], "no such command 'rotate'"),
        (["scor"], "no such command 'scor'. Did you mean 'score'?"),
        (["api", "--port", "0"], "--port: input should be greater than or equal to 1"),
        (["up", "--port", "70000"], "--port: input should be less than or equal to 65535"),
        (["worker", "now"], "got unexpected extra argument(s) (now)"),
    ],
)
def test_usage_errors_are_one_line_with_exit_2(args: list[str], message: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert ONE_LINE.fullmatch(result.stderr), result.stderr
    assert message in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("path", LEAVES, ids=" ".join)
def test_an_unknown_option_is_one_line_for_every_command(path: list[str]) -> None:
    result = invoke(*path, "--frobnicate")
    assert result.exit_code == 2, result.output
    assert ONE_LINE.fullmatch(result.stderr), result.stderr
    assert f"(see `rapport {' '.join(path)} --help`)" in result.stderr


@pytest.mark.parametrize(
    "args",
    [["score", "--format", "xml", "--demo"], ["score", "--top", "-1", "--demo"], ["nope"]],
    ids=" ".join,
)
def test_the_installed_script_is_one_line_too(args: list[str]) -> None:
    proc = run_in_pipe(*args)
    assert proc.returncode == 2
    assert ONE_LINE.fullmatch(proc.stderr), proc.stderr
    assert proc.stdout == ""


def test_no_arguments_still_shows_the_help() -> None:
    result = invoke("score")
    assert "Usage: rapport score [OPTIONS]" in result.output
    assert "--events FILE" in result.output
