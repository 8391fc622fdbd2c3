"""Tables fit the terminal by choosing a layout and wrapping text, never by cutting a cell."""

from __future__ import annotations

from rich.console import Console

from rapport.cli.tables import Column, Layout, fit_table, left_out_note
from tests.cli.running import widest_line

NAME = "philomena.vandersteen@mastodon.example"
REASON = "no: reciprocity 0.00 < 0.2; counterpart flagged by authenticity rules"


def render(width: int, layouts: list[Layout]) -> tuple[str, Layout]:
    console = Console(width=width, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    table, layout = fit_table(console, "T", layouts)
    console.print(table)
    note = left_out_note(layout, width)
    if note is not None:
        console.print(note)
    console.file.close()
    return console.export_text(), layout


def layouts() -> list[Layout]:
    wide = Layout(
        [
            Column("counterpart"),
            Column("last contact"),
            Column("reciprocity", justify="right"),
            Column("genuine", wrap=True, min_width=16),
        ],
        [[NAME, "2024-05-01", "0.00", REASON]],
    )
    narrow = Layout(
        [Column("counterpart"), Column("last contact"), Column("genuine", wrap=True, min_width=16)],
        [[NAME, "2024-05-01", REASON]],
        left_out=["reciprocity"],
    )
    return [wide, narrow]


def test_a_wide_console_gets_the_first_layout_on_one_line() -> None:
    text, layout = render(160, layouts())
    assert not layout.left_out
    assert f"{NAME}   2024-05-01" in text
    assert REASON in text
    assert "Not shown" not in text


def test_a_narrow_console_gets_a_narrower_layout_with_names_and_dates_whole() -> None:
    text, layout = render(80, layouts())
    assert list(layout.left_out) == ["reciprocity"]
    assert widest_line(text) <= 80
    assert NAME in text
    assert "2024-05-01" in text
    assert "…" not in text
    assert "genuine" in text
    assert "Not shown at 80 columns: reciprocity (see --format json)." in text


def test_wrapped_text_keeps_every_word() -> None:
    text, _ = render(80, layouts())
    words = [w for line in text.splitlines()[3:] for w in line.split()]
    for word in REASON.split():
        assert word in words


def test_nothing_fits_so_the_name_wraps_whole() -> None:
    name = "x" * 50 + "y" * 50
    text, _ = render(80, [Layout([Column("counterpart")], [[name]])])
    assert widest_line(text) <= 80
    cells = [line.strip() for line in text.splitlines()[3:] if line.strip()]
    assert "".join(cells) == name
