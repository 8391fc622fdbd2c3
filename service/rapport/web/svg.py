"""Charts as inline SVG, drawn on the server: no script, no asset from anywhere, readable with
JavaScript off. Every text that came from outside is escaped (`markupsafe.escape`); numbers are
formatted here. Colours are presentation attributes (not `style`), so the page's
Content-Security-Policy can forbid inline styles. Each chart has a `<title>` and an
`aria-label`; the page shows the same numbers as text next to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from markupsafe import Markup, escape

from rapport.metric.report import LayerReport
from rapport.storage.records import ScorePoint

__all__ = ["bar", "history_chart", "layers_chart", "sparkline"]

# WCAG AA against white: #1d4ed8 (7.0:1), #166534 (7.1:1), #374151 (10:1), #b91c1c (6.5:1).
INK = "#1f2937"
BLUE = "#1d4ed8"
GREEN = "#166534"
GREY = "#374151"
TRACK = "#e5e7eb"


def _trusted(markup: str) -> Markup:
    """Mark SVG built in this module as safe: every text interpolated into it is a number
    formatted here or went through `escape`."""
    return Markup(markup)  # noqa: S704


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def bar(points: float, max_points: float, label: str) -> Markup:
    """A horizontal bar: `points` of `max_points`."""
    share = 0.0 if max_points <= 0 else max(0.0, min(1.0, points / max_points))
    text = f"{label}: {_n(points)} of {_n(max_points)} points"
    return Markup(
        '<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" '
        'aria-label="{t}"><title>{t}</title>'
        '<rect x="0" y="0" width="100" height="10" rx="2" fill="{track}"/>'
        '<rect x="0" y="0" width="{w}" height="10" rx="2" fill="{fill}"/></svg>'
    ).format(t=text, track=TRACK, w=f"{share * 100:.2f}", fill=BLUE)


def layers_chart(layers: Sequence[LayerReport], genuine: int, total: int) -> Markup:
    """The 5/15/50/150 layers as nested rings: each ring's size is its capacity, its fill how
    many of its places hold a genuine relationship."""
    size = 320
    centre = size / 2
    parts: list[str] = []
    ordered = sorted(layers, key=lambda layer: -layer.capacity)
    biggest = max((layer.capacity for layer in ordered), default=1)
    for layer in ordered:
        radius = (centre - 8) * (layer.capacity / biggest) ** 0.5
        share = 0.0 if layer.capacity <= 0 else min(1.0, layer.genuine / layer.capacity)
        parts.append(
            f'<circle cx="{centre}" cy="{centre}" r="{radius:.1f}" fill="#ffffff" '
            f'stroke="{GREY}" stroke-width="1.5"/>'
        )
        if share > 0:
            parts.append(
                f'<circle cx="{centre}" cy="{centre}" r="{radius * share**0.5:.1f}" '
                f'fill="{GREEN}" fill-opacity="0.25" stroke="{GREEN}" stroke-width="1"/>'
            )
    for index, layer in enumerate(sorted(layers, key=lambda layer: layer.capacity)):
        radius = (centre - 8) * (layer.capacity / biggest) ** 0.5
        y = centre - radius + 16 if index else centre + 5
        parts.append(
            f'<text x="{centre}" y="{y:.1f}" text-anchor="middle" font-size="15" '
            f'fill="{INK}">{layer.genuine}/{layer.capacity}</text>'
        )
    title = escape(
        f"{genuine} genuine connections among {total} relationships; layers: "
        + ", ".join(f"{layer.genuine} of the {layer.capacity} closest" for layer in layers)
    )
    return _trusted(
        f'<svg class="layers" viewBox="0 0 {size} {size}" role="img" aria-label="{title}">'
        f"<title>{title}</title>{''.join(parts)}</svg>"
    )


def _date(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")


def history_chart(points: Sequence[ScorePoint]) -> Markup:
    """The score (0-100) over time, oldest left; `points` come newest first (as stored)."""
    series = sorted(points, key=lambda p: p.computed_at)
    width, height, left, bottom, top, right = 640, 260, 44, 34, 12, 12
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = []
    for level in (0, 25, 50, 75, 100):
        y = top + plot_h * (1 - level / 100)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
            f'stroke="{TRACK}" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 5:.1f}" text-anchor="end" font-size="16" '
            f'fill="{GREY}">{level}</text>'
        )
    if series:
        first, last = series[0].computed_at, series[-1].computed_at
        span = last - first or 1.0
        coords = []
        for point in series:
            x = left + (plot_w * (point.computed_at - first) / span if len(series) > 1 else 0)
            y = top + plot_h * (1 - max(0.0, min(100.0, point.score)) / 100)
            coords.append((x, y, point))
        if len(coords) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in coords)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{BLUE}" stroke-width="2.5"/>'
            )
        for x, y, point in coords:
            label = escape(f"{_n(point.score)} on {_date(point.computed_at)}")
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{BLUE}"><title>{label}</title>'
                "</circle>"
            )
        parts.append(
            f'<text x="{left}" y="{height - 6}" font-size="16" fill="{GREY}">'
            f"{escape(_date(first))}</text>"
            f'<text x="{width - right}" y="{height - 6}" text-anchor="end" font-size="16" '
            f'fill="{GREY}">{escape(_date(last))}</text>'
        )
        summary = f"Score history: {len(series)} points, from {_n(series[0].score)} to " + _n(
            series[-1].score
        )
    else:
        summary = "Score history: no scores yet"
    return _trusted(
        f'<svg class="history" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(summary)}"><title>{escape(summary)}</title>{"".join(parts)}</svg>'
    )


def sparkline(points: Sequence[ScorePoint]) -> Markup:
    """A small line of the recent scores, for the accounts list (newest first in)."""
    series = sorted(points, key=lambda p: p.computed_at)
    width, height = 80, 20
    if len(series) < 2:
        return Markup("")
    step = width / (len(series) - 1)
    path = " ".join(
        f"{i * step:.1f},{height - 2 - (height - 4) * max(0.0, min(100.0, p.score)) / 100:.1f}"
        for i, p in enumerate(series)
    )
    label = escape(f"last {len(series)} scores: " + ", ".join(_n(p.score) for p in series))
    return _trusted(
        f'<svg class="spark" viewBox="0 0 {width} {height}" role="img" aria-label="{label}">'
        f'<title>{label}</title><polyline points="{path}" fill="none" stroke="{BLUE}" '
        'stroke-width="1.5"/></svg>'
    )
