"""The score document as a person reads it in a terminal, at any width from 80 columns up.

Names, dates and numbers are never cut: at a narrow width the evidence moves under each name
and the least telling columns are left out, with a note saying which (tables.py).
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.text import Text

from rapport.cli.tables import Column, Layout, fit_table, left_out_note
from rapport.metric import RelationshipReport, ScoreReport

__all__ = ["render_report"]

_MEANING = {
    "connections": "how many genuine two-way connections there are (a handful is plenty)",
    "depth": "how strong the strongest genuine connections are",
    "responsiveness": "how much of the attention received is answered",
    "focus": "how much interaction goes to genuine connections",
    "authenticity": "how much of the engaged audience looks like real people",
}
_EVIDENCE = "events, all time (out↑ in↓)"


def _evidence(kinds: dict[str, dict[str, int]]) -> str:
    return ", ".join(
        f"{kind} {counts['out']}↑{counts['in']}↓" for kind, counts in sorted(kinds.items())
    )


def _verdict(rel: RelationshipReport) -> str:
    if rel.vetoed:
        return "vetoed: " + "; ".join(rel.vetoed_because)
    return "yes" if rel.genuine else "no: " + "; ".join(rel.not_genuine_because)


def _name_and_evidence(rel: RelationshipReport) -> RenderableType:
    evidence = _evidence(rel.events_by_kind_all_time)
    if not evidence:
        return Text(rel.counterpart)
    return Group(Text(rel.counterpart), Padding(Text(evidence, style="dim"), (0, 0, 0, 2)))


def _relationship_layouts(rels: list[RelationshipReport], window_days: int) -> list[Layout]:
    """From every column, evidence beside the name, down to name, strength and verdict.
    Volumes are decayed, days counted in the active window, events all time: the headers say
    which, so "5 messages out, reciprocity 0.00" does not read as a contradiction."""
    days = f"days\n(last {window_days})"
    numbers = {
        "strength": [f"{r.strength:.2f}" for r in rels],
        "reciprocity": [f"{r.reciprocity:.2f}" for r in rels],
        "out\n(decayed)": [f"{r.volume_out_decayed:.1f}" for r in rels],
        "in\n(decayed)": [f"{r.volume_in_decayed:.1f}" for r in rels],
        days: [str(r.active_days_in_window) for r in rels],
        "last\ncontact": [f"{r.last_at:%Y-%m-%d}" if r.last_at else "-" for r in rels],
    }
    genuine = Column("genuine", wrap=True, min_width=16)
    wide_names = Column("counterpart")
    name_width = max(24, *(cell_len(r.counterpart) for r in rels))
    names_over_evidence = Column(f"counterpart\n  {_EVIDENCE}", wrap=True, min_width=name_width)

    def layout(names: str, *shown: str, evidence: bool = False) -> Layout:
        columns = [wide_names if names == "beside" else names_over_evidence]
        columns += [Column(h, justify="left" if h.startswith("last") else "right") for h in shown]
        columns.append(genuine)
        if evidence:
            columns.append(Column(_EVIDENCE, wrap=True, min_width=20))
        rows = []
        for i, rel in enumerate(rels):
            name = Text(rel.counterpart) if names == "beside" else _name_and_evidence(rel)
            row: list[RenderableType] = [name, *(numbers[h][i] for h in shown), _verdict(rel)]
            if evidence:
                row.append(_evidence(rel.events_by_kind_all_time))
            rows.append(row)
        left_out = [h.replace("\n", " ") for h in numbers if h not in shown]
        return Layout(columns, rows, left_out)

    every = list(numbers)
    return [
        layout("beside", *every, evidence=True),
        layout("under", *every),
        layout("under", "strength", "reciprocity", days, "last\ncontact"),
        layout("under", "strength", "last\ncontact"),
        layout("under", "strength"),
    ]


def render_report(report: ScoreReport, console: Console) -> None:
    title = Text.assemble(
        ("Rapport score ", "bold"),
        (f"{report.score:.0f}/100", "bold green" if report.score >= 50 else "bold yellow"),
        f"  {report.ego} on {report.platform}, as of {report.as_of:%Y-%m-%d %H:%M} UTC",
    )
    console.print(title)
    console.print(Text(report.summary))
    console.print()

    components, _ = fit_table(
        console,
        "Components",
        [
            Layout(
                [
                    Column("component"),
                    Column("points", justify="right"),
                    Column("of", justify="right"),
                    Column("what it measures / why", wrap=True, min_width=20),
                ],
                [
                    [
                        name,
                        f"{component.points:.1f}" if component.measurable else "n/a",
                        f"{component.max_points:g}",
                        f"{_MEANING.get(name, name)}: {component.explanation}",
                    ]
                    for name, component in report.components.items()
                ],
            )
        ],
    )
    console.print(components)
    unseen = [name for name, c in report.components.items() if not c.measurable]
    if unseen:
        console.print(
            f"[bold]Not measurable[/bold] from this source: {', '.join(unseen)}. The score is "
            f"{report.points_earned:.1f} of the {report.points_measurable:g} measurable points, "
            "scaled to 100."
        )
    console.print()

    if report.relationships:
        table, layout = fit_table(
            console,
            "Strongest relationships (vetoed last)",
            _relationship_layouts(report.relationships, report.active_window_days),
        )
        console.print(table)
        note = left_out_note(layout, console.width)
        if note is not None:
            console.print(note)
        console.print()

    layers = ", ".join(
        f"{layer.capacity}: {layer.size} ({layer.genuine} genuine, mean {layer.mean_strength:.2f})"
        for layer in report.layers
    )
    console.print(Text.assemble(("Layers ", "bold"), layers))
    for rule in report.rules_fired:
        console.print(
            Text.assemble(
                ("Rule fired ", "bold"),
                f"{rule.rule} on {rule.accounts} account(s): {rule.description} ",
                (f"({rule.source})", "dim"),
            )
        )
    for item in report.missing:
        console.print(Text.assemble(("Missing ", "bold"), f"{item.data}: {item.effect}"))
    console.print(
        Text(f"metric {report.metric_version}, config {report.config_digest}", style="dim")
    )
    console.print()
