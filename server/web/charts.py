"""Server-side SVG charts of the results pages: geometry computed here, drawn by the macros of
``components/_chart.html``. No script and no CDN: the chart is in the page as it is served, and
prints as it shows. Every chart sits next to a table holding the same figures, which is what
screen readers read (the SVG carries a title and a one-sentence summary).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from exports.barometer_data import Figure, YearFigure

#: Grades are out of 10; the line every chart draws is the barometer's 7/10 target.
SCALE_MAX = 10.0
TARGET = 7.0
LABEL_WIDTH = 220
PLOT_WIDTH = 420
ROW_HEIGHT = 28
TOP = 24


@dataclass(frozen=True)
class Bar:
    label: str
    value_text: str
    y: float
    width: float
    ci_from: float | None
    ci_to: float | None
    flagged: bool


@dataclass(frozen=True)
class BarChart:
    title: str
    summary: str
    bars: list[Bar]
    width: int
    height: int
    label_width: int
    plot_width: int
    target_x: float
    ticks: list[tuple[float, str]]


def _x(value: float) -> float:
    return max(0.0, min(value, SCALE_MAX)) / SCALE_MAX * PLOT_WIDTH


def grade_text(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}".replace(".", ",")


def bar_chart(title: str, figures: Sequence[Figure]) -> BarChart:
    """Horizontal bars of grades /10 with their 95 % intervals and the 7/10 line."""
    bars = []
    for index, figure in enumerate(figures):
        value = figure.estimate
        bars.append(
            Bar(
                label=figure.label,
                value_text=grade_text(value),
                y=TOP + index * ROW_HEIGHT,
                width=_x(value) if value is not None else 0.0,
                ci_from=_x(figure.ci_low) if figure.ci_low is not None else None,
                ci_to=_x(figure.ci_high) if figure.ci_high is not None else None,
                flagged=bool(figure.flags),
            )
        )
    known = [f for f in figures if f.estimate is not None]
    above = sum(1 for f in known if f.estimate is not None and f.estimate >= TARGET)
    summary = (
        f"{len(known)} notes sur 10 ; {above} atteignent ou dépassent 7."
        if known
        else "Aucune note : pas encore de test validé."
    )
    return BarChart(
        title=title,
        summary=summary,
        bars=bars,
        width=LABEL_WIDTH + PLOT_WIDTH + 60,
        height=TOP + len(bars) * ROW_HEIGHT + 24,
        label_width=LABEL_WIDTH,
        plot_width=PLOT_WIDTH,
        target_x=_x(TARGET),
        ticks=[(_x(v), str(int(v))) for v in (0, 2, 4, 6, 8, 10)],
    )


@dataclass(frozen=True)
class LineChart:
    title: str
    summary: str
    points: list[tuple[float, float, str, str]]  # x, y, year, value text
    path: str
    width: int
    height: int
    target_y: float


def evolution_chart(title: str, years: Sequence[YearFigure]) -> LineChart:
    """The national grade across campaigns, with the 7/10 line."""
    width, height, left, bottom = 480, 220, 40, 30
    plot_w, plot_h = width - left - 20, height - bottom - 20
    known = [year for year in years if year.national.estimate is not None]
    step = plot_w / max(len(known) - 1, 1)
    points = []
    for index, year in enumerate(known):
        value = year.national.estimate or 0.0
        x = left + (index * step if len(known) > 1 else plot_w / 2)
        y = 20 + plot_h * (1 - value / SCALE_MAX)
        points.append((x, y, str(year.year), grade_text(value)))
    path = " ".join(
        f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y, _, _) in enumerate(points)
    )
    summary = (
        " ; ".join(f"{year} : {text}" for _, _, year, text in points)
        if points
        else "Pas encore de campagne notée."
    )
    return LineChart(
        title=title,
        summary=summary,
        points=points,
        path=path,
        width=width,
        height=height,
        target_y=20 + plot_h * (1 - TARGET / SCALE_MAX),
    )
