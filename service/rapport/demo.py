"""The bundled example dataset, so a newcomer sees a real score in one command.

It is a made-up but typical account (scripts/make_demo_data.py writes it; service/rapport/data/demo/
README.md describes who is in it): a few close friends, colleagues, a friendship that went
quiet, fans who only like, an account it only admires, a bot ring and a blocked spammer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path

__all__ = ["DEMO_AS_OF", "demo_events_path", "demo_profiles_path"]

#: The instant the demo data was "exported": scoring later would decay it all away.
DEMO_AS_OF = datetime(2025, 6, 30, tzinfo=UTC)


def _path(name: str) -> Path:
    return Path(str(files("rapport").joinpath("data", "demo", name)))


def demo_events_path() -> Path:
    return _path("events.jsonl")


def demo_profiles_path() -> Path:
    return _path("profiles.jsonl")
