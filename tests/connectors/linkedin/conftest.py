"""LinkedIn export builder for the tests.

No real LinkedIn export exists under a usable licence (tests/fixtures/linkedin/README.md). The
exports here are built in tmp_path from the real header lines (tests/fixtures/linkedin/
*.header-template.csv: Connections.csv keeps its BOM, `Notes:` preamble and CRLF endings) plus
the HAND-MADE rows below. People, URLs and messages are invented.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "linkedin"

EGO_SLUG = "morgan-reyes-42"
# Newer exports give opaque member URLs in messages.csv; Connections.csv keeps vanity URLs.
URL = "https://www.linkedin.com/in/"
MORGAN_OPAQUE = URL + "ACoAABmorganReyesOpaque0001"
JANE_OPAQUE = URL + "ACoAAC7janeDoeOpaque00000002"
SAM_OPAQUE = URL + "ACoAADsamLeeOpaque000000003"
PRIYA_OPAQUE = URL + "ACoAAEpriyaNairOpaque000004"
TAYLOR_OPAQUE = URL + "ACoAAFtaylorHuntOpaque00005"

# --- HAND-MADE rows -------------------------------------------------------------------------
PROFILE_HEADER = [
    "First Name",
    "Last Name",
    "Maiden Name",
    "Address",
    "Birth Date",
    "Headline",
    "Summary",
    "Industry",
    "Zip Code",
    "Geo Location",
    "Twitter Handles",
    "Websites",
    "Instant Messengers",
]  # the keys of the PROFILE snapshot in LinkedIn's documentation sample
PROFILE_ROWS = [
    [
        "Morgan",
        "Reyes",
        "",
        "",
        "",
        "Community lead at Example Co",
        "",
        "Software",
        "",
        "",
        "",
        "",
        "",
    ],
]
CONNECTION_ROWS = [
    ["Jane", "Doe", URL + "jane-doe-1a2b3c", "", "Acme", "Engineer", "15 Mar 2023"],
    ["Sam", "Lee", URL + "samlee", "sam@example.invalid", "Widgets, Inc.", "CTO", "02 Jan 2024"],
    ["Priya", "Nair", URL + "priya-nair", "", "", "", "20 Jun 2022"],
    ["Lin", "Okafor", URL + "lin-okafor", "", "Example Co", "Designer", "01 Feb 2021"],
]
MESSAGE_ROWS = [
    # conversation A: Jane writes, Morgan answers, Jane answers back
    [
        "2-A",
        "",
        "Jane Doe",
        JANE_OPAQUE,
        "Morgan Reyes",
        MORGAN_OPAQUE,
        "2024-03-01 09:00:00 UTC",
        "",
        "Hi Morgan, are you free for a call next week?",
        "INBOX",
        "",
        "No",
    ],
    [
        "2-A",
        "",
        "Morgan Reyes",
        MORGAN_OPAQUE,
        "Jane Doe",
        JANE_OPAQUE,
        "2024-03-01 10:30:00 UTC",
        "",
        "Sure, Tuesday works.\nSay, 10:00, or later?",
        "INBOX",
        "",
        "No",
    ],
    [
        "2-A",
        "",
        "Jane Doe",
        JANE_OPAQUE,
        "Morgan Reyes",
        MORGAN_OPAQUE,
        "2024-03-02 08:15:00 UTC",
        "",
        "Tuesday 10:00 it is.",
        "INBOX",
        "",
        "No",
    ],
    # conversation B: Sam thanks, Morgan answers
    [
        "2-B",
        "",
        "Sam Lee",
        SAM_OPAQUE,
        "Morgan Reyes",
        MORGAN_OPAQUE,
        "2024-04-10 17:20:48 UTC",
        "",
        "Thanks for the intro!",
        "INBOX",
        "",
        "No",
    ],
    [
        "2-B",
        "",
        "Morgan Reyes",
        MORGAN_OPAQUE,
        "Sam Lee",
        SAM_OPAQUE,
        "2024-04-11 07:00:00 UTC",
        "",
        "Any time.",
        "INBOX",
        "",
        "No",
    ],
    # conversation C: a recruiter's InMail, never answered
    [
        "2-C",
        "Opportunity",
        "Taylor Hunt",
        TAYLOR_OPAQUE,
        "Morgan Reyes",
        MORGAN_OPAQUE,
        "2024-05-01 12:00:00 UTC",
        "Opportunity",
        "Exciting role, let's talk",
        "INBOX",
        "",
        "No",
    ],
    # conversation D: Morgan writes to two people; a draft that was never sent
    [
        "2-D",
        "Lunch",
        "Morgan Reyes",
        MORGAN_OPAQUE,
        "Jane Doe,Priya Nair",
        f"{JANE_OPAQUE},{PRIYA_OPAQUE}",
        "2024-05-03 11:00:00 UTC",
        "",
        "Lunch on Friday?",
        "INBOX",
        "",
        "No",
    ],
    [
        "2-D",
        "Lunch",
        "Morgan Reyes",
        MORGAN_OPAQUE,
        "Jane Doe,Priya Nair",
        f"{JANE_OPAQUE},{PRIYA_OPAQUE}",
        "2024-05-03 11:05:00 UTC",
        "",
        "(draft)",
        "INBOX",
        "",
        "Yes",
    ],
]
INVITATION_ROWS = [
    [
        "Morgan Reyes",
        "Alex Kim",
        "3/10/24, 4:05 PM",
        "Great meeting you",
        "OUTGOING",
        URL + EGO_SLUG,
        URL + "alex-kim",
    ],
    [
        "Chris Park",
        "Morgan Reyes",
        "3/12/24, 9:41 AM",
        "",
        "INCOMING",
        URL + "chris-park-9",
        URL + EGO_SLUG,
    ],
]
COMMENT_ROWS = [
    [
        "2024-02-10 12:00:00",
        "https://www.linkedin.com/feed/update/urn:li:activity:7160000000000000001",
        "Congratulations, well deserved!",
    ],
]
REACTION_ROWS = [
    [
        "2024-02-11 08:00:00",
        "LIKE",
        "https://www.linkedin.com/feed/update/urn:li:activity:7160000000000000002",
    ],
    [
        "2024-02-12 08:00:00",
        "PRAISE",
        "https://www.linkedin.com/feed/update/urn:li:activity:7160000000000000003",
    ],
]


def template(name: str) -> bytes:
    return (FIXTURES / f"{name}.header-template.csv").read_bytes()


def csv_rows(rows: list[list[str]], newline: str = "\r\n") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline)
    writer.writerows(rows)
    return out.getvalue().encode()


def csv_file(header: list[str], rows: list[list[str]]) -> bytes:
    return csv_rows([header, *rows], newline="\n")


def default_members() -> dict[str, bytes]:
    connections = template("Connections")
    if not connections.endswith(b"\n"):
        connections += b"\r\n"
    return {
        "Profile.csv": csv_file(PROFILE_HEADER, PROFILE_ROWS),
        "Connections.csv": connections + csv_rows(CONNECTION_ROWS),
        "messages.csv": template("messages") + csv_rows(MESSAGE_ROWS, newline="\n"),
        "Invitations.csv": template("Invitations") + csv_rows(INVITATION_ROWS, newline="\n"),
        "Comments.csv": template("Comments") + csv_rows(COMMENT_ROWS, newline="\n"),
        "Reactions.csv": template("Reactions") + csv_rows(REACTION_ROWS, newline="\n"),
    }


BuildExport = Callable[..., Path]


@pytest.fixture
def build_export(tmp_path: Path) -> BuildExport:
    """A LinkedIn export as a folder or zip; `members` replaces the default members whole,
    `replace` overrides some, `omit` leaves some out."""
    counter = iter(range(1000))

    def build(
        *,
        as_zip: bool = False,
        members: dict[str, bytes] | None = None,
        replace: dict[str, bytes] | None = None,
        omit: tuple[str, ...] = (),
    ) -> Path:
        chosen = dict(default_members() if members is None else members)
        chosen.update(replace or {})
        for name in omit:
            chosen.pop(name, None)
        n = next(counter)
        if as_zip:
            target = tmp_path / f"Basic_LinkedInDataExport_{n}.zip"
            with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
                for name, data in chosen.items():
                    zf.writestr(name, data)
            return target
        target = tmp_path / f"export-{n}"
        target.mkdir()
        for name, data in chosen.items():
            (target / name).write_bytes(data)
        return target

    return build
