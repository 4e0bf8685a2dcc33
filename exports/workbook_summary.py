"""The two reading sheets of the barometer workbook: ``Synthèse`` (the published figures, and
what their flags mean) and ``Méthodologie`` (design, scoring, estimation, strata, draws)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from openpyxl.worksheet.cell_range import CellRange

from exports.barometer_data import BarometerData, Change, DrawRecord, Figure, Methodology
from exports.workbook_labels import (
    EXCELLENT_GRADE,
    FLAG_SHORT,
    REQUIRED_GRADE,
    flag_explanations,
    flags_text,
)
from exports.workbook_style import (
    DATETIME,
    GRADE,
    INTEGER,
    LABEL_FONT,
    LEVEL,
    SE,
    SECTION_FONT,
    SHARE,
    TITLE_FONT,
    WRAP,
    Appended,
    Rows,
    header_cells,
    header_height,
    set_print,
    set_widths,
    styled,
    value_cell,
)
from exports.workbook_tables import level_text

#: Where the figures' table of the summary starts (row of its header); tests read it there.
SUMMARY_HEADER_ROW = 6
NO_DATA_MESSAGE = (
    "Aucun test approuvé pour cette campagne : aucune note n’est calculable. Les feuilles "
    "donnent l’échantillon et la méthode ; les chiffres viendront avec les premiers rapports "
    "approuvés."
)


def _label(ws: Any, text: str) -> Appended:
    return styled(ws, text, font=LABEL_FONT)


def _figure_row(ws: Any, label: str, figure: Figure) -> list[Appended]:
    formats = (SHARE, SHARE) if figure.kind == "share" else (GRADE, SE)
    return [
        _label(ws, label),
        value_cell(ws, figure.estimate, formats[0]),
        value_cell(ws, figure.se, formats[1]),
        value_cell(ws, figure.ci_low, formats[0]),
        value_cell(ws, figure.ci_high, formats[0]),
        figure.n,
        figure.df,
        value_cell(ws, flags_text(figure.flags, estimate=figure.estimate)),
    ]


def _change_rows(ws: Any, change: Change | None) -> list[list[Appended]]:
    if change is None:
        return [
            [
                _label(ws, "Évolution sur la campagne précédente (points /10)"),
                *([None] * 6),
                "pas de campagne précédente à comparer",
            ]
        ]
    if change.covariance_used:
        shared = f"{change.shared_sites} sites communs : covariance estimée"
    else:
        shared = f"{change.shared_sites} sites communs : covariance non estimée (0)"
    notes = " ; ".join(filter(None, [flags_text(change.flags, estimate=change.estimate), shared]))
    return [
        [
            _label(ws, f"Évolution sur {change.previous_year} (points /10)"),
            value_cell(ws, change.estimate, "+0.0;-0.0;0.0"),
            value_cell(ws, change.se, SE),
            value_cell(ws, change.ci_low, "+0.0;-0.0;0.0"),
            value_cell(ws, change.ci_high, "+0.0;-0.0;0.0"),
            change.shared_sites,
            change.df,
            value_cell(ws, notes),
        ],
        [
            _label(ws, f"Note nationale {change.previous_year} /10"),
            value_cell(ws, change.previous_estimate, GRADE),
        ],
    ]


def _count_rows(ws: Any, data: BarometerData) -> list[list[Appended]]:
    engagements = len(data.engagements)
    return [
        [
            _label(ws, "Engagements à 7/10 ou plus"),
            data.engagements_at_least_7,
            *([None] * 5),
            f"sur {engagements} engagements",
        ],
        [
            _label(ws, "Engagements à 9/10 ou plus (excellence)"),
            data.engagements_excellent,
            *([None] * 5),
            f"sur {engagements} engagements",
        ],
        [_label(ws, "Tests approuvés"), data.approved_tests],
        [_label(ws, "Sites de l’échantillon"), data.sampled_sites],
        [_label(ws, "Sites répondants (au moins un test approuvé)"), data.responding_sites],
    ]


def _present_flags(data: BarometerData) -> list[str]:
    figures = [
        data.national,
        data.share_at_least_7,
        *data.by_engagement,
        *data.by_network,
        *data.by_region,
        *data.by_channel,
    ]
    seen = {flag for figure in figures for flag in figure.flags}
    seen.update(data.change.flags if data.change else ())
    return sorted(seen - set(FLAG_SHORT))


def write_summary(ws: Any, data: BarometerData) -> None:
    """Title, the published figures with their interval, counts, and the flags explained."""
    level = level_text(data.methodology.level)
    widths = [48, 16, 11, 12, 12, 9, 7, 44]
    set_widths(ws, widths)
    set_print(ws, landscape=True)
    rows = Rows(ws)
    title = f"Baromètre de la qualité de l’accueil {data.year}"
    rows.append([styled(ws, title, font=TITLE_FONT)], height=22)
    rows.append([_label(ws, "Campagne"), value_cell(ws, data.campaign_name)])
    rows.append([_label(ws, "Référentiel"), value_cell(ws, data.referentiel)])
    rows.append([_label(ws, "Produit le (UTC)"), value_cell(ws, data.generated_at, DATETIME)])
    empty = data.national.estimate is None
    rows.append([styled(ws, NO_DATA_MESSAGE, font=SECTION_FONT)] if empty else [])
    titles = ["Indicateur", "Valeur", "Erreur type", f"IC bas ({level})", f"IC haut ({level})"]
    titles += ["Sites", "ddl", "Alertes et remarques"]
    rows.append(header_cells(ws, titles), height=header_height(titles, widths))
    rows.append(_figure_row(ws, "Note nationale /10", data.national))
    rows.append(_figure_row(ws, "Part des sites à 7/10 ou plus", data.share_at_least_7))
    for row in _change_rows(ws, data.change) + _count_rows(ws, data):
        rows.append(row)
    rows.append([])
    rows.append([styled(ws, "Lecture des alertes", font=SECTION_FONT)])
    explanations = flag_explanations(data.methodology.minimum_sites)
    for flag, words in FLAG_SHORT.items():
        rows.append([_label(ws, words), value_cell(ws, explanations[flag])])
    for flag in _present_flags(data):
        rows.append([_label(ws, flag), "Alerte du calcul sans explication connue."])
    rows.append([])
    rows.append([styled(ws, "Repères", font=SECTION_FONT)])
    for words, meaning in (
        ("Seuil d’exigence", f"{REQUIRED_GRADE:g}/10 ; excellence à {EXCELLENT_GRADE:g}/10."),
        (
            "Intervalles",
            f"Intervalles de confiance à {level} du plan de sondage (voir « Méthodologie »).",
        ),
        (
            "Nombres",
            "Enregistrés en précision complète ; Excel les affiche arrondis, avec la virgule "
            "décimale de vos réglages régionaux.",
        ),
    ):
        rows.append([_label(ws, words), meaning])


# --- methodology -----------------------------------------------------------------------------

METHOD_LABELS = {
    "srs": "aléatoire simple sans remise",
    "systematic": "systématique",
    "pps": "proportionnel à la taille",
}
ALLOCATION_LABELS = {"proportional": "proportionnelle", "neyman": "de Neyman", "equal": "égale"}
#: Characters per line of the merged text cells (B:H), to size their rows.
TEXT_LINE = 110


def _text_row(rows: Rows, label: str, text: str) -> None:
    """A label and a long text over B:H, its row tall enough for the wrapped text."""
    ws = rows.ws
    lines = sum(max(1, math.ceil(len(part) / TEXT_LINE)) for part in text.split("\n"))
    row = rows.append([_label(ws, label), styled(ws, text, alignment=WRAP)], height=15 * lines + 3)
    ws.merged_cells.add(CellRange(f"B{row}:H{row}"))


def _texts(methodology: Methodology) -> list[tuple[str, str]]:
    return [
        ("Plan de sondage", methodology.design),
        ("Allocation", methodology.allocation),
        ("Poids", methodology.weights),
        ("Notation", methodology.scoring),
        ("Estimation", methodology.estimator),
        ("Intervalles de confiance", methodology.intervals),
        ("Non-réponse", methodology.non_response),
        ("Strate à un seul répondant", methodology.lonely_stratum),
        ("Évolution sur l’année précédente", methodology.change),
    ]


def _table_header(rows: Rows, titles: list[str], widths: Sequence[float]) -> None:
    rows.append(header_cells(rows.ws, titles), height=header_height(titles, widths))


def write_methodology(ws: Any, data: BarometerData) -> None:
    """The methodology texts, the strata table and every draw, replaced ones included."""
    methodology = data.methodology
    widths = [46, 14, 26, 16, 10, 24, 17, 12]
    set_widths(ws, widths)
    set_print(ws, landscape=False)
    rows = Rows(ws)
    rows.append([styled(ws, "Méthodologie", font=TITLE_FONT)], height=22)
    for label, text in _texts(methodology):
        if text:
            _text_row(rows, label, text)
    rows.append([_label(ws, "Niveau de confiance"), value_cell(ws, methodology.level, LEVEL)])
    rows.append([_label(ws, "Minimum de sites par chiffre"), methodology.minimum_sites])
    rows.append([])
    rows.append([styled(ws, "Strates", font=SECTION_FONT)])
    strata = ["Strate", "Population (N_h)", "Échantillon (n_h)", "Répondants", "Taux (n_h/N_h)"]
    _table_header(rows, strata, widths)
    for stratum in methodology.strata:
        rate = stratum.sampled / stratum.population if stratum.population else None
        rows.append(
            [
                value_cell(ws, stratum.stratum),
                stratum.population,
                stratum.sampled,
                stratum.responding,
                value_cell(ws, rate, SHARE),
            ]
        )
    rows.append([])
    rows.append([styled(ws, "Tirages de l’échantillon", font=SECTION_FONT)])
    rows.append(
        [
            value_cell(
                ws,
                "Chaque tirage se refait à l’identique avec sa graine ; les tirages remplacés "
                "avant celui qui est utilisé restent listés.",
            )
        ]
    )
    draws = ["N° du tirage", "Graine", "Méthode", "Allocation", "Taille", "Auteur"]
    _table_header(rows, [*draws, "Date (UTC)", "Statut"], widths)
    for draw in sorted(methodology.draws, key=lambda draw: (draw.created_at, draw.draw_id)):
        rows.append(_draw_row(ws, draw))


#: Excel holds 15 significant digits: a larger seed is written as text, so it stays exact.
EXACT_INTEGER = 10**15


def _draw_row(ws: Any, draw: DrawRecord) -> Sequence[Appended]:
    seed = draw.seed if abs(draw.seed) < EXACT_INTEGER else str(draw.seed)
    return [
        draw.draw_id,
        value_cell(ws, seed, INTEGER if isinstance(seed, int) else None),
        value_cell(ws, METHOD_LABELS.get(draw.method, draw.method)),
        value_cell(ws, ALLOCATION_LABELS.get(draw.allocation, draw.allocation)),
        draw.size,
        value_cell(ws, draw.author),
        value_cell(ws, draw.created_at, DATETIME),
        "utilisé" if draw.used else "remplacé",
    ]
