"""The connector contract kit: the checks every connector must pass, as a pytest base class.

Why ship it with the core: the metric trusts connectors blindly (direction resolved against the
ego, stable event ids, missing data reported), so the rules are checked where they are written
down, and a third-party connector proves itself with a few lines:

    from rapport_foo import FooConnector
    from rapport.plugins.testing import ConnectorContract, Replay

    class TestFooContract(ConnectorContract):
        connector = FooConnector()
        archive = Path(__file__).parent / "fixtures" / "foo-export.zip"   # if it reads one
        fetch_account = "alice"                                            # if it fetches

        def replay(self) -> Replay:          # recorded responses, answered by path and params
            return (Replay()
                    .add("/api/followers", FIXTURES / "followers-1.json")
                    .add("/api/followers", FIXTURES / "followers-2.json", params={"cursor": "c2"}))

Every check always runs; a connector that declares a capability without a recording to prove
it fails, rather than skipping. Archive checks also cut and truncate the recorded archive to
prove that missing members are reported and broken ones raise `ArchiveError`.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import httpx
import msgspec
import pytest

from rapport.errors import ArchiveError, RateLimited
from rapport.model import Interaction, Profile
from rapport.plugins.archive import ArchiveSource
from rapport.plugins.connector import ArchiveImport, Connector, ConnectorConfig, FetchPage
from rapport.plugins.host import validate_connector
from rapport.plugins.http import PlatformHttp

__all__ = ["REPLAY_BASE_URL", "ConnectorContract", "Replay", "check_events"]

#: Where fetch tests point the connector; `Replay` answers it without any network.
REPLAY_BASE_URL = "https://replay.rapport.test"
_TEST_TOKEN = "contract-test-token"  # noqa: S105 - a fake token for replayed requests


class _Rule(msgspec.Struct, frozen=True):
    path: str
    params: tuple[tuple[str, str], ...]
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


class Replay:
    """Recorded responses answered by URL path and query parameters, through
    `httpx.MockTransport`: no server, no port, no network.

    A request matches a rule when its path ends with the rule's path and its query holds the
    rule's `params`; the rule with the most matching params wins, so a page-two rule with
    `params={"cursor": "c2"}` beats the page-one rule for the same path. Unmatched requests get
    a 404 naming what was asked, which makes a missing recording obvious in a failing test.
    """

    def __init__(self) -> None:
        self._rules: list[_Rule] = []
        self.requests: list[httpx.Request] = []

    def add(
        self,
        path: str,
        body: Path | bytes | Any,
        *,
        params: Mapping[str, str] | None = None,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> Replay:
        """Answer `path` with `body`: a recorded JSON file, raw bytes or a JSON-able value."""
        if isinstance(body, Path):
            content = body.read_bytes()
        elif isinstance(body, bytes):
            content = body
        else:
            content = msgspec.json.encode(body)
        all_headers = {"content-type": "application/json"} | dict(headers or {})
        self._rules.append(
            _Rule(
                path,
                tuple(sorted((params or {}).items())),
                status,
                tuple(all_headers.items()),
                content,
            )
        )
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        query = request.url.params
        matches = [
            rule
            for rule in self._rules
            if request.url.path.endswith(rule.path)
            and all(query.get(key) == value for key, value in rule.params)
        ]
        if not matches:
            return httpx.Response(
                404, json={"error": f"no recording for {request.method} {request.url.path}"}
            )
        rule = max(matches, key=lambda r: len(r.params))
        return httpx.Response(rule.status, headers=list(rule.headers), content=rule.body)

    @staticmethod
    def rate_limited() -> httpx.MockTransport:
        """Everything answered by a 429 asking to come back in an hour (hand-made)."""

        def answer(request: httpx.Request) -> httpx.Response:
            return httpx.Response(
                429, headers={"retry-after": "3600"}, json={"error": "RateLimitExceeded"}
            )

        return httpx.MockTransport(answer)


def check_events(
    connector: Connector,
    ego: str | None,
    interactions: Sequence[Interaction],
    profiles: Sequence[Profile] = (),
) -> None:
    """Assert what the metric relies on: right platform and ego, direction resolved (the ego
    is never the counterpart) and every field valid against the model's constraints."""
    for event in interactions:
        assert isinstance(event, Interaction), f"not an Interaction: {event!r}"
        assert event.platform == connector.name, f"wrong platform in {event!r}"
        if ego is not None:
            assert event.ego == ego, f"event not seen from the ego {ego!r}: {event!r}"
        assert event.counterpart != event.ego, f"ego is its own counterpart: {event!r}"
        # Constructing a Struct does not check constraints (time zone, lengths): decoding does.
        msgspec.json.decode(msgspec.json.encode(event), type=Interaction)
    for profile in profiles:
        assert isinstance(profile, Profile), f"not a Profile: {profile!r}"
        assert profile.platform == connector.name, f"wrong platform in {profile!r}"
        msgspec.json.decode(msgspec.json.encode(profile), type=Profile)


def _overrides(connector: Connector, name: str) -> bool:
    return getattr(type(connector), name) is not getattr(Connector, name)


def _fetches(connector: Connector) -> bool:
    caps = connector.capabilities
    return caps.followers or caps.following or caps.posts or caps.mentions or caps.messages


def _copy_members(archive: Path, target: Path, *, skip: str | None = None) -> list[str]:
    """Unpack `archive` (zip or folder) into the folder `target`, leaving out `skip`."""
    with ArchiveSource(archive) as source:
        names = source.names()
        for name in names:
            if name == skip:
                continue
            out = target / name
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(source.read_bytes(name))
    return names


class ConnectorContract:
    """Subclass as `TestSomething(ConnectorContract)` and set the class attributes."""

    #: The connector under test (an instance, as registered).
    connector: ClassVar[Connector]
    #: A recorded export archive (zip or folder); required when `archive_formats` is set.
    archive: ClassVar[Path | None] = None
    #: Archives that must be refused with `ArchiveError` (hand-made malformed variants).
    malformed_archives: ClassVar[Sequence[Path]] = ()
    #: Account to fetch against `replay()`; required when the connector declares any of
    #: followers/following/posts/mentions/messages.
    fetch_account: ClassVar[str | None] = None
    #: How many pages the recorded fetch spans at least (proves pagination is followed).
    fetch_min_pages: ClassVar[int] = 2
    #: At most this many members are cut or truncated by the archive checks.
    max_members_checked: ClassVar[int] = 25

    def replay(self) -> Replay:
        """Recorded responses for `fetch_account`. Override when the connector fetches."""
        raise NotImplementedError("set fetch_account and override replay() to test fetch()")

    def config(self) -> ConnectorConfig:
        """The config the fetch checks use: the replay base URL and a fake token."""
        return self.connector.config_type(base_url=REPLAY_BASE_URL, token=_TEST_TOKEN)

    # --- helpers -------------------------------------------------------------------------

    def read(self, path: Path) -> ArchiveImport:
        with ArchiveSource(path) as source:
            return self.connector.read_archive(source)

    def fetch_all(
        self, transport: httpx.AsyncBaseTransport, since: str | None = None
    ) -> list[FetchPage]:
        account = self.fetch_account
        assert account is not None

        async def run() -> list[FetchPage]:
            async with PlatformHttp(transport=transport, max_sleep=0) as http:
                pages = self.connector.fetch(account, http=http, config=self.config(), since=since)
                return [page async for page in pages]

        return asyncio.run(run())

    # --- the contract --------------------------------------------------------------------

    def test_class_attributes_are_valid(self) -> None:
        validate_connector(self.connector)

    def test_capabilities_match_the_implementation(self) -> None:
        caps = self.connector.capabilities
        if caps.archive_formats:
            assert _overrides(self.connector, "read_archive"), "archive_formats without reader"
            assert _overrides(self.connector, "detect_archive"), "archive_formats without detect"
            assert self.archive is not None, "declares archive formats: set `archive`"
        else:
            assert self.archive is None, "an archive is given but archive_formats is empty"
        if _fetches(self.connector):
            assert _overrides(self.connector, "fetch"), "declares API capabilities, no fetch()"
            assert self.fetch_account is not None, "declares API capabilities: set fetch_account"
        else:
            assert self.fetch_account is None, "fetch_account is set but no capability declared"

    def test_archive_is_detected_and_an_empty_folder_is_not(self, tmp_path: Path) -> None:
        if self.archive is None:
            assert not self.connector.capabilities.archive_formats
            return
        with ArchiveSource(self.archive) as source:
            assert self.connector.detect_archive(source), f"does not detect {self.archive}"
        (tmp_path / "empty").mkdir()
        with ArchiveSource(tmp_path / "empty") as source:
            assert not self.connector.detect_archive(source)

    def test_archive_import_is_normalised_and_deduplicable(self) -> None:
        if self.archive is None:
            assert not self.connector.capabilities.archive_formats
            return
        first = self.read(self.archive)
        assert isinstance(first, ArchiveImport)
        assert first.account.platform == self.connector.name
        check_events(self.connector, first.account.account, first.interactions, first.profiles)
        assert first.interactions, "the recorded archive yields no interactions"
        # Reading twice gives the same event ids, and one id never names two different events,
        # so re-importing an archive (or overlapping archives) cannot double-count.
        second = self.read(self.archive)
        assert {e.event_id for e in first.interactions} == {e.event_id for e in second.interactions}
        by_id: dict[tuple[str, str], Interaction] = {}
        for event in first.interactions:
            key = (event.counterpart, event.event_id)
            assert by_id.setdefault(key, event) == event, f"event id reused: {event.event_id}"

    def test_missing_members_are_reported_not_raised(self, tmp_path: Path) -> None:
        if self.archive is None:
            assert not self.connector.capabilities.archive_formats
            return
        full = self.read(self.archive)
        with ArchiveSource(self.archive) as source:
            names = source.names()[: self.max_members_checked]
        for index, name in enumerate(names):
            cut = tmp_path / f"without-{index}"
            cut.mkdir(parents=True)
            _copy_members(self.archive, cut, skip=name)
            try:
                with ArchiveSource(cut) as source:
                    if not self.connector.detect_archive(source):
                        continue  # without this member it is no longer this archive
                    partial = self.connector.read_archive(source)
            except ArchiveError:
                continue  # an essential member: refusing clearly is allowed
            if len(partial.interactions) < len(full.interactions):
                assert partial.missing, f"events lost without {name!r} but `missing` is empty"

    def test_truncated_and_malformed_members_raise_archive_error(self, tmp_path: Path) -> None:
        if self.archive is None:
            assert not self.connector.capabilities.archive_formats
            assert not self.malformed_archives
            return
        with ArchiveSource(self.archive) as source:
            names = source.names()[: self.max_members_checked]
        for index, name in enumerate(names):
            for label, damage in (
                ("truncated", lambda data: data[: len(data) // 2]),
                ("garbage", lambda data: b"\xff\xfe{[\x00 not what you think"),
            ):
                broken = tmp_path / f"{label}-{index}"
                broken.mkdir(parents=True)
                _copy_members(self.archive, broken)
                target = broken / name
                target.write_bytes(damage(target.read_bytes()))
                error: ArchiveError | None = None
                try:
                    self.read(broken)
                except ArchiveError as exc:
                    error = exc
                # Anything but ArchiveError escaping is a bug the user would see as a traceback;
                # accepting the damaged member is allowed (half a CSV is still rows).
                leaf = name.rsplit("/", 1)[-1]
                assert error is None or leaf in str(error), f"{label} {name}: not named: {error}"
                shutil.rmtree(broken)
        for path in self.malformed_archives:
            try:
                self.read(path)
            except ArchiveError:
                continue
            raise AssertionError(f"{path} was accepted; it must raise ArchiveError")

    def test_fetch_paginates_and_returns_a_cursor(self) -> None:
        if self.fetch_account is None:
            assert not _fetches(self.connector), "declares API capabilities: set fetch_account"
            return
        replay = self.replay()
        pages = self.fetch_all(httpx.MockTransport(replay))
        assert len(pages) >= self.fetch_min_pages, f"only {len(pages)} page(s) fetched"
        assert all(isinstance(page, FetchPage) for page in pages)
        interactions = [e for page in pages for e in page.interactions]
        profiles = [p for page in pages for p in page.profiles]
        check_events(self.connector, None, interactions, profiles)
        assert len({e.ego for e in interactions}) <= 1, "one fetch, one ego"
        assert interactions, "the recorded responses yield no interactions"
        cursor = pages[-1].cursor
        assert cursor is not None, "the last page must carry the cursor to refresh from"
        for request in replay.requests:
            assert _TEST_TOKEN not in str(request.url), "token sent in a URL"
        # Refreshing from the cursor works against the same recordings (incremental).
        again = self.fetch_all(httpx.MockTransport(self.replay()), since=cursor)
        assert all(isinstance(page, FetchPage) for page in again)

    def test_fetch_raises_rate_limited_on_429(self) -> None:
        if self.fetch_account is None:
            assert not _fetches(self.connector), "declares API capabilities: set fetch_account"
            return
        with pytest.raises(RateLimited) as caught:  # so the job is deferred, not spun
            self.fetch_all(Replay.rate_limited())
        assert caught.value.platform == self.connector.name
