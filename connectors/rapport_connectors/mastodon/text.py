"""The length of what someone actually wrote in a Mastodon status.

Why: the metric weighs a reply of a few characters ("great post!", an emoji) as a like, so
`text_len` must count the words, not the HTML markup Mastodon stores, nor the `@name` mentions
it puts in front of every reply automatically.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["plain_text", "text_len"]

_BLOCK_TAGS = frozenset({"p", "br", "div", "li", "blockquote", "pre"})
# One or more leading mentions: `@name` or `@name@host`, each followed by white space.
_LEADING_MENTIONS = re.compile(r"^(?:@[\w.\-]+(?:@[\w.\-:]+)?(?:\s+|$))+")


class _TextCollector(HTMLParser):
    """Collects the text nodes of a fragment; block elements become line breaks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(html: str) -> str:
    """The text of an HTML fragment, tags removed and entities decoded, trimmed."""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    return "".join(collector.parts).strip()


def text_len(html: str) -> int:
    """Characters written, without markup and without the leading `@mentions`."""
    text = _LEADING_MENTIONS.sub("", plain_text(html))
    return len(text.strip())
