"""The barometer workbook (DOMAIN.md §7, DESIGN.md §3.9), written from a ``BarometerData``.

Pure: no database and no web framework; the caller gives the data and a file or a path.
The whole workbook is written in openpyxl's write-only mode, which streams each sheet to a
temporary file as it goes: the tests sheet of a large campaign (150,000 tests, millions of
cells) never sits in memory. The charts, frozen panes, filters, formats and page settings are
all set through what write-only sheets support (see ``exports.workbook_style``).

Sheets, in this order: Synthèse, Engagements, Réseaux, Régions, Canaux, Sites, Tests,
Évolution, Méthodologie. A campaign without approved tests gives the same sheets, its figures
empty and the summary saying why.
"""

from __future__ import annotations

from os import PathLike
from typing import BinaryIO

from openpyxl import Workbook

from exports import workbook_labels as sheets
from exports.barometer_data import BarometerData
from exports.workbook_style import plain_text, utc_naive
from exports.workbook_summary import write_methodology, write_summary
from exports.workbook_tables import write_evolution, write_figures, write_sites, write_tests

Target = BinaryIO | str | PathLike[str]


def _properties(workbook: Workbook, data: BarometerData) -> None:
    properties = workbook.properties
    properties.title = plain_text(f"Baromètre de la qualité de l’accueil {data.year}")
    properties.subject = plain_text(data.campaign_name)
    properties.creator = "Baromètre"
    properties.lastModifiedBy = "Baromètre"
    properties.description = plain_text(
        f"Campagne {data.campaign_name} ({data.year}), référentiel {data.referentiel} : "
        "notes, intervalles de confiance, sites, tests et méthode."
    )
    properties.keywords = "baromètre; qualité de l’accueil; services publics"
    properties.language = "fr-FR"
    properties.created = utc_naive(data.generated_at)


def write_barometer(data: BarometerData, target: Target) -> None:
    """Write the barometer workbook of ``data`` to ``target`` (a binary file or a path)."""
    workbook = Workbook(write_only=True)
    _properties(workbook, data)
    level = data.methodology.level
    write_summary(workbook.create_sheet(sheets.SUMMARY), data)
    for title, figures, first in (
        (sheets.ENGAGEMENTS, data.by_engagement, "Engagement"),
        (sheets.NETWORKS, data.by_network, "Réseau"),
        (sheets.REGIONS, data.by_region, "Région"),
        (sheets.CHANNELS, data.by_channel, "Canal"),
    ):
        write_figures(workbook.create_sheet(title), figures, first=first, level=level)
    write_sites(workbook.create_sheet(sheets.SITES), data)
    write_tests(workbook.create_sheet(sheets.TESTS), data)
    write_evolution(workbook.create_sheet(sheets.EVOLUTION), data)
    write_methodology(workbook.create_sheet(sheets.METHODOLOGY), data)
    workbook.save(target)
