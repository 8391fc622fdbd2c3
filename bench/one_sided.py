"""What a one-sided export does to the score, on real networks (docs/metric.md, "Measurable
components").

    python bench/one_sided.py

For every ego of a real network (tests/fixtures/networks; never the reserved ones) with at
least 10 relationships, the score is computed four ways at its last event plus one day:

- full data: every event, nothing hidden (the reference);
- one-sided, as metric 1.0 scored it: only what an export of the ego's own activity shows (all
  it did, and what it received only where it answered within 7 days, as the Mastodon archive
  infers it), with no component marked unmeasurable and authenticity at 1.0's neutral prior;
- one-sided, this rule: the same events, the gap tagged `hides: in`, so responsiveness and
  authenticity are not scored, focus is measured on the attention given, and the score is
  re-normalised over the measurable points;
- one-sided, unmeasurable = 0: the same, but the hidden components count 0 out of 100.

Prints the Markdown table of docs/metric.md ("Measurable components"): per network and rule,
the mean full-data and one-sided scores, their mean absolute difference and its mean sign, how
many egos the one-sided view scores above the full data, the Spearman rank correlation of the
two, and the responsiveness (mean, and the share of egos at >= 0.95) on each.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rapport.metric import ScoreReport, score_events
from rapport.model import Direction, MissingData
from tests.metric.networks import DAY, Network, answered_only, bitcoin_otc, dnc_emails

GAP = MissingData(data="what others did", effect="not exported", hides=(Direction.IN,))
#: Metric 1.0 gave authenticity its neutral prior (0.5 of 10 points) when no profile was known.
PRIOR_POINTS = 5.0


def _v1_score(report: ScoreReport) -> float:
    """The 1.0 total: the untagged components as they are, authenticity at the prior when
    anyone engaged (no profile is known in these networks), no re-normalisation."""
    c = report.components
    engaged = c["authenticity"].inputs["engaged"]
    prior = PRIOR_POINTS if isinstance(engaged, int) and engaged > 0 else 0.0
    kept = ("connections", "depth", "responsiveness", "focus")
    return round(sum(c[name].points for name in kept) + prior, 2)


def _spearman(a: list[float], b: list[float]) -> float:
    ranks = [np.argsort(np.argsort(np.array(x), kind="stable")) for x in (a, b)]
    return float(np.corrcoef(ranks[0], ranks[1])[0, 1])


def _facts(report: ScoreReport, total: float) -> tuple[float, float]:
    resp = report.components["responsiveness"].value
    return total, float("nan") if resp is None else resp


def _rows(network: Network) -> tuple[int, list[list[str]], str]:
    """Per rule: (full-data score, one-sided score, responsiveness full, one-sided) per ego;
    and what re-normalising alone does (the full data, tagged `hides: in`)."""
    retagged: list[tuple[float, float]] = []
    pairs: dict[str, list[tuple[float, float, float, float]]] = {
        "metric 1.0": [],
        "this rule (re-normalised)": [],
        "unmeasurable counts 0": [],
    }
    for ego in network.egos(min_counterparts=10):
        as_of = network.last_at(ego) + DAY
        full = score_events(network.account(ego), as_of=as_of)
        view = network.account(ego, answered_only(network.events[ego]))
        plain = score_events(view, as_of=as_of)
        tagged = score_events(view, as_of=as_of, missing=[GAP])
        retagged.append(
            (full.score, score_events(network.account(ego), as_of=as_of, missing=[GAP]).score)
        )
        resp_full = full.components["responsiveness"].value or 0.0
        resp_plain = plain.components["responsiveness"].value or 0.0
        nan = float("nan")
        pairs["metric 1.0"].append((_v1_score(full), _v1_score(plain), resp_full, resp_plain))
        pairs["this rule (re-normalised)"].append((full.score, tagged.score, resp_full, nan))
        pairs["unmeasurable counts 0"].append(
            (full.points_earned, tagged.points_earned, resp_full, nan)
        )
    table = []
    for rule, rows in pairs.items():
        full_scores = [r[0] for r in rows]
        seen = [r[1] for r in rows]
        diffs = [b - a for a, b in zip(full_scores, seen, strict=True)]
        one_sided_resp = [r[3] for r in rows if not np.isnan(r[3])]
        table.append(
            [
                rule,
                f"{statistics.mean(full_scores):.1f}",
                f"{statistics.mean(seen):.1f}",
                f"{statistics.mean(abs(d) for d in diffs):.1f} ({statistics.mean(diffs):+.1f})",
                f"{sum(d > 0.005 for d in diffs) / len(diffs):.0%}",
                f"{_spearman(seen, full_scores):.3f}",
                f"{statistics.mean(r[2] for r in rows):.2f} / "
                + (f"{statistics.mean(one_sided_resp):.2f}" if one_sided_resp else "not scored"),
                f"{sum(r[2] >= 0.95 for r in rows) / len(rows):.0%} / "
                + (
                    f"{sum(v >= 0.95 for v in one_sided_resp) / len(rows):.0%}"
                    if one_sided_resp
                    else "not scored"
                ),
            ]
        )
    alone = (
        f"the full data tagged `hides: in` (nothing else changed) averages "
        f"{statistics.mean(b for _a, b in retagged):.1f} against "
        f"{statistics.mean(a for a, _b in retagged):.1f}"
    )
    return len(rows), table, alone


def main() -> None:
    print(
        "| network | rule | full data: mean score | one-sided: mean score | mean abs. difference "
        "(mean sign) | one-sided scores above full data | rank correlation | responsiveness, "
        "full / one-sided | egos at >= 0.95, full / one-sided |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    notes = []
    for name, network in (("DNC emails", dnc_emails()), ("Bitcoin OTC", bitcoin_otc())):
        count, table, alone = _rows(network)
        notes.append(f"{name}: {alone}")
        for i, cells in enumerate(table):
            label = f"{name} ({count} egos)" if i == 0 else ""
            print(f"| {label} | " + " | ".join(cells) + " |")
    print("\nRe-normalising alone:\n" + "\n".join(notes))


if __name__ == "__main__":
    main()
