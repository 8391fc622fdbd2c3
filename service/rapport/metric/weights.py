"""What one event is worth, and whether it is a speaking turn.

Kept apart from both aggregation paths so the streaming update and the vectorised batch read
the same rule: a reply of a few characters ("great post!", an emoji) weighs as a like and cannot
answer anyone, because the essay's "broken sentences" are attention, not conversation.
"""

from __future__ import annotations

from rapport.metric.config import MetricConfig
from rapport.model import TALK_KINDS, VETO_KINDS, Kind

__all__ = ["KINDS", "KIND_INDEX", "event_weight", "is_short_reply", "is_talk", "is_veto"]

#: A stable order of the kinds, used for per-kind evidence counts.
KINDS: tuple[Kind, ...] = tuple(Kind)
KIND_INDEX: dict[Kind, int] = {kind: i for i, kind in enumerate(KINDS)}


def is_veto(kind: Kind) -> bool:
    return kind in VETO_KINDS


def is_short_reply(kind: Kind, text_len: int | None, config: MetricConfig) -> bool:
    return kind is Kind.REPLY and text_len is not None and text_len < config.short_reply_chars


def is_talk(kind: Kind, text_len: int | None, config: MetricConfig) -> bool:
    """Whether the event can take part in a conversation turn."""
    return kind in TALK_KINDS and not is_short_reply(kind, text_len, config)


def event_weight(kind: Kind, text_len: int | None, config: MetricConfig) -> float:
    """The base weight of an event, before any conversation-turn bonus."""
    if is_short_reply(kind, text_len, config):
        return config.weights.like
    return config.weights.of(kind)
