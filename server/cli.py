"""The ``barometre`` command: a Flask command group with the project's own commands.

``barometre db …`` comes from Flask-Migrate; the rest is registered here on the app's CLI so
that every command runs inside an application context with the configured database.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from server.config import ConfigError
from server.extensions import db
from server.models import Role
from server.services import accounts
from server.services.errors import ServiceError


def _app_for_cli() -> Flask:
    from server.app import create_app

    try:
        return create_app()
    except ConfigError as error:
        click.echo(f"Erreur de configuration : {error}", err=True)
        sys.exit(2)


main = FlaskGroup(
    name="barometre",
    help="Baromètre : échantillonnage, terrain, notation et classeur du baromètre.",
    create_app=_app_for_cli,
    add_version_option=False,
    load_dotenv=False,
    set_debug_flag=False,
)


def read_password(prompt: str) -> str:
    """A password from an interactive prompt, or the first line of stdin when piped.

    Never from argv: command lines end up in shell histories and process lists.
    """
    if sys.stdin.isatty():
        return str(click.prompt(prompt, hide_input=True, confirmation_prompt=True))
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise click.UsageError("Aucun mot de passe reçu sur l’entrée standard.")
    return line


@click.group("users", help="Gérer les comptes.")
def users_group() -> None:
    pass


@users_group.command(
    "create",
    help="Créer un compte ; le mot de passe est demandé (ou lu sur "
    "l’entrée standard), jamais passé en argument.",
)
@click.argument("email")
@click.option(
    "--role", type=click.Choice([r.value for r in Role]), required=True, help="Rôle du compte."
)
@click.option("--name", default="", help="Nom affiché (par défaut : l’adresse).")
@with_appcontext
def create_user_command(email: str, role: str, name: str) -> None:
    password = read_password("Mot de passe")
    try:
        user = accounts.create_user(
            db.session, email=email, name=name or email, password=password, role=Role(role)
        )
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"Compte créé : {user.email} ({role}).")


@click.group("frame", help="Base de sondage des sites.")
def frame_group() -> None:
    pass


@frame_group.command("import", help="Importer un fichier de sites (CSV ou XLSX) dans une campagne.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--campaign", "campaign_id", type=int, required=True, help="Numéro de la campagne.")
@with_appcontext
def frame_import_command(file: Path, campaign_id: int) -> None:
    from sampling.frame import FrameTooLargeError, check_size
    from server.services.campaigns import get_campaign
    from server.services.frame_import import import_frame

    max_bytes = current_app.config["MAX_CONTENT_LENGTH"]
    try:
        check_size(file.stat().st_size, max_bytes)  # before reading a huge file into memory
        campaign = get_campaign(db.session, campaign_id)
        outcome = import_frame(
            db.session, campaign, file.read_bytes(), file.name, actor=None, max_bytes=max_bytes
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
        click.echo(f"  ligne {rejection.line} : {rejection.reason}")


@click.group("sample", help="Échantillon des sites.")
def sample_group() -> None:
    pass


@sample_group.command("draw", help="Tirer l’échantillon stratifié d’une campagne.")
@click.option("--campaign", "campaign_id", type=int, required=True, help="Numéro de la campagne.")
@click.option("--size", type=click.IntRange(min=1), default=600, show_default=True)
@click.option(
    "--strata",
    default="network,region",
    show_default=True,
    help="Colonnes de stratification, séparées par des virgules.",
)
@click.option(
    "--allocation",
    type=click.Choice(["proportional", "neyman", "equal"]),
    default="proportional",
    show_default=True,
)
@click.option(
    "--minimum",
    type=click.IntRange(min=0),
    default=2,
    show_default=True,
    help="Sites au moins par strate.",
)
@click.option(
    "--seed",
    type=int,
    required=True,
    help="Graine : le même tirage se refait à l’identique avec les mêmes paramètres.",
)
@click.option(
    "--draw",
    "method",
    type=click.Choice(["srs", "systematic", "pps"]),
    default="srs",
    show_default=True,
)
@click.option("--order-by", default=None, help="Colonne d’ordre du tirage systématique ou PPS.")
@click.option(
    "--overlap",
    type=click.FloatRange(0, 1),
    default=None,
    help="Part de l’échantillon précédent à conserver (rotation), ex. 0.5.",
)
@click.option("--previous-draw", type=int, default=None, help="Tirage de l’année précédente.")
@click.option("--yes", "confirm", is_flag=True, help="Remplacer le tirage actuel s’il existe.")
@with_appcontext
def sample_draw_command(
    campaign_id: int,
    size: int,
    strata: str,
    allocation: str,
    minimum: int,
    seed: int,
    method: str,
    order_by: str | None,
    overlap: float | None,
    previous_draw: int | None,
    confirm: bool,
) -> None:
    from server.services import sample_draws
    from server.services.campaigns import get_campaign

    request = sample_draws.DrawRequest(
        size=size,
        strata=tuple(c.strip() for c in strata.split(",") if c.strip()),
        allocation=allocation,
        minimum=minimum,
        seed=seed,
        draw=method,
        order_by=order_by,
        overlap=overlap,
        previous_draw=previous_draw,
    )
    with click.progressbar(length=3, label="Tirage", file=sys.stderr) as bar:
        try:
            campaign = get_campaign(db.session, campaign_id)
            bar.update(1)
            draw = sample_draws.draw_sample(
                db.session,
                campaign,
                request,
                actor=None,
                confirm=confirm,
                progress=lambda _message: bar.update(1),
            )
        except sample_draws.ConfirmationRequired:
            raise click.ClickException(
                "Cette campagne a déjà un tirage : relancez avec --yes pour le remplacer."
            ) from None
        except ServiceError as error:
            raise click.ClickException(error.message) from None
        db.session.commit()
        bar.update(1)
    click.echo(
        f"Tirage n° {draw.id} : {len(draw.sampled_sites)} sites dans "
        f"{len(draw.allocation_table)} strates."
    )
    overlap_total = sample_draws.overlap_summary(draw)
    if overlap_total:
        click.echo(
            f"Recouvrement avec le tirage {previous_draw} : {overlap_total[0]} sites "
            f"conservés (visé : {overlap_total[1]})."
        )


@click.command(
    "serve",
    help="Servir l’application (serveur de développement ; en production, "
    "utilisez gunicorn : voir le README).",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve_command(host: str, port: int) -> None:
    from werkzeug.serving import run_simple

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    click.echo(f"Baromètre sur http://{host}:{port} (Ctrl+C pour arrêter)")
    # Not app.run(): Flask ignores it inside its own command line, on purpose.
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)


@click.command("demo", help="Créer (ou mettre à jour) la campagne de démonstration et ses comptes.")
@click.option("--seed", default=2026, show_default=True, type=int, help="Graine des données.")
@with_appcontext
def demo_command(seed: int) -> None:
    from flask_migrate import upgrade

    from server.demo.build import DEMO_PASSWORD, build_demo

    upgrade()
    report = build_demo(db.session, seed=seed, progress=click.echo)
    db.session.commit()
    click.echo("")
    click.echo("Comptes de démonstration (mot de passe : " + DEMO_PASSWORD + ") :")
    investigators = [email for email, role in report.accounts if role == Role.INVESTIGATOR]
    for email, role in report.accounts:
        if role != Role.INVESTIGATOR:
            click.echo(f"  {role:<13} {email}")
    if investigators:
        click.echo(
            f"  {'investigator':<13} {investigators[0]} … {investigators[-1]} "
            f"({len(investigators)} comptes)"
        )


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


def register(app: Flask) -> None:
    for command in (
        users_group,
        frame_group,
        sample_group,
        referentiels_group,
        serve_command,
        demo_command,
    ):
        app.cli.add_command(command)


if __name__ == "__main__":
    main()
