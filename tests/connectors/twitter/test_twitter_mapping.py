"""The mapping rules shared by the archive reader and the API client."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rapport.model import Direction, Kind
from rapport_connectors.twitter import api_schema as api
from rapport_connectors.twitter.api_mapping import snowflake_time, tweet_facts, user_profile
from rapport_connectors.twitter.mapping import TweetFacts, tweet_acts, tweet_interactions
from rapport_connectors.twitter.text import (
    parse_iso,
    parse_v1_date,
    retweeted_handle,
    status_url_handle,
    text_without_leading_mentions,
)

AT = datetime(2023, 2, 18, 12, 33, 11, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("@empathy2000 did NOT know", "did NOT know"),
        ("@alice @bob thanks!", "thanks!"),
        ("@alice 👍", "👍"),
        ("@alice https://t.co/AbC123xyz", ""),  # a GIF-only reply is no sentence
        ("Lunch with @alice and @bob", "Lunch with @alice and @bob"),  # not a leading block
        ("@alice Tom &amp; Jerry", "Tom & Jerry"),
    ],
)
def test_text_len_counts_the_reply_s_own_words(text: str, words: str) -> None:
    assert text_without_leading_mentions(text) == words


def test_dates_of_both_formats_are_aware_utc() -> None:
    assert parse_v1_date("Sat Feb 18 12:33:11 +0000 2023") == AT
    assert parse_v1_date("Sat Feb 18 14:33:11 +0200 2023") == AT
    assert parse_iso("2023-02-18T12:33:11.000Z") == AT
    with pytest.raises(ValueError, match="not a date"):
        parse_v1_date("Sat Foo 18 12:33:11 +0000 2023")
    with pytest.raises(ValueError, match="without a timezone"):
        parse_iso("2023-02-18T12:33:11")


def test_handles_from_retweets_and_permalinks() -> None:
    assert retweeted_handle("RT @empathy2000: a song") == "empathy2000"
    assert retweeted_handle("not RT @x: a song") is None
    assert status_url_handle("https://x.com/bob_hm/status/123") == ("bob_hm", "123")
    assert status_url_handle("https://twitter.com/i/web/status/123") is None
    assert status_url_handle("https://example.com/bob/status/1") is None


def test_snowflake_ids_encode_their_creation_time() -> None:
    # A real tweet of the recordings: 1577730467436138524 was posted on 2022-10-05.
    at = snowflake_time("1577730467436138524")
    assert at is not None
    assert at.date() == datetime(2022, 10, 5).date()
    assert snowflake_time("783214") is None  # pre-snowflake ids encode no time


def test_one_event_per_account_per_tweet_reply_first() -> None:
    facts = TweetFacts(
        id="10", author="A", at=AT, text_len=5, reply_to="X", quote_of="Y", mentions=["X", "Y", "Z"]
    )
    assert [(a.target, a.kind, a.event_id) for a in tweet_acts(facts)] == [
        ("X", Kind.REPLY, "10"),
        ("Y", Kind.QUOTE, "10:Y"),
        ("Z", Kind.MENTION, "10:Z"),
    ]
    retweet = TweetFacts(id="11", author="A", at=AT, repost_of="X", mentions=["Y"])
    assert [(a.target, a.kind) for a in tweet_acts(retweet)] == [("X", Kind.REPOST)]
    thread = TweetFacts(id="12", author="A", at=AT, reply_to="A")
    assert tweet_acts(thread) == []


ids = st.sampled_from(["1", "2", "3", "4"])


@given(
    author=ids,
    reply_to=st.none() | ids,
    quote_of=st.none() | ids,
    repost_of=st.none() | ids,
    mentions=st.lists(ids, max_size=4),
)
def test_both_sides_see_the_same_event_ids_with_opposite_directions(
    author: str,
    reply_to: str | None,
    quote_of: str | None,
    repost_of: str | None,
    mentions: list[str],
) -> None:
    facts = TweetFacts(
        id="99",
        author=author,
        at=AT,
        reply_to=reply_to,
        quote_of=quote_of,
        repost_of=repost_of,
        mentions=mentions,
    )
    sent = tweet_interactions(author, facts)
    assert len({e.event_id for e in sent}) == len(sent)  # unique per (ego, event)
    for event in sent:
        assert event.direction is Direction.OUT
        (received,) = tweet_interactions(event.counterpart, facts)
        assert received.event_id == event.event_id
        assert received.kind == event.kind
        assert (received.direction, received.counterpart) == (Direction.IN, author)


def test_api_reply_falls_back_to_the_replied_tweet_s_author() -> None:
    tweet = api.Tweet(
        id="1600000000000000002",
        text="@alice sure",
        author_id="1",
        created_at="2023-01-01T00:00:00.000Z",
        referenced_tweets=[api.ReferencedTweet(type="replied_to", id="1600000000000000001")],
    )
    parent = api.Tweet(id="1600000000000000001", author_id="2")
    facts = tweet_facts(
        tweet, default_author=None, referenced={parent.id: parent}, ids_by_handle={}
    )
    assert isinstance(facts, TweetFacts)
    assert (facts.reply_to, facts.text_len) == ("2", len("sure"))


def test_api_retweet_without_expansions_is_unresolved() -> None:
    tweet = api.Tweet(id="1600000000000000003", text="RT @someone_hm: hi", author_id="1")
    assert tweet_facts(tweet, default_author=None, referenced={}, ids_by_handle={}) == (
        "repost authors"
    )


def test_profile_default_avatar_from_the_image_url() -> None:
    user = api.User(
        id="5",
        username="new_hm",
        description="",
        profile_image_url="https://abs.twimg.com/sticky/default_profile_images/default_profile.png",
        public_metrics=api.PublicMetrics(followers_count=0, following_count=2000, tweet_count=0),
    )
    profile = user_profile(user)
    assert profile.default_avatar is True
    assert profile.bio == ""
    assert (profile.followers_count, profile.following_count, profile.posts_count) == (0, 2000, 0)
