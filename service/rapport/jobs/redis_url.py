"""Connection pools for the job queue, from a URL: plain Redis, or a Sentinel-managed primary.

arq's own settings support Sentinel but redis-py's URLs have no Sentinel form, and a URL is what
12-factor configuration (RAPPORT_QUEUE_REDIS_URL, a chart Secret) carries. So the queue accepts

    redis+sentinel://[:password@]host1:26379,host2:26379/<service name>[/<db>]

(the form other Redis clients use) besides any `redis://`, `rediss://` or `unix://` URL. With
Sentinel the pool asks the sentinels for the current primary on every new connection, so a
failover moves the queue without a restart.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from redis.asyncio import ConnectionPool
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool

from rapport.errors import InputError

__all__ = ["SENTINEL_SCHEME", "SentinelURL", "parse_sentinel_url", "queue_pool"]

SENTINEL_SCHEME = "redis+sentinel"


class SentinelURL:
    """A parsed `redis+sentinel://` URL."""

    __slots__ = ("db", "password", "sentinels", "service")

    def __init__(
        self, sentinels: list[tuple[str, int]], service: str, db: int, password: str | None
    ) -> None:
        self.sentinels, self.service, self.db, self.password = sentinels, service, db, password


def parse_sentinel_url(url: str) -> SentinelURL:
    """Parse `redis+sentinel://[:password@]h1:p1,h2:p2/service[/db]`; errors never echo the
    password."""
    parts = urlsplit(url)
    if parts.scheme != SENTINEL_SCHEME:
        raise InputError(f"not a {SENTINEL_SCHEME}:// URL")
    netloc = parts.netloc
    password = None
    if "@" in netloc:
        userinfo, netloc = netloc.rsplit("@", 1)
        password = unquote(userinfo.split(":", 1)[-1]) or None
    sentinels: list[tuple[str, int]] = []
    for item in filter(None, netloc.split(",")):
        host, _, port = item.rpartition(":") if ":" in item else (item, "", "26379")
        if not host or not port.isdigit():
            raise InputError(f"sentinel address {item!r} is not host:port")
        sentinels.append((host.strip("[]"), int(port)))
    path = [unquote(p) for p in parts.path.split("/") if p]
    if not sentinels or not path or len(path) > 2 or (len(path) == 2 and not path[1].isdigit()):
        raise InputError(
            f"expected {SENTINEL_SCHEME}://host:port[,host:port]/<service name>[/<db>]"
        )
    return SentinelURL(sentinels, path[0], int(path[1]) if len(path) == 2 else 0, password)


def queue_pool(url: str, **connection: Any) -> ConnectionPool:
    """A connection pool for `url`; `connection` holds socket options for the data nodes."""
    if not url.startswith(SENTINEL_SCHEME + "://"):
        return ConnectionPool.from_url(url, **connection)
    parsed = parse_sentinel_url(url)
    sentinel = Sentinel(  # type: ignore[no-untyped-call]
        parsed.sentinels,
        socket_timeout=connection.get("socket_timeout"),
        socket_connect_timeout=connection.get("socket_connect_timeout"),
        sentinel_kwargs={"password": parsed.password} if parsed.password else None,
    )
    return SentinelConnectionPool(  # type: ignore[no-untyped-call]
        parsed.service, sentinel, db=parsed.db, password=parsed.password, **connection
    )
