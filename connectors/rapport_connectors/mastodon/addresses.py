"""Canonical Mastodon account ids: `user@host`, from whatever the source gives us.

Why one module: the same person reaches us as an ActivityPub actor URI in an archive
(`https://host/users/name`), as a profile URL (`https://host/@name`), as a mention tag name
(`@name@host` or `@name` for a local account) or as an API `acct` (`name` for local accounts,
`name@host` for remote ones). A relationship is only counted once if all of these land on the
same id, so every reader goes through here. Ids are lower case: Mastodon usernames and hosts
are case-insensitive.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = [
    "PUBLIC_ADDRESSES",
    "actor_of_status_uri",
    "address_from_acct",
    "address_from_uri",
    "author_from_status_uri",
    "host_of",
    "status_time_from_id",
]

#: The ActivityPub "public" audience, in the three spellings servers emit.
PUBLIC_ADDRESSES = frozenset(
    {"https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"}
)

_NAME = r"[A-Za-z0-9_][A-Za-z0-9_.\-]*"
# An acct as other servers spell it (Pleroma and others allow more than Mastodon does): no
# white space, no markup, no path; the host a plausible domain name with an optional port.
_ACCT_NAME = r"[^\s@/<>\"'`]+"
_ACCT_HOST = r"[A-Za-z0-9](?:[A-Za-z0-9\-.]*[A-Za-z0-9])?(?::[0-9]{1,5})?"
# https://host/users/name, https://host/@name (and anything below them, e.g. /statuses/1)
_USERS_PATH = re.compile(rf"^/users/({_NAME})(?:/|$)")
_AT_PATH = re.compile(rf"^/@({_NAME})(?:/|$)")
# Status URIs whose path names the author: /users/name/statuses/ID and /@name/ID.
_STATUS_USERS = re.compile(rf"^/users/({_NAME})/statuses/([^/]+)/?$")
_STATUS_AT = re.compile(rf"^/@({_NAME})/([0-9]+)/?$")


def host_of(uri: str) -> str | None:
    """The lower-case host (with port, when one is given) of an http(s) URI, else None."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return parts.netloc.rsplit("@", 1)[-1].lower()


def address_from_acct(acct: str, local_host: str) -> str | None:
    """`name` or `name@host` (optionally with a leading `@`) as `name@host`; a bare name is
    an account of `local_host` (the instance that told us about it)."""
    acct = acct.strip().removeprefix("@")
    name, _, host = acct.partition("@")
    if not re.fullmatch(_ACCT_NAME, name) or (host and not re.fullmatch(_ACCT_HOST, host)):
        return None
    return f"{name}@{(host or local_host)}".lower()


def address_from_uri(uri: str) -> str | None:
    """`name@host` of an actor URI or profile URL whose path names the account, else None.

    Mastodon 4.4+ may use numeric actor URIs (`/ap/users/1170...`): those do not name the
    account, so callers resolve them through a mention tag instead.
    """
    host = host_of(uri)
    if host is None:
        return None
    path = urlsplit(uri).path
    match = _USERS_PATH.match(path) or _AT_PATH.match(path)
    if match is None:
        return None
    return f"{match.group(1)}@{host}".lower()


def author_from_status_uri(uri: str) -> str | None:
    """The author `name@host` of a status URI that encodes it (`/users/name/statuses/ID`,
    `/@name/ID`), else None (e.g. Pleroma `/objects/<uuid>`, Misskey `/notes/<id>`)."""
    host = host_of(uri)
    if host is None:
        return None
    path = urlsplit(uri).path
    match = _STATUS_USERS.match(path) or _STATUS_AT.match(path)
    if match is None:
        return None
    return f"{match.group(1)}@{host}".lower()


def actor_of_status_uri(uri: str) -> str | None:
    """The actor URI prefix of a `/.../statuses/ID` status URI (works for numeric
    `/ap/users/ID/statuses/ID` ones too), to match it against mention tags."""
    head, sep, _tail = uri.rstrip("/").rpartition("/statuses/")
    return head if sep and head else None


# Mastodon ids are "snowflakes": milliseconds since the epoch shifted left by 16 bits. Only
# ids in this range (2016-2100) are read as times, so a small sequential id is never mistaken.
_SNOWFLAKE_MIN_MS = 1_451_606_400_000
_SNOWFLAKE_MAX_MS = 4_102_444_800_000


def status_time_from_id(uri: str) -> float | None:
    """When the status behind a Mastodon status URI was created (epoch seconds), decoded
    from its snowflake id; None when the id is not a Mastodon snowflake."""
    path = urlsplit(uri).path if host_of(uri) else ""
    match = _STATUS_USERS.match(path) or _STATUS_AT.match(path)
    if match is None:
        head, sep, tail = path.rstrip("/").rpartition("/statuses/")
        if not sep or not head:
            return None
        raw = tail
    else:
        raw = match.group(2)
    if not raw.isdigit() or len(raw) > 20:
        return None
    ms = int(raw) >> 16
    if not _SNOWFLAKE_MIN_MS <= ms <= _SNOWFLAKE_MAX_MS:
        return None
    return ms / 1000
