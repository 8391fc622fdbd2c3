"""The normalised model rejects what cannot be scored honestly, with the field named."""

from __future__ import annotations

import msgspec
import pytest

from rapport.model import Direction, Interaction, Kind, Profile

GOOD = {
    "platform": "mastodon",
    "ego": "ada",
    "counterpart": "bea",
    "direction": "out",
    "kind": "reply",
    "at": "2024-03-01T00:00:00+01:00",
    "event_id": "1",
}


def decode(**changes: object) -> Interaction:
    return msgspec.convert({**GOOD, **changes}, Interaction)


def test_a_good_event_decodes_with_enums_and_an_aware_time() -> None:
    event = decode(text_len=12, thread_id="t")
    assert event.direction is Direction.OUT
    assert event.kind is Kind.REPLY
    assert event.at.utcoffset() is not None
    assert event.text_len == 12


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"counterpart": "ada"}, "`counterpart` must differ from `ego`"),
        ({"at": "2024-03-01T00:00:00"}, "timezone"),
        ({"kind": "hug"}, "Invalid enum value 'hug'"),
        ({"direction": "sideways"}, "Invalid enum value 'sideways'"),
        ({"text_len": -1}, "Expected `int` >= 0"),
        ({"text_len": 2**40}, "Expected `int` <= 10000000"),
        ({"platform": "Mastodon!"}, r"matching regex .* at `\$.platform`"),
        ({"event_id": ""}, "length >= 1"),
        ({"extra": 1}, "unknown field `extra`"),
    ],
)
def test_bad_events_are_rejected_naming_the_problem(changes: dict, message: str) -> None:
    with pytest.raises(msgspec.ValidationError, match=message):
        decode(**changes)


def test_missing_field_is_named() -> None:
    data = dict(GOOD)
    del data["event_id"]
    with pytest.raises(msgspec.ValidationError, match="missing required field `event_id`"):
        msgspec.convert(data, Interaction)


def test_profile_fields_are_optional_but_validated() -> None:
    profile = msgspec.convert({"platform": "x", "account": "1"}, Profile)
    assert profile.followers_count is None
    with pytest.raises(msgspec.ValidationError, match="followers_count"):
        msgspec.convert({"platform": "x", "account": "1", "followers_count": -5}, Profile)


def test_direction_opposite() -> None:
    assert Direction.OUT.opposite is Direction.IN
    assert Direction.IN.opposite is Direction.OUT
