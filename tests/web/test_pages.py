"""The account pages without a browser: sign-in and its cookie, CSRF refusal, tenancy, escaping
of attacker-controlled text, the security headers, and the SVG charts."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path

import redis as redis_sync
from litestar.testing import TestClient
from redis.asyncio import Redis

from rapport.api import create_app
from rapport.metric.report import LayerReport, ScoreReport
from rapport.model import AccountRef, MissingData
from rapport.settings import Settings
from rapport.storage import keys, sources
from rapport.storage.records import ScorePoint, SourceReport, decode, encode
from rapport.web import CSP, svg
from tests.api.conftest import NOW, make_keys
from tests.jobs.helpers import zip_archive
from tests.web.conftest import Web

EVIL = '<script>alert("x")</script>'


def test_pages_need_a_session_and_send_you_to_sign_in(web: Web) -> None:
    for path in ("/ui/accounts", "/ui/accounts/mastodon/alice", "/ui/upload", "/ui/jobs/x"):
        answer = web.client.get(path, follow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"] == "/ui/sign-in"
    # a bearer header is not a session: the pages are for a browser's cookie only
    answer = web.client.get(
        "/ui/accounts", headers={"Authorization": f"Bearer {web.acme_key}"}, follow_redirects=False
    )
    assert answer.status_code == 303


def test_sign_in_sets_an_httponly_strict_cookie_and_signs_out(web: Web) -> None:
    web.sign_in(web.acme_key)
    cookie = next(c for c in web.client.cookies.jar if c.name == "rapport_key")
    assert cookie.path == "/ui"
    assert cookie.has_nonstandard_attr("HttpOnly")
    assert (cookie.get_nonstandard_attr("SameSite") or "").lower() == "strict"
    page = web.client.get("/ui/accounts")
    assert page.status_code == 200
    assert "Signed in as <strong>acme</strong>" in page.text
    assert web.acme_key not in page.text  # the key is never echoed into a page

    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    out = web.client.post(
        "/ui/sign-out", data={"csrf_token": token.group(1)}, follow_redirects=False
    )
    assert out.status_code == 303
    assert "rapport_key" not in web.client.cookies
    assert web.client.get("/ui/accounts", follow_redirects=False).status_code == 303


def test_a_wrong_key_is_refused_on_the_page(web: Web) -> None:
    answer = web.client.post("/ui/sign-in", data={"api_key": "rpk_nope", "csrf_token": web.csrf()})
    assert answer.status_code == 401
    assert "not valid" in answer.text
    assert "rapport_key" not in web.client.cookies


def test_posts_without_the_csrf_token_are_refused(web: Web) -> None:
    web.csrf()  # the cookie half exists; the form half is missing or wrong
    answer = web.client.post("/ui/sign-in", data={"api_key": web.acme_key})
    assert answer.status_code == 403
    assert "rapport_key" not in web.client.cookies
    answer = web.client.post("/ui/sign-in", data={"api_key": web.acme_key, "csrf_token": "forged"})
    assert answer.status_code == 403

    web.sign_in(web.acme_key)
    assert web.client.post("/ui/sign-out", data={}).status_code == 403
    assert "rapport_key" in web.client.cookies  # still signed in
    upload = web.client.post(
        "/ui/upload",
        data={"platform": "twitter", "csrf_token": "forged"},
        files={"archive": ("a.zip", b"PK\x05\x06" + b"\0" * 18, "application/zip")},
    )
    assert upload.status_code == 403
    assert "<!doctype html>" in upload.text


def test_only_the_tenants_own_accounts_and_others_are_404_pages(web: Web) -> None:
    web.ingest(web.acme_key, ego="alice")
    web.ingest(web.rival_key, ego="rivalsecret")
    web.sign_in(web.acme_key)
    listing = web.client.get("/ui/accounts")
    assert "/ui/accounts/mastodon/alice" in listing.text
    assert "rivalsecret" not in listing.text
    theirs = web.client.get("/ui/accounts/mastodon/rivalsecret")
    assert theirs.status_code == 404
    assert "text/html" in theirs.headers["content-type"]
    assert theirs.text == web.client.get("/ui/accounts/mastodon/nobody").text.replace(
        "nobody", "rivalsecret"
    )

    mine = web.client.get("/ui/accounts/mastodon/alice")
    assert mine.status_code == 200
    for heading in (
        "Why this score: five components",
        "Genuine connections and layers",
        "Strongest relationships and their evidence",
        "Authenticity rules that fired",
        "Missing data",
        "Score history",
    ):
        assert heading in mine.text
    # no profile was sent, so authenticity is not measurable: four bars and one note
    assert mine.text.count('class="bar"') == 4
    assert mine.text.count("Not measurable from this source:") == 1


def test_attacker_controlled_text_is_escaped(web: Web, redis_client: redis_sync.Redis) -> None:
    web.ingest(web.acme_key, ego="alice")
    # a counterpart id, a rule example and the summary carry markup: it must stay text
    key = keys.AccountKeys("acme", "mastodon", "alice").score
    report = decode(redis_client.get(key), ScoreReport)
    report.relationships[0].counterpart = EVIL
    report.summary = EVIL
    redis_client.set(key, encode(report))
    web.ingest(web.acme_key, ego=EVIL.replace("/", ""))  # an account id with markup

    web.sign_in(web.acme_key)
    page = web.client.get("/ui/accounts/mastodon/alice")
    assert EVIL not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
    listing = web.client.get("/ui/accounts")
    assert "<script>" not in listing.text
    assert "&lt;script&gt;" in listing.text


def test_security_headers_on_every_page(web: Web) -> None:
    for path in ("/ui/sign-in", "/ui/accounts/x/y", "/ui/static/app.css"):
        answer = web.client.get(path)
        assert answer.headers["content-security-policy"] == CSP
        assert answer.headers["x-frame-options"] == "DENY"
    assert "default-src 'none'" in CSP
    assert "http" not in CSP  # no external source is allowed
    assert web.client.get("/ui/static/other.js").status_code == 404
    # /ui is not part of the API's OpenAPI document
    schema = web.client.get("/schema/openapi.json").json()
    assert not any(path.startswith("/ui") for path in schema["paths"])


def test_upload_without_a_file_is_a_page_not_a_problem(web: Web) -> None:
    web.sign_in(web.acme_key)
    token = web.csrf()
    answer = web.client.post(
        "/ui/upload",
        data={"platform": "twitter", "csrf_token": token},
        files={"archive": ("", b"", "application/octet-stream")},
    )
    assert answer.status_code == 400
    assert "choose an export archive" in answer.text


def _point(score: float, at: float) -> ScorePoint:
    return ScorePoint(
        as_of=at,
        computed_at=at,
        score=score,
        genuine_connections=3,
        relationships_total=9,
        metric_version="1",
        config_digest="d",
    )


def test_history_chart_plots_oldest_left_and_clamps() -> None:
    day = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    chart = str(svg.history_chart([_point(80, day + 86400), _point(20, day), _point(140, day + 2)]))
    assert chart.startswith("<svg")
    assert chart.endswith("</svg>")
    points = re.search(r'<polyline points="([^"]+)"', chart)
    assert points is not None
    coords = [tuple(map(float, p.split(","))) for p in points.group(1).split()]
    assert [x for x, _ in coords] == sorted(x for x, _ in coords)
    assert coords[0][1] > coords[-1][1]  # 20 is drawn lower than 80
    assert min(y for _, y in coords) >= 12  # 140 is clamped to the top (100)
    assert "2026-01-01" in chart
    assert "no scores yet" in str(svg.history_chart([]))


def test_bars_and_layers_say_their_numbers() -> None:
    bar = str(svg.bar(12.5, 25, 'depth"><x'))
    assert 'width="50.00"' in bar
    assert "<x" not in bar
    assert "&#34;&gt;&lt;x" in bar
    assert 'width="100.00"' in str(svg.bar(30, 25, "over"))
    layers = [
        LayerReport(capacity=c, size=min(c, 20), genuine=g, mean_strength=0.5)
        for c, g in ((5, 5), (15, 7), (50, 7), (150, 7))
    ]
    chart = str(svg.layers_chart(layers, 7, 20))
    assert chart.count("<circle") == 8  # a ring and its genuine share per layer
    assert "5/5" in chart
    assert "7/150" in chart
    assert "7 genuine connections among 20 relationships" in chart
    assert str(svg.sparkline([_point(50, 1.0)])) == ""
    assert "<polyline" in str(svg.sparkline([_point(50, 1.0), _point(60, 2.0)]))


def test_cookies_are_secure_behind_a_tls_proxy_when_configured(
    web: Web, redis_url: str, tmp_path: Path
) -> None:
    """Over plain http the cookies are not Secure unless RAPPORT_UI_SECURE_COOKIES says TLS
    ends at a proxy in front (a browser would then not send them back over http)."""
    plain = web.client.get("/ui/sign-in").headers.get_list("set-cookie")
    assert plain
    assert not any("Secure" in c for c in plain)
    app = create_app(
        Settings(ui_secure_cookies=True, upload_dir=str(tmp_path)),
        redis_url=redis_url,
        load_plugins=False,
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        cookies = client.get("/ui/sign-in").headers.get_list("set-cookie")
    assert any(c.startswith("rapport_csrf=") for c in cookies)
    assert all("Secure" in c and "HttpOnly" in c for c in cookies)


def test_form_upload_queues_the_archive_as_the_api_does(web: Web, tmp_path: Path) -> None:
    """The archive part is copied out byte for byte into the upload directory and queued;
    the job page works without JavaScript (it refreshes itself) and is the tenant's alone."""
    archive = zip_archive(tmp_path / "x.zip").read_bytes()
    web.sign_in(web.acme_key)
    answer = web.client.post(
        "/ui/upload",
        data={"csrf_token": web.csrf(), "platform": "twitter"},
        files={"archive": ("my archive.zip", archive, "application/zip")},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    job_url = answer.headers["location"]
    assert job_url.startswith("/ui/jobs/archive-")
    uploads = tmp_path / "uploads"
    [stored] = uploads.iterdir()  # no .part file is left behind
    assert stored.name == job_url.removeprefix("/ui/jobs/archive-") + ".zip"
    assert stored.read_bytes() == archive

    job = web.client.get(job_url)
    assert job.status_code == 200
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in job.text
    assert f'<a href="{job_url}">Check again</a>' in job.text
    assert web.client.get(job_url + "/state").json() == {"state": "queued"}

    web.sign_in(web.rival_key)
    assert web.client.get(job_url).status_code == 404
    assert web.client.get(job_url + "/state").status_code == 404


def test_form_upload_has_the_apis_size_cap(redis_url: str, tmp_path: Path) -> None:
    (tmp_path / "uploads").mkdir()
    app = create_app(
        Settings(upload_max_bytes=2048, upload_dir=str(tmp_path / "uploads")),
        redis_url=redis_url,
        load_plugins=False,
    )
    [key] = make_keys(redis_url, "acme")
    with TestClient(app, raise_server_exceptions=False) as client:
        web = Web(client, key, key)
        web.sign_in(key)
        answer = client.post(
            "/ui/upload",
            data={"csrf_token": web.csrf(), "platform": "twitter"},
            files={"archive": ("big.zip", b"x" * 4096, "application/zip")},
        )
    assert answer.status_code == 413
    assert "Archive too large" in answer.text
    assert list((tmp_path / "uploads").iterdir()) == []


def test_the_list_shows_the_trend_from_the_history(web: Web) -> None:
    web.ingest(web.acme_key, ego="alice", count=30)
    web.sign_in(web.acme_key)
    assert "first score" in web.client.get("/ui/accounts").text
    web.ingest(web.acme_key, ego="alice", count=120)  # 90 more events: a second score
    listing = web.client.get("/ui/accounts").text
    assert 'class="spark"' in listing
    assert re.search(r"(▲ up|▼ down|= unchanged)", listing)
    assert "last 2 scores" in listing


def test_the_account_page_shows_where_the_data_ends_and_what_each_source_lacked(
    web: Web, redis_url: str
) -> None:
    """Events of March 2026, viewed in January 2027 (the app's clock): the score now and the
    score as of the data's end, each with its date and the reason they differ; and the notes
    an archive import left with the account, named by their source."""
    archive_note = MissingData(data="likes received", effect="an export holds none")
    asyncio.run(
        _put_source(
            redis_url, SourceReport(source="archive", reported_at=NOW, missing=[archive_note])
        )
    )
    web.ingest(web.acme_key, ego="alice")
    web.sign_in(web.acme_key)
    page = web.client.get("/ui/accounts/mastodon/alice").text
    assert "Where your data ends" in page
    assert "as of 2027-01-15 08:00 UTC (now)" in page
    assert "as of 2026-03-03 11:00 UTC (the end of your data" in page
    assert (
        "Your data ends on 2026-03-03; relationships fade without contact, which is why the "
        "score as of 2027-01-15 is lower than the score as of 2026-03-03." in page
    )
    assert "<strong>likes received</strong>: an export holds none" in page
    assert "(reported by the uploaded archive)" in page
    assert "Last import from the uploaded archive" in page


async def _put_source(url: str, report: SourceReport) -> None:
    client = Redis.from_url(url)
    try:
        await sources.put(client, "acme", AccountRef("mastodon", "alice"), report)
    finally:
        await client.aclose()
