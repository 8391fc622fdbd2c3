"""The contract kit catches what it promises to catch.

(That it *passes* a well-behaved connector is proven by the scaffold test in
test_cli_connectors.py and by the Bluesky example in tests/examples.) Here a deliberately
sloppy connector breaks one rule at a time, and the matching check must fail.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from rapport.errors import RateLimited
from rapport.model import AccountRef, Direction, Interaction, Kind
from rapport.plugins import (
    ArchiveImport,
    ArchiveSource,
    Capabilities,
    Connector,
    ConnectorConfig,
    FetchPage,
)
from rapport.plugins.http import PlatformHttp
from rapport.plugins.testing import ConnectorContract, Replay

AT = datetime(2025, 1, 1, tzinfo=UTC)


def event(n: int, platform: str = "sloppy") -> Interaction:
    return Interaction(
        platform=platform,
        ego="me",
        counterpart=f"friend{n}",
        direction=Direction.IN,
        kind=Kind.REPLY,
        at=AT,
        event_id=str(n),
    )


class Sloppy(Connector):
    """Reads `sloppy.json` with the standard library and no error handling, forgets to report
    `extra.json` missing, fetches one page and swallows rate limits."""

    name = "sloppy"
    version = "0.0.1"
    capabilities = Capabilities(posts=True, archive_formats=("sloppy",))
    platform_in_events = "sloppy"

    def detect_archive(self, source: ArchiveSource) -> bool:
        return source.has("sloppy.json")

    def read_archive(self, source: ArchiveSource) -> ArchiveImport:
        ids = json.loads(source.read_text("sloppy.json"))["ids"]
        if source.has("extra.json"):
            ids += json.loads(source.read_text("extra.json"))["ids"]
        result = ArchiveImport(account=AccountRef(platform="sloppy", account="me"))
        result.interactions = [event(n, self.platform_in_events) for n in ids]
        return result

    async def fetch(
        self, account: str, *, http: PlatformHttp, config: ConnectorConfig, since: str | None = None
    ) -> AsyncIterator[FetchPage]:
        try:
            await http.bind(self.name, config).get("/events")
        except RateLimited:
            return
        yield FetchPage(interactions=[event(1)], cursor="c1")


class WrongPlatform(Sloppy):
    platform_in_events = "twitter"


class Lenient(Sloppy):
    """Accepts anything: never raises, even for garbage."""

    def read_archive(self, source: ArchiveSource) -> ArchiveImport:
        try:
            return super().read_archive(source)
        except ValueError:
            return ArchiveImport(account=AccountRef(platform="sloppy", account="me"))


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    folder = tmp_path / "archive"
    folder.mkdir()
    (folder / "sloppy.json").write_text('{"ids": [1, 2]}')
    (folder / "extra.json").write_text('{"ids": [3]}')
    return folder


def contract(connector: Connector, **attributes: Any) -> ConnectorContract:
    replay = Replay().add("/events", {"items": []})
    attributes.setdefault("replay", lambda self: replay)
    kit: ConnectorContract = type(
        "Kit", (ConnectorContract,), {"connector": connector, **attributes}
    )()
    return kit


def test_non_archive_error_on_a_truncated_member_escapes(archive: Path, tmp_path: Path) -> None:
    kit = contract(Sloppy(), archive=archive, fetch_account="me")
    with pytest.raises(ValueError, match=r"Expecting|Unterminated|Extra data|Invalid"):
        kit.test_truncated_and_malformed_members_raise_archive_error(tmp_path / "work")


def test_accepting_a_malformed_archive_fails(archive: Path, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / "sloppy.json").write_text("{not json")
    kit = contract(Lenient(), archive=archive, malformed_archives=(garbage,), fetch_account="me")
    with pytest.raises(AssertionError, match="was accepted; it must raise ArchiveError"):
        kit.test_truncated_and_malformed_members_raise_archive_error(tmp_path / "work")


def test_silently_lost_events_fail_the_missing_data_check(archive: Path, tmp_path: Path) -> None:
    kit = contract(Sloppy(), archive=archive, fetch_account="me")
    (tmp_path / "work").mkdir()
    with pytest.raises(AssertionError, match=r"events lost without 'extra\.json'"):
        kit.test_missing_members_are_reported_not_raised(tmp_path / "work")


def test_events_of_the_wrong_platform_fail(archive: Path) -> None:
    kit = contract(WrongPlatform(), archive=archive, fetch_account="me")
    with pytest.raises(AssertionError, match="wrong platform"):
        kit.test_archive_import_is_normalised_and_deduplicable()


def test_a_single_page_fails_the_pagination_check(archive: Path) -> None:
    kit = contract(Sloppy(), archive=archive, fetch_account="me")
    with pytest.raises(AssertionError, match=r"only 1 page\(s\) fetched"):
        kit.test_fetch_paginates_and_returns_a_cursor()


def test_a_swallowed_rate_limit_fails(archive: Path) -> None:
    kit = contract(Sloppy(), archive=archive, fetch_account="me")
    with pytest.raises(pytest.fail.Exception, match="DID NOT RAISE"):
        kit.test_fetch_raises_rate_limited_on_429()


def test_declared_capabilities_need_recordings() -> None:
    kit = contract(Sloppy())  # no archive, no fetch_account
    with pytest.raises(AssertionError, match="declares archive formats"):
        kit.test_capabilities_match_the_implementation()
    with pytest.raises(AssertionError, match="declares API capabilities"):
        kit.test_fetch_raises_rate_limited_on_429()


def test_invalid_class_attributes_fail() -> None:
    class Nameless(Sloppy):
        name = "Not A Name"

    with pytest.raises(TypeError, match="name must match"):
        contract(Nameless()).test_class_attributes_are_valid()


def test_replay_prefers_the_most_specific_rule_and_names_missing_recordings() -> None:
    import httpx

    replay = Replay().add("/p", {"page": 1}).add("/p", {"page": 2}, params={"cursor": "c2"})
    assert replay(httpx.Request("GET", "https://r.test/api/p")).json() == {"page": 1}
    assert replay(httpx.Request("GET", "https://r.test/api/p?cursor=c2")).json() == {"page": 2}
    missing = replay(httpx.Request("GET", "https://r.test/other"))
    assert missing.status_code == 404
    assert "no recording for GET /other" in missing.text
