"""Real interaction networks (tests/fixtures/networks, copied from the steering repository's
shared/data/networks), as one ego's events each.

Only the networks its README leaves free for tuning and testing are read here (never the
reserved CollegeMsg and email-Eu-core-temporal):
- dnc-emails.txt (KONECT dnc-temporalGraph, `src dst unix_ts`): each email is a `message`.
- bitcoin-otc.csv (SNAP soc-sign-bitcoinotc, Kumar et al. 2016, `src,dst,rating,unix_ts`): a
  positive rating is a `mention` (a public word addressed to someone), a negative one a
  `report` (a negative signal, so these relationships are vetoed).
"""

from __future__ import annotations

import gzip
from collections import defaultdict
from functools import cache
from pathlib import Path

from rapport.metric import AccountEvents
from rapport.metric.decay import from_epoch
from rapport.model import AccountRef, Direction, Interaction, Kind

NETWORKS = Path(__file__).resolve().parents[1] / "fixtures" / "networks"
DAY = 86_400.0


def _lines(name: str) -> list[str]:
    """The lines of a network file, kept gzipped in the repository."""
    return gzip.decompress((NETWORKS / f"{name}.gz").read_bytes()).decode().splitlines()


class Network:
    """Every ego's events of one network, by ego."""

    def __init__(self, platform: str, edges: list[tuple[str, str, Kind, float]]) -> None:
        self.platform = platform
        self.events: dict[str, list[Interaction]] = defaultdict(list)
        for n, (src, dst, kind, at) in enumerate(edges):
            if src == dst:
                continue  # a self-loop is no relationship
            for ego, other, direction in ((src, dst, Direction.OUT), (dst, src, Direction.IN)):
                self.events[ego].append(
                    Interaction(
                        platform=platform,
                        ego=ego,
                        counterpart=other,
                        direction=direction,
                        kind=kind,
                        at=from_epoch(at),
                        event_id=f"{n}",
                    )
                )

    def egos(self, min_counterparts: int) -> list[str]:
        """Egos with at least `min_counterparts` relationships, in a stable order."""
        return sorted(
            ego
            for ego, events in self.events.items()
            if len({e.counterpart for e in events}) >= min_counterparts
        )

    def account(self, ego: str, events: list[Interaction] | None = None) -> AccountEvents:
        bucket = AccountEvents(AccountRef(self.platform, ego))
        for event in self.events[ego] if events is None else events:
            bucket.add(event)
        return bucket

    def last_at(self, ego: str) -> float:
        return max(e.at.timestamp() for e in self.events[ego])


@cache
def dnc_emails() -> Network:
    edges = []
    for line in _lines("dnc-emails.txt"):
        src, dst, at = line.split()
        edges.append((src, dst, Kind.MESSAGE, float(at)))
    return Network("email", edges)


@cache
def bitcoin_otc() -> Network:
    edges = []
    for line in _lines("bitcoin-otc.csv"):
        src, dst, rating, at = line.split(",")
        kind = Kind.MENTION if int(rating) > 0 else Kind.REPORT
        edges.append((src, dst, kind, float(at)))
    return Network("bitcoin-otc", edges)


def answered_only(events: list[Interaction], window_days: float = 7.0) -> list[Interaction]:
    """What an export of the ego's own activity shows: everything it did, and what it received
    only where it answered within `window_days` (the Mastodon archive's inference)."""
    answers: dict[str, list[float]] = defaultdict(list)
    for e in events:
        if e.direction is Direction.OUT:
            answers[e.counterpart].append(e.at.timestamp())
    kept = []
    for e in events:
        t = e.at.timestamp()
        if e.direction is Direction.OUT or any(
            t < a <= t + window_days * DAY for a in answers[e.counterpart]
        ):
            kept.append(e)
    return kept
