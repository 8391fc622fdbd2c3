"""Where webhooks may be sent: a guard against server-side request forgery (SSRF).

A webhook URL is chosen by a tenant, and the worker POSTs to it from inside the deployment. Left
alone, a tenant could make the worker reach what only the deployment can: loopback services,
the private network, or a cloud metadata endpoint (credentials). So a target is checked twice:

* at subscription (`check_url`): the URL's syntax (http or https, a host, no credentials, no
  spaces or control characters, which would let a URL inject headers) and, when the host is an
  address literal or a well-known local name, that address. No DNS query is made here: a name's
  answer can change at any time after the check anyway.
* at delivery (`GuardedBackend`): the connection itself resolves the name, checks *every*
  address of the answer, and connects to the address it checked. Checking and connecting with
  one answer is what defeats DNS rebinding (a name that resolves to a public address for the
  check and to 127.0.0.1 for the connection).

Refused by default: every address that is not globally routable (loopback, private, shared
and unique-local ranges, link-local 169.254.0.0/16 and fe80::/10, multicast, unspecified,
reserved) and the cloud metadata addresses. `RAPPORT_WEBHOOK_ALLOW_PRIVATE=1` allows loopback
and private ranges (development, an in-cluster receiver) but never link-local or metadata;
`RAPPORT_WEBHOOK_ALLOW_NETWORKS` allows listed CIDRs, whatever they are.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpcore
import httpx

from rapport.errors import InputError
from rapport.settings import Settings, SettingsError

if TYPE_CHECKING:
    from httpcore._backends.base import SOCKET_OPTION

__all__ = [
    "GuardedBackend",
    "TargetPolicy",
    "TargetRefused",
    "check_url",
    "guarded_transport",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

#: Instance metadata services (AWS, ECS task, GCP, Azure, Alibaba, AWS over IPv6).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)
_LINK_LOCAL = (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fe80::/10"))
#: DNS labels (letters, digits, `-`, and `_` seen in real names), dot-separated.
_HOST_NAME = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)(\.(?!-)[a-z0-9_-]{1,63}(?<!-))*$")
#: Names that mean "this machine" or "the metadata service" without any DNS query.
_LOCAL_NAMES = ("localhost", "metadata.google.internal", "metadata")


class TargetRefused(InputError):  # noqa: N818 - reads as "the target is refused"
    """A webhook URL the service will not send to; the message says why, never the secret
    parts of the URL."""


@dataclass(frozen=True)
class TargetPolicy:
    """Which addresses webhooks may reach (see the module docstring)."""

    allow_private: bool = False
    allow_networks: tuple[Network, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> TargetPolicy:
        networks: list[Network] = []
        for item in (settings.webhook_allow_networks or "").split(","):
            if not item.strip():
                continue
            try:
                networks.append(ipaddress.ip_network(item.strip(), strict=False))
            except ValueError:
                raise SettingsError(
                    f"invalid environment: RAPPORT_WEBHOOK_ALLOW_NETWORKS: {item.strip()!r} "
                    "is not an address or a CIDR"
                ) from None
        return cls(allow_private=settings.webhook_allow_private, allow_networks=tuple(networks))

    def refusal(self, address: IPAddress) -> str | None:
        """Why `address` is refused, or None when a webhook may connect to it."""
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in net for net in self.allow_networks):
            return None
        if address in METADATA_ADDRESSES:
            return "a cloud metadata address"
        if any(address in net for net in _LINK_LOCAL):
            return "a link-local address"
        if address.is_multicast or address.is_unspecified or address.is_reserved:
            return "a multicast, unspecified or reserved address"
        if address.is_global:
            return None
        if self.allow_private and (address.is_private or address.is_loopback):
            return None
        if address.is_loopback:
            return "a loopback address"
        return "a private or non-public address"


def _literal_address(host: str) -> IPAddress | None:
    """The address a host literal stands for, including the legacy IPv4 spellings a resolver
    accepts (`127.1`, `2130706433`, `0x7f.0.0.1`)."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def check_url(url: str, policy: TargetPolicy) -> None:
    """Refuse (`TargetRefused`) a URL that is malformed for a webhook or names a refused host
    by itself; names are resolved only at delivery (`GuardedBackend`)."""
    if any(ord(c) <= 0x20 or ord(c) >= 0x7F for c in url):
        raise TargetRefused(
            "the URL holds a space, a control character or a non-ASCII character"
            " (percent-encode it)"
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"the URL is malformed ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise TargetRefused("the URL must be http:// or https://")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise TargetRefused("the URL must not hold credentials (use the signing secret)")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise TargetRefused("the URL has no host")
    if port == 0:
        raise TargetRefused("the URL's port must be 1-65535")
    address = _literal_address(host)
    if address is not None:
        reason = policy.refusal(address)
        if reason is not None:
            raise TargetRefused(f"the URL's host is {reason}")
        return
    name = host.lower()
    if not _HOST_NAME.match(name):
        raise TargetRefused("the URL's host is not a valid host name")
    if any(name == n or name.endswith("." + n) for n in _LOCAL_NAMES) and not (
        policy.allow_private and (name == "localhost" or name.endswith(".localhost"))
    ):
        raise TargetRefused("the URL's host is a local or metadata name")


def _checked(addresses: Iterable[IPAddress], policy: TargetPolicy) -> list[IPAddress]:
    """All of `addresses`, or `TargetRefused` if any is refused: an answer that mixes a public
    and a private address is a rebinding attempt, not a choice."""
    found = list(addresses)
    for address in found:
        reason = policy.refusal(address)
        if reason is not None:
            raise TargetRefused(f"the webhook's host resolves to {reason}")
    if not found:
        raise TargetRefused("the webhook's host resolves to no address")
    return found


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that resolves, checks and connects to the checked address
    (TLS still verifies the certificate against the URL's host name: httpcore passes that to
    `start_tls`, not the address)."""

    def __init__(self, policy: TargetPolicy, inner: httpcore.AsyncNetworkBackend | None = None):
        self.policy = policy
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        literal = _literal_address(host)
        if literal is not None:
            addresses = _checked([literal], self.policy)
        else:
            loop = asyncio.get_running_loop()
            try:
                infos = await asyncio.wait_for(
                    loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout
                )
            except (OSError, TimeoutError) as exc:
                raise httpcore.ConnectError(f"cannot resolve the webhook's host ({exc})") from exc
            addresses = _checked((ipaddress.ip_address(i[4][0]) for i in infos), self.policy)
        error: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise TargetRefused("webhooks are never sent to a unix socket")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class _GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport with its connection pool on a `GuardedBackend` (httpx does not
    take a network backend as an argument; the pool is the documented httpcore one)."""

    def __init__(self, policy: TargetPolicy) -> None:
        super().__init__()
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            network_backend=GuardedBackend(policy),
        )


def guarded_transport(settings: Settings) -> httpx.AsyncBaseTransport:
    """The transport every webhook delivery goes through."""
    return _GuardedTransport(TargetPolicy.from_settings(settings))
