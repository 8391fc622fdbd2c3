"""How X API v2 objects become normalised profiles, tweet facts and message events.

The API names accounts by id almost everywhere, which makes it the easy case; what it lacks
(an `author_id` when `expansions` were not honoured, a `created_at` on default fields) is
recovered where it can be done exactly (the own timeline's author is the ego; a tweet id is
a snowflake that encodes its creation time) and counted as unresolved otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from rapport.errors import PlatformError
from rapport.model import Interaction, Profile
from rapport_connectors.twitter import api_schema as api
from rapport_connectors.twitter.mapping import PLATFORM, TweetFacts, message_interactions
from rapport_connectors.twitter.text import (
    parse_iso,
    retweeted_handle,
    snowflake_time,
    text_without_leading_mentions,
)

__all__ = [
    "dm_interactions",
    "snowflake_time",
    "tweet_facts",
    "user_profile",
]


def _time(value: str | None, object_id: str, what: str) -> datetime | None:
    if value is None:
        return snowflake_time(object_id)
    try:
        return parse_iso(value)
    except ValueError as exc:
        raise PlatformError(
            PLATFORM, f"unreadable created_at of {what} {object_id}: {exc}"
        ) from None


def user_profile(user: api.User) -> Profile:
    """A profile with what the authenticity rules read: counts, age, avatar, bio."""
    metrics = user.public_metrics or api.PublicMetrics()
    default_avatar = user.default_profile_image
    if default_avatar is None and user.profile_image_url:
        default_avatar = "default_profile_images" in user.profile_image_url
    return Profile(
        platform=PLATFORM,
        account=user.id,
        handle=user.username,
        display_name=user.name,
        followers_count=metrics.followers_count,
        following_count=metrics.following_count,
        posts_count=metrics.tweet_count,
        created_at=_time(user.created_at, user.id, "user") if user.created_at else None,
        default_avatar=default_avatar,
        bio=user.description,
        url=user.url or None,
    )


def tweet_facts(
    tweet: api.Tweet,
    *,
    default_author: str | None,
    referenced: Mapping[str, api.Tweet],
    ids_by_handle: Mapping[str, str],
) -> TweetFacts | str:
    """The tweet's facts with every account resolved, or the reason it cannot be resolved
    (a short plural noun for the missing-data report, e.g. `"mention authors"`)."""
    author = tweet.author_id or default_author
    if author is None:
        return "tweet authors"
    at = _time(tweet.created_at, tweet.id, "tweet")
    if at is None:
        return "tweet dates"
    kinds = {ref.type: ref.id for ref in tweet.referenced_tweets}
    if "retweeted" in kinds or retweeted_handle(tweet.text) is not None:
        original = referenced.get(kinds.get("retweeted", ""))
        target = original.author_id if original is not None else None
        if target is None:
            handle = retweeted_handle(tweet.text)
            target = ids_by_handle.get(handle.lower()) if handle else None
        if target is None:
            return "repost authors"
        return TweetFacts(id=tweet.id, author=author, at=at, repost_of=target)
    reply_to = tweet.in_reply_to_user_id
    if reply_to is None and "replied_to" in kinds:
        replied = referenced.get(kinds["replied_to"])
        reply_to = replied.author_id if replied is not None else None
    quote_of = None
    if "quoted" in kinds:
        quoted = referenced.get(kinds["quoted"])
        quote_of = quoted.author_id if quoted is not None else None
    mentions = []
    for mention in tweet.entities.mentions if tweet.entities else []:
        account = mention.id or ids_by_handle.get((mention.username or "").lower())
        if account:
            mentions.append(account)
    return TweetFacts(
        id=tweet.id,
        author=author,
        at=at,
        text_len=len(text_without_leading_mentions(tweet.text)),
        reply_to=reply_to,
        quote_of=quote_of,
        mentions=mentions,
        thread_id=tweet.conversation_id,
    )


def dm_interactions(
    ego: str, event: api.DmEvent, participants: Mapping[str, Iterable[str]]
) -> list[Interaction] | str:
    """One `MessageCreate` event as message in/out, or the reason it cannot be mapped.

    A one-to-one conversation id is `<a>-<b>`; a group's participants come from the
    `ParticipantsJoin` events and the senders seen in the same fetch (`participants`).
    """
    conversation = event.dm_conversation_id
    if event.sender_id is None or conversation is None:
        return "message participants"
    at = _time(event.created_at, event.id, "message")
    if at is None:
        return "message dates"
    pair = conversation.split("-")
    group = not (len(pair) == 2 and all(p.isdigit() for p in pair))
    recipients = set(participants.get(conversation, ())) if group else set(pair)
    recipients |= {ego} if event.sender_id != ego else set()
    recipients.discard(event.sender_id)
    if not recipients:
        return "group message recipients"
    return message_interactions(
        ego,
        message_id=event.id,
        sender=event.sender_id,
        recipients=recipients,
        at=at,
        thread_id=conversation,
        text_len=len(event.text) if event.text is not None else None,
        group=group,
    )
