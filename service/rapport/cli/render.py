"""The score document as a person reads it in a terminal (rich tables)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from rapport.metric import RelationshipReport, ScoreReport

__all__ = ["render_report"]

_MEANING = {
    "connections": "how many genuine two-way connections there are (a handful is plenty)",
    "depth": "how strong the strongest genuine connections are",
    "responsiveness": "how much of the attention received is answered",
    "focus": "how much interaction goes to genuine connections",
    "authenticity": "how much of the engaged audience looks like real people",
}


def _evidence(kinds: dict[str, dict[str, int]]) -> str:
    return ", ".join(
        f"{kind} {counts['out']}↑{counts['in']}↓" for kind, counts in sorted(kinds.items())
    )


def _verdict(rel: RelationshipReport) -> str:
    if rel.vetoed:
        return "vetoed: " + "; ".join(rel.vetoed_because)
    return "yes" if rel.genuine else "no: " + "; ".join(rel.not_genuine_because)


def render_report(report: ScoreReport, console: Console) -> None:
    title = Text.assemble(
        ("Rapport score ", "bold"),
        (f"{report.score:.0f}/100", "bold green" if report.score >= 50 else "bold yellow"),
        f"  {report.ego} on {report.platform}, as of {report.as_of:%Y-%m-%d %H:%M} UTC",
    )
    console.print(title)
    console.print(report.summary)

    components = Table(title="Components", title_justify="left")
    components.add_column("component")
    components.add_column("points", justify="right")
    components.add_column("of", justify="right")
    components.add_column("what it measures / why")
    for name, component in report.components.items():
        components.add_row(
            name,
            f"{component.points:.1f}" if component.measurable else "n/a",
            f"{component.max_points:g}",
            f"{_MEANING.get(name, '')}: {component.explanation}",
        )
    console.print(components)
    unseen = [name for name, c in report.components.items() if not c.measurable]
    if unseen:
        console.print(
            f"[bold]Not measurable[/bold] from this source: {', '.join(unseen)}. The score is "
            f"{report.points_earned:.1f} of the {report.points_measurable:g} measurable points, "
            "scaled to 100."
        )

    if report.relationships:
        rels = Table(title="Strongest relationships (vetoed last)", title_justify="left")
        for column, justify in (
            ("counterpart", "left"),
            ("strength", "right"),
            ("reciprocity", "right"),
            ("out (decayed)", "right"),
            ("in (decayed)", "right"),
            (f"days (last {report.active_window_days})", "right"),
            ("last contact", "left"),
            ("genuine", "left"),
            ("events, all time (out↑ in↓)", "left"),
        ):
            rels.add_column(column, justify=justify)  # type: ignore[arg-type]
        for rel in report.relationships:
            rels.add_row(
                rel.counterpart,
                f"{rel.strength:.2f}",
                f"{rel.reciprocity:.2f}",
                f"{rel.volume_out_decayed:.1f}",
                f"{rel.volume_in_decayed:.1f}",
                str(rel.active_days_in_window),
                f"{rel.last_at:%Y-%m-%d}" if rel.last_at else "-",
                _verdict(rel),
                _evidence(rel.events_by_kind_all_time),
            )
        console.print(rels)

    layers = ", ".join(
        f"{layer.capacity}: {layer.size} ({layer.genuine} genuine, mean {layer.mean_strength:.2f})"
        for layer in report.layers
    )
    console.print(f"[bold]Layers[/bold] {layers}")
    for rule in report.rules_fired:
        console.print(
            f"[bold]Rule fired[/bold] {rule.rule} on {rule.accounts} account(s): "
            f"{rule.description} [dim]({rule.source})[/dim]"
        )
    for item in report.missing:
        console.print(f"[bold]Missing[/bold] {item.data}: {item.effect}")
    console.print(
        f"[dim]metric {report.metric_version}, config {report.config_digest}[/dim]\n",
        highlight=False,
    )
