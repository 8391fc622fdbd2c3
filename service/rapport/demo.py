"""The bundled example dataset, so a newcomer sees a real score in one command.

It is a made-up but typical account (scripts/make_demo_data.py writes it, deterministically): a
few close friends, colleagues, a friendship that went quiet, fans who only like, an account it
only admires, a bot ring and a blocked spammer.

The data was "exported" at `DEMO_AS_OF`; scored much later, decay would fade it all away. So the
demo is always read through `load_demo(as_of)`, which moves it forward as a whole: every event
*and* every profile date by the same number of whole days, so that it was exported on the day
of `as_of`. Moving only the events would make the bot ring's accounts years older than their
first contact and the `new_account` rule would stop firing; moving by whole days keeps every
event on the same UTC weekday and day bucket, so the demo tells the same story, and gives the
same score, whatever day it is read. `rapport score --demo` and `rapport up --demo` both load it
here, which is what makes the offline and the server demo agree at the same `as_of`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path

import msgspec

from rapport.eventsfile import read_events, read_profiles
from rapport.model import Interaction, Profile

__all__ = [
    "DEMO_AS_OF",
    "Demo",
    "demo_events_path",
    "demo_profiles_path",
    "demo_shift",
    "load_demo",
]

#: The instant the demo data was "exported": scoring later would decay it all away.
DEMO_AS_OF = datetime(2025, 6, 30, tzinfo=UTC)


def _path(name: str) -> Path:
    return Path(str(files("rapport").joinpath("data", "demo", name)))


def demo_events_path() -> Path:
    return _path("events.jsonl")


def demo_profiles_path() -> Path:
    return _path("profiles.jsonl")


def demo_shift(as_of: datetime) -> timedelta:
    """How far the demo moves to be read at `as_of`: the whole days from `DEMO_AS_OF` to the
    UTC day of `as_of`; none for an `as_of` before it (that is the demo's own past)."""
    days = (as_of - DEMO_AS_OF) // timedelta(days=1)
    return timedelta(days=max(0, days))


@dataclass(frozen=True, slots=True)
class Demo:
    """The demo as read at some `as_of`: exported at `exported_at`, its events and profiles
    moved there together."""

    exported_at: datetime
    events: list[Interaction]
    profiles: dict[tuple[str, str], Profile]


def load_demo(as_of: datetime = DEMO_AS_OF) -> Demo:
    """The demo moved by `demo_shift(as_of)` (see the module docstring)."""
    shift = demo_shift(as_of)
    with demo_events_path().open("rb") as stream:
        events = [
            msgspec.structs.replace(e, at=e.at + shift)
            for e in read_events(stream, str(demo_events_path()))
        ]
    with demo_profiles_path().open("rb") as stream:
        profiles = {
            key: p
            if p.created_at is None
            else msgspec.structs.replace(p, created_at=p.created_at + shift)
            for key, p in read_profiles(stream, str(demo_profiles_path())).items()
        }
    return Demo(exported_at=DEMO_AS_OF + shift, events=events, profiles=profiles)
