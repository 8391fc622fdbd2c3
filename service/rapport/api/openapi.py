"""Print the API's OpenAPI document (what docs/openapi.json holds).

Regenerate the checked-in copy after changing a route or a schema::

    .venv/bin/python -m rapport.api.openapi > docs/openapi.json

tests/api/test_openapi.py fails when the two differ.
"""

from __future__ import annotations

import msgspec

from rapport.api.app import create_app
from rapport.settings import Settings

__all__ = ["openapi_document"]


def openapi_document() -> bytes:
    """The OpenAPI document as stable, indented JSON (sorted keys, trailing newline)."""
    app = create_app(Settings(), redis_url="redis://127.0.0.1:6379/0", load_plugins=False)
    schema = app.openapi_schema.to_schema()
    return msgspec.json.format(msgspec.json.encode(schema, order="sorted"), indent=2) + b"\n"


if __name__ == "__main__":  # pragma: no cover - exercised by the regeneration command
    import sys

    sys.stdout.buffer.write(openapi_document())
