"""The account pages in a real browser: headless Chromium (Debian's `chromium` package, never a
downloaded one) driven by Playwright, against `rapport api` (uvicorn) on a free loopback port
and a real `rapport worker`, both on the xdist worker's real Redis.

A user signs in with a key, sees only their tenant's accounts, opens one, uploads a real X
export archive and watches its score appear; another tenant's account is a 404 page; the key
never appears in a URL and its cookie is HttpOnly. Screenshots are kept in test-artifacts/web/.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page

from tests.api.conftest import NDJSON, bearer, make_keys, ndjson_events
from tests.deadlines import scaled
from tests.jobs.helpers import ARCHIVE_EGO, zip_archive
from tests.web.conftest import CHROMIUM, WAIT_MS, serve_rapport, shot


@dataclass
class Site:
    base: str
    acme_key: str
    rival_key: str


@pytest.fixture
def site(redis_url: str, tmp_path: Path) -> Iterator[Site]:
    """`rapport api` and `rapport worker` as deployed, sharing an upload directory."""
    with serve_rapport(redis_url, tmp_path, worker=True) as base:
        # in a thread: Playwright's sync API owns this thread's event loop
        with ThreadPoolExecutor(1) as pool:
            acme_key, rival_key = pool.submit(make_keys, redis_url, "acme", "rival").result()
        yield Site(base, acme_key, rival_key)


def _ingest(site: Site, key: str, ego: str) -> None:
    answer = httpx.post(
        f"{site.base}/v1/ingest",
        content=ndjson_events(60, ego=ego),
        headers=bearer(key) | NDJSON,
        timeout=scaled(30),
    )
    assert answer.status_code == 200, answer.text


def _sign_in(page: Page, site: Site, key: str) -> None:
    page.goto(f"{site.base}/ui/accounts")
    assert page.url == f"{site.base}/ui/sign-in"  # not signed in yet
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{site.base}/ui/accounts")


def test_sign_in_see_your_accounts_upload_an_archive_and_watch_the_score(
    browser: Browser, site: Site, tmp_path: Path
) -> None:
    _ingest(site, site.acme_key, "alice")
    _ingest(site, site.rival_key, "rivals-account")
    archive = zip_archive(tmp_path / "my-x-archive.zip")

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    visited: list[str] = []
    page.on("framenavigated", lambda frame: visited.append(frame.url))
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    try:
        _sign_in(page, site, site.acme_key)
        assert page.get_by_role("link", name="mastodon alice").is_visible()
        assert "rivals-account" not in page.content()
        shot(page, "accounts")

        cookie = next(c for c in context.cookies() if c["name"] == "rapport_key")
        assert cookie["httpOnly"] is True
        assert cookie["sameSite"] == "Strict"
        assert page.evaluate("document.cookie") == ""  # scripts cannot read the session

        page.get_by_role("link", name="mastodon alice").click()
        page.wait_for_url("**/ui/accounts/mastodon/alice")
        assert page.get_by_role("heading", name="Why this score: five components").is_visible()
        # no profile was sent: authenticity is not measurable, said instead of a bar
        assert page.locator("svg.bar").count() == 4
        assert page.get_by_text("Not measurable from this source:").is_visible()
        assert page.locator("svg.layers").is_visible()
        assert page.locator("svg.history").is_visible()
        evidence = page.locator("li.rel").first
        assert evidence.locator(".counterpart").inner_text().startswith("friend")
        kinds = evidence.locator("table.kinds")  # kinds of interaction, each direction
        assert kinds.get_by_role("columnheader", name="They → you").is_visible()
        assert kinds.locator("tbody tr").count() > 0
        assert "Last contact" in evidence.inner_text()
        shot(page, "account")

        # another tenant's account is the same 404 page as one that does not exist
        answer = page.goto(f"{site.base}/ui/accounts/mastodon/rivals-account")
        assert answer is not None
        assert answer.status == 404
        assert page.get_by_role("heading", name="Not found").is_visible()

        page.goto(f"{site.base}/ui/upload")
        page.get_by_label("Platform").select_option("twitter")
        page.get_by_label("Export archive (.zip)").set_input_files(str(archive))
        page.get_by_role("button", name="Upload and score").click()
        page.wait_for_url("**/ui/jobs/**")
        shot(page, "job-progress")
        # the page's script follows the job and shows the score when the worker is done
        page.get_by_text("Done:").wait_for()
        counts = page.locator("table.counts")
        read = counts.get_by_role("row", name="Read from the archive").locator("td").inner_text()
        stored = counts.get_by_role("row", name="Stored (new)").locator("td").inner_text()
        assert read == stored != "0"  # every event of the export counts, however old
        # the score now and as of the export's own date, each with its date, and why they differ
        now_score = page.locator(".score-at.now strong").inner_text()
        end_score = page.locator(".score-at.end strong").inner_text()
        assert float(now_score) <= 100
        assert "(the end of your data)" in page.locator(".score-at.end").inner_text()
        assert page.locator(".why-different").inner_text().startswith("Your data ends on 2024-")
        shot(page, "job-done")
        page.get_by_role("link", name=f"See why {ARCHIVE_EGO} scored this").click()
        page.wait_for_url(f"**/ui/accounts/twitter/{ARCHIVE_EGO}")
        shot(page, "account-uploaded")
        both = page.locator(".data-end .score-at strong")
        assert [both.nth(0).inner_text(), both.nth(1).inner_text()] == [now_score, end_score]
        assert page.get_by_role("heading", name="Missing data").is_visible()
        assert page.get_by_text("(reported by the uploaded archive)").first.is_visible()

        # the same archive again: nothing new, and the page says why
        page.goto(f"{site.base}/ui/upload")
        page.get_by_label("Platform").select_option("twitter")
        page.get_by_label("Export archive (.zip)").set_input_files(str(archive))
        page.get_by_role("button", name="Upload and score").click()
        page.wait_for_url("**/ui/jobs/**")
        page.get_by_text("Done:").wait_for()
        assert page.get_by_role("status").inner_text() == (
            f"Done: Nothing new: all {read} events of this archive were already stored "
            "(from an earlier upload, or an archive that overlaps it)."
        )
        shot(page, "job-reupload")

        page.goto(f"{site.base}/ui/accounts")
        assert page.get_by_role("link", name=f"twitter {ARCHIVE_EGO}").is_visible()
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(f"{site.base}/ui/sign-in")
        assert not [c for c in context.cookies() if c["name"] == "rapport_key"]
    finally:
        context.close()
    assert visited
    assert requested
    for url in visited + requested:
        assert site.acme_key not in url
        assert "rpk_" not in url
    assert all(url.startswith(site.base) for url in requested)  # nothing from elsewhere
    # the pages keep to their own Content-Security-Policy (no inline style or script)
    assert not [m for m in console if "Content Security Policy" in m], console


def test_phone_sized_screen_and_javascript_off(browser: Browser, site: Site) -> None:
    """The pages work without JavaScript (the job page refreshes itself instead) and fit a
    phone's width without sideways scrolling."""
    _ingest(site, site.acme_key, "ada@example.social")
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, java_script_enabled=False, is_mobile=True
    )
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    try:
        _sign_in(page, site, site.acme_key)
        page.get_by_role("link", name="mastodon ada@example.social").click()
        page.wait_for_url("**/ui/accounts/mastodon/ada%40example.social")
        assert page.get_by_role("heading", name="Why this score: five components").is_visible()
        shot(page, "account-phone")
        widths = page.locator("main").bounding_box()
        assert widths is not None
        assert widths["width"] <= 390
        page.goto(f"{site.base}/ui/upload")
        assert page.get_by_label("Export archive (.zip)").is_visible()
    finally:
        context.close()


def test_chromium_is_debians() -> None:
    """The browser is the system package, not a download (scripts/test installs it)."""
    assert shutil.which("chromium") == CHROMIUM
    version = subprocess.run(
        [CHROMIUM, "--version"], capture_output=True, text=True, check=True, timeout=scaled(60)
    ).stdout
    assert "Chromium" in version
