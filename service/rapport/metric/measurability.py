"""What the source could not see, in the terms the components need: no credit for the unseen.

The metric cannot tell "nobody replied to this account" from "the export does not hold replies
to this account": both are an inbound volume of 0. A component computed over the second reads
as if the first were true, and some read *full* by construction: an X or Mastodon export holds
the account's own replies but not the attention it received (or only the part it answered), so
"the share of received attention answered" comes out near 100 %. Connectors say which side a gap
hides (`MissingData.hides`); this module gathers that, and docs/metric.md ("Measurable
components") gives the rule each component follows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rapport.model import Direction, MissingData

__all__ = ["Visibility"]


@dataclass(frozen=True, slots=True)
class Visibility:
    """Which sides of the account's exchanges the source leaves out, and the gaps that do."""

    hidden: dict[Direction, tuple[str, ...]]

    @classmethod
    def of(cls, missing: Sequence[MissingData]) -> Visibility:
        hidden: dict[Direction, list[str]] = {}
        for item in missing:
            for direction in item.hides:
                names = hidden.setdefault(direction, [])
                if item.data not in names:
                    names.append(item.data)
        return cls({d: tuple(names) for d, names in hidden.items()})

    def hides(self, direction: Direction) -> bool:
        return direction in self.hidden

    def gaps(self, direction: Direction) -> str:
        """The gaps hiding `direction`, for a sentence: `"a", "b"`."""
        return ", ".join(f'"{name}"' for name in self.hidden.get(direction, ()))

    @property
    def complete(self) -> bool:
        return not self.hidden
