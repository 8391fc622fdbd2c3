"""The Mastodon archive reader on real-shaped archives (zip and folder) built in tmp_path."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rapport.errors import ArchiveError
from rapport.model import Direction, Kind
from rapport.plugins.archive import ArchiveSource
from rapport.plugins.connector import ArchiveImport
from rapport_connectors.mastodon import MastodonConnector
from tests.connectors.mastodon.conftest import BuildArchive

CONNECTOR = MastodonConnector()
EGO = "alice@mastodon.example"


def read(path: Path) -> ArchiveImport:
    with ArchiveSource(path) as source:
        return CONNECTOR.read_archive(source)


def events(result: ArchiveImport) -> list[tuple[str, Kind, Direction, str]]:
    return [
        (i.at.date().isoformat(), i.kind, i.direction, i.counterpart) for i in result.interactions
    ]


@pytest.mark.parametrize("as_zip", [False, True], ids=["folder", "zip"])
def test_full_archive_maps_every_activity(build_archive: BuildArchive, as_zip: bool) -> None:
    result = read(build_archive(as_zip=as_zip))

    assert result.account.platform == "mastodon"
    assert result.account.account == EGO
    assert result.generated_at is None
    assert sorted(events(result)) == sorted(
        [
            # vetoes carry no date in the CSVs: dated at the archive's first event
            ("2024-11-01", Kind.BLOCK, Direction.OUT, "spammer@bad.example"),
            ("2024-11-01", Kind.MUTE, Direction.OUT, "loud@other.example"),
            ("2024-11-01", Kind.REPLY, Direction.OUT, "bob@other.example"),
            ("2024-11-02", Kind.MESSAGE, Direction.OUT, "carol@mastodon.example"),
            # carol's answer is not in the archive; the ego's private reply to it shows it
            ("2024-11-02", Kind.MESSAGE, Direction.IN, "carol@mastodon.example"),
            ("2024-11-02", Kind.MESSAGE, Direction.OUT, "carol@mastodon.example"),
            ("2024-11-03", Kind.MENTION, Direction.OUT, "dave@remote.example"),
            ("2024-11-04", Kind.REPOST, Direction.OUT, "bob@other.example"),
            ("2024-11-04", Kind.REPOST, Direction.OUT, "erin@pleroma.example"),
            ("2024-11-05", Kind.REPLY, Direction.OUT, "mastodonpy_test_2@localhost:3000"),
            ("2024-11-06", Kind.REPLY, Direction.OUT, "bob@other.example"),
            ("2024-11-07", Kind.REPLY, Direction.OUT, "bob@other.example"),
            ("2024-11-07", Kind.MENTION, Direction.OUT, "dave@remote.example"),
            # a thread the ego started; bob answered in it, the ego answered bob
            ("2024-11-11", Kind.REPLY, Direction.IN, "bob@other.example"),
            ("2024-11-12", Kind.REPLY, Direction.OUT, "bob@other.example"),
            # dave wrote privately first (not in the archive); the ego answered privately
            ("2024-11-15", Kind.MESSAGE, Direction.IN, "dave@remote.example"),
            ("2024-11-15", Kind.MESSAGE, Direction.OUT, "dave@remote.example"),
            ("2024-11-18", Kind.LIKE, Direction.OUT, "dave@remote.example"),
            ("2024-11-20", Kind.LIKE, Direction.OUT, "bob@other.example"),
        ]
    )
    assert all(i.ego == EGO and i.platform == "mastodon" for i in result.interactions)
    ids = [i.event_id for i in result.interactions]
    assert len(ids) == len(set(ids)), "one event per (status, counterpart)"


def test_ego_profile_from_actor_and_following_csv(build_archive: BuildArchive) -> None:
    profile = read(build_archive()).ego_profile
    assert profile is not None
    assert profile.account == EGO
    assert profile.display_name == "Alice Example"
    assert profile.bio == "Writes about #moderation & community."
    assert profile.created_at == datetime(2022, 11, 5, tzinfo=UTC)
    assert profile.following_count == 3  # rows of following_accounts.csv
    assert profile.followers_count is None  # no followers export exists
    assert profile.posts_count == 15  # outbox totalItems
    assert profile.default_avatar is False  # the actor has an `icon`


def test_reply_text_length_ignores_markup_and_leading_mentions(
    build_archive: BuildArchive,
) -> None:
    result = read(build_archive())
    replies = {
        i.at.date().isoformat(): i.text_len
        for i in result.interactions
        if i.kind is Kind.REPLY and i.counterpart == "bob@other.example"
    }
    assert replies["2024-11-01"] == len("I agree, and here is why: federation works.")
    assert replies["2024-11-06"] == 1  # a thumbs-up only: the metric weighs it as a like


def test_direct_message_keeps_its_conversation_as_thread(build_archive: BuildArchive) -> None:
    message = next(i for i in read(build_archive()).interactions if i.kind is Kind.MESSAGE)
    assert (
        message.thread_id == "tag:mastodon.example,2024-11-02:objectId=2002:objectType=Conversation"
    )
    assert message.event_id.startswith("https://mastodon.example/users/alice/statuses/")
    assert message.text_len == len("are you coming on Saturday?")


def test_reply_to_numeric_actor_uri_resolves_through_mention_tag(
    build_archive: BuildArchive,
) -> None:
    # Mastodon 4.4+ serves /ap/users/<id> actor URIs (as in the recorded cassettes): the URI
    # does not name the account, the mention tag does.
    result = read(build_archive())
    (reply,) = [i for i in result.interactions if i.counterpart.startswith("mastodonpy_test_2")]
    assert reply.kind is Kind.REPLY
    assert reply.text_len == len("same!")


def test_self_thread_and_self_boost_are_not_relationships(build_archive: BuildArchive) -> None:
    result = read(build_archive())
    assert all(i.counterpart != EGO for i in result.interactions)
    assert not [i for i in result.interactions if i.at.date().isoformat() == "2024-11-08"]


def test_inbound_is_inferred_only_from_answers_in_joined_conversations(
    build_archive: BuildArchive,
) -> None:
    inbound = [i for i in read(build_archive()).interactions if i.direction is Direction.IN]
    assert [(i.kind, i.counterpart, i.at) for i in inbound] == [
        (Kind.MESSAGE, "carol@mastodon.example", datetime(2024, 11, 2, 11, 30, tzinfo=UTC)),
        (Kind.REPLY, "bob@other.example", datetime(2024, 11, 11, 15, 0, tzinfo=UTC)),
        # answered privately: a direct message to the ego, even in a conversation it had not
        # joined before
        (Kind.MESSAGE, "dave@remote.example", datetime(2024, 11, 15, 9, 0, tzinfo=UTC)),
    ]
    # the id is the answered status's URI: the API reports the same reply with the same id
    assert inbound[1].event_id.startswith("https://other.example/users/bob/statuses/")
    assert inbound[0].thread_id == (
        "tag:mastodon.example,2024-11-02:objectId=2002:objectType=Conversation"
    )
    # replies to statuses in conversations the ego had not joined before (the reply of
    # 2024-11-01, the one to mastodonpy_test_2) reveal nothing received


def test_unresolvable_likes_and_boosts_are_reported_missing(build_archive: BuildArchive) -> None:
    missing = {m.data: m.effect for m in read(build_archive()).missing}
    assert "2 of 4 favourites in likes.json" in missing
    assert "the author of 1 boosts" in missing
    assert "followers list" in missing


def test_like_is_dated_from_the_status_snowflake() -> None:
    from rapport_connectors.mastodon.addresses import status_time_from_id

    # Real status from the recorded cassette test_status_reply.yaml: created_at
    # 2026-08-01T13:53:15.714Z, id 117020583245459824.
    seconds = status_time_from_id(
        "http://localhost:3000/ap/users/117020566092212359/statuses/117020583245459824"
    )
    assert seconds is not None
    assert abs(seconds - datetime(2026, 8, 1, 13, 53, 15, 714000, tzinfo=UTC).timestamp()) < 1
    assert status_time_from_id("https://pleroma.example/objects/5b1e8a4e") is None
    assert status_time_from_id("https://host.example/users/x/statuses/42") is None


def test_zip_with_a_top_folder_reads_the_same(build_archive: BuildArchive) -> None:
    flat = read(build_archive(as_zip=True))
    nested = read(build_archive(as_zip=True, prefix="archive-20241201/"))
    assert events(nested) == events(flat)


def test_minimal_archive_reports_each_missing_file(build_archive: BuildArchive) -> None:
    omit = (
        "likes.json",
        "following_accounts.csv",
        "blocked_accounts.csv",
        "muted_accounts.csv",
        "bookmarks.json",
    )
    result = read(build_archive(omit=omit))
    missing = {m.data for m in result.missing}
    assert {
        "likes.json",
        "following_accounts.csv",
        "blocked_accounts.csv",
        "muted_accounts.csv",
    } <= missing
    assert not [i for i in result.interactions if i.kind in (Kind.LIKE, Kind.BLOCK, Kind.MUTE)]
    assert any(i.kind is Kind.REPLY for i in result.interactions)


def test_archive_without_actor_json_still_names_its_account(build_archive: BuildArchive) -> None:
    result = read(build_archive(omit=("actor.json",)))
    assert result.account.account == EGO
    assert "actor.json (the profile)" in {m.data for m in result.missing}


def test_detect_needs_outbox_and_actor(build_archive: BuildArchive) -> None:
    with ArchiveSource(build_archive(as_zip=True)) as source:
        assert CONNECTOR.detect_archive(source)
    with ArchiveSource(build_archive(omit=("actor.json",))) as source:
        assert not CONNECTOR.detect_archive(source)


def test_truncated_outbox_names_member_and_position(
    build_archive: BuildArchive, archive_fixture_dir: Path
) -> None:
    data = (archive_fixture_dir / "outbox.json").read_bytes()
    path = build_archive(as_zip=True, replace={"outbox.json": data[: len(data) // 2]})
    with pytest.raises(ArchiveError) as info:
        read(path)
    assert info.value.member == "outbox.json"
    assert info.value.position is not None
    assert info.value.position.startswith("line ")
    assert "truncated" in str(info.value)


def test_activity_without_time_names_its_index(
    build_archive: BuildArchive, archive_fixture_dir: Path
) -> None:
    outbox = json.loads((archive_fixture_dir / "outbox.json").read_text())
    del outbox["orderedItems"][2]["object"]["published"]
    del outbox["orderedItems"][2]["published"]
    path = build_archive(replace={"outbox.json": json.dumps(outbox).encode()})
    with pytest.raises(ArchiveError) as info:
        read(path)
    assert (info.value.member, info.value.position) == ("outbox.json", "orderedItems[2]")


def test_outbox_that_is_not_a_collection_is_an_error(build_archive: BuildArchive) -> None:
    path = build_archive(replace={"outbox.json": b'["not", "a collection"]'})
    with pytest.raises(ArchiveError, match="OrderedCollection"):
        read(path)


def test_truncated_csv_names_its_line(build_archive: BuildArchive) -> None:
    broken = b'Account address,Hide notifications\nloud@other.example,true\n"quiet@other.exam'
    with pytest.raises(ArchiveError) as info:
        read(build_archive(replace={"muted_accounts.csv": broken}))
    assert info.value.member == "muted_accounts.csv"
    assert info.value.position == "line 3"


def test_csv_row_that_is_not_an_address_names_its_line(build_archive: BuildArchive) -> None:
    broken = (
        b"Account address,Show boosts,Notify on new posts,Languages\n"
        b"bob@other.example,true,false,\n"
        b"<html>,x,y,\n"
    )
    with pytest.raises(ArchiveError) as info:
        read(build_archive(replace={"following_accounts.csv": broken}))
    assert (info.value.member, info.value.position) == ("following_accounts.csv", "line 3")


def test_actor_without_username_is_an_error(build_archive: BuildArchive) -> None:
    with pytest.raises(ArchiveError, match="preferredUsername") as info:
        read(
            build_archive(replace={"actor.json": b'{"id": "https://mastodon.example/users/alice"}'})
        )
    assert info.value.member == "actor.json"


def test_non_utf8_member_is_an_error(build_archive: BuildArchive) -> None:
    with pytest.raises(ArchiveError, match="UTF-8"):
        read(build_archive(as_zip=True, replace={"likes.json": b'{"orderedItems": ["\xff"]}'}))


def test_generation_time_comes_from_mastodons_file_name(build_archive: BuildArchive) -> None:
    path = build_archive(as_zip=True)
    named = path.with_name("archive-20241201120000-0123456789abcdef0123456789abcdef.zip")
    path.rename(named)
    assert read(named).generated_at == datetime(2024, 12, 1, 12, 0, tzinfo=UTC)
    # a name contradicted by the content (a renamed file) is not trusted
    early = named.with_name("archive-20240101000000-0123456789abcdef0123456789abcdef.zip")
    named.rename(early)
    assert read(early).generated_at is None
