"""Reading the CSV files of a LinkedIn data export, strictly and with positions.

Why a module of its own: LinkedIn's CSVs are not uniform. Connections.csv starts with a UTF-8
BOM, a "Notes:" preamble and a blank line before its real header; header case varies between
files (`CONVERSATION ID`, `inviterProfileUrl`); newer exports add columns. So the header row is
found by its content, columns are looked up by upper-case name, and a row with fewer or more
cells than its header (a truncated or broken file) is an `ArchiveError` naming the line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from rapport.errors import ArchiveError
from rapport.plugins.archive import ArchiveSource

__all__ = ["Row", "read_table"]


class Row:
    """One data row: cells by upper-case column name, and the line it ended on."""

    __slots__ = ("cells", "line")

    def __init__(self, cells: dict[str, str], line: int) -> None:
        self.cells = cells
        self.line = line

    def __getitem__(self, column: str) -> str:
        return self.cells.get(column.upper(), "").strip()


def read_table(
    source: ArchiveSource,
    member: str,
    required: Sequence[str],
    *,
    preamble: bool = False,
) -> list[Row]:
    """The rows of `member`, whose header must hold every `required` column.

    With `preamble`, lines before the header are skipped (Connections.csv); otherwise the
    first non-blank line must be the header.
    """
    text = source.read_text(member)
    wanted = {c.upper() for c in required}
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    rows: list[Row] = []

    def error(message: str) -> ArchiveError:
        return ArchiveError(
            source.display, message, member=member, position=f"line {reader.line_num}"
        )

    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue  # blank lines (the one after the preamble, trailing ones)
            if header is None:
                names = [cell.strip().lstrip("\ufeff").upper() for cell in cells]
                if wanted <= set(names):
                    header = names
                elif not preamble:
                    raise error(f"expected a header with the columns {', '.join(required)}")
                continue
            if len(cells) != len(header):
                what = "truncated row" if len(cells) < len(header) else "row with extra cells"
                raise error(f"{what}: {len(cells)} cells for {len(header)} columns")
            rows.append(Row(dict(zip(header, cells, strict=True)), reader.line_num))
    except csv.Error as exc:
        raise error(f"malformed or truncated CSV ({exc})") from None
    if header is None:
        raise ArchiveError(
            source.display,
            f"no header row with the columns {', '.join(required)} (empty or truncated file)",
            member=member,
        )
    return rows
