"""The checked-in OpenAPI document matches the code, and the app serves it.

Regenerate after changing a route or a schema:
    .venv/bin/python -m rapport.api.openapi > docs/openapi.json
"""

from __future__ import annotations

import msgspec

from rapport.api.openapi import openapi_document
from tests.api.conftest import Api
from tests.conftest import ROOT


def test_checked_in_document_matches_the_code() -> None:
    checked_in = (ROOT / "docs" / "openapi.json").read_bytes()
    assert checked_in == openapi_document(), (
        "docs/openapi.json is stale: run `.venv/bin/python -m rapport.api.openapi > "
        "docs/openapi.json` and commit it"
    )


def test_served_document_and_browsable_page(api: Api) -> None:
    served = api.client.get("/schema/openapi.json")
    assert served.status_code == 200
    assert msgspec.json.decode(served.content) == msgspec.json.decode(openapi_document())
    page = api.client.get("/schema")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]


def test_every_v1_route_documents_401_and_problem_json() -> None:
    doc = msgspec.json.decode(openapi_document())
    for path, item in doc["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for method, operation in item.items():
            assert "401" in operation["responses"], (method, path)
            content = operation["responses"]["401"]["content"]
            assert list(content) == ["application/problem+json"], (method, path)
    assert "bearer" in doc["components"]["securitySchemes"]
