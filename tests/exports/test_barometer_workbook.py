"""The barometer workbook: nine sheets whose every figure is the data's, native charts with
the 7/10 line, frozen and filtered headers, French-ready number formats, print settings, and
text that never runs as a formula (DOMAIN.md §7, DESIGN.md §3.9)."""

from __future__ import annotations

import io
import math
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from exports.barometer import write_barometer
from exports.barometer_data import BarometerData, DrawRecord, Figure
from exports.workbook_labels import CHANNEL_LABELS, flags_text
from exports.workbook_style import Column, Table
from exports.workbook_summary import NO_DATA_MESSAGE, SUMMARY_HEADER_ROW
from exports.workbook_tables import answer_value, question_ids
from tests.exports.barometer_fixtures import HOSTILE, empty_barometer, make_barometer

SHEETS = [
    "Synthèse",
    "Engagements",
    "Réseaux",
    "Régions",
    "Canaux",
    "Sites",
    "Tests",
    "Évolution",
    "Méthodologie",
]
TABLES = ["Engagements", "Réseaux", "Régions", "Canaux", "Sites", "Tests", "Évolution"]
VIEWS = {
    "Engagements": "by_engagement",
    "Réseaux": "by_network",
    "Régions": "by_region",
    "Canaux": "by_channel",
}


@pytest.fixture(scope="module")
def data() -> BarometerData:
    return make_barometer()


@pytest.fixture(scope="module")
def path(data: BarometerData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("barometer") / "barometre-2026.xlsx"
    write_barometer(data, target)
    return target


@pytest.fixture(scope="module")
def book(path: Path) -> Workbook:
    return load_workbook(path)  # not read-only: charts and page settings are read too


def same(written: object, expected: object) -> bool:
    """Equal as Excel holds it: openpyxl writes floats with 16 significant digits."""
    if isinstance(expected, datetime) and expected.tzinfo is not None:
        expected = expected.astimezone(UTC).replace(tzinfo=None)
    if isinstance(expected, float) and isinstance(written, int | float):
        return math.isclose(written, expected, rel_tol=1e-15, abs_tol=0.0)
    return written == expected


def rows_of(book: Workbook, sheet: str, first: int = 2) -> list[list[object]]:
    return [list(row) for row in book[sheet].iter_rows(min_row=first, values_only=True)]


def header(book: Workbook, sheet: str, row: int = 1) -> list[object]:
    return [cell.value for cell in book[sheet][row]]


def assert_row(written: list[object], expected: list[object]) -> None:
    written = written + [None] * (len(expected) - len(written))
    mismatched = [
        (index, w, e)
        for index, (w, e) in enumerate(zip(written, expected, strict=False))
        if not same(w, e)
    ]
    assert mismatched == []


# --- sheets and figures ------------------------------------------------------------------


def test_the_nine_sheets_are_named_as_designed(book: Workbook) -> None:
    assert book.sheetnames == SHEETS


def test_summary_gives_the_national_grade_and_share_with_their_intervals(
    book: Workbook, data: BarometerData
) -> None:
    sheet = book["Synthèse"]
    assert header(book, "Synthèse", SUMMARY_HEADER_ROW)[:5] == [
        "Indicateur",
        "Valeur",
        "Erreur type",
        "IC bas (95 %)",
        "IC haut (95 %)",
    ]
    for offset, figure in enumerate((data.national, data.share_at_least_7), start=1):
        row = [cell.value for cell in sheet[SUMMARY_HEADER_ROW + offset]]
        assert_row(
            row[1:7],
            [figure.estimate, figure.se, figure.ci_low, figure.ci_high, figure.n, figure.df],
        )
    assert sheet.cell(SUMMARY_HEADER_ROW + 1, 2).number_format == "0.0"
    assert sheet.cell(SUMMARY_HEADER_ROW + 2, 2).number_format == "0.0%"


def test_summary_gives_the_change_counts_and_explains_the_flags(
    book: Workbook, data: BarometerData
) -> None:
    labelled = {row[0]: row for row in rows_of(book, "Synthèse", 1) if row[0]}
    change = data.change
    assert change is not None
    assert_row(
        list(labelled["Évolution sur 2025 (points /10)"][1:7]),
        [change.estimate, change.se, change.ci_low, change.ci_high, change.shared_sites, change.df],
    )
    assert "covariance estimée" in str(labelled["Évolution sur 2025 (points /10)"][7])
    assert same(labelled["Note nationale 2025 /10"][1], change.previous_estimate)
    assert labelled["Engagements à 7/10 ou plus"][1] == data.engagements_at_least_7
    assert labelled["Engagements à 9/10 ou plus (excellence)"][1] == data.engagements_excellent
    assert labelled["Tests approuvés"][1] == data.approved_tests == len(data.tests)
    assert labelled["Sites de l’échantillon"][1] == data.sampled_sites
    assert labelled["Sites répondants (au moins un test approuvé)"][1] == data.responding_sites
    assert labelled["Campagne"][1] == data.campaign_name
    assert labelled["Produit le (UTC)"][1] == datetime(2026, 11, 30, 9, 30)
    assert "moins de 5 sites" in str(labelled["peu de sites"][1])
    assert "adjust" in str(labelled["strate à un seul répondant"][1])


@pytest.mark.parametrize(("sheet", "view"), VIEWS.items())
def test_each_view_has_one_row_per_figure_equal_to_the_data(
    book: Workbook, data: BarometerData, sheet: str, view: str
) -> None:
    figures: list[Figure] = getattr(data, view)
    assert header(book, sheet)[2:9] == [
        "Note /10",
        "Erreur type",
        "IC bas (95 %)",
        "IC haut (95 %)",
        "Sites",
        "ddl",
        "Alertes",
    ]
    rows = rows_of(book, sheet)
    assert len(rows) == len(figures)
    for row, f in zip(rows, figures, strict=True):
        expected = [f.key, f.label, f.estimate, f.se, f.ci_low, f.ci_high, f.n, f.df]
        assert_row(row[:8], expected)
        assert row[8] == (flags_text(f.flags, estimate=f.estimate) or None)
        assert row[9] == 7


def test_a_figure_without_data_is_empty_and_says_so(book: Workbook) -> None:
    e11 = rows_of(book, "Engagements")[10]
    assert e11[0] == "E11"
    assert e11[2:6] == [None, None, None, None]
    assert e11[8] == "aucune donnée"


def test_flags_are_explained_in_french_in_the_tables(book: Workbook) -> None:
    small = [row for row in rows_of(book, "Régions") if row[6] is not None and row[6] < 5]
    assert small
    assert all(row[8] == "peu de sites" for row in small)


def test_sites_has_one_row_per_sampled_site_best_first(book: Workbook, data: BarometerData) -> None:
    titles = header(book, "Sites")
    assert titles[:12] == [
        "Code",
        "Nom",
        "Réseau",
        "Région",
        "Département",
        "Commune",
        "Strate",
        "Probabilité d’inclusion",
        "Poids",
        "Tests",
        "Note /10",
        "Rang",
    ]
    assert titles[12] == "E01 Information sur les conditions d’accès et les horaires"
    assert titles[-5:] == [
        "Note visite",
        "Note appel",
        "Note courriel",
        "Note courrier",
        "Note site internet",
    ]
    rows = rows_of(book, "Sites")
    assert len(rows) == len(data.sites)
    by_code = {site.code: site for site in data.sites}
    ranks = [row[11] for row in rows if row[11] is not None]
    assert ranks == sorted(ranks)
    assert rows[-1][9] == 0
    assert rows[-1][10] is None
    channels = list(CHANNEL_LABELS)
    for row in rows:
        site = by_code[str(row[0])]
        expected = [
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
            *(site.engagement_grades[code] for code, _ in data.engagements),
            *(site.channel_grades.get(channel) for channel in channels),
        ]
        assert_row(row, expected)


def test_tests_has_one_row_per_approved_test_with_its_answers(
    book: Workbook, data: BarometerData
) -> None:
    questions = question_ids(data.tests)
    titles = header(book, "Tests")
    assert titles[:12] == [
        "N° rapport",
        "N° mission",
        "Code site",
        "Nom du site",
        "Réseau",
        "Région",
        "Canal",
        "Vague",
        "Début (UTC)",
        "Fin (UTC)",
        "Envoi (UTC)",
        "Note /10",
    ]
    assert titles[12:23] == [code for code, _ in data.engagements]
    assert titles[23:] == questions
    rows = rows_of(book, "Tests")
    assert len(rows) == len(data.tests)
    for row, test in zip(rows, data.tests, strict=True):
        expected = [
            test.report_id,
            test.mission_id,
            test.site_code,
            test.site_name,
            test.network,
            test.region,
            CHANNEL_LABELS[test.channel],
            test.wave,
            test.started_at,
            test.ended_at,
            test.submitted_at,
            test.grade,
            *(test.engagement_grades[code] for code, _ in data.engagements),
            *(answer_value(test.answers.get(question)) for question in questions),
        ]
        assert_row(row, expected)


def test_answer_columns_come_channel_by_channel_in_questionnaire_order(
    data: BarometerData,
) -> None:
    questions = question_ids(reversed(data.tests))
    assert questions[:3] == ["v_date_visite", "v_heure_arrivee", "v_position"]
    assert questions.index("t_date_appel") < questions.index("m_date_envoi")
    assert questions.index("l_date_envoi") < questions.index("w_date_consultation")
    assert questions == question_ids(data.tests)


def test_lists_and_positions_are_readable_in_one_cell() -> None:
    assert answer_value(["entree", "guichet"]) == "entree ; guichet"
    assert answer_value({"latitude": 48.5, "longitude": -1.5}) == "48.5, -1.5"
    assert answer_value({"b": 1, "a": 2}) == '{"a": 2, "b": 1}'


def test_evolution_has_one_row_per_year_oldest_first(book: Workbook, data: BarometerData) -> None:
    rows = rows_of(book, "Évolution")
    years = sorted(data.evolution, key=lambda year: year.year)
    assert [row[0] for row in rows] == [year.year for year in years]
    for row, year in zip(rows, years, strict=True):
        grade, share = year.national, year.share_at_least_7
        assert_row(
            row[:12],
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
            ],
        )


def test_methodology_gives_the_texts_the_strata_and_every_draw(
    book: Workbook, data: BarometerData
) -> None:
    rows = rows_of(book, "Méthodologie", 1)
    labelled = {row[0]: row for row in rows if row[0]}
    method = data.methodology
    assert labelled["Plan de sondage"][1] == method.design
    assert labelled["Évolution sur l’année précédente"][1] == method.change
    assert labelled["Niveau de confiance"][1] == 0.95
    assert labelled["Minimum de sites par chiffre"][1] == 5
    for stratum in method.strata:
        row = labelled[stratum.stratum]
        assert row[1:4] == [stratum.population, stratum.sampled, stratum.responding]
        assert same(row[4], stratum.sampled / stratum.population)
    draws = [row for row in rows if row[7] in ("utilisé", "remplacé")]
    assert [(row[0], row[1], row[5], row[7]) for row in draws] == [
        (1, 2024, "=Coordinatrice Martin", "remplacé"),
        (2, 99, None, "remplacé"),
        (3, 20260112, "Coordinatrice Martin", "utilisé"),
    ]
    assert draws[0][6] == datetime(2026, 1, 11, 14, 0)


def test_a_seed_larger_than_excel_holds_is_kept_exact_as_text(
    data: BarometerData, tmp_path: Path
) -> None:
    seed = 2**63 - 25
    draw = DrawRecord(9, seed, "pps", "neyman", 600, "Anne", datetime(2026, 2, 1), True)
    methodology = replace(data.methodology, draws=[draw])
    target = tmp_path / "seed.xlsx"
    write_barometer(replace(data, methodology=methodology), target)
    rows = [row for row in rows_of(load_workbook(target), "Méthodologie", 1) if row[0] == 9]
    assert [row[1:4] for row in rows] == [[str(seed), "proportionnel à la taille", "de Neyman"]]


# --- presentation ------------------------------------------------------------------------


@pytest.mark.parametrize("sheet", ["Engagements", "Réseaux", "Régions", "Canaux"])
def test_views_chart_their_grades_as_bars_with_the_7_line(book: Workbook, sheet: str) -> None:
    charts = book[sheet]._charts
    assert len(charts) == 1
    bars, line = charts[0]._charts
    assert type(bars).__name__ == "BarChart"
    assert type(line).__name__ == "LineChart"
    rows = len(rows_of(book, sheet))
    assert bars.series[0].val.numRef.f == f"'{sheet}'!$C$2:$C${rows + 1}"
    assert line.series[0].val.numRef.f == f"'{sheet}'!$J$2:$J${rows + 1}"  # the column of 7s
    assert charts[0].y_axis.scaling.min == 0
    assert charts[0].y_axis.scaling.max == 10


def test_evolution_charts_the_national_grade_across_years(book: Workbook) -> None:
    (chart,) = book["Évolution"]._charts
    grades, line = chart._charts
    assert type(grades).__name__ == "LineChart"
    assert type(line).__name__ == "LineChart"
    assert grades.series[0].val.numRef.f == "'Évolution'!$C$2:$C$4"
    assert chart.x_axis.delete is False  # openpyxl 3.1 hides axes unless told


@pytest.mark.parametrize(
    ("sheet", "frozen"),
    [(s, "A2") for s in TABLES if s not in ("Sites", "Tests")] + [("Sites", "C2"), ("Tests", "E2")],
)
def test_table_headers_are_frozen_filtered_and_printed_on_every_page(
    book: Workbook, sheet: str, frozen: str
) -> None:
    ws = book[sheet]
    assert ws.freeze_panes == frozen
    last = ws.cell(1, ws.max_column).column_letter
    assert ws.auto_filter.ref == f"A1:{last}{ws.max_row}"
    assert ws.print_title_rows == "$1:$1"
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth == 1
    assert ws.page_setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert ws.page_setup.paperSize == 9  # A4
    assert ws.cell(1, 1).font.bold


@pytest.mark.parametrize(
    ("sheet", "column", "number_format"),
    [
        ("Engagements", "C", "0.0"),
        ("Engagements", "D", "0.00"),
        ("Engagements", "E", "0.0"),
        ("Sites", "H", "0.0000"),
        ("Sites", "I", "0.00"),
        ("Sites", "K", "0.0"),
        ("Tests", "I", "dd/mm/yyyy hh:mm"),
        ("Tests", "L", "0.0"),
        ("Évolution", "I", "0.0%"),
    ],
)
def test_numbers_carry_formats_excel_shows_in_the_readers_locale(
    book: Workbook, sheet: str, column: str, number_format: str
) -> None:
    cells = [c for c in book[sheet][column][1:] if c.value is not None]
    assert cells
    assert {c.number_format for c in cells} == {number_format}


def test_reading_sheets_print_fitted_to_the_page_width(book: Workbook) -> None:
    assert book["Synthèse"].page_setup.fitToWidth == 1
    assert book["Méthodologie"].page_setup.orientation == "portrait"
    assert book["Synthèse"].column_dimensions["A"].width >= 40


def test_workbook_properties_name_the_barometer(book: Workbook) -> None:
    assert book.properties.creator == "Baromètre"
    assert book.properties.title == "Baromètre de la qualité de l’accueil 2026"
    assert book.properties.language == "fr-FR"
    assert book.properties.created == datetime(2026, 11, 30, 9, 30)


# --- text is data ----------------------------------------------------------------------------


def _cells(book: Workbook) -> list[Any]:
    return [cell for ws in book.worksheets for row in ws.iter_rows() for cell in row]


def test_no_cell_of_the_workbook_is_a_formula(book: Workbook) -> None:
    assert [c.coordinate for c in _cells(book) if c.data_type == "f"] == []


@pytest.mark.parametrize("hostile", HOSTILE)
def test_formula_like_text_is_written_and_read_back_as_text(book: Workbook, hostile: str) -> None:
    found = [c for c in _cells(book) if c.value == hostile]
    assert found, hostile
    assert {c.data_type for c in found} == {"s"}
    assert all(c.quotePrefix for c in found)


def test_formula_like_text_is_literal_in_every_place_it_comes_from(book: Workbook) -> None:
    texts = {c.value for c in _cells(book) if isinstance(c.value, str)}
    assert "Baromètre 2026 =test" in texts  # campaign name
    assert "=Coordinatrice Martin" in texts  # a draw's author
    assert '=HYPERLINK("http://example.com";"cliquer")' in texts  # a site name, an answer


def test_characters_xml_cannot_hold_are_dropped_not_a_crash(
    data: BarometerData, tmp_path: Path
) -> None:
    site = replace(data.sites[0], name="Mairie\x01 de\x0b Brest")
    target = tmp_path / "control.xlsx"
    write_barometer(replace(data, sites=[site, *data.sites[1:]]), target)
    names = [row[1] for row in rows_of(load_workbook(target, read_only=True), "Sites")]
    assert "Mairie de Brest" in names


def test_aware_times_are_written_in_utc(data: BarometerData, tmp_path: Path) -> None:
    paris = timezone(timedelta(hours=2))
    test = replace(data.tests[0], started_at=datetime(2026, 4, 2, 10, 15, tzinfo=paris))
    target = tmp_path / "times.xlsx"
    write_barometer(replace(data, tests=[test]), target)
    assert rows_of(load_workbook(target), "Tests")[0][8] == datetime(2026, 4, 2, 8, 15)


# --- edge cases ------------------------------------------------------------------------------


def test_a_campaign_without_approved_tests_gives_an_explained_workbook(tmp_path: Path) -> None:
    data = empty_barometer()
    target = tmp_path / "vide.xlsx"
    write_barometer(data, target)
    book = load_workbook(target)
    assert book.sheetnames == SHEETS
    summary = rows_of(book, "Synthèse", 1)
    assert summary[SUMMARY_HEADER_ROW - 2][0] == NO_DATA_MESSAGE
    national = summary[SUMMARY_HEADER_ROW]
    assert national[0] == "Note nationale /10"
    assert national[1:5] == [None, None, None, None]
    assert national[7] == "aucune donnée"
    assert rows_of(book, "Tests") == []
    assert len(rows_of(book, "Sites")) == len(data.sites)
    assert rows_of(book, "Réseaux") == []
    assert book["Réseaux"]._charts == []  # nothing to chart
    assert len(book["Engagements"]._charts) == 1
    assert [row[8] for row in rows_of(book, "Engagements")] == ["aucune donnée"] * 11


def test_the_workbook_can_go_to_a_binary_stream(data: BarometerData) -> None:
    stream = io.BytesIO()
    write_barometer(data, stream)
    assert load_workbook(io.BytesIO(stream.getvalue()), read_only=True).sheetnames == SHEETS


def test_a_formatted_column_keeps_its_format_whatever_a_row_holds(tmp_path: Path) -> None:
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet("T")
    table = Table(ws, [Column("Note", 8, "0.0"), Column("Quand", 16, "dd/mm/yyyy hh:mm")], rows=4)
    table.append([7.25, datetime(2026, 1, 2, 3, 4, tzinfo=UTC)])
    table.append([datetime(2026, 1, 1), date(2026, 1, 5)])
    table.append([8, None])
    table.append(["=1+1", 9.5])
    workbook.save(tmp_path / "t.xlsx")
    cells = list(load_workbook(tmp_path / "t.xlsx")["T"].iter_rows(min_row=2))
    assert [(c[0].value, c[0].number_format) for c in (cells[0], cells[2])] == [
        (7.25, "0.0"),
        (8, "0.0"),
    ]
    assert (cells[3][0].value, cells[3][0].data_type) == ("=1+1", "s")
    assert cells[0][1].value == datetime(2026, 1, 2, 3, 4)
    assert {row[1].number_format for row in cells if row[1].value is not None} == {
        "dd/mm/yyyy hh:mm"
    }
