"""The one HTTP layer every connector talks to its platform through.

Why one layer: timeouts, retries, rate limits and secret hygiene are easy to get subtly wrong,
and getting them wrong in one connector out of four is enough to get a token banned or a log
full of bearer tokens. So connectors never build an `httpx.AsyncClient` themselves; they get a
`PlatformHttp` (one shared client for the whole process) and call `bind(platform, config)`:

    api = http.bind(self.name, config)
    page = await api.get_json("/2/users/123/followers", Followers, endpoint="followers",
                              params={"max_results": 1000, "pagination_token": token})

What it does for them:

* **Retries** on 5xx answers and connection errors, with exponential back-off and full jitter,
  at most `max_tries` attempts, then a `PlatformError`.
* **Rate limits** are booked per (platform, endpoint, token hash) from the response headers:
  X `x-rate-limit-limit/remaining/reset` (reset in epoch seconds), Mastodon
  `X-RateLimit-Limit/Remaining/Reset` (reset in ISO-8601), the IETF `RateLimit-*` draft, and
  `Retry-After`. LinkedIn answers a daily limit with a header-less 429: then a per-platform
  default applies (`next_utc_midnight` for LinkedIn). When the platform says 429 or
  `remaining == 0`, a wait of at most `max_sleep` seconds is slept (with jitter) and the request
  retried; a longer one raises `RateLimited(platform, reset_at, endpoint=...)` straight away, so
  the caller can defer the job instead of sleeping for minutes. Nothing ever spins.
* **Errors** are `PlatformError` with the HTTP status, the URL without its query string and
  never the token (a token only ever travels in the `Authorization` header, and only to the
  configured base URL's origin).
* **JSON** bodies are decoded by msgspec into the connector's own typed structs.

Pagination stays in the connector (each platform has its own token), with two helpers here:
`next_link(response)` for `Link`-header pagination (Mastodon) and `paginate(...)`, which turns
a "fetch one page given a cursor" function into an async iterator that stops on the last page
and refuses to loop when a platform hands back the same cursor twice. X pages with
`meta.next_token`, Bluesky with `cursor`: decode them into the page struct and return them.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, TypeVar

import httpx
import msgspec

from rapport.errors import PlatformError, RateLimited

__all__ = [
    "DEFAULT_RESETS",
    "DEFAULT_TIMEOUT",
    "BoundHttp",
    "PlatformHttp",
    "RateState",
    "decode_json",
    "next_link",
    "next_utc_midnight",
    "paginate",
    "parse_rate_limit",
    "parse_retry_after",
]

log = logging.getLogger(__name__)

T = TypeVar("T")
C = TypeVar("C")

#: Connect quickly or give up; allow slow pages (follower lists of big accounts are slow).
DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=5.0)

ResetRule = Callable[[datetime], datetime]


def next_utc_midnight(now: datetime) -> datetime:
    """When a daily limit (LinkedIn's) resets if the platform does not say."""
    return datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), time(), tzinfo=UTC)


def _in(seconds: float) -> ResetRule:
    return lambda now: now + timedelta(seconds=seconds)


#: When a platform answers 429 (or remaining == 0) without saying when to come back.
#: X windows are 15 minutes; LinkedIn limits are daily; anything else: one minute.
DEFAULT_RESETS: Mapping[str, ResetRule] = {
    "twitter": _in(15 * 60),
    "linkedin": next_utc_midnight,
}
_FALLBACK_RESET: ResetRule = _in(60)


@dataclass(frozen=True, slots=True)
class RateState:
    """What the platform last told us about one (platform, endpoint, token) budget."""

    remaining: int
    reset_at: datetime | None
    limit: int | None = None


_RATE_PREFIXES = ("x-rate-limit-", "x-ratelimit-", "ratelimit-")
_EPOCH_THRESHOLD = 1_000_000_000  # below this a numeric reset is a delay in seconds


def _parse_reset(value: str, now: datetime) -> datetime | None:
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        number = float(value)
        if number >= _EPOCH_THRESHOLD:
            return datetime.fromtimestamp(number, UTC)
        return now + timedelta(seconds=number)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _parse_int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def parse_rate_limit(headers: httpx.Headers, now: datetime) -> RateState | None:
    """Rate-limit headers of any known flavour, or None when the response has none.

    X sends `x-rate-limit-reset: 1618286773` (epoch seconds), Mastodon
    `x-ratelimit-reset: 2026-08-01T15:00:00.286851Z`, the IETF draft `ratelimit-reset: 30`
    (seconds from now). A value we cannot read is ignored rather than trusted.
    """
    for prefix in _RATE_PREFIXES:
        remaining = _parse_int(headers.get(prefix + "remaining"))
        if remaining is None:
            continue
        reset_header = headers.get(prefix + "reset")
        reset_at = _parse_reset(reset_header, now) if reset_header else None
        return RateState(
            remaining=remaining, reset_at=reset_at, limit=_parse_int(headers.get(prefix + "limit"))
        )
    return None


def parse_retry_after(headers: httpx.Headers, now: datetime) -> datetime | None:
    """`Retry-After` as seconds or as an HTTP date; None when absent or unreadable."""
    value = headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return now + timedelta(seconds=int(value))
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def next_link(response: httpx.Response) -> str | None:
    """The `rel="next"` URL of a `Link` header (Mastodon pagination), or None on the last
    page. Pass it back to `get`/`get_json` as is: absolute URLs on the same origin are fine."""
    link = response.links.get("next")
    url = link.get("url") if link else None
    return url or None


async def paginate(
    fetch_page: Callable[[C | None], Awaitable[tuple[T, C | None]]],
    *,
    start: C | None = None,
    max_pages: int | None = None,
) -> AsyncIterator[tuple[T, C | None]]:
    """Yield `(page, cursor_after_page)` until the platform returns no cursor.

    `fetch_page(cursor)` fetches one page and returns it with the next cursor (X
    `meta.next_token`, Bluesky `cursor`, Mastodon `next_link(response)`). Stops after
    `max_pages`, and when a platform repeats a cursor, which would otherwise loop forever.
    """
    cursor, seen, count = start, set[object](), 0
    while True:
        page, following = await fetch_page(cursor)
        count += 1
        yield page, following
        if following is None or following in seen or following == cursor:
            return
        if max_pages is not None and count >= max_pages:
            return
        seen.add(following)
        cursor = following


def _token_hash(token: str | None) -> str:
    if not token:
        return "-"
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def _safe_url(url: httpx.URL) -> str:
    """The URL without query string, fragment or user info: safe for errors and logs."""
    return str(url.copy_with(query=None, fragment=None, username=None, password=None))


class _RedactUrls(logging.Filter):
    """Strip query strings from URLs httpx logs at INFO: some platforms take credentials
    (`access_token=`) or personal data in the query, and logs are kept longer than tokens."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _safe_url(arg) if isinstance(arg, httpx.URL) else arg for arg in record.args
            )
        return True


_REDACT = _RedactUrls()


def _install_log_redaction() -> None:
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if _REDACT not in logger.filters:
            logger.addFilter(_REDACT)


def _error_detail(response: httpx.Response, token: str | None) -> str:
    """A short reason from the platform's error body, or the reason phrase."""
    detail = ""
    try:
        body = msgspec.json.decode(response.content)
    except msgspec.DecodeError:
        body = None
    if isinstance(body, dict):
        for key in ("error_description", "error", "detail", "title", "message"):
            value = body.get(key)
            if isinstance(value, str) and value:
                detail = value
                break
        else:
            errors = body.get("errors")
            if isinstance(errors, list) and errors and isinstance(errors[0], dict):
                detail = str(errors[0].get("message") or errors[0].get("detail") or "")
    detail = detail[:200] or response.reason_phrase or "error"
    if token:
        detail = detail.replace(token, "[redacted]")
    return detail


class PlatformHttp:
    """One shared `httpx.AsyncClient` with retries and rate-limit bookkeeping.

    Create one per process (or per test) and close it with `aclose()` or `async with`. The
    clock, the sleep and the random source are injectable so tests run instantly and
    deterministically; nothing here reads the wall clock directly.
    """

    def __init__(
        self,
        client: httpx.AsyncClient | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        max_tries: int = 3,
        max_sleep: float = 5.0,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        default_resets: Mapping[str, ResetRule] | None = None,
        user_agent: str = "rapport (+https://example.invalid/rapport)",
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if max_tries < 1:
            raise ValueError("max_tries must be at least 1")
        _install_log_redaction()
        self._owns_client = client is None
        self.client = client or httpx.AsyncClient(
            transport=transport,
            timeout=timeout,
            follow_redirects=False,
            headers={"User-Agent": user_agent, "Accept": "application/json"},
        )
        self.max_tries = max_tries
        self.max_sleep = max_sleep
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.default_resets = dict(DEFAULT_RESETS if default_resets is None else default_resets)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._states: dict[tuple[str, str, str], RateState] = {}

    async def __aenter__(self) -> PlatformHttp:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_client:
            await self.client.aclose()

    def bind(self, platform: str, config: Any = None) -> BoundHttp:
        """A view for one connector: its platform name, base URL and token from `config`
        (a `ConnectorConfig`; anything with `base_url` and `token` attributes works)."""
        return BoundHttp(
            self,
            platform,
            base_url=getattr(config, "base_url", None),
            token=getattr(config, "token", None),
        )

    def rate_state(
        self, platform: str, endpoint: str, token: str | None = None
    ) -> RateState | None:
        """The last known budget of (platform, endpoint, token), if any."""
        return self._states.get((platform, endpoint, _token_hash(token)))

    def _reset_default(self, platform: str, now: datetime) -> datetime:
        return self.default_resets.get(platform, _FALLBACK_RESET)(now)

    async def _wait_or_raise(self, platform: str, endpoint: str, reset_at: datetime) -> None:
        """Sleep a short wait (with jitter); raise `RateLimited` for a long one."""
        wait = (reset_at - self._clock()).total_seconds()
        if wait <= 0:
            return
        if wait > self.max_sleep:
            raise RateLimited(platform, reset_at, endpoint=endpoint)
        log.info("%s %s: rate limited, waiting %.1fs", platform, endpoint, wait)
        await self._sleep(wait + self._rng.uniform(0, min(1.0, wait / 10 + 0.1)))

    async def request(
        self,
        platform: str,
        method: str,
        url: str,
        *,
        endpoint: str | None = None,
        base_url: str | None = None,
        token: str | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
    ) -> httpx.Response:
        """Send one request with retries and rate-limit handling; return a 2xx response.

        `url` is a path joined to `base_url`, or an absolute URL (a `Link` header's next
        page); with a token, an absolute URL must share the base URL's origin, so a hostile
        `Link` header cannot make us send the token elsewhere. `endpoint` names the rate-limit
        bucket (e.g. `followers`); it defaults to the URL path.
        """
        full = self._resolve(platform, url, base_url, token)
        endpoint = endpoint or full.path
        key = (platform, endpoint, _token_hash(token))
        send_headers = dict(headers or {})
        if token:
            send_headers["Authorization"] = f"Bearer {token}"
        body = msgspec.json.encode(json) if json is not None else None
        if body is not None:
            send_headers.setdefault("Content-Type", "application/json")

        attempt = 0
        while True:
            attempt += 1
            state = self._states.get(key)
            if state is not None and state.remaining <= 0 and state.reset_at is not None:
                await self._wait_or_raise(platform, endpoint, state.reset_at)
                self._states.pop(key, None)  # the window has passed; learn it afresh
            try:
                response = await self.client.request(
                    method, full, params=params, headers=send_headers, content=body
                )
            except httpx.TransportError as exc:
                reason = f"connection failed ({type(exc).__name__})"
                if attempt >= self.max_tries:
                    raise PlatformError(platform, reason, url=_safe_url(full)) from None
                log.warning("%s %s: %s, retrying", platform, endpoint, reason)
                await self._sleep(self._backoff(attempt))
                continue

            now = self._clock()
            rate = parse_rate_limit(response.headers, now)
            if rate is not None:
                if rate.remaining <= 0 and rate.reset_at is None:
                    # Exhausted without a reset time: fix one now, or it would never pass.
                    rate = RateState(0, self._reset_default(platform, now), rate.limit)
                self._states[key] = rate
            log.debug("%s %s %s -> %s", platform, method, endpoint, response.status_code)

            if response.status_code == 429:
                reset_at = (
                    parse_retry_after(response.headers, now)
                    or (rate.reset_at if rate is not None else None)
                    or self._reset_default(platform, now)
                )
                self._states[key] = RateState(remaining=0, reset_at=reset_at, limit=None)
                if attempt >= self.max_tries:
                    raise RateLimited(platform, reset_at, endpoint=endpoint)
                await self._wait_or_raise(platform, endpoint, reset_at)
                self._states.pop(key, None)
                continue
            if response.status_code >= 500 and attempt < self.max_tries:
                log.warning("%s %s: HTTP %s, retrying", platform, endpoint, response.status_code)
                await self._sleep(self._backoff(attempt))
                continue
            if not response.is_success:
                raise PlatformError(
                    platform,
                    _error_detail(response, token),
                    status=response.status_code,
                    url=_safe_url(full),
                )
            return response

    async def get_json(
        self,
        platform: str,
        url: str,
        type: type[T],
        **kwargs: Any,
    ) -> T:
        """GET and decode the JSON body into `type` (a msgspec struct, dict, list...)."""
        response = await self.request(platform, "GET", url, **kwargs)
        return decode_json(platform, response, type)

    def _backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(max_backoff, backoff * 2**(attempt-1))]."""
        return self._rng.uniform(0, min(self.max_backoff, self.backoff * 2 ** (attempt - 1)))

    @staticmethod
    def _resolve(platform: str, url: str, base_url: str | None, token: str | None) -> httpx.URL:
        target = httpx.URL(url)
        if target.is_absolute_url:
            if token:
                base = httpx.URL(base_url) if base_url else None
                origin = (target.scheme, target.host, target.port)
                if base is None or origin != (base.scheme, base.host, base.port):
                    raise PlatformError(
                        platform,
                        f"refusing to send credentials to another origin ({target.host})",
                        url=_safe_url(target),
                    )
            return target
        if not base_url:
            raise PlatformError(platform, f"no base URL configured for the relative URL {url!r}")
        return httpx.URL(base_url.rstrip("/") + "/" + url.lstrip("/"))


def decode_json(platform: str, response: httpx.Response, type: type[T]) -> T:
    """Decode a response body with msgspec; an unreadable body is a `PlatformError`."""
    try:
        return msgspec.json.decode(response.content, type=type)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise PlatformError(
            platform,
            f"unreadable response body ({exc})",
            status=response.status_code,
            url=_safe_url(response.request.url),
        ) from None


class BoundHttp:
    """`PlatformHttp` bound to one connector's platform name, base URL and token."""

    def __init__(
        self, http: PlatformHttp, platform: str, *, base_url: str | None, token: str | None
    ) -> None:
        self.http = http
        self.platform = platform
        self.base_url = base_url
        self._token = token

    def __repr__(self) -> str:  # never show the token
        return f"BoundHttp(platform={self.platform!r}, base_url={self.base_url!r})"

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return await self.http.request(
            self.platform, method, url, base_url=self.base_url, token=self._token, **kwargs
        )

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", url, **kwargs)

    async def get_json(self, url: str, type: type[T], **kwargs: Any) -> T:
        response = await self.request("GET", url, **kwargs)
        return decode_json(self.platform, response, type)

    def rate_state(self, endpoint: str) -> RateState | None:
        return self.http.rate_state(self.platform, endpoint, self._token)
