"""The table sheets of the barometer workbook: one per view (engagements, networks, regions,
channels), the sites, the tests and the evolution across years.

Each is one table with its header on row 1 (frozen, filtered, repeated on printed pages).
Rows are streamed from the data, never gathered: the tests sheet of a large campaign holds
millions of cells.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from exports.barometer_data import BarometerData, Figure, SiteResult, TestRow
from exports.workbook_charts import add_evolution_chart, add_grade_chart
from exports.workbook_labels import REQUIRED_GRADE, channel_label, channels_in_order, flags_text
from exports.workbook_style import (
    DATETIME,
    GRADE,
    PROBABILITY,
    SE,
    SHARE,
    WEIGHT,
    Column,
    Table,
    value_cell,
)


def level_text(level: float) -> str:
    """``95 %`` for 0.95, as a French reader writes a confidence level."""
    return f"{level * 100:g} %"


# --- one sheet per view ---------------------------------------------------------------------


def figure_columns(level: float, first: str = "Libellé") -> list[Column]:
    interval = level_text(level)
    return [
        Column("Code", 12),
        Column(first, 44),
        Column("Note /10", 10, GRADE),
        Column("Erreur type", 10, SE),
        Column(f"IC bas ({interval})", 11, GRADE),
        Column(f"IC haut ({interval})", 11, GRADE),
        Column("Sites", 8),
        Column("ddl", 7),
        Column("Alertes", 30),
        Column("Seuil d’exigence", 10, GRADE),
    ]


def figure_values(figure: Figure) -> list[Any]:
    return [
        figure.key,
        figure.label,
        figure.estimate,
        figure.se,
        figure.ci_low,
        figure.ci_high,
        figure.n,
        figure.df,
        flags_text(figure.flags, estimate=figure.estimate),
        REQUIRED_GRADE,
    ]


def write_figures(ws: Any, figures: Sequence[Figure], *, first: str, level: float) -> None:
    """One row per figure, and the chart of their grades with the 7/10 line."""
    columns = figure_columns(level, first)
    Table(ws, columns, rows=len(figures))
    for figure in figures:
        formats = [column.number_format for column in columns]
        if figure.kind == "share":  # not expected in a view, but shown right if one comes
            formats[2:6] = [SHARE] * 4
        values = figure_values(figure)
        ws.append([value_cell(ws, v, f) for v, f in zip(values, formats, strict=True)])
    add_grade_chart(
        ws,
        title=f"Note par {first.lower()} (/10)",
        rows=len(figures),
        label_column=1 if first == "Engagement" else 2,  # codes: the labels are sentences
        grade_column=3,
        threshold_column=len(columns),
        anchor="L2",
    )


# --- sites ------------------------------------------------------------------------------


def _site_order(site: SiteResult) -> tuple[int, int, str]:
    return (site.rank is None, site.rank or 0, site.code)


def site_channels(sites: Iterable[SiteResult]) -> list[str]:
    return channels_in_order(channel for site in sites for channel in site.channel_grades)


def site_columns(data: BarometerData, channels: Sequence[str]) -> list[Column]:
    return [
        Column("Code", 11),
        Column("Nom", 36),
        Column("Réseau", 22),
        Column("Région", 22),
        Column("Département", 8),
        Column("Commune", 18),
        Column("Strate", 30),
        Column("Probabilité d’inclusion", 12, PROBABILITY),
        Column("Poids", 9, WEIGHT),
        Column("Tests", 7),
        Column("Note /10", 9, GRADE),
        Column("Rang", 7),
        *(Column(f"{code} {label}", 14, GRADE) for code, label in data.engagements),
        *(Column(f"Note {channel_label(channel).lower()}", 11, GRADE) for channel in channels),
    ]


def site_values(site: SiteResult, engagements: Sequence[str], channels: Sequence[str]) -> list[Any]:
    return [
        site.code,
        site.name,
        site.network,
        site.region,
        site.department,
        site.city,
        site.stratum,
        site.inclusion_probability,
        site.weight,
        site.tests,
        site.grade,
        site.rank,
        *(site.engagement_grades.get(code) for code in engagements),
        *(site.channel_grades.get(channel) for channel in channels),
    ]


def write_sites(ws: Any, data: BarometerData) -> None:
    """Every sampled site, best grade first; sites without an approved test last."""
    channels = site_channels(data.sites)
    engagements = [code for code, _ in data.engagements]
    table = Table(ws, site_columns(data, channels), rows=len(data.sites), freeze="C2")
    for site in sorted(data.sites, key=_site_order):
        table.append(site_values(site, engagements, channels))


# --- tests ------------------------------------------------------------------------------


def question_ids(tests: Iterable[TestRow]) -> list[str]:
    """Every question answered in some test, channel by channel in the usual order and, in a
    channel, in the order of the answers (the questionnaire's): a stable order for the data."""
    by_channel: dict[str, dict[str, None]] = {}
    for test in tests:
        by_channel.setdefault(test.channel, {}).update(dict.fromkeys(test.answers))
    ordered: dict[str, None] = {}
    for channel in channels_in_order(by_channel):
        ordered.update(by_channel[channel])
    return list(ordered)


def answer_value(value: object) -> object:
    """An answer as one cell: numbers and text as they are, a list of choices or photos joined
    by « ; », a position as « latitude, longitude », anything else as JSON."""
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, list | tuple):
        return " ; ".join(str(item) for item in value)
    if isinstance(value, dict) and {"latitude", "longitude"} <= value.keys():
        return f"{value['latitude']}, {value['longitude']}"
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def approved_test_columns(data: BarometerData, questions: Sequence[str]) -> list[Column]:
    return [
        Column("N° rapport", 9),
        Column("N° mission", 9),
        Column("Code site", 11),
        Column("Nom du site", 30),
        Column("Réseau", 20),
        Column("Région", 20),
        Column("Canal", 11),
        Column("Vague", 14),
        Column("Début (UTC)", 16, DATETIME),
        Column("Fin (UTC)", 16, DATETIME),
        Column("Envoi (UTC)", 16, DATETIME),
        Column("Note /10", 9, GRADE),
        *(Column(code, 7, GRADE) for code, _ in data.engagements),
        *(Column(question, 14) for question in questions),
    ]


def approved_test_values(
    test: TestRow, engagements: Sequence[str], questions: Sequence[str]
) -> Iterator[Any]:
    yield from (
        test.report_id,
        test.mission_id,
        test.site_code,
        test.site_name,
        test.network,
        test.region,
        channel_label(test.channel),
        test.wave,
        test.started_at,
        test.ended_at,
        test.submitted_at,
        test.grade,
    )
    grades = test.engagement_grades
    yield from (grades.get(code) for code in engagements)
    answers = test.answers
    yield from (answer_value(answers.get(question)) for question in questions)


def write_tests(ws: Any, data: BarometerData) -> None:
    """Every approved test with its grades and its answers, one column per question."""
    questions = question_ids(data.tests)
    engagements = [code for code, _ in data.engagements]
    table = Table(ws, approved_test_columns(data, questions), rows=len(data.tests), freeze="E2")
    for test in data.tests:
        table.append(list(approved_test_values(test, engagements, questions)))


# --- evolution --------------------------------------------------------------------------


def evolution_columns(level: float) -> list[Column]:
    interval = level_text(level)
    return [
        Column("Année", 8),
        Column("N° campagne", 10),
        Column("Note nationale /10", 11, GRADE),
        Column("Erreur type", 10, SE),
        Column(f"IC bas ({interval})", 10, GRADE),
        Column(f"IC haut ({interval})", 10, GRADE),
        Column("Sites", 8),
        Column("ddl", 7),
        Column("Part des sites ≥ 7/10", 11, SHARE),
        Column("Erreur type de la part", 10, SHARE),
        Column(f"Part : IC bas ({interval})", 10, SHARE),
        Column(f"Part : IC haut ({interval})", 10, SHARE),
        Column("Alertes", 30),
        Column("Seuil d’exigence", 10, GRADE),
    ]


def write_evolution(ws: Any, data: BarometerData) -> None:
    """One row per campaign, oldest first, and the line of the national grade."""
    columns = evolution_columns(data.methodology.level)
    years = sorted(data.evolution, key=lambda year: year.year)
    table = Table(ws, columns, rows=len(years))
    for year in years:
        grade, share = year.national, year.share_at_least_7
        flags = list(dict.fromkeys([*grade.flags, *share.flags]))
        table.append(
            [
                year.year,
                year.campaign_id,
                grade.estimate,
                grade.se,
                grade.ci_low,
                grade.ci_high,
                grade.n,
                grade.df,
                share.estimate,
                share.se,
                share.ci_low,
                share.ci_high,
                flags_text(flags, estimate=grade.estimate),
                REQUIRED_GRADE,
            ]
        )
    add_evolution_chart(
        ws,
        rows=len(years),
        year_column=1,
        grade_column=3,
        threshold_column=len(columns),
        anchor="B" + str(len(years) + 4),
    )
