"""Cells, formats and page settings of the barometer workbook, for write-only worksheets.

The workbook is written in openpyxl's write-only mode, so a sheet is a stream: column widths,
frozen panes and the page properties go out with the first row and must be set before it;
the auto-filter, the page setup, the print titles and the charts go out at the end. Styled
values are ``WriteOnlyCell``s; a value without a format is appended as is (cheaper).

Number formats use openpyxl's codes (``0.0``, ``0.00``, ``0.0%``): the file stores the code
with a point and Excel shows the decimal separator of the reader's locale, so a French Excel
shows ``7,2`` and ``62,0 %``. Values are stored at full precision (openpyxl writes 16
significant digits; Excel itself keeps 15): the format only rounds what is displayed.

Text never runs: openpyxl turns any string starting with ``=`` into a formula, so text that
starts with ``= + - @``, a tab or a carriage return (``csv_safe.FORMULA_STARTS``) is written as
an explicit string cell (``data_type = "s"``) with Excel's quote prefix, which keeps it text
even when someone edits the cell. Control characters XML cannot hold are dropped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from typing import Any, cast

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.numbers import is_date_format
from openpyxl.utils import get_column_letter

from exports.csv_safe import FORMULA_STARTS

GRADE = "0.0"
SE = "0.00"
SHARE = "0.0%"
WEIGHT = "0.00"
PROBABILITY = "0.0000"
INTEGER = "0"
LEVEL = "0%"
DATETIME = "dd/mm/yyyy hh:mm"
DATE = "dd/mm/yyyy"

#: A value as appended to a write-only sheet: plain, or a styled cell.
Appended = Cell | str | int | float | datetime | date | None
Converter = Callable[[Any], Appended]

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="center")
HEADER_BORDER = Border(bottom=Side(style="thin", color="000000"))
TITLE_FONT = Font(bold=True, size=14, color="1F4E79")
SECTION_FONT = Font(bold=True, size=12, color="1F4E79")
LABEL_FONT = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
#: A4 in the ``paperSize`` codes of the OOXML standard.
PAPER_A4 = 9


def plain_text(value: str) -> str:
    """``value`` without the control characters an XML file cannot hold."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def text(ws: Any, value: str) -> Appended:
    """A text value: as is, or as an explicit string cell when it starts like a formula."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value) if ILLEGAL_CHARACTERS_RE.search(value) else value
    if not value.startswith(FORMULA_STARTS):
        return value
    cell = WriteOnlyCell(ws, value)
    cell.data_type = "s"  # openpyxl made "=…" a formula: it is text
    cell.quotePrefix = True
    return cell


def utc_naive(moment: datetime) -> datetime:
    """A time as Excel holds it: no zone; an aware time is converted to UTC first."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def value_cell(ws: Any, value: object, number_format: str | None = None) -> Appended:
    """Any value of the data as a cell: text made safe, numbers with their format."""
    if value is None:
        return None
    if isinstance(value, str):
        return text(ws, value)
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, datetime):
        value = utc_naive(value)
        number_format = number_format or DATETIME
    elif isinstance(value, date):
        number_format = number_format or DATE
    elif not isinstance(value, int | float):
        return text(ws, str(value))
    if number_format is None:
        return value
    cell = WriteOnlyCell(ws, cast(Any, value))  # the stubs forget dates, openpyxl takes them
    cell.number_format = number_format
    return cell


def styled(ws: Any, value: str | float | None, **style: Any) -> Cell:
    """A cell with a font, alignment or format (titles, labels): text made safe first."""
    safe = text(ws, value) if isinstance(value, str) else value
    cell = safe if isinstance(safe, Cell) else WriteOnlyCell(ws, cast(Any, safe))
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


@dataclass(frozen=True)
class Column:
    """One column of a table sheet: its header, width (characters) and number format."""

    title: str
    width: float = 12.0
    number_format: str | None = None

    def converter(self, ws: Any) -> Converter:
        """The function turning a value of this column into what is appended, chosen once
        per column: the big sheets call it for every cell, so the common cases are short.

        A formatted number reuses one cell per column: a write-only sheet writes a row out
        before ``append`` returns, so the same cell can carry the next row's value (openpyxl
        then takes a fresh cell of its own for what follows it in the row).
        """
        number_format = self.number_format
        if number_format is None:
            return partial(_plain, ws)
        reused = WriteOnlyCell(ws)
        reused.number_format = number_format
        dated = is_date_format(number_format)  # else a time would change the cell's format

        def convert(value: Any) -> Appended:
            kind = type(value)
            if kind is float or kind is int:
                reused.value = value
                return reused
            if kind is datetime and dated:
                reused.value = utc_naive(value)
                return reused
            if value is None or kind is str or kind is bool:
                return value_cell(ws, value)
            return value_cell(ws, value, number_format)  # a date, a Decimal: a cell of its own

        return convert


_FORMULA_FIRST = frozenset(start[:1] for start in FORMULA_STARTS)


def _plain(ws: Any, value: Any) -> Appended:
    """A value without a format: text as is unless it needs care, numbers as they are."""
    if type(value) is str:
        if value[:1] in _FORMULA_FIRST or ILLEGAL_CHARACTERS_RE.search(value):
            return text(ws, value)
        return value
    if value is None or type(value) is int:
        return value
    return value_cell(ws, value)


def header_cells(ws: Any, titles: Sequence[str]) -> list[Appended]:
    cells: list[Appended] = []
    for title in titles:
        cell = styled(ws, title, font=HEADER_FONT, fill=HEADER_FILL, alignment=HEADER_ALIGNMENT)
        cell.border = HEADER_BORDER
        cells.append(cell)
    return cells


def set_widths(ws: Any, widths: Sequence[float]) -> None:
    """Column widths, in characters (before the first row of a write-only sheet)."""
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width


def set_print(ws: Any, *, landscape: bool, title_rows: str | None = None) -> None:
    """A4, fitted to one page wide (as many pages down as needed), header rows repeated,
    and the sheet's name and page number in the footer."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = PAPER_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddFooter.left.text = "&A"
    ws.oddFooter.right.text = "Page &P / &N"


def header_height(titles: Sequence[str], widths: Sequence[float]) -> float:
    """A header row's height (points) so its wrapped titles show whole."""
    lines = max(
        (
            math.ceil(len(title) / max(width - 2, 1))
            for title, width in zip(titles, widths[: len(titles)], strict=True)
        ),
        default=1,
    )
    return 15.0 * lines + 3


class Rows:
    """A write-only sheet that counts its rows, so a row's height can be set before it."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.count = 0

    def append(self, cells: Sequence[Appended], *, height: float | None = None) -> int:
        """Append ``cells`` as the next row; returns its number."""
        self.count += 1
        if height is not None:
            self.ws.row_dimensions[self.count].height = height
        self.ws.append(list(cells))
        return self.count


class Table:
    """A sheet that is one table: header on row 1, frozen, filtered, printed landscape."""

    def __init__(
        self,
        ws: Any,
        columns: Sequence[Column],
        *,
        rows: int,
        freeze: str = "A2",
    ) -> None:
        self.ws = ws
        self.columns = list(columns)
        self.converters = [column.converter(ws) for column in self.columns]
        last = get_column_letter(len(self.columns))
        set_widths(ws, [column.width for column in self.columns])
        ws.freeze_panes = freeze
        titles = [column.title for column in self.columns]
        ws.row_dimensions[1].height = header_height(titles, [c.width for c in self.columns])
        set_print(ws, landscape=len(self.columns) > 6, title_rows="1:1")
        ws.auto_filter.ref = f"A1:{last}{rows + 1}"
        ws.append(header_cells(ws, titles))

    def append(self, values: Sequence[Any]) -> None:
        converted = zip(self.converters, values, strict=True)
        self.ws.append([convert(value) for convert, value in converted])
