"""`rapport score`: the metric offline, no server, for one account or every account in a file."""

from __future__ import annotations

import enum
import sys
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Annotated

import msgspec
import typer
from rich.console import Console

from rapport.cli.errors import fail, handle_input_errors
from rapport.cli.output import FORMAT_HELP, pick_format
from rapport.cli.progress import progress_reader
from rapport.cli.render import render_report
from rapport.cli.thresholds import with_thresholds
from rapport.demo import DEMO_AS_OF, demo_events_path, load_demo
from rapport.eventsfile import read_events, read_profiles
from rapport.metric import (
    AccountEvents,
    MetricConfig,
    MissingData,
    ScoreReport,
    group_by_account,
    load_config,
    score_events,
)
from rapport.metric.decay import epoch
from rapport.model import AccountRef, Interaction, Profile, canonical_platform
from rapport.plugins.host import read_archive

__all__ = ["register"]


class OutputFormat(enum.StrEnum):
    json = "json"
    jsonl = "jsonl"
    table = "table"


def register(app: typer.Typer) -> None:
    app.command("score", no_args_is_help=True)(score)


def parse_as_of(value: str) -> datetime:
    try:
        parsed = msgspec.convert(value, datetime)
    except msgspec.ValidationError:
        fail(f"--as-of: {value!r} is not an RFC 3339 timestamp (e.g. 2024-05-01T12:00:00Z)")
    if parsed.tzinfo is None:
        fail(f"--as-of: {value!r} has no timezone (add Z or an offset like +02:00)")
    return parsed


def _config(path: Path | None) -> MetricConfig:
    if path is None:
        return MetricConfig()
    try:
        data = path.read_bytes()
    except OSError as exc:
        fail(f"--config: cannot read {path}: {exc.strerror}")
    return load_config(data, source=str(path), fmt=path.suffix.lstrip(".").lower())


def _open(path: str, stack: ExitStack, label: str) -> tuple[IO[bytes], str]:
    if path == "-":
        return sys.stdin.buffer, "<stdin>"
    try:
        handle = stack.enter_context(Path(path).open("rb"))  # noqa: SIM115 - closed by the stack
    except OSError as exc:
        fail(f"{label}: cannot read {path}: {exc.strerror}")
    return handle, path


def score(
    events: Annotated[
        str | None,
        typer.Option(
            "--events",
            "-e",
            help="JSON Lines of normalised interactions (docs/metric.md), or - for stdin.",
            metavar="FILE",
        ),
    ] = None,
    archive: Annotated[
        str | None,
        typer.Option(
            "--archive",
            "-a",
            help="A platform's data export (zip or unpacked folder); the platform is detected.",
            metavar="PATH",
        ),
    ] = None,
    platform: Annotated[
        str | None,
        typer.Option(
            "--platform",
            help="The archive's platform (twitter or x, mastodon, linkedin, ...; any case), "
            "when detection is not wanted.",
            metavar="NAME",
            parser=canonical_platform,
        ),
    ] = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo", help="Score the bundled example dataset, as if exported on the --as-of day."
        ),
    ] = False,
    profiles: Annotated[
        str | None,
        typer.Option(
            "--profiles",
            help="JSON Lines of profiles (authenticity rules, audience relevance).",
            metavar="FILE",
        ),
    ] = None,
    ego: Annotated[
        str | None,
        typer.Option(
            "--ego",
            help="Score only this account (default: every ego in the input).",
            metavar="ACCOUNT",
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Score as of this RFC 3339 instant (default: now; an archive's or the demo's "
            "own date).",
            metavar="WHEN",
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="Metric config overrides, .toml or .json.", metavar="FILE"),
    ] = None,
    top: Annotated[
        int,
        typer.Option(
            "--top",
            min=0,
            help="Relationships to list, strongest first, vetoed last; 0 = all.",
            metavar="N",
        ),
    ] = 20,
    output: Annotated[
        OutputFormat | None,
        typer.Option(
            "--format",
            "-f",
            help=f"table for people, json or jsonl (one line per account) for programs "
            f"{FORMAT_HELP}.",
            metavar="table|json|jsonl",
        ),
    ] = None,
) -> None:
    """Score how genuine an account's network is, from its interactions.

    Reads normalised events (--events), a platform's data-export archive (--archive, a zip or
    an unpacked folder) or the bundled example (--demo). Prints each component's points and
    inputs, the strongest relationships with their evidence, and what data was missing. Bad
    input stops with one line naming the file, the line and the field, and exit code 2.
    """
    if sum(x is not None for x in (events, archive)) + demo != 1:
        fail("give exactly one input: --events FILE, --archive PATH or --demo")
    if platform is not None and archive is None:
        fail("--platform goes with --archive")
    with handle_input_errors(), ExitStack() as stack:
        metric_config = _config(config)
        when = parse_as_of(as_of) if as_of else None
        if archive is not None:
            loaded = _from_archive(Path(archive), platform)
        elif demo:
            when = when or DEMO_AS_OF
            loaded = _from_demo(when, profiles, stack)
        else:
            assert events is not None
            loaded = _from_events(events, profiles, stack)
        chosen = _choose(loaded.accounts.keys(), ego, loaded.source)
        as_of_epoch = epoch(when or loaded.as_of or datetime.now(UTC))
        reports = [
            with_thresholds(
                score_events(
                    loaded.accounts[ref],
                    as_of=as_of_epoch,
                    config=metric_config,
                    profiles={
                        a: p for (plat, a), p in loaded.profiles.items() if plat == ref.platform
                    },
                    ego_profile=loaded.profiles.get((ref.platform, ref.account)),
                    top=top,
                    missing=loaded.missing,
                ),
                metric_config,
            )
            for ref in chosen
        ]
    _print(reports, output)


@dataclass(slots=True)
class _Loaded:
    """What any input source gives the scorer."""

    source: str
    accounts: dict[AccountRef, AccountEvents]
    profiles: dict[tuple[str, str], Profile]
    missing: list[MissingData]
    as_of: datetime | None = None


def _from_events(events: str, profiles: str | None, stack: ExitStack) -> _Loaded:
    stream, source = _open(events, stack, "--events")
    profile_map: dict[tuple[str, str], Profile] = {}
    if profiles is not None:
        profile_stream, profile_source = _open(profiles, stack, "--profiles")
        profile_map = read_profiles(profile_stream, profile_source)
    return _Loaded(
        source=source,
        accounts=group_by_account(_progress(stream, source)),
        profiles=profile_map,
        missing=_missing_profiles(profiles),
    )


def _from_demo(when: datetime, profiles: str | None, stack: ExitStack) -> _Loaded:
    """The bundled example moved to `when`'s day, events and profiles together, exactly as
    `rapport up --demo` loads it (rapport.demo), so both fire the same rules at one as_of."""
    demo = load_demo(when)
    profile_map = demo.profiles
    if profiles is not None:
        profile_stream, profile_source = _open(profiles, stack, "--profiles")
        profile_map = read_profiles(profile_stream, profile_source)
    return _Loaded(
        source=str(demo_events_path()),
        accounts=group_by_account(demo.events),
        profiles=profile_map,
        missing=[],
    )


def _from_archive(path: Path, platform: str | None) -> _Loaded:
    """Read an export archive through the connector that recognises it. Scoring defaults to
    the archive's own generation date: scoring a two-year-old export at today's date would
    decay every relationship away."""
    _connector, imported = read_archive(path, platform)
    profiles = {(p.platform, p.account): p for p in imported.profiles}
    if imported.ego_profile is not None:
        ego = imported.ego_profile
        profiles[(ego.platform, ego.account)] = ego
    accounts = group_by_account(imported.interactions)
    if not accounts:  # an archive with no interactions still scores (0, with its reasons)
        accounts = {imported.account: AccountEvents(imported.account)}
    return _Loaded(
        source=str(path),
        accounts=accounts,
        profiles=profiles,
        missing=list(imported.missing),
        as_of=imported.own_date(),
    )


def _progress(stream: IO[bytes], source: str) -> Iterator[Interaction]:
    with progress_reader(stream, "Reading events") as lines:
        yield from read_events(lines, source)


def _choose(refs: Iterable[AccountRef], ego: str | None, source: str) -> list[AccountRef]:
    available = sorted(refs, key=lambda r: (r.platform, r.account))
    if not available:
        fail(f"{source}: no events found")
    if ego is None:
        return available
    chosen = [r for r in available if r.account == ego]
    if not chosen:
        names = ", ".join(r.account for r in available[:10])
        more = f" and {len(available) - 10} more" if len(available) > 10 else ""
        fail(f"{source}: no events for ego {ego!r} (egos in the file: {names}{more})")
    return chosen


def _missing_profiles(profiles: str | None) -> list[MissingData]:
    if profiles is not None:
        return []
    return [
        MissingData(
            data="profiles",
            effect="no profiles file: authenticity is not measurable and focus is not "
            "adjusted for the number of accounts followed",
        )
    ]


def _print(reports: list[ScoreReport], output: OutputFormat | None) -> None:
    output = pick_format(output, table=OutputFormat.table, json=OutputFormat.json)
    if output is OutputFormat.table:
        console = Console()
        for report in reports:
            render_report(report, console)
        return
    out = sys.stdout.buffer
    if output is OutputFormat.json and len(reports) == 1:
        out.write(msgspec.json.format(msgspec.json.encode(reports[0]), indent=2) + b"\n")
        return
    for report in reports:
        out.write(msgspec.json.encode(report) + b"\n")
