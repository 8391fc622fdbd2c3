"""What the API fuzzer (test_api_schemathesis.py) found, pinned as plain regression tests."""

from __future__ import annotations

import json

from rapport.api.app import create_app
from rapport.settings import Settings
from tests.api.conftest import Api
from tests.conftest import ROOT


def test_an_offset_beyond_redis_range_is_a_400_not_a_500(api: Api) -> None:
    """`?offset=2**63` reached Redis' ZRANGE, which refused it: an internal error."""
    for offset in (2**63, 2**64, 2**53):
        r = api.client.get("/v1/accounts", params={"offset": offset}, headers=api.acme)
        assert r.status_code == 400, r.text
        assert r.headers["content-type"] == "application/problem+json"
    r = api.client.get("/v1/accounts", params={"offset": 2**53 - 1}, headers=api.acme)
    assert r.status_code == 200
    assert r.json()["accounts"] == []


def test_every_400_is_documented_as_problem_json() -> None:
    """litestar documented its validation 400s as `application/json` while the API answers
    `application/problem+json`: a client generated from the document could not read them."""
    app = create_app(Settings(), redis_url="redis://127.0.0.1:1", load_plugins=False)
    document = app.openapi_schema.to_schema()
    checked = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation.get("responses", {}).items():
                if status.startswith(("4", "5")):
                    assert list(response.get("content", {})) == ["application/problem+json"], (
                        method,
                        path,
                        status,
                    )
                    checked += 1
    assert checked > 30
    assert json.loads((ROOT / "docs" / "openapi.json").read_text())["paths"].keys() == (
        document["paths"].keys()
    )


def test_no_number_union_is_a_one_of_that_integers_cannot_satisfy() -> None:
    """`float | int` was documented `oneOf: [number, integer]`: every integer in a score's
    `inputs` violated the document (an integer matches both branches)."""
    text = (ROOT / "docs" / "openapi.json").read_text()
    document = json.loads(text)
    inputs = document["components"]["schemas"]["ComponentReport"]["properties"]["inputs"]
    assert "oneOf" not in inputs["additionalProperties"]
    assert {"type": "integer"} in inputs["additionalProperties"]["anyOf"]


BAD_UTF8 = [
    ("/v1/ingest", "application/x-ndjson", b'{"platform":"\xff"}'),
    ("/v1/ingest", "application/json", b'[{"platform":"\xff"}]'),
    ("/v1/accounts", "application/json", b'{"platform":"\xff","account":"a"}'),
    ("/v1/webhooks", "application/json", b'{"url":"https://a.example/\xff"}'),
    ("/v1/scores/batch", "application/json", b'{"accounts":[{"platform":"m","account":"\xc3"}]}'),
]


def test_invalid_utf8_in_a_json_string_is_a_400_not_a_500(api: Api) -> None:
    """msgspec raises UnicodeDecodeError (not DecodeError) for it: every body route was a 500."""
    for path, content_type, body in BAD_UTF8:
        r = api.client.post(path, content=body, headers={**api.acme, "Content-Type": content_type})
        assert r.status_code == 400, (path, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    assert api.client.get("/v1/accounts", headers=api.acme).json()["total"] == 0
