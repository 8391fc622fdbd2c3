"""Small text and time rules shared by the archive reader and the API client.

Both sources describe the same tweets, so they must agree on what a reply's length is and on
when something happened; keeping the rules in one place keeps the two imports comparable.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

__all__ = [
    "leading_handles",
    "parse_iso",
    "parse_v1_date",
    "retweeted_handle",
    "snowflake_time",
    "status_url_handle",
    "text_without_leading_mentions",
]

# The `@a @b ` block a client puts in front of a reply (handles are 1-15 word characters; be
# lenient about longer ones from old accounts).
_LEADING = re.compile(r"^(?:\s*[@＠]\w{1,50})+\s*")
_TCO = re.compile(r"https?://t\.co/\w+")
_HANDLE = re.compile(r"[@＠](\w{1,50})")
_RETWEET = re.compile(r"^RT @(\w{1,50}):")
_STATUS_URL = re.compile(
    r"^https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/(\w{1,50})/status(?:es)?/(\d+)", re.I
)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        start=1,
    )
}
_V1_DATE = re.compile(
    r"^[A-Z][a-z]{2} ([A-Z][a-z]{2}) (\d{1,2}) (\d{2}):(\d{2}):(\d{2}) ([+-]\d{4}) (\d{4})$"
)


def text_without_leading_mentions(text: str) -> str:
    """A reply's own words: the text after the `@handle` block the client prefixes, without
    `t.co` links (attached media, quoted tweets) and with `&amp;`-style escapes decoded.

    "@alice @bob thanks! https://t.co/xyz" -> "thanks!". Used for `text_len`, so that a reply
    of a few characters (or only a GIF) counts as the "broken sentence" it is, however many
    people it addressed.
    """
    words = _LEADING.sub("", text, count=1)
    words = _TCO.sub("", words)
    return " ".join(html.unescape(words).split())


def leading_handles(text: str) -> set[str]:
    """The lower-cased handles of the leading `@handle` block."""
    match = _LEADING.match(text)
    return {h.lower() for h in _HANDLE.findall(match.group(0))} if match else set()


def retweeted_handle(text: str) -> str | None:
    """The handle `X` of a retweet's `RT @X:` prefix (the archive's only retweet marker)."""
    match = _RETWEET.match(text)
    return match.group(1) if match else None


def status_url_handle(url: str) -> tuple[str, str] | None:
    """`(handle, tweet id)` of a tweet permalink such as `https://twitter.com/a/status/1`."""
    match = _STATUS_URL.match(url)
    if match is None or match.group(1).lower() == "i":  # /i/web/status/ names no author
        return None
    return match.group(1), match.group(2)


def parse_v1_date(value: str) -> datetime:
    """`Sat Feb 18 12:33:11 +0000 2023` (the v1.1 format), independent of the locale."""
    match = _V1_DATE.match(value.strip())
    if match is None or match.group(1) not in _MONTHS:
        raise ValueError(f"not a date like 'Sat Feb 18 12:33:11 +0000 2023': {value[:60]!r}")
    month, day, hour, minute, second, offset, year = match.groups()
    parsed = datetime.strptime(
        f"{year}-{_MONTHS[month]:02d}-{int(day):02d}T{hour}:{minute}:{second}{offset}",
        "%Y-%m-%dT%H:%M:%S%z",
    )
    return parsed.astimezone(UTC)


def parse_iso(value: str) -> datetime:
    """An ISO-8601 timestamp such as `2023-02-18T12:33:11.000Z`, as an aware UTC datetime."""
    parsed = datetime.fromisoformat(value.strip())
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp without a timezone: {value[:60]!r}")
    return parsed.astimezone(UTC)


_TWITTER_EPOCH_MS = 1288834974657  # 2010-11-04T01:42:54.657Z, the snowflake epoch
_FIRST_SNOWFLAKE = 1 << 32  # ids below this predate snowflakes and encode no time


def snowflake_time(object_id: str) -> datetime | None:
    """When a tweet or message with this id was created (X ids since late 2010 encode it)."""
    # A snowflake is a signed 64-bit integer written in ASCII digits: anything else (a huge
    # number, a Unicode digit) is no date, not an OverflowError or a ValueError (fuzzing).
    if not (object_id.isascii() and object_id.isdigit()) or len(object_id) > 19:
        return None
    if not _FIRST_SNOWFLAKE <= int(object_id) < 2**63:
        return None
    milliseconds = (int(object_id) >> 22) + _TWITTER_EPOCH_MS
    return datetime.fromtimestamp(milliseconds / 1000, UTC)
