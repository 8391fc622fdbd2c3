"""LinkedIn's Member Data Portability API: what LinkedIn really lets a third party read.

`GET /rest/memberSnapshotData?q=criteria&domain=<DOMAIN>` with `LinkedIn-Version` returns the
member's own data as tables keyed by the export's column names: PROFILE, CONNECTIONS and INBOX
(the messages, `CONVERSATION ID`, `FROM`, `SENDER PROFILE URL`, ...). So the rows go through
the same mapping as the export archive (`rapport_connectors.linkedin.mapping`).

What it cannot do, honestly: the API exists only for members in the EEA and Switzerland who
consent through an approved app (`r_dma_portability_3rd_party`); it carries nobody else's
reactions or comments on the member's posts, nor followers; limits are daily and a 429 comes
without headers (the shared HTTP layer then raises `RateLimited` until the next UTC midnight).
Not implemented: the Member Changelog API (increments of the last 28 days), so every refresh
reads the whole snapshot and keeps the messages not older than the cursor (the newest message's
instant). An organisation page as the account (`urn:li:organization:N`, `org:N`) goes to the
Community Management API instead (`rapport_connectors.linkedin.organization`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import msgspec

from rapport.errors import InputError, PlatformError
from rapport.model import Direction, MissingData, Profile
from rapport.plugins.connector import ConnectorConfig, FetchPage
from rapport.plugins.http import BoundHttp, PlatformHttp, decode_json
from rapport_connectors.linkedin.connector import DEFAULT_BASE_URL, LinkedInConfig
from rapport_connectors.linkedin.mapping import PLATFORM, Mapper, RowError
from rapport_connectors.linkedin.organization import fetch_organization, organization_id
from rapport_connectors.linkedin.people import full_name, slug_of
from rapport_connectors.linkedin.restli import Paging, restli_headers
from rapport_connectors.linkedin.tables import Row

__all__ = ["DOMAINS", "fetch"]

#: The snapshot domains read, in order (the profile first: it names the ego in the inbox).
DOMAINS = ("PROFILE", "CONNECTIONS", "INBOX")
_PATH = "/rest/memberSnapshotData"


class _Element(msgspec.Struct):
    snapshotDomain: str  # noqa: N815 - LinkedIn's field name
    snapshotData: list[dict[str, Any]] = msgspec.field(default_factory=list)  # noqa: N815


class _SnapshotPage(msgspec.Struct):
    elements: list[_Element] = msgspec.field(default_factory=list)
    paging: Paging | None = None


def _config(config: ConnectorConfig) -> LinkedInConfig:
    if isinstance(config, LinkedInConfig):
        return config
    return LinkedInConfig(base_url=config.base_url, token=config.token)


async def _domain(api: BoundHttp, settings: LinkedInConfig, domain: str) -> list[Row] | None:
    """Every record of one domain, following `paging.links` rel=next; None when LinkedIn has
    no data for it (404) or refuses it (403)."""
    rows: list[Row] = []
    url: str = _PATH
    params: dict[str, str] | None = {"q": "criteria", "domain": domain}
    headers = restli_headers(settings)
    seen: set[str] = set()
    for _ in range(settings.max_pages):
        try:
            response = await api.get(url, params=params, headers=headers, endpoint=_PATH)
        except PlatformError as exc:
            # 404: LinkedIn has no (more) data for the domain; 403: the app's consent does not
            # cover it. Either costs that domain, not the refresh (401, a bad token, does).
            if exc.status in (403, 404):
                return rows or None
            raise
        page = decode_json(PLATFORM, response, _SnapshotPage)
        for element in page.elements:
            if element.snapshotDomain.upper() != domain:
                continue
            for record in element.snapshotData:
                cells = {
                    str(k).strip().upper(): "" if v is None else str(v) for k, v in record.items()
                }
                rows.append(Row(cells, len(rows) + 1))
        following = page.paging.next_href() if page.paging else ""
        if not page.elements or not following or following in seen:
            break
        seen.add(following)
        url, params = following, None
    return rows


def _decode_cursor(since: str | None) -> datetime | None:
    """The cursor is the instant of the newest message already read (ISO-8601)."""
    if not since:
        return None
    try:
        value = datetime.fromisoformat(since)
    except ValueError:
        raise InputError(
            f"linkedin: unreadable cursor {since[:80]!r} (expected the ISO-8601 instant a "
            "previous refresh printed)"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _ego_id(account: str) -> str:
    """The ego as the user named it: a profile URL's slug, or the slug or name as given."""
    account = account.strip()
    return slug_of(account) or (account.lower() if " " not in account else account)


async def fetch(
    account: str,
    *,
    http: PlatformHttp,
    config: ConnectorConfig,
    since: str | None = None,
) -> AsyncIterator[FetchPage]:
    """Yield the member's profile, connections (as profiles) and messages (as events); for an
    organisation page, its posts' comments and reactions (`.organization`)."""
    settings = _config(config)
    org = organization_id(account)
    if not settings.token:
        raise PlatformError(
            PLATFORM,
            "no token: set RAPPORT_LINKEDIN_TOKEN (Community Management API, a page "
            "administrator's token)"
            if org
            else "no token: set RAPPORT_LINKEDIN_TOKEN (Member Data Portability API); without "
            "one, score the member data export instead (`rapport score --archive`)",
        )
    if settings.base_url is None:
        settings = msgspec.structs.replace(settings, base_url=DEFAULT_BASE_URL)
    api = http.bind(PLATFORM, settings)
    if org is not None:
        after = _decode_cursor(since)
        async for page in fetch_organization(org, api, settings, since, after):
            yield page
        return
    ego = _ego_id(account)
    mapper = Mapper()
    mapper.ego_slugs[ego] += 1
    after = _decode_cursor(since)
    missing: list[MissingData] = [
        MissingData(
            data="reactions, comments and reposts by others; followers",
            effect="LinkedIn's Member Data Portability API does not provide them",
            hides=(Direction.IN,),
        )
    ]

    tables: dict[str, list[Row] | None] = {}
    for domain in DOMAINS:
        tables[domain] = await _domain(api, settings, domain)
        if tables[domain] is None:
            missing.append(
                MissingData(
                    data=f"{domain} snapshot",
                    effect="LinkedIn returned no data for it (none, or not covered by consent)",
                )
            )

    profile_name: str | None = None
    headline: str | None = None
    if profile_rows := tables["PROFILE"]:
        first = profile_rows[0]
        profile_name = full_name(first["First Name"], first["Last Name"]) or None
        headline = first["Headline"] or None
    connections = mapper.add_connections(tables["CONNECTIONS"] or [])
    ego_profile = Profile(
        platform=PLATFORM,
        account=ego,
        display_name=profile_name,
        following_count=connections if tables["CONNECTIONS"] is not None else None,
        bio=headline,
    )
    # The network first (structural: profiles only), then the messages.
    yield FetchPage(
        profiles=[ego_profile, *(p for k, p in mapper.profiles.items() if k != ego)],
        cursor=since,
        missing=missing,
    )

    try:
        mapper.add_messages(tables["INBOX"] or [])
    except RowError as exc:
        raise PlatformError(PLATFORM, f"INBOX record {exc.line}: {exc}") from None
    ego_keys = {ego, *mapper.find_ego(profile_name)}
    events = sorted(mapper.messages(ego, ego_keys), key=lambda i: (i.at, i.event_id))
    newest = events[-1].at if events else after
    # The snapshot always holds everything: a refresh keeps what is not older than the cursor
    # (the cursor's own instant included: ids deduplicate what was seen).
    if after is not None:
        events = [e for e in events if e.at >= after]
    late: list[MissingData] = []
    if mapper.skipped:
        late.append(
            MissingData(
                data=f"{mapper.skipped} drafts, spam, system notices or unidentified senders",
                effect="not conversations between people; left out",
            )
        )
    if mapper.message_count and not (ego_keys - {ego}) and ego not in mapper.names:
        late.append(
            MissingData(
                data=f"{ego!r} among the message participants",
                effect="no participant matched the account or its profile name: every message "
                "is counted as received",
            )
        )
    yield FetchPage(
        interactions=events,
        cursor=newest.isoformat() if newest is not None else None,
        missing=late,
    )
