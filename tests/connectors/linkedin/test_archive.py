"""The LinkedIn export reader on exports built in tmp_path (real headers, hand-made rows)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rapport.errors import ArchiveError
from rapport.model import Direction, Kind
from rapport.plugins.archive import ArchiveSource
from rapport.plugins.connector import ArchiveImport
from rapport_connectors.linkedin import LinkedInConnector
from rapport_connectors.linkedin.archive import UNKNOWN_EGO
from tests.connectors.linkedin.conftest import (
    MESSAGE_ROWS,
    URL,
    BuildExport,
    csv_rows,
    default_members,
    template,
)

CONNECTOR = LinkedInConnector()


def read(path: Path) -> ArchiveImport:
    with ArchiveSource(path) as source:
        return CONNECTOR.read_archive(source)


def summary(result: ArchiveImport) -> list[tuple[str, Direction, str, str | None]]:
    return [
        (i.at.isoformat(), i.direction, i.counterpart, i.thread_id) for i in result.interactions
    ]


@pytest.mark.parametrize("as_zip", [False, True], ids=["folder", "zip"])
def test_messages_map_to_directed_events(build_export: BuildExport, as_zip: bool) -> None:
    result = read(build_export(as_zip=as_zip))

    assert result.account.account == "morgan-reyes-42"  # from the invitations
    assert {i.kind for i in result.interactions} == {Kind.MESSAGE}
    assert summary(result) == [
        ("2024-03-01T09:00:00+00:00", Direction.IN, "jane-doe-1a2b3c", "2-A"),
        ("2024-03-01T10:30:00+00:00", Direction.OUT, "jane-doe-1a2b3c", "2-A"),
        ("2024-03-02T08:15:00+00:00", Direction.IN, "jane-doe-1a2b3c", "2-A"),
        ("2024-04-10T17:20:48+00:00", Direction.IN, "samlee", "2-B"),
        ("2024-04-11T07:00:00+00:00", Direction.OUT, "samlee", "2-B"),
        ("2024-05-01T12:00:00+00:00", Direction.IN, "ACoAAFtaylorHuntOpaque00005", "2-C"),
        ("2024-05-03T11:00:00+00:00", Direction.OUT, "jane-doe-1a2b3c", "2-D"),
        ("2024-05-03T11:00:00+00:00", Direction.OUT, "priya-nair", "2-D"),
    ]
    # the quoted multi-line message is one message, its length counted whole
    answer = result.interactions[1]
    assert answer.text_len == len("Sure, Tuesday works.\nSay, 10:00, or later?")
    ids = [i.event_id for i in result.interactions]
    assert len(set(ids)) == len(ids)


def test_event_ids_are_stable_across_imports(build_export: BuildExport) -> None:
    first = [i.event_id for i in read(build_export()).interactions]
    second = [i.event_id for i in read(build_export(as_zip=True)).interactions]
    assert first == second


def test_profiles_from_connections_and_invitations(build_export: BuildExport) -> None:
    result = read(build_export())
    profiles = {p.account: p for p in result.profiles}
    assert set(profiles) == {
        "jane-doe-1a2b3c",
        "samlee",
        "priya-nair",
        "lin-okafor",
        "alex-kim",
        "chris-park-9",
    }
    assert profiles["samlee"].bio == "CTO at Widgets, Inc."  # a quoted cell with a comma
    assert profiles["jane-doe-1a2b3c"].url == URL + "jane-doe-1a2b3c"
    ego = result.ego_profile
    assert ego is not None
    assert ego.account == "morgan-reyes-42"
    assert ego.display_name == "Morgan Reyes"
    assert ego.following_count == 4  # connections
    assert ego.followers_count is None
    assert ego.bio == "Community lead at Example Co"


def test_unattributable_comments_reactions_and_drafts_are_reported(
    build_export: BuildExport,
) -> None:
    missing = {m.data for m in read(build_export()).missing}
    assert "the post authors of 1 comments in Comments.csv" in missing
    assert "the post authors of 2 reactions in Reactions.csv" in missing
    assert "1 drafts, spam, system notices or unidentified senders" in missing
    assert "followers" in missing


def test_messages_only_export_reports_every_other_file(build_export: BuildExport) -> None:
    members = {"messages.csv": default_members()["messages.csv"]}
    result = read(build_export(members=members))
    missing = {m.data for m in result.missing}
    assert {
        "Profile.csv",
        "Connections.csv",
        "Invitations.csv",
        "Comments.csv",
        "Reactions.csv",
    } <= missing
    # without names, opaque ids stay opaque; Morgan is in every conversation, so is the ego
    assert result.account.account == "ACoAABmorganReyesOpaque0001"
    assert len(result.interactions) == 8


def test_old_style_export_with_vanity_urls_and_lf_no_bom(build_export: BuildExport) -> None:
    vanity = {
        "ACoAABmorganReyesOpaque0001": "morgan-reyes-42",
        "ACoAAC7janeDoeOpaque00000002": "jane-doe-1a2b3c",
    }

    def devanity(cell: str) -> str:
        for opaque, slug in vanity.items():
            cell = cell.replace(opaque, slug)
        return cell

    rows = [[devanity(cell) for cell in row] for row in MESSAGE_ROWS]
    connections = template("Connections").lstrip(b"\xef\xbb\xbf").replace(b"\r\n", b"\n")
    connections += csv_rows(
        [["Jane", "Doe", URL + "jane-doe-1a2b3c", "", "", "", "1 Jan 2020"]], "\n"
    )
    members = {
        "messages.csv": template("messages") + csv_rows(rows, "\n"),
        "Connections.csv": connections,
    }
    result = read(build_export(members=members))
    assert result.account.account == "morgan-reyes-42"
    jane = [i for i in result.interactions if i.counterpart == "jane-doe-1a2b3c"]
    assert [i.direction for i in jane] == [Direction.IN, Direction.OUT, Direction.IN, Direction.OUT]


def test_owner_that_cannot_be_told_is_reported_not_guessed(build_export: BuildExport) -> None:
    one_conversation = template("messages") + csv_rows(MESSAGE_ROWS[:2], "\n")
    result = read(build_export(members={"messages.csv": one_conversation}))
    assert result.interactions == []
    assert "which message participant is the account owner" in {m.data for m in result.missing}


def test_connections_only_export_has_a_placeholder_owner(build_export: BuildExport) -> None:
    members = {"Connections.csv": default_members()["Connections.csv"]}
    result = read(build_export(members=members))
    assert result.account.account == UNKNOWN_EGO
    assert len(result.profiles) == 4
    assert "the account owner's identity" in {m.data for m in result.missing}


def test_detect(build_export: BuildExport, tmp_path: Path) -> None:
    with ArchiveSource(build_export(as_zip=True)) as source:
        assert CONNECTOR.detect_archive(source)
    other = tmp_path / "other"
    other.mkdir()
    (other / "outbox.json").write_text("{}")
    with ArchiveSource(other) as source:
        assert not CONNECTOR.detect_archive(source)


def test_truncated_message_row_names_member_and_line(build_export: BuildExport) -> None:
    data = default_members()["messages.csv"]
    broken = data + b"2-E,,Jane Doe,https://www.linkedin.com/in/x,Morgan Reyes\n"
    with pytest.raises(ArchiveError) as info:
        read(build_export(as_zip=True, replace={"messages.csv": broken}))
    assert info.value.member == "messages.csv"
    assert info.value.position == "line 11"  # header, 8 rows, one of them two lines long
    assert "truncated row" in str(info.value)


def test_unterminated_quote_is_an_error(build_export: BuildExport) -> None:
    data = default_members()["messages.csv"]
    broken = data + b'2-E,,Jane Doe,,Morgan Reyes,,2024-06-01 10:00:00 UTC,,"never closed'
    with pytest.raises(ArchiveError, match="malformed or truncated CSV") as info:
        read(build_export(replace={"messages.csv": broken}))
    assert info.value.member == "messages.csv"


def test_unreadable_date_names_its_line(build_export: BuildExport) -> None:
    rows = [list(r) for r in MESSAGE_ROWS]
    rows[3][6] = "yesterday"
    data = template("messages") + csv_rows(rows, "\n")
    with pytest.raises(ArchiveError, match="unreadable DATE") as info:
        read(build_export(replace={"messages.csv": data}))
    assert info.value.position == "line 6"


def test_connections_without_header_is_an_error(build_export: BuildExport) -> None:
    preamble_only = template("Connections").split(b"First Name")[0]
    with pytest.raises(ArchiveError, match="no header row") as info:
        read(build_export(replace={"Connections.csv": preamble_only}))
    assert info.value.member == "Connections.csv"


def test_file_with_a_wrong_header_is_an_error(build_export: BuildExport) -> None:
    with pytest.raises(ArchiveError, match="expected a header") as info:
        read(build_export(replace={"messages.csv": b"When,What\n2024-01-01,hello\n"}))
    assert (info.value.member, info.value.position) == ("messages.csv", "line 1")


def test_unreadable_comments_or_reactions_are_reported_not_fatal(
    build_export: BuildExport,
) -> None:
    # nothing is imported from them (they only count), so LinkedIn's quoting glitches in
    # free text must not refuse the whole export
    broken = template("Comments") + b'2024-02-10 12:00:00,https://x,"He said "hi"" twice\n'
    result = read(build_export(replace={"Comments.csv": broken, "Reactions.csv": b"When,What\n"}))
    missing = [m.data for m in result.missing]
    assert any(d.startswith("Comments.csv (unreadable:") and "line 2" in d for d in missing)
    assert any(d.startswith("Reactions.csv (unreadable:") for d in missing)
    assert len(result.interactions) == 8


def test_old_export_without_conversation_ids_or_urls(build_export: BuildExport) -> None:
    # an older messages.csv layout: no CONVERSATION ID, no profile URLs
    header = ["FROM", "TO", "DATE", "SUBJECT", "CONTENT", "FOLDER"]
    rows = [
        ["Jane Doe", "Morgan Reyes", "2019-03-01 09:00:00 UTC", "", "Coffee?", "INBOX"],
        ["Morgan Reyes", "Jane Doe", "2019-03-01 10:00:00 UTC", "", "Sure, Friday.", "SENT"],
        ["Sam Lee", "Morgan Reyes", "2019-04-01 09:00:00 UTC", "", "Hello!", "INBOX"],
    ]
    members = default_members()
    members["messages.csv"] = csv_rows([header, *rows], "\n")
    old_connections = template("Connections").replace(
        b"First Name,Last Name,URL,Email Address,Company,Position,Connected On",
        b"First Name,Last Name,Email Address,Company,Position,Connected On",
    ) + csv_rows([["Jane", "Doe", "", "Acme", "Engineer", "15 Mar 2018"]])
    members["Connections.csv"] = old_connections
    result = read(build_export(members=members))
    assert [(i.direction, i.counterpart, i.thread_id) for i in result.interactions] == [
        (Direction.IN, "Jane Doe", "between:Jane Doe | Morgan Reyes"),
        (Direction.OUT, "Jane Doe", "between:Jane Doe | Morgan Reyes"),
        (Direction.IN, "Sam Lee", "between:Morgan Reyes | Sam Lee"),
    ]


def test_generation_date_comes_from_linkedins_file_name(build_export: BuildExport) -> None:
    path = build_export(as_zip=True)
    named = path.with_name("Complete_LinkedInDataExport_06-15-2024.zip")
    path.rename(named)
    result = read(named)
    assert result.generated_at is not None
    assert result.generated_at.isoformat() == "2024-06-15T23:59:59+00:00"
    assert read(build_export()).generated_at is None  # a folder not named by LinkedIn


def test_unidentified_senders_are_not_one_relationship(build_export: BuildExport) -> None:
    rows = [
        *MESSAGE_ROWS,
        [
            "2-F",
            "",
            "LinkedIn Member",
            "",
            "Morgan Reyes",
            "",
            "2024-05-05 10:00:00 UTC",
            "",
            "Hi",
            "INBOX",
            "",
            "No",
        ],
        [
            "2-G",
            "",
            "LinkedIn Member",
            "",
            "Morgan Reyes",
            "",
            "2024-05-06 10:00:00 UTC",
            "",
            "Hello",
            "INBOX",
            "",
            "No",
        ],
    ]
    result = read(
        build_export(replace={"messages.csv": template("messages") + csv_rows(rows, "\n")})
    )
    assert "LinkedIn Member" not in {i.counterpart for i in result.interactions}
    assert "3 drafts, spam, system notices or unidentified senders" in {
        m.data for m in result.missing
    }
