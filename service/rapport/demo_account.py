"""The demo as an account the server tracks, with a past: what `rapport up --demo` loads.

Loading the whole demo at once would give its account one score, and the history chart on the
account page one dot. A real account's history comes from the service scoring it as its events
arrive, so the demo is loaded that way: its events are ingested in 30-day steps, each step
scored and stored at the end of the step through the storage functions the API's ingest uses
(`ingest`, `scores.refresh`, `webhooks.flush`). The history is what the service would have
stored had it tracked the account during those months, not a made-up series; the last step
ends now, at the current score. The steps count back from the export in whole days, so the
history, like the score (`rapport.demo`), is the same whatever day the demo is loaded.

Loading is once per tenant: an account that is already tracked is left alone (the demo would
be moved to another day, and mixing two moves would break what the profiles say about first
contacts), and the load reports 0 new events.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import timedelta

from redis.asyncio import Redis

from rapport.demo import load_demo
from rapport.metric import MetricConfig
from rapport.metric.decay import from_epoch
from rapport.model import AccountRef, Interaction
from rapport.settings import Settings
from rapport.storage import accounts, profiles, scores, webhooks
from rapport.storage.ingest import ingest

__all__ = ["HISTORY_STEP", "history_cuts", "load_demo_account"]

#: The spacing of the demo's past scores.
HISTORY_STEP = timedelta(days=30)


def history_cuts(first_event: float, exported_at: float) -> list[float]:
    """The instants of the past scores, oldest first: every `HISTORY_STEP` back from the
    export, after the first event (at or before it the account has nothing to score)."""
    step = HISTORY_STEP.total_seconds()
    cuts = []
    cut = exported_at - step
    while cut > first_event:
        cuts.append(cut)
        cut -= step
    return cuts[::-1]


async def load_demo_account(
    redis: Redis, tenant: str, *, now: float, config: MetricConfig, settings: Settings
) -> int:
    """Load the demo for `tenant`, moved to `now`, with its history; return how many events
    were new (0 when the demo account was there already)."""
    demo = load_demo(from_epoch(now))
    by_account: dict[AccountRef, list[Interaction]] = {}
    for event in demo.events:
        by_account.setdefault(AccountRef(event.platform, event.ego), []).append(event)
    known = list(demo.profiles.values())
    loaded = 0
    for ref, events in by_account.items():
        if await accounts.get(redis, tenant, ref) is not None:
            continue
        events.sort(key=lambda e: e.at)
        times = [e.at.timestamp() for e in events]
        await profiles.put(redis, tenant, ref, [p for p in known if p.platform == ref.platform])
        start = 0
        for cut in [*history_cuts(times[0], demo.exported_at.timestamp()), now]:
            end = bisect_left(times, cut)  # the events before the cut
            result = await ingest(
                redis,
                tenant,
                events[start:end],
                now=cut,
                config=config,
                max_ids=settings.dedup_max_ids,
                events_retention_days=settings.events_retention_days,
            )
            loaded += result.accepted
            start = end
            await scores.refresh(
                redis, tenant, ref, now=cut, config=config, history_len=settings.score_history_len
            )
            await webhooks.flush(redis, tenant, ref, now=cut)
    return loaded
