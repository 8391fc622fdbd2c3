"""How X tweets and direct messages become normalised interactions.

One set of rules for both sources (the export archive and the API), so that the same tweet
yields the same events with the same `event_id` whichever way it arrived, and from whichever
side it is seen: the author's archive shows `reply out`, the counterpart's mentions timeline
shows `reply in`, and both carry the same id, so ingesting both is idempotent.

Event ids:
- the tweet id for the event towards the tweet's *primary* counterpart (the author it
  replies to, reposts or, failing a reply, quotes);
- `<tweet id>:<account id>` for every other counterpart of the same tweet (mentions, the quoted
  author of a reply);
- the message id for a one-to-one direct message, `<message id>:<recipient id>` for each
  recipient of a group message; the reaction's own event id for a reaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from rapport.model import Direction, Interaction, Kind

__all__ = [
    "PLATFORM",
    "Act",
    "TweetFacts",
    "given_like",
    "message_interactions",
    "reaction_interaction",
    "received_interaction",
    "tweet_acts",
    "tweet_interactions",
    "veto_interaction",
]

PLATFORM = "twitter"


@dataclass(frozen=True, slots=True)
class TweetFacts:
    """What one tweet says about relationships, with every account already resolved to an id.

    `text_len` is the length of the tweet's own words (leading `@mentions` removed), or None
    when the text is unknown.
    """

    id: str
    author: str
    at: datetime
    text_len: int | None = None
    reply_to: str | None = None
    repost_of: str | None = None
    quote_of: str | None = None
    mentions: Sequence[str] = field(default_factory=tuple)
    thread_id: str | None = None


@dataclass(frozen=True, slots=True)
class Act:
    """One thing a tweet's author did towards one other account."""

    target: str
    kind: Kind
    event_id: str
    text_len: int | None


def tweet_acts(tweet: TweetFacts) -> list[Act]:
    """Everything the author of `tweet` did to others in it, at most one act per account.

    A retweet is only a repost (the mentions inside it are the original author's words). A
    reply to oneself (a thread) addresses no one. An account both replied to and mentioned
    gets the reply, the stronger signal, not both.
    """
    if tweet.repost_of is not None:
        if tweet.repost_of == tweet.author:
            return []
        return [Act(tweet.repost_of, Kind.REPOST, tweet.id, None)]
    acts: list[Act] = []
    used = {tweet.author}
    if tweet.reply_to is not None and tweet.reply_to not in used:
        acts.append(Act(tweet.reply_to, Kind.REPLY, tweet.id, tweet.text_len))
        used.add(tweet.reply_to)
    if tweet.quote_of is not None and tweet.quote_of not in used:
        event_id = f"{tweet.id}:{tweet.quote_of}" if acts else tweet.id
        acts.append(Act(tweet.quote_of, Kind.QUOTE, event_id, tweet.text_len))
        used.add(tweet.quote_of)
    for mentioned in tweet.mentions:
        if mentioned not in used:
            acts.append(Act(mentioned, Kind.MENTION, f"{tweet.id}:{mentioned}", tweet.text_len))
            used.add(mentioned)
    return acts


def tweet_interactions(ego: str, tweet: TweetFacts) -> list[Interaction]:
    """The interactions `tweet` means for `ego`: all its acts when ego wrote it (direction
    out), else only the act aimed at ego (direction in, counterpart the author)."""
    result = []
    for act in tweet_acts(tweet):
        if tweet.author == ego:
            counterpart, direction = act.target, Direction.OUT
        elif act.target == ego:
            counterpart, direction = tweet.author, Direction.IN
        else:
            continue
        result.append(
            Interaction(
                platform=PLATFORM,
                ego=ego,
                counterpart=counterpart,
                direction=direction,
                kind=act.kind,
                at=tweet.at,
                event_id=act.event_id,
                thread_id=tweet.thread_id,
                text_len=act.text_len,
            )
        )
    return result


def message_interactions(
    ego: str,
    *,
    message_id: str,
    sender: str,
    recipients: Iterable[str],
    at: datetime,
    thread_id: str | None,
    text_len: int | None,
    group: bool | None = None,
) -> list[Interaction]:
    """A direct message: `message out` to each recipient when ego sent it, `message in` from
    the sender when ego received it, nothing when ego took no part.

    `group` says whether the conversation is a group one (ids `<message id>:<recipient>`);
    by default, whether the message has more than one recipient.
    """
    others = sorted({r for r in recipients if r != sender})
    if group is None:
        group = len(others) > 1

    def make(counterpart: str, direction: Direction, recipient: str) -> Interaction:
        return Interaction(
            platform=PLATFORM,
            ego=ego,
            counterpart=counterpart,
            direction=direction,
            kind=Kind.MESSAGE,
            at=at,
            event_id=f"{message_id}:{recipient}" if group else message_id,
            thread_id=thread_id,
            text_len=text_len,
        )

    if sender == ego:
        return [make(other, Direction.OUT, other) for other in others]
    if ego in others:
        return [make(sender, Direction.IN, ego)]
    return []


def reaction_interaction(
    ego: str, *, event_id: str, reactor: str, message_sender: str, at: datetime, thread_id: str
) -> Interaction | None:
    """A reaction to a direct message weighs as a like, from the reactor to the sender."""
    if reactor == message_sender or ego not in (reactor, message_sender):
        return None
    outgoing = reactor == ego
    return Interaction(
        platform=PLATFORM,
        ego=ego,
        counterpart=message_sender if outgoing else reactor,
        direction=Direction.OUT if outgoing else Direction.IN,
        kind=Kind.LIKE,
        at=at,
        event_id=event_id,
        thread_id=thread_id,
    )


def given_like(ego: str, *, tweet_id: str, author: str, at: datetime) -> Interaction | None:
    """Ego liked `author`'s tweet: the same id as the author's `like in` from the API."""
    if author == ego:
        return None
    return Interaction(
        platform=PLATFORM,
        ego=ego,
        counterpart=author,
        direction=Direction.OUT,
        kind=Kind.LIKE,
        at=at,
        event_id=f"{tweet_id}:{Kind.LIKE.value}:{ego}",
        thread_id=tweet_id,
    )


def received_interaction(
    ego: str, *, tweet_id: str, counterpart: str, kind: Kind, at: datetime
) -> Interaction | None:
    """`counterpart` liked or reposted the ego's tweet `tweet_id` (the API names who, not
    when: `at` is the tweet's own time). Id `<tweet id>:<kind>:<account>`: one per person."""
    if counterpart == ego:
        return None
    return Interaction(
        platform=PLATFORM,
        ego=ego,
        counterpart=counterpart,
        direction=Direction.IN,
        kind=kind,
        at=at,
        event_id=f"{tweet_id}:{kind.value}:{counterpart}",
        thread_id=tweet_id,
    )


def veto_interaction(ego: str, counterpart: str, kind: Kind, at: datetime) -> Interaction | None:
    """Ego blocked or muted `counterpart`: a veto, dated when it was known to hold."""
    if counterpart == ego:
        return None
    return Interaction(
        platform=PLATFORM,
        ego=ego,
        counterpart=counterpart,
        direction=Direction.OUT,
        kind=kind,
        at=at,
        event_id=f"{kind.value}:{counterpart}",
    )
