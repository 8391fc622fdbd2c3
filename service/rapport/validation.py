"""One way to say what is wrong with a value msgspec rejected, wherever it came from.

msgspec reports "Expected `str`, got `int` - at `$.kind`"; a person wants "field `kind`:
expected `str`, got `int`", and for an enum, the values that would have been accepted.
"""

from __future__ import annotations

import re

import msgspec

from rapport.model import Direction, Kind

__all__ = ["describe_validation_error"]

_AT = re.compile(r"^(?P<what>.*?) - at `\$(?P<path>[^`]*)`$")
_CHOICES: dict[str, str] = {
    "kind": ", ".join(k.value for k in Kind),
    "direction": ", ".join(d.value for d in Direction),
}


def describe_validation_error(exc: msgspec.ValidationError) -> str:
    """Turn msgspec's "Expected `str`, got `int` - at `$.kind`" into "field `kind`: ..."."""
    text = str(exc)
    match = _AT.match(text)
    if not match:
        return text[:1].lower() + text[1:]
    what, path = match["what"], match["path"].lstrip(".")
    field = path.split(".")[0].split("[")[0]
    what = what[:1].lower() + what[1:]
    if "rfc3339" in what.lower():
        what += " (write it like 2024-05-01T12:00:00Z, with a timezone)"
    if what.startswith("invalid enum value") and field in _CHOICES:
        value = what.removeprefix("invalid enum value").strip()
        what = f"invalid value {value} (expected one of {_CHOICES[field]})"
    return f"field `{path}`: {what}"
