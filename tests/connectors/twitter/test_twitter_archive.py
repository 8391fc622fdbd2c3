"""The X export reader on real archive excerpts and hand-made variants, as zip and as folder."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rapport.errors import ArchiveError
from rapport.metric import group_by_account, score_events
from rapport.model import Direction, Kind
from rapport.plugins import ArchiveImport, ArchiveSource
from rapport_connectors.twitter import TwitterConnector
from rapport_connectors.twitter.archive import detect_archive, read_archive
from tests.connectors.twitter.helpers import (
    HANDMADE,
    HANDMADE_OLD,
    REAL_2023,
    REAL_OLD,
    build,
    files_of,
    full_archive_files,
)

EGO = "322603863"  # the real community-archive account
EMPATHY = "732980797985148928"  # real counterpart of the real reply
ALICE, BOB, CAROL = "9000000001", "9000000002", "9000000003"  # hand-made


def _read(path: Path) -> ArchiveImport:
    with ArchiveSource(path) as source:
        return read_archive(source, now=datetime(2030, 1, 1, tzinfo=UTC))


def _events(result) -> set[tuple[str, str, str, str]]:  # type: ignore[no-untyped-def]
    return {
        (e.event_id, e.counterpart, e.direction.value, e.kind.value) for e in result.interactions
    }


@pytest.mark.parametrize("as_zip", [False, True], ids=["folder", "zip"])
def test_full_archive_maps_every_kind_with_direction_against_the_ego(
    tmp_path: Path, as_zip: bool
) -> None:
    result = _read(build(tmp_path / "export", full_archive_files(), as_zip=as_zip))

    assert result.account.account == EGO
    assert result.generated_at == datetime(2024, 8, 21, 10, 37, 5, 489000, tzinfo=UTC)
    assert _events(result) == {
        # real tweet: reply to @empathy2000
        ("1626922779105759235", EMPATHY, "out", "reply"),
        # hand-made tweets
        ("1627000000000000001", EMPATHY, "out", "repost"),
        (f"1627000000000000002:{ALICE}", ALICE, "out", "mention"),
        (f"1627000000000000002:{BOB}", BOB, "out", "mention"),
        ("1627000000000000003", ALICE, "out", "reply"),
        ("1627000000000000004", BOB, "out", "quote"),
        # one-to-one messages and a reaction
        ("1630000000000000001", ALICE, "out", "message"),
        ("1630000000000000002", ALICE, "in", "message"),
        ("1630000000000000100", ALICE, "out", "like"),
        ("1630000000000000003", CAROL, "in", "message"),
        # group conversation: one event per recipient of ego's message
        (f"1631000000000000002:{ALICE}", ALICE, "out", "message"),
        (f"1631000000000000002:{BOB}", BOB, "out", "message"),
        (f"1631000000000000003:{EGO}", BOB, "in", "message"),
        # vetoes
        ("block:9000000666", "9000000666", "out", "block"),
        ("mute:9000000777", "9000000777", "out", "mute"),
    }
    by_id = {e.event_id: e for e in result.interactions}
    real_reply = by_id["1626922779105759235"]
    assert real_reply.at == datetime(2023, 2, 18, 12, 33, 11, tzinfo=UTC)
    assert real_reply.text_len == len("did NOT know but now I'm listening to her solo act bc of u")
    assert by_id["1627000000000000003"].text_len == 1  # "@alice_hm 👍": a broken sentence
    assert by_id["1630000000000000001"].thread_id == f"{EGO}-{ALICE}"
    assert by_id["1630000000000000001"].text_len == len("Are we still on for lunch on Friday?")
    assert by_id[f"1631000000000000003:{EGO}"].thread_id == "1631000000000000000"
    assert by_id["block:9000000666"].at == result.generated_at  # known to hold when exported
    assert all(e.ego == EGO and e.platform == "twitter" for e in result.interactions)

    ego = result.ego_profile
    assert ego is not None
    assert (ego.handle, ego.display_name) == ("exGenesis", "xiq")
    assert (ego.followers_count, ego.following_count, ego.posts_count) == (3, 3, 8)
    assert ego.created_at == datetime(2011, 6, 23, 13, 4, 14, tzinfo=UTC)
    handles = {p.account: p.handle for p in result.profiles}
    assert handles == {EMPATHY: "empathy2000", ALICE: "alice_hm", BOB: "bob_hm"}

    missing = {m.data: m.effect for m in result.missing}
    assert set(missing) == {
        "like",
        "repost authors",
        "quote authors",
        "inbound public interactions",
    }
    assert "2 liked tweets" in missing["like"]
    assert missing["repost authors"].startswith("1 retweets")
    assert missing["quote authors"].startswith("1 quoted")


def test_people_one_talks_with_rank_above_people_one_never_answered(tmp_path: Path) -> None:
    """End to end through the metric: alice (two-way messages) outranks carol (one unanswered
    inbound message); the blocked account never counts as genuine."""
    result = _read(build(tmp_path / "export", full_archive_files(), as_zip=True))
    events = group_by_account(result.interactions)[result.account]
    assert result.generated_at is not None
    report = score_events(events, as_of=result.generated_at.timestamp() - 530 * 86400)
    strength = {r.counterpart: r.strength for r in report.relationships}
    assert strength[ALICE] > strength[CAROL] > 0
    assert strength[ALICE] == max(strength.values())


def test_real_2023_excerpts_alone_import_and_report_what_they_lack(tmp_path: Path) -> None:
    result = _read(build(tmp_path / "export", files_of(REAL_2023), as_zip=True))

    assert result.account.account == EGO  # from account.js: there is no manifest
    assert result.generated_at is None
    assert [(e.counterpart, e.direction, e.kind) for e in result.interactions] == [
        (EMPATHY, Direction.OUT, Kind.REPLY)
    ]
    missing = [m.data for m in result.missing]
    for data in ("manifest", "direct-messages", "direct-messages-group", "like", "block", "mute"):
        assert data in missing
    assert "tweets" not in missing
    assert "follower" not in missing


def test_real_older_export_without_tweets_still_imports(tmp_path: Path) -> None:
    result = _read(build(tmp_path / "export", files_of(REAL_OLD), as_zip=False))

    assert result.account.account == "12497"
    assert result.interactions == []
    assert result.ego_profile is not None
    assert result.ego_profile.handle == "simonw"
    assert (result.ego_profile.followers_count, result.ego_profile.following_count) == (2, 2)
    assert result.ego_profile.posts_count is None  # unknown, not zero
    assert "tweets" in [m.data for m in result.missing]


def test_older_tweet_js_shape_without_the_tweet_box(tmp_path: Path) -> None:
    result = _read(build(tmp_path / "export", files_of(REAL_OLD, HANDMADE_OLD), as_zip=True))

    (reply,) = result.interactions
    assert (reply.counterpart, reply.direction, reply.kind) == ("12161", Direction.OUT, Kind.REPLY)
    assert reply.text_len == len("that sounds like a great plan!")
    assert result.ego_profile is not None
    assert result.ego_profile.posts_count == 1


def test_members_inside_a_top_level_folder_of_the_zip(tmp_path: Path) -> None:
    files = {f"twitter-2024-08-21/{name}": text for name, text in full_archive_files().items()}
    result = _read(build(tmp_path / "export", files, as_zip=True))
    assert len(result.interactions) == 15


def test_an_archive_of_only_a_manifest_reports_everything_missing(tmp_path: Path) -> None:
    manifest = (HANDMADE / "manifest.js").read_text()
    result = _read(build(tmp_path / "export", {"data/manifest.js": manifest}, as_zip=True))

    assert result.account.account == EGO
    assert result.interactions == []
    missing = {m.data for m in result.missing}
    assert {"account", "tweets", "direct-messages", "follower", "like", "block"} <= missing
    assert "manifest" not in missing


def test_ego_inferred_from_direct_messages_when_no_file_names_it(tmp_path: Path) -> None:
    files = {"data/direct-messages.js": (HANDMADE / "direct-messages.js").read_text()}
    result = _read(build(tmp_path / "export", files, as_zip=False))
    assert result.account.account == EGO
    assert ("1630000000000000003", CAROL, "in", "message") in _events(result)


def test_an_export_naming_no_account_is_an_error(tmp_path: Path) -> None:
    files = {"data/follower.js": (REAL_2023 / "follower.js").read_text()}
    with pytest.raises(ArchiveError, match="cannot tell whose export"):
        _read(build(tmp_path / "export", files, as_zip=True))


@pytest.mark.parametrize("as_zip", [False, True], ids=["folder", "zip"])
def test_truncated_file_names_member_and_position(tmp_path: Path, as_zip: bool) -> None:
    files = full_archive_files()
    text = files["data/direct-messages.js"]
    files["data/direct-messages.js"] = text[: len(text) // 2]
    path = build(tmp_path / "export", files, as_zip=as_zip)

    with pytest.raises(ArchiveError) as caught:
        _read(path)
    error = caught.value
    assert error.member == "data/direct-messages.js"
    assert "truncated JSON" in str(error)
    assert error.position is not None
    assert error.position.startswith("line ")
    assert str(path) in str(error)


def test_malformed_line_names_its_line_and_column(tmp_path: Path) -> None:
    files = full_archive_files()
    lines = files["data/tweets-part1.js"].splitlines()
    broken = next(i for i, line in enumerate(lines) if '"full_text" : "Lunch' in line)
    lines[broken] = '      "full_text" : "Lunch with @alice_hm' + " oops, no closing quote,"
    lines.insert(broken + 1, "      }}}")
    files["data/tweets-part1.js"] = "\n".join(lines)

    with pytest.raises(ArchiveError) as caught:
        _read(build(tmp_path / "export", files, as_zip=True))
    assert caught.value.member == "data/tweets-part1.js"
    assert caught.value.position is not None
    assert caught.value.position.startswith(f"line {broken + 1},")
    assert "malformed JSON" in str(caught.value)


def test_wrongly_typed_item_names_the_item(tmp_path: Path) -> None:
    files = full_archive_files()
    files["data/block.js"] = 'window.YTD.block.part0 = [{"blocking": {"accountId": "1"}},' + (
        ' {"blocking": {"userLink": "https://twitter.com/intent/user?user_id=2"}}]'
    )
    with pytest.raises(ArchiveError) as caught:
        _read(build(tmp_path / "export", files, as_zip=False))
    assert (caught.value.member, caught.value.position) == ("data/block.js", "item 2")
    assert "accountId" in str(caught.value)


def test_unreadable_date_names_the_item(tmp_path: Path) -> None:
    files = full_archive_files()
    files["data/tweets.js"] = files["data/tweets.js"].replace(
        "Sat Feb 18 12:33:11 +0000 2023", "yesterday at noon"
    )
    with pytest.raises(ArchiveError) as caught:
        _read(build(tmp_path / "export", files, as_zip=True))
    assert (caught.value.member, caught.value.position) == ("data/tweets.js", "item 1")
    assert "unreadable date" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("var x = [1, 2, 3]", "not an X export data file"),
        ('window.YTD.mute.part0 = {"muting": {}}', "expected a list"),
        ("window.YTD.mute.part0 = [] window.YTD.mute.part1 = []", "unexpected content"),
    ],
)
def test_other_bad_shapes_are_archive_errors(tmp_path: Path, text: str, message: str) -> None:
    files = full_archive_files()
    files["data/mute.js"] = text
    with pytest.raises(ArchiveError, match=message) as caught:
        _read(build(tmp_path / "export", files, as_zip=True))
    assert caught.value.member == "data/mute.js"


def test_detection_by_manifest_or_ytd_data_files(tmp_path: Path) -> None:
    with ArchiveSource(build(tmp_path / "a", full_archive_files(), as_zip=True)) as source:
        assert detect_archive(source)
    with ArchiveSource(build(tmp_path / "b", files_of(REAL_OLD), as_zip=False)) as source:
        assert detect_archive(source)  # no manifest: `window.YTD.` in the data files
    other = {
        "outbox.json": "{}",
        "likes.json": "{}",
        "data/readme.js": "console.log(1)",
        "manifest.js": '{"name": "some web app"}',  # a manifest of something else
    }
    with ArchiveSource(build(tmp_path / "c", other, as_zip=True)) as source:
        assert not detect_archive(source)


def test_a_broken_zip_is_an_archive_error(tmp_path: Path) -> None:
    path = build(tmp_path / "export", full_archive_files(), as_zip=True)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(ArchiveError):
        _read(path)
    assert not zipfile.is_zipfile(path)


def test_connector_registers_through_the_hook_and_reads_archives(tmp_path: Path) -> None:
    import pluggy

    import rapport_connectors.twitter as plugin
    from rapport.plugins import hookspecs

    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    manager.register(plugin)
    registered: list[object] = []
    manager.hook.register_connectors(register=registered.append)

    (connector,) = registered
    assert isinstance(connector, TwitterConnector)
    assert connector.name == "twitter"
    assert connector.capabilities.archive_formats == ("x-archive",)
    with ArchiveSource(build(tmp_path / "x", full_archive_files(), as_zip=False)) as source:
        assert connector.detect_archive(source)
        assert len(connector.read_archive(source).interactions) == 15


def test_placeholder_ids_of_vanished_accounts_are_skipped(tmp_path: Path) -> None:
    """Hand-made: old exports hold `"id_str": "-1"` for a mention of an account that no longer
    existed; it must not become a counterpart."""
    files = full_archive_files()
    files["data/tweets.js"] = files["data/tweets.js"].replace(
        '"user_mentions" : [', '"user_mentions" : [ {"screen_name": "gone", "id_str": "-1"},', 1
    )
    result = _read(build(tmp_path / "export", files, as_zip=True))
    assert "-1" not in {e.counterpart for e in result.interactions}
    assert len(result.interactions) == 15


def test_group_messages_count_without_join_events(tmp_path: Path) -> None:
    """Hand-made: a group conversation holding only bob's message (no join event, nothing the
    ego wrote): the ego is in every conversation of its own export, so it received it."""
    files = full_archive_files()
    prefix, _, body = files["data/direct-messages-group.js"].partition("= ")
    conversations = json.loads(body)
    for item in conversations:
        messages = item["dmConversation"]["messages"]
        item["dmConversation"]["messages"] = [
            m for m in messages if m.get("messageCreate", {}).get("senderId") == BOB
        ]
    files["data/direct-messages-group.js"] = prefix + "= " + json.dumps(conversations, indent=2)
    result = _read(build(tmp_path / "export", files, as_zip=False))
    group = {s for s in _events(result) if s[0].startswith("1631")}
    assert group == {(f"1631000000000000003:{EGO}", BOB, "in", "message")}


def test_older_exports_with_only_message_headers(tmp_path: Path) -> None:
    """Hand-made from the documented older layout: `direct-message-headers.js` holds the
    messages without their text; the events are the same, with `text_len` unknown."""
    files = full_archive_files()
    text = files.pop("data/direct-messages.js").replace(
        "YTD.direct_messages.", "YTD.direct_message_headers."
    )
    headers = "\n".join(line for line in text.splitlines() if '"text" :' not in line)
    files["data/direct-message-headers.js"] = headers
    result = _read(build(tmp_path / "export", files, as_zip=True))
    by_id = {e.event_id: e for e in result.interactions}
    assert by_id["1630000000000000002"].direction is Direction.IN
    assert by_id["1630000000000000002"].text_len is None
    assert "direct-messages" not in {m.data for m in result.missing}


def test_an_escaped_lone_surrogate_is_read_not_refused(tmp_path: Path) -> None:
    """Hand-made: old tweets truncated mid-emoji keep half a surrogate pair as a `\\ud83d`
    escape, which msgspec refuses; the reader falls back and keeps the import whole, and the
    half character never reaches a profile (it would break JSON output)."""
    files = full_archive_files()
    files["data/tweets.js"] = (
        files["data/tweets.js"]
        .replace('"name" : "Cameron (🇵🇹)"', '"name" : "Cameron \\ud83d"')
        .replace("bc of u", "bc of u \\ud83d")
    )
    result = _read(build(tmp_path / "export", files, as_zip=True))
    assert len(result.interactions) == 15
    names = {p.account: p.display_name for p in result.profiles}
    assert names[EMPATHY] == "Cameron \ufffd"


def test_a_like_whose_url_names_a_known_author_counts(tmp_path: Path) -> None:
    """Hand-made: some exports write the liked tweet's URL with its author's handle; when
    that handle is known from the export, the like is attributed, dated by the tweet id."""
    files = full_archive_files()
    files["data/like.js"] = files["data/like.js"].replace(
        "https://twitter.com/i/web/status/1625000000000000001",
        "https://twitter.com/alice_hm/status/1625000000000000001",
    )
    result = _read(build(tmp_path / "export", files, as_zip=False))
    like = {e.event_id: e for e in result.interactions}[f"1625000000000000001:like:{EGO}"]
    assert (like.counterpart, like.direction, like.kind) == (ALICE, Direction.OUT, Kind.LIKE)
    # (1625000000000000001 >> 22) + 1288834974657 ms since the epoch
    assert like.at == datetime(2023, 2, 13, 5, 12, 45, 697000, tzinfo=UTC)
    assert "1 of its 2 liked tweets" in {m.data: m.effect for m in result.missing}["like"]


def test_the_2019_spelling_direct_message_js(tmp_path: Path) -> None:
    """Hand-made from the documented 2019 layout: `direct-message.js` (singular) with
    `window.YTD.direct_message.part0`."""
    files = full_archive_files()
    text = files.pop("data/direct-messages.js")
    files["data/direct-message.js"] = text
    result = _read(build(tmp_path / "export", files, as_zip=True))
    assert ("1630000000000000002", ALICE, "in", "message") in _events(result)
    assert "direct-messages" not in {m.data for m in result.missing}
