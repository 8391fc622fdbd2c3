"""Read a LinkedIn member data export (zip or folder) into normalised events and profiles.

What the export holds and what it means for the metric:

* `Connections.csv`: who the ego is connected to (a structural fact, not an interaction):
  profiles, and the connection count as the ego's following count (its attention budget).
* `messages.csv`: every message in and out: the only interactions the export really has.
* `Invitations.csv`: structural; adds profiles and tells who the ego is.
* `Comments.csv`, `Reactions.csv`: the ego's own comments and reactions, each with only a link
  to the post: the post's author is not in the export, so they cannot be attributed to a
  relationship and are reported as missing, not guessed.
* `Profile.csv`: the ego's name and headline.

Nothing in the export says what others did on the ego's posts, nor who follows the ego; that
is reported in `missing`. Any file may be absent (reported, never an error); malformed content
raises `ArchiveError` naming the member and line, and the result is built in full before it is
returned.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from rapport.errors import ArchiveError
from rapport.model import AccountRef, Direction, Interaction, MissingData, Profile
from rapport.plugins.archive import ArchiveSource
from rapport.plugins.connector import ArchiveImport
from rapport_connectors.linkedin.mapping import PLATFORM, Mapper, RowError
from rapport_connectors.linkedin.people import full_name, is_opaque
from rapport_connectors.linkedin.tables import Row, read_table

__all__ = ["UNKNOWN_EGO", "detect", "read_archive"]

#: The account id used when nothing in the export names its owner.
UNKNOWN_EGO = "linkedin-export-owner"

# Only the columns every known export version has: older ones lack URL, SENDER PROFILE URL,
# RECIPIENT PROFILE URLS and even CONVERSATION ID.
_CONNECTIONS = ("First Name", "Last Name")
_MESSAGES = ("FROM", "TO", "DATE", "CONTENT")
_INVITATIONS = ("From", "To", "Sent At", "Direction")
_COMMENTS = ("Date", "Link", "Message")
_REACTIONS = ("Date", "Type", "Link")
_PROFILE = ("First Name", "Last Name")


def _member(source: ArchiveSource, name: str) -> str | None:
    """The member called `name` (any case), in the shallowest folder."""
    found = [n for n in source.names() if n.rsplit("/", 1)[-1].lower() == name.lower()]
    return min(found, key=lambda n: (n.count("/"), n)) if found else None


def detect(source: ArchiveSource) -> bool:
    """A LinkedIn export has `Connections.csv` or `messages.csv`."""
    return (
        _member(source, "Connections.csv") is not None
        or _member(source, "messages.csv") is not None
    )


class _Reader:
    def __init__(self, source: ArchiveSource) -> None:
        self.source = source
        self.missing: list[MissingData] = []

    def table(
        self, name: str, required: tuple[str, ...], effect: str, *, preamble: bool = False
    ) -> tuple[str, list[Row]] | None:
        member = _member(self.source, name)
        if member is None:
            self.missing.append(MissingData(data=name, effect=effect))
            return None
        return member, read_table(self.source, member, required, preamble=preamble)

    def read(self) -> ArchiveImport:
        mapper = Mapper()
        profile_name: str | None = None
        headline: str | None = None
        found = self.table("Profile.csv", _PROFILE, "the account's own name and headline unknown")
        if found is not None and found[1]:
            row = found[1][0]
            profile_name = full_name(row["First Name"], row["Last Name"]) or None
            headline = " - ".join(p for p in (row["Headline"], row["Summary"]) if p) or None

        connection_count: int | None = None
        found = self.table(
            "Connections.csv",
            _CONNECTIONS,
            "connections unknown: the following count (attention budget) is unknown",
            preamble=True,
        )
        if found is not None:
            connection_count = mapper.add_connections(found[1])

        found = self.table("Invitations.csv", _INVITATIONS, "invitations unknown (no effect)")
        if found is not None:
            mapper.add_invitations(found[1])

        found = self.table(
            "messages.csv",
            _MESSAGES,
            "no messages: the export has no other interactions, so there is nothing to score",
        )
        if found is not None:
            member, rows = found
            try:
                mapper.add_messages(rows)
            except RowError as exc:
                raise ArchiveError(
                    self.source.display, str(exc), member=member, position=f"line {exc.line}"
                ) from None

        for name, columns, what in (
            ("Comments.csv", _COMMENTS, "comments"),
            ("Reactions.csv", _REACTIONS, "reactions"),
        ):
            # These only count rows (nothing is imported from them), so a quoting glitch in
            # LinkedIn's free-text columns is reported instead of refusing the whole export.
            try:
                found = self.table(name, columns, f"the account's own {what} unknown")
            except ArchiveError as exc:
                self.missing.append(
                    MissingData(
                        data=f"{name} (unreadable: {exc})",
                        effect=f"the account's own {what} are not counted; nothing else changes",
                    )
                )
                continue
            if found is not None and found[1]:
                self.missing.append(
                    MissingData(
                        data=f"the post authors of {len(found[1])} {what} in {name}",
                        effect="the export links each post but does not name its author, so "
                        f"these {what} cannot be attributed to a relationship; left out",
                    )
                )

        in_messages = mapper.find_ego(profile_name)
        ego = self.ego(mapper, profile_name, in_messages)
        ego_keys = {ego, *in_messages}
        if mapper.message_count and not in_messages:
            self.missing.append(
                MissingData(
                    data="which message participant is the account owner",
                    effect="no participant is in every conversation (and none matches "
                    "Profile.csv or the invitations): direction unknown, messages left out",
                )
            )
            interactions = []
        else:
            interactions = mapper.messages(ego, ego_keys)
        if mapper.skipped:
            self.missing.append(
                MissingData(
                    data=f"{mapper.skipped} drafts, spam, system notices or unidentified senders",
                    effect="not conversations between people; left out",
                )
            )
        self.missing += [
            MissingData(
                data="what others did on the account's posts (reactions, comments, reposts)",
                effect="the export holds only the account's own activity and its messages",
                hides=(Direction.IN,),
            ),
            MissingData(
                data="followers",
                effect="the export lists connections, not followers: the followers count is "
                "unknown",
            ),
        ]
        profiles = [p for account, p in mapper.profiles.items() if account not in ego_keys]
        ego_profile = Profile(
            platform=PLATFORM,
            account=ego,
            display_name=profile_name,
            following_count=connection_count,
            bio=headline,
        )
        return ArchiveImport(
            account=AccountRef(platform=PLATFORM, account=ego),
            ego_profile=ego_profile,
            profiles=profiles,
            interactions=sorted(interactions, key=lambda i: (i.at, i.event_id)),
            missing=self.missing,
            generated_at=generated_at(self.source.path.name, interactions),
        )

    def ego(self, mapper: Mapper, profile_name: str | None, in_messages: set[str]) -> str:
        """The ego's account id: its profile slug (from invitations), else its id in the
        messages, else its name; a placeholder (reported) when nothing names it."""
        if mapper.ego_slugs:
            return mapper.ego_slugs.most_common(1)[0][0]
        if in_messages:
            return min(in_messages, key=lambda p: (is_opaque(p), p))
        if profile_name:
            return profile_name
        self.missing.append(
            MissingData(
                data="the account owner's identity",
                effect=f"no Profile.csv, invitations or messages name it; the account is "
                f"called {UNKNOWN_EGO!r}",
            )
        )
        return UNKNOWN_EGO


# LinkedIn names its exports `Basic_LinkedInDataExport_MM-DD-YYYY.zip` (or `Complete_...`).
_EXPORT_NAME = re.compile(r"LinkedInDataExport_(\d{2})-(\d{2})-(\d{4})")


def generated_at(name: str, interactions: list[Interaction]) -> datetime | None:
    """When LinkedIn made the export, from the file name it gives it (the files record no
    time): the end of that day in UTC, or the newest message when that is later (the day is
    local time); None when the name is not LinkedIn's."""
    match = _EXPORT_NAME.search(name)
    if match is None:
        return None
    month, day, year = (int(g) for g in match.groups())
    try:
        end_of_day = datetime(year, month, day, tzinfo=UTC) + timedelta(days=1, seconds=-1)
    except ValueError:
        return None
    return max([end_of_day, *(i.at for i in interactions)])


def read_archive(source: ArchiveSource) -> ArchiveImport:
    """Read a whole LinkedIn export; raise `ArchiveError` on malformed content."""
    return _Reader(source).read()
