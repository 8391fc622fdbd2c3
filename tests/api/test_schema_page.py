"""The documentation page at `/schema` (rapport.api.schema_page): everything it loads is a file
of the app, under the same security headers as the account pages. What it looks like in a
browser with no internet is tests/web/test_schema_browser.py."""

from __future__ import annotations

import hashlib
import json
from html.parser import HTMLParser

import pytest

from rapport.api.schema_page import ASSETS_DIR, CSP
from rapport.web import CSP as UI_CSP
from tests.api.conftest import Api
from tests.conftest import ROOT


class _Page(HTMLParser):
    """Every URL the page names, and whatever would run or style it inline."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.html = html
        self.urls: list[str] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            if name in ("src", "href", "action", "data-openapi"):
                self.urls.append(value or "")
            if name == "style" or name.startswith("on"):
                self.inline.append(f"{tag} {name}")
        if tag == "style":
            self.inline.append("style element")
        if tag == "script" and not values.get("src"):
            self.inline.append("script element without src")
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append(f"script body {data.strip()[:40]!r}")


def _page(api: Api) -> _Page:
    answer = api.client.get("/schema")
    assert answer.status_code == 200
    parsed = _Page(answer.text)
    parsed.feed(answer.text)
    return parsed


def test_the_page_names_no_external_url(api: Api) -> None:
    page = _page(api)
    assert page.urls, page.html
    for url in page.urls:
        assert url.startswith("/"), url  # a path on this origin
        assert not url.startswith("//"), url  # not another host
    assert "://" not in page.html


def test_the_page_has_no_inline_script_or_style(api: Api) -> None:
    assert _page(api).inline == []


def test_every_file_the_page_names_is_served(api: Api) -> None:
    kinds = {".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".json": ""}
    for url in _page(api).urls:
        answer = api.client.get(url)
        assert answer.status_code == 200, url
        suffix = url[url.rfind(".") :]
        assert answer.headers["content-type"].startswith(kinds[suffix]), url
        assert answer.headers["x-content-type-options"] == "nosniff", url


@pytest.mark.parametrize(
    "path", ["/schema", "/schema/openapi.json", "/schema/assets/swagger-ui/swagger-ui-bundle.js"]
)
def test_security_headers(api: Api, path: str) -> None:
    answer = api.client.get(path)
    assert answer.status_code == 200
    assert answer.headers["content-security-policy"] == CSP
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_the_csp_is_the_account_pages_but_for_data_images() -> None:
    assert "unsafe" not in CSP
    assert "http" not in CSP
    assert CSP.replace("img-src 'self' data:;", "img-src 'self';") == UI_CSP
    assert CSP in " ".join((ROOT / "docs" / "security.md").read_text().split())  # documented


@pytest.mark.parametrize(
    "path",
    [
        "/schema/assets/../app.py",
        "/schema/assets/%2e%2e/schema_page.py",
        "/schema/assets/swagger-ui",
        "/schema/assets/swagger-ui/index.html",
        "/schema/swagger",  # the one viewer is at /schema
    ],
)
def test_only_the_assets_are_served(api: Api, path: str) -> None:
    assert api.client.get(path).status_code == 404


def test_the_vendored_swagger_ui_is_the_pinned_one() -> None:
    """scripts/vendor-swagger-ui wrote these files and their digests; nothing was edited since."""
    folder = ASSETS_DIR / "swagger-ui"
    pin = json.loads((folder / "vendored.json").read_text())
    assert pin["package"] == "swagger-ui-dist"
    assert pin["integrity"].startswith("sha512-")
    present = {p.name for p in folder.iterdir()} - {"vendored.json"}
    assert present == set(pin["files"])
    for name, digest in pin["files"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    assert "Apache License" in (folder / "LICENSE").read_text()
