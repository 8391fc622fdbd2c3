"""Mapping of real recorded Mastodon entities (bodies from the cassettes) to events."""

from __future__ import annotations

import msgspec
import pytest

from rapport.model import Direction, Kind
from rapport_connectors.mastodon.addresses import (
    address_from_acct,
    address_from_uri,
    author_from_status_uri,
)
from rapport_connectors.mastodon.mapping import EgoView
from rapport_connectors.mastodon.schema import Account, Conversation, Notification, Status
from rapport_connectors.mastodon.text import text_len
from tests.connectors.mastodon.replay import load_cassette, recorded

HOST = "localhost:3000"
ADMIN_ID = "117020565693913441"
TEST2_ID = "117020566092212359"


def view(name: str, account_id: str) -> EgoView:
    return EgoView(ego=f"{name}@{HOST}", ego_id=account_id, local_host=HOST)


def test_recorded_reply_is_a_reply_out_to_the_replied_author() -> None:
    posts = [r for r in load_cassette("test_status_reply.yaml") if r.method == "POST"]
    reply = msgspec.json.decode(posts[1].body, type=Status)
    (event,) = view("admin", ADMIN_ID).own_status(reply, {})
    assert (event.kind, event.direction, event.counterpart) == (
        Kind.REPLY,
        Direction.OUT,
        f"mastodonpy_test_2@{HOST}",
    )
    assert event.text_len == len("same!")
    assert event.event_id == reply.uri


def test_recorded_boost_is_a_repost_out_and_a_self_boost_nothing() -> None:
    record = next(
        r
        for r in load_cassette("test_follow_with_notify_reblog.yaml")
        if r.url.path.endswith("/reblog")
    )
    boost = msgspec.json.decode(record.body, type=Status)
    (event,) = view("admin", ADMIN_ID).own_status(boost, {})
    assert (event.kind, event.counterpart) == (Kind.REPOST, f"mastodonpy_test_2@{HOST}")

    own = next(
        r
        for r in load_cassette("test_status_reblog_unreblog.yaml")
        if r.url.path.endswith("/reblog")
    )
    self_boost = msgspec.json.decode(own.body, type=Status)
    assert view("mastodonpy_test", "117020565966271181").own_status(self_boost, {}) == []


def test_recorded_conversations_seen_by_their_writer_are_messages_out() -> None:
    record = recorded("test_conversations.yaml", "GET", "/api/v1/conversations/")
    conversations = msgspec.json.decode(record.body, type=list[Conversation])
    ego = view("mastodonpy_test_2", TEST2_ID)
    mapped = [e for c in conversations for e in ego.conversation(c)]
    assert [(e.kind, e.direction, e.counterpart, e.thread_id) for e in mapped] == [
        (Kind.MESSAGE, Direction.OUT, f"admin@{HOST}", "conversation:15"),
        (Kind.MESSAGE, Direction.OUT, f"mastodonpy_test@{HOST}", "conversation:12"),
    ]
    assert mapped[0].text_len == len("ilu bby ;3")


def test_recorded_mention_notification_is_a_mention_in() -> None:
    record = recorded("test_notifications_mentions_only.yaml", "GET", "/api/v1/notifications")
    (item,) = msgspec.json.decode(record.body, type=list[Notification])
    (event,) = view("mastodonpy_test", "117020565966271181").notification(item)
    assert (event.kind, event.direction, event.counterpart) == (
        Kind.MENTION,
        Direction.IN,
        f"admin@{HOST}",
    )


def test_recorded_accounts_make_profiles() -> None:
    record = recorded("test_accounts.yaml", "GET", "/api/v1/accounts")
    accounts = msgspec.json.decode(record.body, type=list[Account])
    ego = view("mastodonpy_test", accounts[0].id)
    profiles = [ego.profile(a) for a in accounts]
    assert [p.account for p in profiles if p] == [
        f"mastodonpy_test@{HOST}",
        f"mastodonpy_test_2@{HOST}",
    ]
    assert all(p is not None and p.followers_count is not None for p in profiles)


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("https://mastodon.social/users/Gargron", "gargron@mastodon.social"),
        ("https://mastodon.social/@Gargron", "gargron@mastodon.social"),
        ("http://localhost:3000/ap/users/117020566092212359", None),  # numeric: via tags
        ("https://example.com/", None),
        ("mailto:someone@example.com", None),
    ],
)
def test_address_from_uri(uri: str, expected: str | None) -> None:
    assert address_from_uri(uri) == expected


def test_addresses_from_acct_and_status_uris() -> None:
    assert address_from_acct("admin", HOST) == f"admin@{HOST}"
    assert address_from_acct("@Bob@Other.Example", HOST) == "bob@other.example"
    assert address_from_acct("not an acct", HOST) is None
    assert address_from_acct("<html>", HOST) is None
    assert address_from_acct("bob@not a host", HOST) is None
    # other servers allow names Mastodon would not: still an account, not an error
    assert address_from_acct("Jürgen~x@pleroma.example", HOST) == "jürgen~x@pleroma.example"
    assert author_from_status_uri("https://a.example/users/bob/statuses/1") == "bob@a.example"
    assert author_from_status_uri("https://a.example/@bob/113408000000000000") == "bob@a.example"
    assert author_from_status_uri("https://a.example/notes/9xyz") is None


@pytest.mark.parametrize(
    ("html", "length"),
    [
        (
            '<p><span class="h-card"><a href="x" class="u-url mention">@<span>admin</span></a>'
            "</span> ilu bby ;3</p>",
            10,
        ),
        ("<p>@bob@other.example @carol 👍</p>", 1),
        ("<p>Line one</p><p>Line &amp; two</p>", len("Line one\n\nLine & two")),
        ("<p>mid-sentence @bob stays</p>", len("mid-sentence @bob stays")),
        ("", 0),
    ],
)
def test_text_len(html: str, length: int) -> None:
    assert text_len(html) == length


def test_odd_account_dates_cost_the_date_not_the_profile() -> None:
    ego = view("admin", ADMIN_ID)
    odd = Account(id="1", acct="someone@fork.example", created_at="last tuesday")
    profile = ego.profile(odd)
    assert profile is not None
    assert profile.created_at is None
    dated = ego.profile(Account(id="2", acct="x", created_at="2019-05-20"))
    assert dated is not None
    assert dated.created_at is not None
    assert dated.created_at.isoformat() == "2019-05-20T00:00:00+00:00"
