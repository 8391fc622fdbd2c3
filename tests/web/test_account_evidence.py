"""The account page shows what the score could not measure and every relationship it counted:
a one-sided export's components marked "not measurable" with the reason, vetoed relationships
with what vetoed them, evidence labelled all-time or decayed (docs/metric.md)."""

from __future__ import annotations

import html

import redis as redis_sync

from rapport.storage import keys
from rapport.storage.records import encode
from tests.metric.archives import MASTODON, read, score_archive
from tests.web.conftest import Web


def test_the_page_shows_unmeasurable_components_vetoes_and_labelled_evidence(
    web: Web, redis_client: redis_sync.Redis
) -> None:
    web.ingest(web.acme_key, ego="alice")
    # The score an archive job stores for a Mastodon export (the missing data it reports
    # included): the page renders whatever document is current.
    report = score_archive(read(MASTODON, "mastodon"))
    redis_client.set(keys.AccountKeys("acme", "mastodon", "alice").score, encode(report))

    web.sign_in(web.acme_key)
    page = html.unescape(web.client.get("/ui/accounts/mastodon/alice").text)
    assert "This source can show 75 of the 100 points" in page
    assert page.count("Not measurable from this source:") == 2
    assert page.count('class="bar"') == 3
    assert "not measurable · 15 points left out" in page
    assert "the source does not show all the attention the account receives" in page

    assert "2 vetoed relationships (blocked, muted or reported) are counted and listed last" in page
    assert "Vetoed: the account blocked them" in page
    assert "Vetoed: the account muted them" in page
    assert page.index("bob@other.example") < page.index("spammer@bad.example")
    for label in (
        "Volume you → them, decayed",
        "Events, all time",
        "Turns, all time",
        "Active days, last 180",
        "Kind (all time)",
    ):
        assert label in page
