"""The Mastodon REST API client: one account's profile, network and interactions.

Any instance (`RAPPORT_MASTODON_BASE_URL`). Everything goes through the shared `PlatformHttp`
(retries, `X-RateLimit-*` bookkeeping with ISO-8601 resets, `RateLimited` for long waits,
tokens only ever in the Authorization header). Pagination follows the `Link` header's
`rel="next"`; Mastodon's rate limit is one budget per account across endpoints, so every call
books against the same `api` bucket.

Incremental refreshes: the cursor records, per stream (own statuses, notifications,
conversations), the newest id already read. A refresh reads newest-first and stops at that id
(Mastodon drops `since_id` from its `Link` URLs, so the client checks ids itself). The cursor
only advances when a stream has been read to that point, so an interrupted refresh resumes
without a gap (repeated events deduplicate by id). A first refresh reads at most `max_pages`
pages per stream.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import httpx
import msgspec

from rapport.errors import InputError, PlatformError
from rapport.model import Direction, Interaction, MissingData, Profile
from rapport.plugins.connector import ConnectorConfig, FetchPage
from rapport.plugins.http import BoundHttp, PlatformHttp, decode_json, next_link
from rapport_connectors.mastodon.addresses import address_from_acct, host_of
from rapport_connectors.mastodon.connector import MastodonConfig
from rapport_connectors.mastodon.mapping import PLATFORM, EgoView
from rapport_connectors.mastodon.schema import Account, Conversation, Notification, Status

__all__ = ["STREAMS", "fetch"]

T = TypeVar("T")

#: The cursor's keys: the streams whose newest id is remembered between refreshes.
STREAMS = ("statuses", "notifications", "conversations")
_BUCKET = "api"
_NOTIFICATION_TYPES = ("mention", "favourite", "reblog", "quote")


#: Answers that refuse one endpoint (token scope, instance settings, hidden collections, an
#: endpoint an older server lacks) rather than the whole refresh.
_REFUSED = frozenset({401, 403, 404, 410, 422})


def _refused(label: str, exc: PlatformError) -> MissingData:
    return MissingData(
        data=label, effect=f"the instance refused it (HTTP {exc.status}); left out of this refresh"
    )


def _newer(item_id: str, than: str | None) -> bool:
    """Mastodon ids are decimal strings that grow with time (longer is newer)."""
    if than is None:
        return True
    return (len(item_id), item_id) > (len(than), than)


def _decode_cursor(since: str | None) -> dict[str, str]:
    if not since:
        return {}
    try:
        value = msgspec.json.decode(since.encode(), type=dict[str, str])
    except (msgspec.DecodeError, msgspec.ValidationError):
        raise InputError(
            f"mastodon: unreadable cursor {since[:80]!r} (expected the JSON object a previous "
            "refresh returned)"
        ) from None
    return {k: v for k, v in value.items() if k in STREAMS and v.isdigit()}


def _encode_cursor(cursor: dict[str, str]) -> str:
    return msgspec.json.encode(dict(sorted(cursor.items()))).decode()


def _on_base(link: str | None) -> str | None:
    """A `Link` URL as a path on the configured instance. Mastodon's links name its own
    canonical origin, which may differ from the configured base URL (another domain alias,
    http behind a proxy, a replay server): the path and query are what matter, and the token
    must only ever go to the configured base URL."""
    if link is None:
        return None
    url = httpx.URL(link)
    if not url.path.startswith("/api/"):
        return None  # not a page of this API: stop rather than follow it anywhere
    return url.raw_path.decode("ascii")


def _config(config: ConnectorConfig) -> MastodonConfig:
    if isinstance(config, MastodonConfig):
        return config
    return MastodonConfig(base_url=config.base_url, token=config.token)


class _Client:
    def __init__(self, api: BoundHttp, config: MastodonConfig, local_host: str) -> None:
        self.api = api
        self.config = config
        self.local_host = local_host
        self.accounts: dict[str, str] = {}  # account id -> address, for replies

    async def get(self, url: str, type: type[T], params: dict[str, Any] | None = None) -> T:
        response = await self.api.get(url, params=params, endpoint=_BUCKET)
        return decode_json(PLATFORM, response, type)

    async def pages(
        self,
        path: str,
        type: type[list[T]],
        params: dict[str, Any],
        newest_known: str | None,
        id_of: Callable[[T], str],
    ) -> AsyncIterator[list[T]]:
        """Pages newest-first, only items newer than `newest_known`; stops at it, at the
        last page (no `rel="next"`), or after `max_pages`."""
        url: str = path
        # `since_id` spares the server the known part on the first page; later pages' links
        # drop it, hence the id check below as well.
        query: dict[str, Any] | None = (
            {**params, "since_id": newest_known} if newest_known else params
        )
        seen: set[str] = set()
        for _ in range(self.config.max_pages):
            # The next page's URL carries its own query (max_id and the filters).
            response = await self.api.get(url, params=query, endpoint=_BUCKET)
            query = None
            items = decode_json(PLATFORM, response, type)
            fresh = [item for item in items if _newer(id_of(item), newest_known)]
            yield fresh
            following = _on_base(next_link(response))
            if len(fresh) < len(items) or not items or following is None or following in seen:
                return
            seen.add(following)
            url = following

    async def account_address(self, account_id: str) -> str | None:
        """The address of an account known only by id (a reply to someone not mentioned)."""
        if account_id not in self.accounts:
            try:
                account = await self.get(f"/api/v1/accounts/{account_id}", Account)
            except PlatformError as exc:
                if exc.status not in _REFUSED:
                    raise
                self.accounts[account_id] = ""  # suspended or gone: the reply is unattributed
            else:
                address = address_from_acct(account.acct, self.local_host)
                self.accounts[account_id] = address or ""
        return self.accounts[account_id] or None


async def _lookup(client: _Client, acct: str) -> Account:
    """The account called `acct`. `/api/v1/accounts/lookup` exists since Mastodon 3.4; older
    servers (and some forks) answer 404, so an exact match from account search is the
    fallback before concluding that the account does not exist."""
    try:
        return await client.get("/api/v1/accounts/lookup", Account, params={"acct": acct})
    except PlatformError as exc:
        if exc.status != 404:
            raise
        found = await client.get(
            "/api/v1/accounts/search", list[Account], params={"q": acct, "limit": 5}
        )
        wanted = address_from_acct(acct, client.local_host)
        for candidate in found:
            if address_from_acct(candidate.acct, client.local_host) == wanted:
                return candidate
        raise PlatformError(PLATFORM, f"no account {acct!r} on this instance", status=404) from None


def _profiles(view: EgoView, accounts: list[Account]) -> list[Profile]:
    return [p for p in (view.profile(a) for a in accounts) if p is not None]


async def fetch(
    account: str,
    *,
    http: PlatformHttp,
    config: ConnectorConfig,
    since: str | None = None,
) -> AsyncIterator[FetchPage]:
    """Yield pages of profiles and events for `account` (`name`, `@name` or `name@host`)."""
    settings = _config(config)
    if not settings.base_url or (local_host := host_of(settings.base_url)) is None:
        raise PlatformError(PLATFORM, "no instance URL: set RAPPORT_MASTODON_BASE_URL")
    cursor = _decode_cursor(since)
    client = _Client(http.bind(PLATFORM, settings), settings, local_host)
    size = settings.page_size

    ego_account = await _lookup(client, account.strip().removeprefix("@"))
    # Bare `acct`s are accounts of the instance: name them by the instance's own domain (its
    # profile URLs), not by the URL we reach it at (an alias, a proxy, a replay server), so
    # ids agree with the archive's actor URIs.
    if "@" not in ego_account.acct.strip("@") and ego_account.url:
        local_host = host_of(ego_account.url) or local_host
        client.local_host = local_host
    ego = address_from_acct(ego_account.acct, local_host)
    if ego is None:
        raise PlatformError(PLATFORM, f"the instance returned an unusable acct for {account!r}")
    view = EgoView(ego=ego, ego_id=ego_account.id, local_host=local_host)
    ego_profile = view.profile(ego_account)

    missing: list[MissingData] = []
    own_token = False
    if settings.token:
        try:
            me = await client.get("/api/v1/accounts/verify_credentials", Account)
        except PlatformError as exc:
            if exc.status not in _REFUSED:
                raise
            missing.append(_refused("notifications and direct messages", exc))
        else:
            own_token = address_from_acct(me.acct, local_host) == ego
            if not own_token:
                missing.append(
                    MissingData(
                        data="notifications and direct messages",
                        effect="the token belongs to another account: only public activity is read",
                        hides=(Direction.IN,),
                    )
                )
    else:
        missing.append(
            MissingData(
                data="notifications and direct messages",
                effect="no token (RAPPORT_MASTODON_TOKEN): inbound replies, mentions, "
                "favourites, boosts and direct messages are unknown",
                hides=(Direction.IN,),
            )
        )
    missing.append(
        MissingData(
            data="earlier messages of each direct conversation",
            effect="the API shows only a conversation's last status; other direct messages "
            "come from the statuses and mention notifications",
        )
    )
    yield FetchPage(
        profiles=[ego_profile] if ego_profile else [],
        cursor=_encode_cursor(cursor),
        missing=missing,
    )

    def network(relation: str) -> AsyncIterator[FetchPage]:
        """Followers or following: profiles only (structural facts; counts are on the ego's
        profile)."""

        async def stream() -> AsyncIterator[FetchPage]:
            async for accounts in client.pages(
                f"/api/v1/accounts/{view.ego_id}/{relation}",
                list[Account],
                {"limit": 80},
                None,
                lambda a: a.id,
            ):
                yield FetchPage(profiles=_profiles(view, accounts), cursor=_encode_cursor(cursor))

        return stream()

    async def statuses() -> AsyncIterator[FetchPage]:
        newest: str | None = None
        async for page in client.pages(
            f"/api/v1/accounts/{view.ego_id}/statuses",
            list[Status],
            {"limit": size},
            cursor.get("statuses"),
            lambda s: s.id,
        ):
            events: list[Interaction] = []
            for status in page:
                newest = newest or status.id
                resolve: dict[str, str] = {}
                target = status.in_reply_to_account_id
                if (
                    target is not None
                    and target != view.ego_id
                    and all(m.id != target for m in status.mentions)
                    and (address := await client.account_address(target)) is not None
                ):
                    resolve[target] = address
                events += view.own_status(status, resolve)
            yield FetchPage(interactions=events, cursor=_encode_cursor(cursor))
        if newest is not None:  # read to the end (or to the cursor): advance this stream
            cursor["statuses"] = newest

    async def notifications() -> AsyncIterator[FetchPage]:
        newest: str | None = None
        async for page in client.pages(
            "/api/v1/notifications",
            list[Notification],
            {"limit": 80, "types[]": list(_NOTIFICATION_TYPES)},
            cursor.get("notifications"),
            lambda n: n.id,
        ):
            events: list[Interaction] = []
            for item in page:
                newest = newest or item.id
                events += view.notification(item)
            yield FetchPage(
                interactions=events,
                profiles=_profiles(view, [n.account for n in page]),
                cursor=_encode_cursor(cursor),
            )
        if newest is not None:
            cursor["notifications"] = newest

    async def conversations() -> AsyncIterator[FetchPage]:
        newest: str | None = None
        async for page in client.pages(
            "/api/v1/conversations",
            list[Conversation],
            {"limit": size},
            cursor.get("conversations"),
            lambda c: c.last_status.id if c.last_status else "0",
        ):
            events: list[Interaction] = []
            for conversation in page:
                if conversation.last_status is not None:
                    newest = newest or conversation.last_status.id
                events += view.conversation(conversation)
            yield FetchPage(
                interactions=events,
                profiles=_profiles(view, [a for c in page for a in c.accounts]),
                cursor=_encode_cursor(cursor),
            )
        if newest is not None:
            cursor["conversations"] = newest

    streams: list[tuple[str, AsyncIterator[FetchPage]]] = [
        ("followers list", network("followers")),
        ("following list", network("following")),
        ("the account's own statuses", statuses()),
    ]
    if own_token:
        streams += [
            ("notifications (replies, mentions, favourites, boosts received)", notifications()),
            ("direct conversations", conversations()),
        ]
    for label, stream in streams:
        # An endpoint the instance or the token refuses (or that a replay server did not
        # record) costs that stream, not the refresh: it is reported, and its cursor stays.
        try:
            async for page in stream:
                yield page
        except PlatformError as exc:
            if exc.status not in _REFUSED:
                raise
            yield FetchPage(missing=[_refused(label, exc)], cursor=_encode_cursor(cursor))

    yield FetchPage(cursor=_encode_cursor(cursor))
