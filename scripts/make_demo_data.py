"""Write the bundled example dataset (`rapport/data/demo/`): `python scripts/make_demo_data.py`.

Deterministic (fixed seed), so the demo's score only changes when the metric does. The cast is
described in service/rapport/data/demo/README.md; each group exercises one part of the metric.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec

from rapport.model import Direction, Interaction, Kind, Profile

OUT_DIR = Path(__file__).resolve().parent.parent / "service" / "rapport" / "data" / "demo"
PLATFORM = "mastodon"
EGO = "ada@example.social"
END = datetime(2025, 6, 30, tzinfo=UTC)
START = END - timedelta(days=210)

rng = random.Random(20250630)
events: list[Interaction] = []
profiles: list[Profile] = []
counter = 0


def event(
    who: str, direction: Direction, kind: Kind, at: datetime, text_len: int | None = None
) -> None:
    global counter
    counter += 1
    events.append(
        Interaction(
            platform=PLATFORM,
            ego=EGO,
            counterpart=who,
            direction=direction,
            kind=kind,
            at=at.replace(microsecond=0),
            event_id=f"demo-{counter:05d}",
            thread_id=f"thread-{who}-{at:%Y%m%d}" if kind in (Kind.REPLY, Kind.MESSAGE) else None,
            text_len=text_len,
        )
    )


def profile(account: str, **fields: object) -> None:
    profiles.append(msgspec.convert({"platform": PLATFORM, "account": account, **fields}, Profile))


def person(account: str, followers: int, following: int, posts: int, bio: str) -> None:
    profile(
        account,
        handle=account.split("@")[0],
        followers_count=followers,
        following_count=following,
        posts_count=posts,
        created_at="2019-03-01T00:00:00Z",
        default_avatar=False,
        bio=bio,
    )


def conversation(who: str, at: datetime, turns: int, kind: Kind, starter: Direction) -> None:
    direction = starter
    for _ in range(turns):
        event(who, direction, kind, at, text_len=rng.randint(40, 280))
        at += timedelta(hours=rng.randint(1, 30))
        direction = direction.opposite


def days(start: datetime, end: datetime, every: int, jitter: int) -> list[datetime]:
    out, at = [], start
    while at < end:
        out.append(at + timedelta(hours=rng.randint(0, jitter)))
        at += timedelta(days=every)
    return out


# Close friends: talk most weeks, by replies and direct messages, both starting.
for name, bio in (
    ("grace@example.social", "Compilers, bread, long walks."),
    ("linus@fosstodon.example", "Kernel hacker. Opinions my own."),
    ("margaret@sciences.example", "Flight software. Apollo nostalgia."),
):
    person(name, rng.randint(200, 900), rng.randint(150, 400), rng.randint(800, 4000), bio)
    for at in days(START, END - timedelta(days=2), every=rng.randint(5, 9), jitter=48):
        conversation(
            name,
            at,
            rng.randint(2, 5),
            rng.choice([Kind.REPLY, Kind.MESSAGE]),
            rng.choice(list(Direction)),
        )
        if rng.random() < 0.5:
            event(name, Direction.IN, Kind.LIKE, at + timedelta(hours=3))
            event(name, Direction.OUT, Kind.LIKE, at + timedelta(hours=5))

# Colleagues: a mention or a short exchange every few weeks.
for name in (
    "barbara@work.example",
    "ken@work.example",
    "dennis@work.example",
    "frances@work.example",
):
    person(name, rng.randint(100, 600), rng.randint(100, 500), rng.randint(200, 2000), "Engineer.")
    for at in days(
        START + timedelta(days=rng.randint(0, 20)), END, every=rng.randint(18, 35), jitter=72
    ):
        conversation(name, at, 2, Kind.REPLY, rng.choice(list(Direction)))
        event(name, Direction.IN, Kind.MENTION, at + timedelta(days=1))
        event(name, Direction.OUT, Kind.REPOST, at + timedelta(days=2))

# A friendship that went quiet four months before the export.
person("edsger@example.social", 420, 90, 1500, "Simplicity is prerequisite for reliability.")
for at in days(START, END - timedelta(days=125), every=6, jitter=24):
    conversation("edsger@example.social", at, 3, Kind.MESSAGE, Direction.OUT)

# Fans: like and boost her posts, one way, and are never answered.
for i in range(40):
    name = f"fan{i:02d}@bigserver.example"
    person(
        name, rng.randint(5, 300), rng.randint(100, 2000), rng.randint(10, 500), "Tech enthusiast"
    )
    for _ in range(rng.randint(2, 25)):
        at = START + timedelta(seconds=rng.randint(0, int((END - START).total_seconds())))
        event(name, Direction.IN, rng.choice([Kind.LIKE, Kind.LIKE, Kind.REPOST]), at)
    if rng.random() < 0.3:  # "great post!": a reply of a few characters, weighed as a like
        event(name, Direction.IN, Kind.REPLY, END - timedelta(days=rng.randint(1, 60)), text_len=11)

# An account she admires: she likes and boosts everything, it never notices her.
person("celebrity@huge.example", 1_200_000, 80, 30_000, "Famous for being famous.")
for at in days(START, END, every=2, jitter=40):
    event("celebrity@huge.example", Direction.OUT, rng.choice([Kind.LIKE, Kind.REPOST]), at)

# A bot ring: new, default avatars, generated handles, mention her in bursts.
for i in range(6):
    name = f"growth{48213 + i * 7919}@spam.example"
    profile(
        name,
        handle=name.split("@")[0],
        followers_count=rng.randint(0, 12),
        following_count=rng.randint(4000, 7500),
        posts_count=rng.randint(0, 3),
        created_at=(END - timedelta(days=40)).isoformat(),
        default_avatar=True,
        bio="",
    )
    for _ in range(rng.randint(5, 15)):
        at = END - timedelta(days=rng.randint(1, 30), hours=rng.randint(0, 23))
        event(name, Direction.IN, rng.choice([Kind.MENTION, Kind.LIKE, Kind.REPLY]), at, text_len=8)

# A spammer she blocked after a burst of mentions.
person("spammer@spam.example", 3, 6000, 2, "DM for promo")
for d in range(6):
    event("spammer@spam.example", Direction.IN, Kind.MENTION, END - timedelta(days=50 - d))
event("spammer@spam.example", Direction.OUT, Kind.BLOCK, END - timedelta(days=44))

profile(
    EGO,
    handle="ada",
    display_name="Ada",
    followers_count=1843,
    following_count=212,
    posts_count=5120,
    created_at="2017-04-01T00:00:00Z",
    default_avatar=False,
    bio="Engineer. Writes about programs and the people who make them.",
)

events.sort(key=lambda e: (e.at, e.event_id))
OUT_DIR.mkdir(parents=True, exist_ok=True)
(OUT_DIR / "events.jsonl").write_bytes(b"\n".join(msgspec.json.encode(e) for e in events) + b"\n")
(OUT_DIR / "profiles.jsonl").write_bytes(
    b"\n".join(msgspec.json.encode(p) for p in profiles) + b"\n"
)
print(f"wrote {len(events)} events and {len(profiles)} profiles to {OUT_DIR}")
