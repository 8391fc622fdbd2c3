"""The API documentation page, `/schema`, in headless Chromium on a machine without internet.

Every request for a host other than 127.0.0.1 is aborted, and any such request fails the test,
as does any console error (a Content-Security-Policy refusal is one) or script error: the page
must render the whole API from the app's own files. Then a developer's use of it: authorize
with a key and "Try it out" on a route, which must reach the API from the page.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import msgspec
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Route, expect

from tests.api.conftest import make_keys
from tests.conftest import ROOT
from tests.web.conftest import WAIT_MS, serve_rapport, shot

OPENAPI = msgspec.json.decode((ROOT / "docs" / "openapi.json").read_bytes())
OPERATIONS = [
    (method.upper(), path, operation["summary"])
    for path, item in OPENAPI["paths"].items()
    for method, operation in item.items()
]
LIST_ACCOUNTS = OPENAPI["paths"]["/v1/accounts"]["get"]["summary"]


@pytest.fixture
def api(redis_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """`rapport api` as deployed, and a key of a tenant."""
    with serve_rapport(redis_url, tmp_path, worker=False) as base:
        # in a thread: Playwright's sync API owns this thread's event loop
        with ThreadPoolExecutor(1) as pool:
            (key,) = pool.submit(make_keys, redis_url, "acme").result()
        yield base, key


def test_schema_renders_the_api_and_tries_it_with_no_outside_request(
    browser: Browser, api: tuple[str, str]
) -> None:
    base, key = api
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    outside: list[str] = []

    def loopback_only(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort("blockedbyclient")

    context.route("**/*", loopback_only)
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    errors: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{base}/schema")
        assert outside == [], "the page asked for something outside the app"
        expect(page.locator(".information-container .title")).to_contain_text(
            OPENAPI["info"]["title"]
        )
        # every operation of the document, with its summary
        expect(page.locator(".opblock")).to_have_count(len(OPERATIONS))
        for method, path, summary in OPERATIONS:
            block = page.locator(f".opblock-{method.lower()}", has_text=summary)
            expect(block.locator(".opblock-summary-path")).to_have_text(path)
        shot(page, "schema")

        # authorize with a key, then try a route: the request goes from the page to the API
        page.locator(".auth-wrapper .authorize").click()
        page.locator(".auth-container input").fill(key)
        page.locator(".auth-btn-wrapper .authorize").click()
        page.locator(".auth-btn-wrapper .btn-done").click()
        operation = page.locator(".opblock-get", has_text=LIST_ACCOUNTS)
        operation.locator(".opblock-summary-control").click()
        operation.get_by_role("button", name="Try it out").click()
        operation.get_by_role("button", name="Execute").click()
        answer = operation.locator(".live-responses-table .response")
        expect(answer.locator(".response-col_status")).to_have_text("200")
        expect(answer.locator(".response-col_description")).to_contain_text('"accounts"')
        shot(page, "schema-try-it-out")
        stored = page.evaluate("JSON.stringify([localStorage, sessionStorage])")
        assert key not in stored, "the key was kept in the browser's storage"
    finally:
        context.close()
    assert outside == [], "the page asked for something outside the app"
    assert errors == []
    assert [url for url in requested if urlsplit(url).path == "/v1/accounts"], requested
    assert all(url.startswith(f"{base}/") for url in requested), requested
    assert not [url for url in requested if key in url]
