"""Native Excel charts of the barometer workbook (openpyxl.chart), drawn from the sheets' own
cells so that they follow any correction a reader makes.

The required level (7/10) is a line series over the same categories, read from a column of
7s beside the grades: Excel draws it across the bars, from the first category to the last.
openpyxl 3.1 writes axes as deleted unless told otherwise, hence ``delete = False``.
"""

from __future__ import annotations

from typing import Any

from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.label import DataLabelList

from exports.workbook_style import GRADE

THRESHOLD_COLOUR = "C00000"
BAR_COLOUR = "1F4E79"


def _values_only() -> DataLabelList:
    """Labels showing the value only (LibreOffice reads an absent flag as "show")."""
    labels = DataLabelList()
    labels.showVal = True
    labels.numFmt = GRADE
    for flag in ("showCatName", "showSerName", "showLegendKey", "showPercent"):
        setattr(labels, flag, False)
    return labels


def _grade_axis(chart: Any) -> None:
    chart.y_axis.title = "Note /10"
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 10
    chart.y_axis.majorUnit = 1
    chart.y_axis.number_format = "0"
    chart.y_axis.delete = False
    chart.x_axis.delete = False
    chart.legend.position = "b"


def _threshold_line(ws: Any, column: int, rows: int, categories: Reference) -> LineChart:
    line = LineChart()
    line.add_data(Reference(ws, min_col=column, min_row=1, max_row=rows + 1), titles_from_data=True)
    line.set_categories(categories)
    series = line.series[0]
    series.smooth = False
    series.marker.symbol = "none"
    series.graphicalProperties.line.solidFill = THRESHOLD_COLOUR
    series.graphicalProperties.line.width = 28575  # 2.25 pt, in EMU
    series.graphicalProperties.line.dashStyle = "dash"
    return line


def add_grade_chart(
    ws: Any,
    *,
    title: str,
    rows: int,
    label_column: int,
    grade_column: int,
    threshold_column: int,
    anchor: str,
) -> None:
    """Columns of the grades of rows 2…rows+1, labelled, with the 7/10 line across them."""
    if rows == 0:
        return
    categories = Reference(ws, min_col=label_column, min_row=2, max_row=rows + 1)
    bar = BarChart()
    bar.type = "col"
    bar.title = title
    bar.add_data(
        Reference(ws, min_col=grade_column, min_row=1, max_row=rows + 1), titles_from_data=True
    )
    bar.set_categories(categories)
    bars = bar.series[0]
    bars.graphicalProperties.solidFill = BAR_COLOUR
    bars.graphicalProperties.line.solidFill = BAR_COLOUR
    bar.dataLabels = _values_only()
    bar.gapWidth = 60
    _grade_axis(bar)
    bar += _threshold_line(ws, threshold_column, rows, categories)
    bar.width = max(16, min(40, round(2 + 1.4 * rows)))
    bar.height = 10
    ws.add_chart(bar, anchor)


def add_evolution_chart(
    ws: Any,
    *,
    rows: int,
    year_column: int,
    grade_column: int,
    threshold_column: int,
    anchor: str,
) -> None:
    """The national grade year after year (a line with markers), and the 7/10 line."""
    if rows == 0:
        return
    categories = Reference(ws, min_col=year_column, min_row=2, max_row=rows + 1)
    chart = LineChart()
    chart.title = "Note nationale année après année"
    chart.add_data(
        Reference(ws, min_col=grade_column, min_row=1, max_row=rows + 1), titles_from_data=True
    )
    chart.set_categories(categories)
    grades = chart.series[0]
    grades.smooth = False
    grades.marker.symbol = "circle"
    grades.marker.size = 7
    grades.graphicalProperties.line.solidFill = BAR_COLOUR
    grades.graphicalProperties.line.width = 31750  # 2.5 pt
    chart.dataLabels = _values_only()
    _grade_axis(chart)
    chart.x_axis.title = "Année"
    chart += _threshold_line(ws, threshold_column, rows, categories)
    chart.width = 20
    chart.height = 10
    ws.add_chart(chart, anchor)
