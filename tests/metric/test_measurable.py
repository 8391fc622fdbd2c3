"""No credit for what could not be seen, on the recorded exports (docs/metric.md, "Measurable
components"): an archive that holds the account's own side does not get responsiveness or
authenticity near full by construction; they are marked not measurable and left out."""

from __future__ import annotations

from pathlib import Path

import pytest

from rapport.metric import ScoreReport
from rapport.model import Direction
from tests.metric.archives import MASTODON, read, score_archive, without_hides, x_archive

ONE_SIDED = ("responsiveness", "authenticity")


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {
        "mastodon": MASTODON,
        "twitter": x_archive(tmp_path_factory.mktemp("x")),
    }


@pytest.mark.parametrize("platform", ["mastodon", "twitter"])
def test_the_connectors_say_their_exports_hide_what_others_did(
    archives: dict[str, Path], platform: str
) -> None:
    imported = read(archives[platform], platform)
    hiding = [m for m in imported.missing if m.hides]
    assert [m.hides for m in hiding] == [(Direction.IN,)]


@pytest.mark.parametrize("platform", ["mastodon", "twitter"])
def test_a_one_sided_export_is_not_scored_on_what_it_cannot_show(
    archives: dict[str, Path], platform: str
) -> None:
    imported = read(archives[platform], platform)
    report = score_archive(imported)
    gap = next(m.data for m in imported.missing if m.hides)
    for name in ONE_SIDED:
        component = report.components[name]
        assert not component.measurable, name
        assert (component.value, component.points, component.contribution) == (None, 0, 0)
        assert component.not_measurable_because is not None
        assert gap in component.not_measurable_because
    assert report.points_measurable == 75
    measured = [c for c in report.components.values() if c.measurable]
    assert report.score == pytest.approx(100 * sum(c.points for c in measured) / 75, abs=0.01)
    assert report.components["focus"].inputs["volume_basis"] == "out"
    assert "cannot be measured from this source" in report.summary


def test_the_mastodon_export_read_naively_answers_everything_by_construction(
    archives: dict[str, Path],
) -> None:
    """Why: the archive infers a reply received only where the account answered it, so without
    the tag every bit of attention received is 'answered' (1.0 scored it 15 of 15)."""
    imported = read(archives["mastodon"], "mastodon")
    naive = score_archive(imported, missing=without_hides(imported.missing))
    assert naive.components["responsiveness"].value == 1.0
    tagged = score_archive(imported)
    assert tagged.components["responsiveness"].value is None
    assert tagged.score < naive.score + naive.components["responsiveness"].points


def test_the_x_export_with_real_tweets_is_not_credited_for_the_replies_it_lacks(
    archives: dict[str, Path],
) -> None:
    imported = read(archives["twitter"], "twitter")
    naive = score_archive(imported, missing=without_hides(imported.missing))
    tagged = score_archive(imported)
    # Read naively, the X export credits the account with answering and with a human audience
    # (the two profiles it knows are the people it talks to): most of 25 points, for data it
    # does not hold.
    assert naive.components["responsiveness"].points + naive.components["authenticity"].points > 15
    assert tagged.points_earned == pytest.approx(
        sum(tagged.components[n].points for n in ("connections", "depth", "focus")), abs=0.002
    )


def test_an_events_file_hides_nothing_and_scores_all_five(
    archives: dict[str, Path],
) -> None:
    """The same interactions with no gap declared (an events file, the ingest API): every
    component the data supports is measured, and the score is the plain sum."""
    imported = read(archives["mastodon"], "mastodon")
    report: ScoreReport = score_archive(imported, missing=[])
    assert report.components["responsiveness"].measurable
    # no counterpart profile is in a Mastodon archive: authenticity has nobody to judge
    assert not report.components["authenticity"].measurable
    assert report.components["authenticity"].not_measurable_because == (
        "no profile is known for any of the 3 engaged accounts"
    )
    assert report.points_measurable == 90
