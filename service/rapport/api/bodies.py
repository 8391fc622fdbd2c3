"""Bodies of many records, as JSON Lines or a JSON array, validated all or nothing.

The ingest route (events) and the profiles route (profiles) take the same two shapes and must
fail the same way, so a client handles one error format: every record is decoded and checked
before the handler writes anything, and one 400 problem lists the first `MAX_REPORTED_ERRORS`
errors, each naming its `line` (JSON Lines, 1-based) or item (`[3].field` in an array) and
its field. Another content type is a 415.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import msgspec
from litestar import Request
from litestar.exceptions import HTTPException

from rapport.api.problems import field_of

__all__ = ["MAX_REPORTED_ERRORS", "NDJSON_TYPES", "BadRecords", "RecordsBody", "media_type"]

T = TypeVar("T")

MAX_REPORTED_ERRORS = 20
NDJSON_TYPES = frozenset({"application/x-ndjson", "application/jsonl", "application/json-lines"})
_DECODE_ERRORS = (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError)

#: A check of one decoded record beyond its schema: (field, message), or None when it is fine.
Check = Callable[[T], "tuple[str, str] | None"]


def media_type(request: Request[Any, Any, Any]) -> str:
    """The request's content type without parameters (`; charset=...`), lower case."""
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


class BadRecords(HTTPException):
    """400: the problem handler turns `extra` (the error list) into `errors`."""

    status_code = 400


class RecordsBody(Generic[T]):
    """How to read one kind of record: its type, and the words the errors use (`noun` as in
    "3 invalid event(s)", `done` as in "nothing was ingested")."""

    def __init__(self, type_: type[T], *, noun: str, done: str) -> None:
        self.noun, self.done = noun, done
        self._line = msgspec.json.Decoder(type_)
        self._array = msgspec.json.Decoder(list[type_])  # type: ignore[valid-type]

    def parse(self, body: bytes, content_type: str, check: Check[T]) -> list[T]:
        """Every record of the body, each decoded and passed through `check`; or one 400
        listing the first errors (415 for a content type that is neither shape)."""
        if content_type in NDJSON_TYPES:
            records, errors = self._lines(body, check)
        elif content_type == "application/json":
            records, errors = self._items(body, check)
        else:
            raise HTTPException(
                status_code=415,
                detail=f"send {self.noun}s as application/x-ndjson (one JSON {self.noun} per "
                f"line) or application/json (an array of {self.noun}s)",
            )
        if errors:
            where = errors[0].get("line")
            first = f"line {where}: " if where else ""
            more = "+" if len(errors) >= MAX_REPORTED_ERRORS else ""
            raise BadRecords(
                detail=f"{len(errors)}{more} invalid {self.noun}(s); nothing was {self.done}. "
                f"First: {first}{errors[0]['message']}",
                extra=errors,
            )
        if not records:
            raise BadRecords(detail=f"the body holds no {self.noun}")
        return records

    def _lines(self, body: bytes, check: Check[T]) -> tuple[list[T], list[dict[str, str]]]:
        records: list[T] = []
        errors: list[dict[str, str]] = []
        for number, line in enumerate(body.split(b"\n"), start=1):
            if not line.strip():
                continue
            try:
                record = self._line.decode(line)
            except _DECODE_ERRORS as exc:
                message = str(exc)
                errors.append({"line": str(number), "field": field_of(message), "message": message})
            else:
                problem = check(record)
                if problem is None:
                    records.append(record)
                else:
                    errors.append({"line": str(number), "field": problem[0], "message": problem[1]})
            if len(errors) >= MAX_REPORTED_ERRORS:
                break
        return records, errors

    def _items(self, body: bytes, check: Check[T]) -> tuple[list[T], list[dict[str, str]]]:
        errors: list[dict[str, str]] = []
        try:
            records = self._array.decode(body)
        except _DECODE_ERRORS as exc:
            message = str(exc)
            return [], [{"field": field_of(message), "message": message}]
        for index, record in enumerate(records):
            problem = check(record)
            if problem is not None:
                errors.append({"field": f"[{index}].{problem[0]}", "message": problem[1]})
            if len(errors) >= MAX_REPORTED_ERRORS:
                break
        return records, errors
