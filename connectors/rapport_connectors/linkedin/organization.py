"""LinkedIn's Community Management API for organisation pages: the page as the ego.

Read, with a token of a page administrator (`r_organization_social`; newer versions call it
`r_organization_social_feed`), headers `LinkedIn-Version` and `X-Restli-Protocol-Version: 2.0.0`:

* the page's posts, newest first: `GET /rest/posts?q=author&author=<org urn>`, at most
  `max_posts` of them;
* the comments on each post: `GET /rest/socialActions/<post urn>/comments`. A member's comment
  is `reply` `in` from that member (`text_len` from `message.text`); the page's own comment
  whose `parentComment` is a member's comment is `reply` `out` to that member;
* the reactions on each post: `GET /rest/reactions/(entity:<post urn>)?q=entity`, each `like`
  `in` from its actor (every reaction type: LIKE, PRAISE, EMPATHY... is a like).

Event ids are the comment and reaction URNs, stable across refreshes. A member is named by the
id of its person URN (`urn:li:person:abc` -> `abc`): the Community Management API gives no
profile slug, so these ids do not match the export's (which are slugs). Pages follow
`paging.links` rel=next, or `start`/`count` while `paging.total` says more remain. A 401 or
403 (no scope, or the token's member is no administrator of the page) costs that part of the
data, reported as missing; a header-less 429 is `RateLimited` (the shared HTTP layer).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import quote

import msgspec

from rapport.errors import PlatformError
from rapport.model import Direction, Interaction, Kind, MissingData, Profile
from rapport.plugins.connector import FetchPage
from rapport.plugins.http import BoundHttp, decode_json
from rapport_connectors.linkedin.connector import LinkedInConfig
from rapport_connectors.linkedin.mapping import PLATFORM
from rapport_connectors.linkedin.restli import Paging, restli_headers

__all__ = ["fetch_organization", "organization_id"]

_ORG = re.compile(r"^(?:urn:li:organization:|org:)(\d+)$", re.IGNORECASE)
_PERSON = "urn:li:person:"
_PAGE_SIZE = 50
T = TypeVar("T")


def organization_id(account: str) -> str | None:
    """`urn:li:organization:12345` or `org:12345` -> `12345`; None for anything else."""
    match = _ORG.match(account.strip())
    return match.group(1) if match else None


def member_id(urn: str) -> str | None:
    """`urn:li:person:abc` -> `abc`; None for anything that is not a member."""
    if not urn.startswith(_PERSON):
        return None
    return urn[len(_PERSON) :] or None


class _Page(msgspec.Struct):
    elements: list[dict[str, Any]] = msgspec.field(default_factory=list)
    paging: Paging | None = None


class _Post(msgspec.Struct):
    id: str


class _Stamp(msgspec.Struct):
    time: int = 0
    actor: str = ""


class _Text(msgspec.Struct):
    text: str = ""


class _Comment(msgspec.Struct, rename={"urn": "$URN"}):
    id: str = ""
    actor: str = ""
    object: str = ""
    commentUrn: str = ""  # noqa: N815 - LinkedIn's field name
    urn: str = ""
    parentComment: str | None = None  # noqa: N815
    message: _Text | None = None
    created: _Stamp | None = None

    @property
    def key(self) -> str:
        return self.commentUrn or self.urn or f"urn:li:comment:({self.object},{self.id})"


class _Reaction(msgspec.Struct):
    id: str = ""
    root: str = ""
    reactionType: str = ""  # noqa: N815
    created: _Stamp | None = None


def _at(stamp: _Stamp | None) -> datetime | None:
    return datetime.fromtimestamp(stamp.time / 1000, UTC) if stamp and stamp.time else None


class _RefusedError(Exception):
    """401 or 403: the token may not read this."""


async def _pages(
    api: BoundHttp,
    settings: LinkedInConfig,
    path: str,
    params: dict[str, str],
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Every element of a collection, following `paging` (at most `limit` of them)."""
    headers = restli_headers(settings)
    elements: list[dict[str, Any]] = []
    url = path
    query: dict[str, str] | None = {**params, "start": "0", "count": str(_PAGE_SIZE)}
    seen: set[str] = set()
    for _ in range(settings.max_pages):
        try:
            response = await api.get(url, params=query, headers=headers, endpoint=path)
        except PlatformError as exc:
            if exc.status in (401, 403):
                raise _RefusedError from None
            raise
        page = decode_json(PLATFORM, response, _Page)
        elements.extend(page.elements)
        if limit is not None and len(elements) >= limit:
            return elements[:limit]
        paging = page.paging
        following = paging.next_href() if paging else ""
        if not page.elements or paging is None:
            break
        if following:
            if following in seen:
                break
            seen.add(following)
            url, query = following, None
        elif paging.total is not None and paging.start + len(page.elements) < paging.total:
            url = path
            query = {
                **params,
                "start": str(paging.start + len(page.elements)),
                "count": str(_PAGE_SIZE),
            }
        else:
            break
    return elements


def _decode(element: dict[str, Any], type: type[T]) -> T:
    try:
        return msgspec.convert(element, type)
    except msgspec.ValidationError as exc:
        raise PlatformError(PLATFORM, f"unreadable {type.__name__.strip('_')} ({exc})") from None


def _comments(ego: str, org_urn: str, comments: list[_Comment]) -> tuple[list[Interaction], int]:
    """Reply events of one post's comments, and how many could not be attributed."""
    by_key = {c.key: c for c in comments}
    events: list[Interaction] = []
    skipped = 0
    for comment in comments:
        at = _at(comment.created)
        text_len = len((comment.message.text if comment.message else "").strip())
        if comment.actor == org_urn:
            parent = by_key.get(comment.parentComment or "")
            other = member_id(parent.actor) if parent else None
            direction = Direction.OUT
        else:
            other, direction = member_id(comment.actor), Direction.IN
        if at is None or other is None:
            # the page's own top-level comment is no relationship; others are unattributed
            skipped += comment.actor != org_urn or comment.parentComment is not None
            continue
        events.append(
            Interaction(
                platform=PLATFORM,
                ego=ego,
                counterpart=other,
                direction=direction,
                kind=Kind.REPLY,
                at=at,
                event_id=comment.key,
                thread_id=comment.object or None,
                text_len=text_len,
            )
        )
    return events, skipped


def _reactions(ego: str, reactions: list[_Reaction]) -> tuple[list[Interaction], int]:
    events: list[Interaction] = []
    skipped = 0
    for reaction in reactions:
        actor = reaction.created.actor if reaction.created else ""
        other, at = member_id(actor), _at(reaction.created)
        if other is None or at is None or not reaction.id:
            skipped += not actor.startswith("urn:li:organization:")  # the page's own
            continue
        events.append(
            Interaction(
                platform=PLATFORM,
                ego=ego,
                counterpart=other,
                direction=Direction.IN,
                kind=Kind.LIKE,
                at=at,
                event_id=reaction.id,
                thread_id=reaction.root or None,
            )
        )
    return events, skipped


async def fetch_organization(
    org: str,
    api: BoundHttp,
    settings: LinkedInConfig,
    since: str | None,
    after: datetime | None,
) -> AsyncIterator[FetchPage]:
    """Yield the page's profile, then its posts' comments and reactions as events."""
    ego = f"org:{org}"
    org_urn = f"urn:li:organization:{org}"
    missing = [
        MissingData(
            data="followers, mentions, reposts, and the page's engagement with others' posts",
            effect="not read from LinkedIn's Community Management API",
            hides=(Direction.IN, Direction.OUT),
        )
    ]
    try:
        raw_posts = await _pages(
            api, settings, "/rest/posts", {"q": "author", "author": org_urn}, settings.max_posts
        )
    except _RefusedError:
        missing.append(
            MissingData(
                data=f"posts, comments and reactions of {org_urn}",
                effect="LinkedIn refused them (the token lacks r_organization_social, or its "
                "member is no administrator of the page)",
            )
        )
        yield FetchPage(
            profiles=[Profile(platform=PLATFORM, account=ego)], cursor=since, missing=missing
        )
        return
    posts = [_decode(p, _Post) for p in raw_posts]
    yield FetchPage(profiles=[Profile(platform=PLATFORM, account=ego)], cursor=since)

    events: list[Interaction] = []
    refused: set[str] = set()
    skipped = 0
    for post in posts:
        quoted = quote(post.id, safe="")
        try:
            found = await _pages(api, settings, f"/rest/socialActions/{quoted}/comments", {})
            more, n = _comments(ego, org_urn, [_decode(c, _Comment) for c in found])
            events += more
            skipped += n
        except _RefusedError:
            refused.add("comments")
        try:
            found = await _pages(
                api, settings, f"/rest/reactions/(entity:{quoted})", {"q": "entity"}
            )
            more, n = _reactions(ego, [_decode(r, _Reaction) for r in found])
            events += more
            skipped += n
        except _RefusedError:
            refused.add("reactions")
    missing.extend(
        MissingData(
            data=f"{what} on some posts of {org_urn}",
            effect="LinkedIn refused them (scope or page role); left out",
        )
        for what in sorted(refused)
    )
    if skipped:
        missing.append(
            MissingData(
                data=f"{skipped} comments or reactions by other pages or without a known author",
                effect="not attributable to a member; left out",
            )
        )
    events.sort(key=lambda i: (i.at, i.event_id))
    newest = events[-1].at if events else after
    if after is not None:
        events = [e for e in events if e.at >= after]
    yield FetchPage(
        interactions=events,
        cursor=newest.isoformat() if newest is not None else None,
        missing=missing,
    )
