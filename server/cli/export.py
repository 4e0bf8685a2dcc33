"""``barometre export``: a campaign's barometer workbook and open data, as files.

The same data and writers as ``GET /campaigns/{id}/barometer.xlsx`` and ``…/opendata.zip``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import click
from flask.cli import with_appcontext

from server.extensions import db
from server.services.errors import ServiceError


@click.group("export", help="Fichiers du baromètre d’une campagne.")
def export_group() -> None:
    pass


def _write(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write through a temporary name, so a failed export never leaves half a file."""
    partial = path.with_name(path.name + ".partiel")
    try:
        with partial.open("wb") as stream:
            write(stream)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def _campaign_option(command: Callable[..., None]) -> Callable[..., None]:
    return click.option(
        "--campaign", "campaign_id", type=int, required=True, help="Numéro de la campagne."
    )(command)


def _output_option(example: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    return click.option(
        "--output",
        "--out",
        "output",
        type=click.Path(dir_okay=False, writable=True, path_type=Path),
        required=True,
        help=f"Fichier à écrire, par exemple {example}.",
    )


@export_group.command("barometer", help="Écrire le classeur du baromètre (XLSX).")
@_campaign_option
@_output_option("barometre-2026.xlsx")
@with_appcontext
def export_barometer_command(campaign_id: int, output: Path) -> None:
    from exports.barometer import write_barometer
    from server.services.campaigns import get_campaign
    from server.services.results import barometer_data

    try:
        data = barometer_data(db.session, get_campaign(db.session, campaign_id))
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    _write(output, lambda stream: write_barometer(data, stream))
    click.echo(
        f"Classeur écrit : {output} ({data.approved_tests} tests approuvés, "
        f"{data.sampled_sites} sites)."
    )


@export_group.command("opendata", help="Écrire les données ouvertes (zip de CSV + datapackage).")
@_campaign_option
@_output_option("barometre-2026-donnees-ouvertes.zip")
@with_appcontext
def export_opendata_command(campaign_id: int, output: Path) -> None:
    from exports.opendata import write_opendata
    from server.api.barometer import question_types
    from server.services.campaigns import get_campaign
    from server.services.results import barometer_data

    try:
        campaign = get_campaign(db.session, campaign_id)
        data = barometer_data(db.session, campaign)
        types = question_types(db.session, campaign)
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    _write(output, lambda stream: write_opendata(data, stream, question_types=types))
    click.echo(f"Données ouvertes écrites : {output} ({data.approved_tests} tests approuvés).")
