"""Stable ids for LinkedIn members, from the little an export or the API gives about them.

Why: LinkedIn has no public member id in its exports. Connections.csv gives a vanity profile
URL (`https://www.linkedin.com/in/jane-doe-1a2b3c`), newer messages.csv files give an opaque
member URL (`https://www.linkedin.com/in/ACoAAB...`) for the same person, and some rows give
only a name. The id of a counterpart is the URL's slug when there is one, else the full name;
an opaque slug or a bare name is resolved to a connection's vanity slug when exactly one
connection has that name, so one person is one relationship.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

__all__ = ["People", "full_name", "is_opaque", "slug_of"]

_IN_PATH = re.compile(r"^/(?:in|pub)/([^/?#]+)")


def slug_of(url: str) -> str | None:
    """The member slug of a `/in/<slug>` profile URL: vanity slugs in lower case (LinkedIn
    ignores their case), opaque member ids as given (their case matters)."""
    url = url.strip()
    if not url:
        return None
    if "://" not in url:
        url = "https://" + url
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    match = _IN_PATH.match(path)
    if match is None:
        return None
    slug = unquote(match.group(1)).strip()
    return (slug if is_opaque(slug) else slug.lower()) or None


def is_opaque(slug: str) -> bool:
    """Opaque member ids in profile URLs start with `ACo` (messages.csv in newer exports)."""
    return slug.startswith("ACo") and len(slug) > 20


def full_name(first: str, last: str) -> str:
    return " ".join(part for part in (first.strip(), last.strip()) if part)


def _name_key(name: str) -> str:
    return " ".join(name.casefold().split())


class People:
    """Maps (name, profile URL) pairs to counterpart ids, learning names from connections."""

    def __init__(self) -> None:
        self._by_name: dict[str, str | None] = {}  # name -> slug, None when ambiguous

    def learn(self, name: str, url: str) -> None:
        """Remember that `name` is the member at `url` (a connection, an invitation)."""
        slug = slug_of(url)
        key = _name_key(name)
        if slug is None or is_opaque(slug) or not key:
            return
        known = self._by_name.get(key, slug)
        self._by_name[key] = slug if known == slug else None

    def id_for(self, name: str, url: str) -> str | None:
        """The counterpart id for a participant, or None when there is neither URL nor name."""
        slug = slug_of(url)
        if slug is not None and not is_opaque(slug):
            return slug
        key = _name_key(name)
        named = self._by_name.get(key) if key else None
        if named is not None:
            return named
        return slug or (" ".join(name.split()) if key else None)
