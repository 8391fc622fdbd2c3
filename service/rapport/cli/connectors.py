"""`rapport connectors`, `rapport fetch` and `rapport new-connector`: the connector commands.

They only talk to the plugin host's typed API (rapport.plugins.host), so what they show is
what the service would load: the same entry points, allow/block lists and strict mode.
"""

from __future__ import annotations

import asyncio
import enum
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, Annotated, Any

import msgspec
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from rapport.cli.errors import fail, handle_input_errors
from rapport.cli.output import FORMAT_HELP, pick_format
from rapport.cli.tables import Column, Layout, fit_table, left_out_note
from rapport.errors import RapportError
from rapport.model import MissingData, canonical_platform
from rapport.plugins.connector import Connector
from rapport.plugins.host import (
    ConnectorRegistry,
    config_env_var,
    connector_config,
    load_connectors,
)
from rapport.plugins.http import PlatformHttp
from rapport.plugins.scaffold import write_package
from rapport.settings import Settings

__all__ = ["register"]


class Format(enum.StrEnum):
    TABLE = "table"
    JSON = "json"


def register(app: typer.Typer) -> None:
    app.command("connectors")(connectors)
    app.command("fetch", no_args_is_help=True)(fetch)
    app.command("new-connector", no_args_is_help=True)(new_connector)


@contextmanager
def _one_line_errors() -> Iterator[None]:
    """Every deliberate error (bad input, platform refusal, rate limit, strict plugin load)
    as one line on stderr and exit code 2."""
    with handle_input_errors():
        try:
            yield
        except RapportError as exc:
            fail(str(exc))
        except NotImplementedError as exc:  # e.g. fetch from an archive-only connector
            fail(str(exc))


def _registry() -> ConnectorRegistry:
    return load_connectors(Settings.from_env())


def _capability_names(connector: Connector) -> list[str]:
    caps = connector.capabilities
    names = ["followers", "following", "posts", "mentions", "messages"]
    return [name for name in names if getattr(caps, name)]


def _describe(registry: ConnectorRegistry) -> dict[str, Any]:
    plugin_of = {c: p for p in registry.plugins for c in p.connectors}
    items = []
    for name, connector in sorted(registry.connectors.items()):
        plugin = plugin_of.get(name)
        items.append(
            {
                "name": name,
                "version": connector.version,
                "plugin": plugin.name if plugin else None,
                "distribution": plugin.distribution if plugin else None,
                "capabilities": _capability_names(connector),
                "archive_formats": list(connector.capabilities.archive_formats),
                "config": [
                    config_env_var(connector, field.name)
                    for field in msgspec.structs.fields(connector.config_type)
                ],
            }
        )
    errors = [{"plugin": e.plugin, "message": e.message} for e in registry.errors]
    return {"connectors": items, "errors": errors}


def connectors(
    output: Annotated[
        Format | None,
        typer.Option(
            "--format",
            "-f",
            help=f"table for people, json for programs {FORMAT_HELP}.",
            metavar="table|json",
        ),
    ] = None,
) -> None:
    """List installed connectors: version, capabilities, configuration and load errors."""
    with _one_line_errors():
        described = _describe(_registry())
    if pick_format(output, table=Format.TABLE, json=Format.JSON) is Format.JSON:
        sys.stdout.write(msgspec.json.encode(described).decode() + "\n")
        return
    console = Console()
    table, layout = fit_table(console, "Connectors", _connector_layouts(described["connectors"]))
    console.print(table)
    note = left_out_note(layout, console.width)
    if note is not None:
        console.print(note)
    if described["errors"]:
        errors, _ = fit_table(
            console,
            "Plugins that failed to load",
            [
                Layout(
                    [Column("plugin"), Column("error", wrap=True, min_width=20)],
                    [[error["plugin"], error["message"]] for error in described["errors"]],
                )
            ],
        )
        console.print(errors)


def _connector_layouts(items: list[dict[str, Any]]) -> list[Layout]:
    """From every column down to what configuring a connector needs: its name, the exports
    it reads and its variables (versions and distributions are in --format json)."""
    cells = {
        "name": [item["name"] for item in items],
        "version": [item["version"] for item in items],
        "can fetch": [", ".join(item["capabilities"]) or "-" for item in items],
        "archives": ["\n".join(item["archive_formats"]) or "-" for item in items],
        "configuration": ["\n".join(item["config"]) or "-" for item in items],
        "from": [item["distribution"] or item["plugin"] or "-" for item in items],
    }
    wraps = {"can fetch": 10}

    def layout(*shown: str) -> Layout:
        columns = [Column(h, wrap=h in wraps, min_width=wraps.get(h, 0)) for h in shown]
        rows = [[cells[h][i] for h in shown] for i in range(len(items))]
        return Layout(columns, rows, [h for h in cells if h not in shown])

    return [
        layout(*cells),
        layout("name", "can fetch", "archives", "configuration"),
        layout("name", "archives", "configuration"),
    ]


@contextmanager
def _atomic_output(path: Path) -> Iterator[IO[bytes]]:
    """Write to a temporary file beside `path` and rename it into place only on success, so
    an interrupted fetch never leaves a half-written file that looks complete."""
    directory = path.parent if str(path.parent) else Path()
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed or removed below
        "wb", dir=directory, prefix=f".{path.name}.", suffix=".part", delete=False
    )
    try:
        with handle:
            yield handle
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


async def _fetch_to(
    connector: Connector,
    account: str,
    config: Any,
    since: str | None,
    out: IO[bytes],
    profiles_out: IO[bytes] | None,
    progress: Progress | None,
) -> tuple[int, str | None, list[MissingData]]:
    count, cursor = 0, since
    missing: list[MissingData] = []
    task = progress.add_task(f"{connector.name} {account}", total=None) if progress else None
    async with PlatformHttp() as http:
        async for page in connector.fetch(account, http=http, config=config, since=since):
            for event in page.interactions:
                out.write(msgspec.json.encode(event) + b"\n")
            if profiles_out is not None:
                for profile in page.profiles:
                    profiles_out.write(msgspec.json.encode(profile) + b"\n")
            count += len(page.interactions)
            cursor = page.cursor or cursor
            missing.extend(m for m in page.missing if m not in missing)
            if progress is not None and task is not None:
                progress.update(task, description=f"{connector.name} {account}: {count} events")
    return count, cursor, missing


def fetch(
    platform: Annotated[
        str,
        typer.Argument(
            help="Connector name, any case: mastodon, twitter (or x), ...",
            metavar="PLATFORM",
            parser=canonical_platform,
        ),
    ],
    account: Annotated[
        str,
        typer.Argument(help="The account to fetch, as the platform names it.", metavar="ACCOUNT"),
    ],
    out: Annotated[
        Path,
        typer.Option("--out", help="JSON Lines file of interactions to write.", metavar="FILE"),
    ],
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="API base URL (an instance, staging or a replay server).",
            metavar="URL",
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="The cursor the previous fetch printed.", metavar="CURSOR"),
    ] = None,
    profiles: Annotated[
        Path | None,
        typer.Option("--profiles", help="Also write profiles, as JSON Lines.", metavar="FILE"),
    ] = None,
) -> None:
    """Fetch an account's interactions from a platform API into a JSON Lines file.

    Credentials come from RAPPORT_<PLATFORM>_TOKEN (and the other variables `rapport
    connectors` lists). Prints the new cursor on stdout: pass it as --since next time.
    """
    with _one_line_errors():
        connector = _registry().get(platform)
        config = connector_config(connector, overrides={"base_url": base_url})
        show = sys.stderr.isatty()
        progress = (
            Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            if show
            else None
        )
        try:
            with ExitStack() as stack:
                events_file = stack.enter_context(_atomic_output(out))
                profiles_file = stack.enter_context(_atomic_output(profiles)) if profiles else None
                if progress is not None:
                    stack.enter_context(progress)
                count, cursor, missing = asyncio.run(
                    _fetch_to(
                        connector, account, config, since, events_file, profiles_file, progress
                    )
                )
        except OSError as exc:
            fail(f"cannot write {exc.filename or out}: {exc.strerror or exc}")
    for item in missing:
        sys.stderr.write(f"rapport: missing: {item.data} ({item.effect})\n")
    sys.stderr.write(f"rapport: wrote {count} interactions to {out}\n")
    if cursor is not None:
        sys.stdout.write(cursor + "\n")


def new_connector(
    name: Annotated[
        str, typer.Argument(help="Platform name, lower case, e.g. pixelfed.", metavar="NAME")
    ],
    directory: Annotated[
        Path,
        typer.Option("--dir", help="Where to create the rapport-NAME folder.", metavar="DIR"),
    ] = Path(),
) -> None:
    """Create a connector package (entry point, connector, recorded fixtures, contract test)
    that passes Rapport's contract kit as generated."""
    with _one_line_errors():
        try:
            root = write_package(name, directory)
        except OSError as exc:
            fail(f"cannot write {exc.filename or directory}: {exc.strerror or exc}")
    sys.stdout.write(
        f"created {root}\n"
        f"next: cd {root} && pip install -e '.[test]' && pytest\n"
        "then: adapt connector.py and the fixtures to your platform (docs/connectors.md)\n"
    )
