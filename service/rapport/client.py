"""A typed Python client of the Rapport scoring API, for other services.

    from rapport.client import RapportClient
    with RapportClient("http://127.0.0.1:8000", api_key=key) as rapport:
        print(rapport.score("mastodon", "alice@example.social").score)

`RapportClient` is synchronous, `AsyncRapportClient` the same API for asyncio. Responses are
decoded into the API's own msgspec Structs (`rapport.api.schemas`, `ScoreReport`). A 429 or
503 is retried up to `max_retries` times, waiting what `Retry-After` says (seconds or an HTTP
date; capped by `max_retry_wait`), or an exponential backoff when the header is absent; a
connection that could not be opened is retried the same way (nothing was sent). Every other
error raises an `ApiError` subclass carrying the RFC 9457 problem document.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import msgspec

from rapport.api.schemas import (
    BATCH_LIMIT,
    AccountList,
    AccountOut,
    BatchItem,
    BatchResponse,
    ConnectorsOut,
    HistoryOut,
    IngestOut,
    Problem,
    ProfilesOut,
    WebhookCreated,
    WebhookList,
)
from rapport.metric.report import ScoreReport
from rapport.model import AccountRef, Interaction, Profile

__all__ = [
    "ApiError",
    "AsyncRapportClient",
    "BadRequestError",
    "ClientError",
    "NotFoundError",
    "PayloadTooLargeError",
    "RapportClient",
    "RateLimitedError",
    "ServiceUnavailableError",
    "UnauthorizedError",
]

T = TypeVar("T")
RETRY_STATUSES = frozenset({429, 503})
_encoder = msgspec.json.Encoder()


class ClientError(Exception):
    """Base of every error this client raises."""


class ApiError(ClientError):
    """The API answered with an error; `problem` is its RFC 9457 document."""

    def __init__(self, status: int, problem: Problem, headers: httpx.Headers) -> None:
        self.status, self.problem, self.headers = status, problem, headers
        detail = f": {problem.detail}" if problem.detail else ""
        request_id = f" (request id {problem.request_id})" if problem.request_id else ""
        super().__init__(f"HTTP {status} {problem.title}{detail}{request_id}")


class BadRequestError(ApiError):
    """400/415/422: the request was invalid; `problem.errors` names the fields."""


class UnauthorizedError(ApiError):
    """401: missing, wrong or revoked API key."""


class NotFoundError(ApiError):
    """404: no such object for this tenant."""


class PayloadTooLargeError(ApiError):
    """413: the body exceeds the server's size cap; send smaller batches."""


class RateLimitedError(ApiError):
    """429 after every retry: the key's rate limit is exhausted for `retry_after` seconds."""

    @property
    def retry_after(self) -> float | None:
        return _retry_after(self.headers)


class ServiceUnavailableError(ApiError):
    """503 after every retry."""


_ERRORS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    404: NotFoundError,
    413: PayloadTooLargeError,
    415: BadRequestError,
    422: BadRequestError,
    429: RateLimitedError,
    503: ServiceUnavailableError,
}


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _raise_for(response: httpx.Response) -> None:
    if response.is_success:
        return
    try:
        problem = msgspec.json.decode(response.content, type=Problem)
    except msgspec.MsgspecError:
        problem = Problem(title=response.reason_phrase or "Error", status=response.status_code)
    raise _ERRORS.get(response.status_code, ApiError)(
        response.status_code, problem, response.headers
    )


def _path(*parts: str) -> str:
    return "/".join(quote(part, safe="@:.-_~") for part in parts)


def _refs(accounts: Iterable[AccountRef | tuple[str, str]]) -> list[dict[str, str]]:
    out = []
    for item in accounts:
        platform, account = (item.platform, item.account) if isinstance(item, AccountRef) else item
        out.append({"platform": platform, "account": account})
    return out


def _ndjson(records: Iterable[Interaction | Profile]) -> bytes:
    buffer = bytearray()
    for record in records:
        _encoder.encode_into(record, buffer, len(buffer))
        buffer.extend(b"\n")
    return bytes(buffer)


class _Request(msgspec.Struct, frozen=True):
    method: str
    path: str
    params: dict[str, Any] | None = None
    json: Any = None
    content: bytes | None = None
    headers: dict[str, str] | None = None
    retry_transport: bool = True


class _Base:
    """What the sync and async clients share: requests, retries policy, decoding."""

    def __init__(self, *, max_retries: int, max_retry_wait: float, backoff: float) -> None:
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        self.backoff = backoff

    @staticmethod
    def _headers(api_key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_key}", "User-Agent": "rapport-client"}

    def _delay(self, attempt: int, response: httpx.Response | None) -> float | None:
        """Seconds to wait before retry `attempt` (1-based), or None to give up."""
        if attempt > self.max_retries:
            return None
        hinted = _retry_after(response.headers) if response is not None else None
        wait = hinted if hinted is not None else self.backoff * 2 ** (attempt - 1)
        return min(wait, self.max_retry_wait)

    @staticmethod
    def _decode(response: httpx.Response, type_: type[T]) -> T:
        _raise_for(response)
        return msgspec.json.decode(response.content, type=type_)

    # Requests (shared by both clients).
    @staticmethod
    def _r_list(offset: int, limit: int) -> _Request:
        return _Request("GET", "/v1/accounts", params={"offset": offset, "limit": limit})

    @staticmethod
    def _r_track(platform: str, account: str) -> _Request:
        return _Request("POST", "/v1/accounts", json={"platform": platform, "account": account})

    @staticmethod
    def _r_account(method: str, platform: str, account: str, suffix: str = "") -> _Request:
        return _Request(method, f"/v1/accounts/{_path(platform, account)}{suffix}")

    @staticmethod
    def _r_score(platform: str, account: str, as_of: datetime | None, top: int | None) -> _Request:
        params: dict[str, Any] = {}
        if as_of is not None:
            if as_of.tzinfo is None:
                raise ValueError("as_of needs a timezone")
            params["as_of"] = as_of.isoformat()
        if top is not None:
            params["top"] = top
        return _Request(
            "GET", f"/v1/accounts/{_path(platform, account)}/score", params=params or None
        )

    @staticmethod
    def _r_batch(chunk: list[dict[str, str]]) -> _Request:
        return _Request("POST", "/v1/scores/batch", json={"accounts": chunk})

    @staticmethod
    def _r_ingest(events: Iterable[Interaction]) -> _Request:
        return _Request(
            "POST",
            "/v1/ingest",
            content=_ndjson(events),
            headers={"Content-Type": "application/x-ndjson"},
        )

    @staticmethod
    def _r_profiles(platform: str, account: str, profiles: Iterable[Profile]) -> _Request:
        return _Request(
            "POST",
            f"/v1/accounts/{_path(platform, account)}/profiles",
            content=_ndjson(profiles),
            headers={"Content-Type": "application/x-ndjson"},
        )

    @staticmethod
    def _r_webhook(url: str, threshold: float) -> _Request:
        # Not retried on a transport error: a lost answer could mean a duplicate subscription.
        return _Request(
            "POST", "/v1/webhooks", json={"url": url, "threshold": threshold}, retry_transport=False
        )


def _chunks(items: Sequence[dict[str, str]]) -> list[list[dict[str, str]]]:
    return [list(items[i : i + BATCH_LIMIT]) for i in range(0, len(items), BATCH_LIMIT)]


class RapportClient(_Base):
    """Synchronous client. Use as a context manager (or call `close()`)."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str,
        timeout: float = 10.0,
        max_retries: int = 3,
        max_retry_wait: float = 60.0,
        backoff: float = 0.5,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(max_retries=max_retries, max_retry_wait=max_retry_wait, backoff=backoff)
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=base_url, headers=self._headers(api_key), timeout=timeout, transport=transport
        )

    def __enter__(self) -> RapportClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _send(self, request: _Request) -> httpx.Response:
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._http.request(
                    request.method,
                    request.path,
                    params=request.params,
                    json=request.json,
                    content=request.content,
                    headers=request.headers,
                )
            except httpx.ConnectError:
                delay = self._delay(attempt, None) if request.retry_transport else None
                if delay is None:
                    raise
                self._sleep(delay)
                continue
            if response.status_code not in RETRY_STATUSES:
                return response
            delay = self._delay(attempt, response)
            if delay is None:
                return response
            self._sleep(delay)

    def list_accounts(self, *, offset: int = 0, limit: int = 100) -> AccountList:
        return self._decode(self._send(self._r_list(offset, limit)), AccountList)

    def track(self, platform: str, account: str) -> AccountOut:
        return self._decode(self._send(self._r_track(platform, account)), AccountOut)

    def account(self, platform: str, account: str) -> AccountOut:
        return self._decode(self._send(self._r_account("GET", platform, account)), AccountOut)

    def delete_account(self, platform: str, account: str) -> None:
        _raise_for(self._send(self._r_account("DELETE", platform, account)))

    def score(
        self,
        platform: str,
        account: str,
        *,
        as_of: datetime | None = None,
        top: int | None = None,
    ) -> ScoreReport:
        request = self._r_score(platform, account, as_of, top)
        return self._decode(self._send(request), ScoreReport)

    def scores(self, accounts: Iterable[AccountRef | tuple[str, str]]) -> list[BatchItem]:
        """Current scores of any number of accounts, in order (1,000 per request)."""
        results: list[BatchItem] = []
        for chunk in _chunks(_refs(accounts)):
            results += self._decode(self._send(self._r_batch(chunk)), BatchResponse).results
        return results

    def history(self, platform: str, account: str, *, limit: int = 100) -> HistoryOut:
        request = self._r_account("GET", platform, account, "/score/history")
        request = msgspec.structs.replace(request, params={"limit": limit})
        return self._decode(self._send(request), HistoryOut)

    def ingest(self, events: Iterable[Interaction]) -> IngestOut:
        """Send events (all or nothing; re-sending the same events changes nothing)."""
        return self._decode(self._send(self._r_ingest(events)), IngestOut)

    def push_profiles(
        self, platform: str, account: str, profiles: Iterable[Profile]
    ) -> ProfilesOut:
        """Send the profiles of a tracked account's network (its own and its counterparts',
        all on `platform`; all or nothing) and get the account's new score. Sending the same
        profiles again stores the same data."""
        request = self._r_profiles(platform, account, profiles)
        return self._decode(self._send(request), ProfilesOut)

    def connectors(self) -> ConnectorsOut:
        return self._decode(self._send(_Request("GET", "/v1/connectors")), ConnectorsOut)

    def create_webhook(self, url: str, *, threshold: float = 1.0) -> WebhookCreated:
        return self._decode(self._send(self._r_webhook(url, threshold)), WebhookCreated)

    def webhooks(self) -> WebhookList:
        return self._decode(self._send(_Request("GET", "/v1/webhooks")), WebhookList)

    def delete_webhook(self, webhook_id: str) -> None:
        _raise_for(self._send(_Request("DELETE", f"/v1/webhooks/{_path(webhook_id)}")))

    def ready(self) -> bool:
        """Whether the service and its Redis answer (`/readyz`), without retrying."""
        return self._http.get("/readyz").status_code == 200


class AsyncRapportClient(_Base):
    """The same API as `RapportClient`, for asyncio. Use as an async context manager."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str,
        timeout: float = 10.0,
        max_retries: int = 3,
        max_retry_wait: float = 60.0,
        backoff: float = 0.5,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__(max_retries=max_retries, max_retry_wait=max_retry_wait, backoff=backoff)
        self._sleep = sleep
        self._http = httpx.AsyncClient(
            base_url=base_url, headers=self._headers(api_key), timeout=timeout, transport=transport
        )

    async def __aenter__(self) -> AsyncRapportClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _send(self, request: _Request) -> httpx.Response:
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self._http.request(
                    request.method,
                    request.path,
                    params=request.params,
                    json=request.json,
                    content=request.content,
                    headers=request.headers,
                )
            except httpx.ConnectError:
                delay = self._delay(attempt, None) if request.retry_transport else None
                if delay is None:
                    raise
                await self._sleep(delay)
                continue
            if response.status_code not in RETRY_STATUSES:
                return response
            delay = self._delay(attempt, response)
            if delay is None:
                return response
            await self._sleep(delay)

    async def list_accounts(self, *, offset: int = 0, limit: int = 100) -> AccountList:
        return self._decode(await self._send(self._r_list(offset, limit)), AccountList)

    async def track(self, platform: str, account: str) -> AccountOut:
        return self._decode(await self._send(self._r_track(platform, account)), AccountOut)

    async def account(self, platform: str, account: str) -> AccountOut:
        request = self._r_account("GET", platform, account)
        return self._decode(await self._send(request), AccountOut)

    async def delete_account(self, platform: str, account: str) -> None:
        _raise_for(await self._send(self._r_account("DELETE", platform, account)))

    async def score(
        self,
        platform: str,
        account: str,
        *,
        as_of: datetime | None = None,
        top: int | None = None,
    ) -> ScoreReport:
        request = self._r_score(platform, account, as_of, top)
        return self._decode(await self._send(request), ScoreReport)

    async def scores(self, accounts: Iterable[AccountRef | tuple[str, str]]) -> list[BatchItem]:
        """Current scores of any number of accounts, in order (1,000 per request)."""
        results: list[BatchItem] = []
        for chunk in _chunks(_refs(accounts)):
            response = await self._send(self._r_batch(chunk))
            results += self._decode(response, BatchResponse).results
        return results

    async def history(self, platform: str, account: str, *, limit: int = 100) -> HistoryOut:
        request = self._r_account("GET", platform, account, "/score/history")
        request = msgspec.structs.replace(request, params={"limit": limit})
        return self._decode(await self._send(request), HistoryOut)

    async def ingest(self, events: Iterable[Interaction]) -> IngestOut:
        """Send events (all or nothing; re-sending the same events changes nothing)."""
        return self._decode(await self._send(self._r_ingest(events)), IngestOut)

    async def push_profiles(
        self, platform: str, account: str, profiles: Iterable[Profile]
    ) -> ProfilesOut:
        """Send the profiles of a tracked account's network (its own and its counterparts',
        all on `platform`; all or nothing) and get the account's new score. Sending the same
        profiles again stores the same data."""
        request = self._r_profiles(platform, account, profiles)
        return self._decode(await self._send(request), ProfilesOut)

    async def connectors(self) -> ConnectorsOut:
        return self._decode(await self._send(_Request("GET", "/v1/connectors")), ConnectorsOut)

    async def create_webhook(self, url: str, *, threshold: float = 1.0) -> WebhookCreated:
        return self._decode(await self._send(self._r_webhook(url, threshold)), WebhookCreated)

    async def webhooks(self) -> WebhookList:
        return self._decode(await self._send(_Request("GET", "/v1/webhooks")), WebhookList)

    async def delete_webhook(self, webhook_id: str) -> None:
        _raise_for(await self._send(_Request("DELETE", f"/v1/webhooks/{_path(webhook_id)}")))

    async def ready(self) -> bool:
        """Whether the service and its Redis answer (`/readyz`), without retrying."""
        return (await self._http.get("/readyz")).status_code == 200
