"""``barometre frame``: importing a frame file."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from server.extensions import db
from server.services.errors import ServiceError


@click.group("frame", help="Base de sondage des sites.")
def frame_group() -> None:
    pass


@frame_group.command("import", help="Importer un fichier de sites (CSV ou XLSX) dans une campagne.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--campaign", "campaign_id", type=int, required=True, help="Numéro de la campagne.")
@with_appcontext
def frame_import_command(file: Path, campaign_id: int) -> None:
    from sampling.file_guards import read_bounded
    from sampling.frame import FrameTooLargeError, check_size
    from server.services.campaigns import get_campaign
    from server.services.frame_import import import_frame

    max_bytes = current_app.config["MAX_CONTENT_LENGTH"]
    try:
        check_size(file.stat().st_size, max_bytes)  # before reading a huge file into memory
        campaign = get_campaign(db.session, campaign_id)
        outcome = import_frame(
            db.session,
            campaign,
            read_bounded(file, max_bytes),
            file.name,
            actor=None,
            max_bytes=max_bytes,
        )
    except FrameTooLargeError as error:
        raise click.ClickException(str(error)) from None
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(
        f"{outcome.imported} sites ajoutés, {outcome.updated} mis à jour, "
        f"{len(outcome.rejected)} lignes rejetées."
    )
    for rejection in outcome.rejected:
        code = f" (site {rejection.site_id})" if rejection.site_id else ""
        click.echo(f"  ligne {rejection.line}{code} : {rejection.reason}")
