"""The pure parts of bench/report.py: parsing the tools' output, the log-log fit, the
generated section of docs/performance.md. No timing is asserted (speed is measured by
scripts/bench, never by the test suite) and matplotlib is not needed."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tests.bench import ROOT, load_bench

FIXTURES = Path(__file__).resolve().parent / "fixtures"


report = load_bench("report")


def test_hey_csv_is_read_in_milliseconds_with_status_codes() -> None:
    # A real `hey -z 1s -c 4 -q 10 -o csv` run against api_bench's bare endpoint.
    latencies, statuses = report.parse_hey_csv((FIXTURES / "hey.csv").read_text())
    assert len(latencies) == len(statuses) == 40
    assert latencies[0] == pytest.approx(1.3)
    assert max(latencies) == pytest.approx(1.8)
    assert set(statuses) == {200}


def test_percentiles_of_a_hey_run_come_from_its_rows() -> None:
    latencies, _ = report.parse_hey_csv((FIXTURES / "hey.csv").read_text())
    result = report.percentiles(latencies, report.PERCENTILES)
    assert list(result) == ["p50", "p90", "p99", "p99.9"]
    ordered = sorted(latencies)
    assert result["p50"] == pytest.approx((ordered[19] + ordered[20]) / 2)
    assert result["p50"] <= result["p90"] <= result["p99"] <= result["p99.9"] <= max(latencies)


def test_hey_summary_output_is_refused_rather_than_misread() -> None:
    with pytest.raises(ValueError, match="not hey CSV"):
        report.parse_hey_csv("Summary:\n  Total:\t2.0057 secs\n")


def test_percentiles_interpolate_and_name_the_tail() -> None:
    result = report.percentiles([float(i) for i in range(1, 1001)], (50.0, 99.9))
    assert result == {"p50": pytest.approx(500.5), "p99.9": pytest.approx(999.001)}
    assert all(math.isnan(v) for v in report.percentiles([], (50.0,)).values())


@pytest.mark.parametrize("slope", [0.5, 1.0, 1.3])
def test_loglog_fit_recovers_a_power_law(slope: float) -> None:
    sizes = [1_000, 3_000, 10_000, 30_000, 100_000, 300_000]
    fit = report.loglog_fit(sizes, [0.002 * n**slope for n in sizes])
    assert fit.slope == pytest.approx(slope)
    assert 10**fit.intercept == pytest.approx(0.002)
    assert fit.sizes == sizes


def test_metric_bench_output_becomes_figures_with_baselines() -> None:
    ingest, scored = report.parse_metric_bench((FIXTURES / "metric_bench.txt").read_text())
    assert (ingest.value, ingest.unit, ingest.baseline) == (863_485, "events/s", 11_873_217)
    assert ingest.ratio == pytest.approx(0.0727, abs=1e-4)
    assert scored.name == "score one account, 100,000 relationships"
    assert (scored.value, scored.unit, scored.baseline) == (19.5, "ms", 2.4)


def test_jobs_bench_output_becomes_figures_with_baselines() -> None:
    figures = report.parse_jobs_bench((FIXTURES / "jobs_bench.txt").read_text())
    assert [(f.name, f.unit, f.value, f.baseline) for f in figures] == [
        ("no-op", "jobs/s", 1_099, 1_474),
        ("refresh", "jobs/s", 69, 69),
        ("persisted", "events/s", 90_172, 455_378),
    ]
    assert figures[0].baseline_name == "bare arq no-op jobs/s"


def test_changed_bench_output_fails_loudly() -> None:
    with pytest.raises(ValueError, match="metric_bench"):
        report.parse_metric_bench("ingest + score: fast\n")
    with pytest.raises(ValueError, match="jobs_bench"):
        report.parse_jobs_bench("nothing to see\n")


def test_only_the_generated_section_is_replaced() -> None:
    doc = f"# Title\n\nby hand\n\n{report.BEGIN}\nold figures\n{report.END}\n\nalso by hand\n"
    new = report.replace_section(doc, "new figures\n")
    assert (
        new == f"# Title\n\nby hand\n\n{report.BEGIN}\nnew figures\n{report.END}\n\nalso by hand\n"
    )
    assert report.generated_section(new) == "\nnew figures\n"
    with pytest.raises(ValueError, match="no"):
        report.replace_section("# no markers\n", "x")


def test_markers_quoted_in_prose_are_not_the_section() -> None:
    doc = (
        f"Between `{report.BEGIN}` and `{report.END}` the text is generated.\n\n"
        f"{report.BEGIN}\nold\n{report.END}\n"
    )
    assert report.replace_section(doc, "new") == (
        f"Between `{report.BEGIN}` and `{report.END}` the text is generated.\n\n"
        f"{report.BEGIN}\nnew\n{report.END}\n"
    )


def test_the_committed_report_points_at_figures_that_exist() -> None:
    doc = ROOT / "docs" / "performance.md"
    section = report.generated_section(doc.read_text())
    links = report.image_links(section)
    assert {Path(link).name for link in links} == {
        "perf-throughput.png",
        "perf-latency.png",
        "perf-recompute.png",
    }
    for link in links:
        assert (doc.parent / link).is_file(), link
    data = json.loads((ROOT / "docs" / "img" / "perf.json").read_text())
    assert {"sweep", "paced", "sizes", "fits", "figures", "targets"} <= set(data)
