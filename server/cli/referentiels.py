"""``barometre referentiels``: validating and loading definition documents."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click
from flask.cli import with_appcontext

from server.extensions import db
from server.services.errors import ServiceError


@click.group("referentiels", help="Référentiels et questionnaires (documents JSON versionnés).")
def referentiels_group() -> None:
    pass


def _summary(model: object) -> str:
    """One line saying what a checked document is."""
    import survey_schemas

    if isinstance(model, survey_schemas.Referentiel):
        return (
            f"Référentiel {model.code} v{model.version} valide : "
            f"{len(model.engagements)} engagements ({model.name})."
        )
    assert isinstance(model, survey_schemas.Questionnaire)
    code, version = model.referentiel
    return (
        f"Questionnaire {model.code} v{model.version} valide : canal {model.channel}, "
        f"{len(model.questions)} questions, référentiel {code} v{version}."
    )


def _refused(error: ServiceError) -> NoReturn:
    """Print every message of a refused document and exit with status 1."""
    click.echo(error.message, err=True)
    for message in error.errors.get("document", []):
        click.echo(f"  - {message}", err=True)
    sys.exit(1)


@referentiels_group.command(
    "validate",
    help="Vérifier un fichier de référentiel ou de questionnaire (JSON) sans base de données : "
    "code 0 et un résumé s’il est valide, code 1 et chaque erreur sinon.",
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--referentiel",
    "referentiel_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Fichier du référentiel visé par le questionnaire (par défaut : celui livré "
    "avec l’application).",
)
def referentiels_validate_command(file: Path, referentiel_file: Path | None) -> None:
    from server.services.definitions import check_document

    try:
        model = check_document(
            file.read_bytes(),
            referentiel=referentiel_file.read_bytes() if referentiel_file else None,
        )
    except ServiceError as error:
        _refused(error)
    click.echo(_summary(model))


@referentiels_group.command(
    "load",
    help="Enregistrer une nouvelle version de référentiel ou de questionnaire (JSON) ; une "
    "version déjà chargée à l’identique est ignorée, modifiée elle est refusée.",
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def referentiels_load_command(file: Path) -> None:
    from server.services.referentiels import load_document

    try:
        outcome = load_document(db.session, file.read_bytes(), actor=None)
    except ServiceError as error:
        _refused(error)
    db.session.commit()
    row = outcome.row
    code = row.code if hasattr(row, "code") else row.content.get("code")
    state = "enregistré" if outcome.created else "déjà chargé à l’identique"
    click.echo(f"{code} v{row.version} : {state} (n° {row.id}).")


@referentiels_group.command(
    "load-shipped",
    help="Enregistrer les référentiels et questionnaires livrés avec l’application (sans "
    "effet sur les versions déjà chargées).",
)
@with_appcontext
def referentiels_load_shipped_command() -> None:
    from server.services.referentiels import load_shipped

    try:
        outcome = load_shipped(db.session, actor=None)
    except ServiceError as error:
        _refused(error)
    db.session.commit()
    for created in outcome.created:
        click.echo(f"  {created} enregistré")
    click.echo(f"{len(outcome.created)} versions enregistrées, {outcome.unchanged} déjà chargées.")
