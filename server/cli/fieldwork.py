"""``barometre wave`` and ``barometre investigators``: fieldwork from the command line."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from server.extensions import db
from server.services.errors import ServiceError


def _date(_ctx: click.Context, _param: click.Parameter, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"date attendue au format AAAA-MM-JJ, pas « {value} »") from None


def _plan(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError as error:
        raise click.BadParameter(f"JSON mal formé : {error}") from None


@click.group("wave", help="Vagues de terrain : ouvrir, attribuer, clore.")
def wave_group() -> None:
    pass


@wave_group.command(
    "open",
    help="Ouvrir une vague sur l’échantillon de la campagne (il est "
    "alors verrouillé) et générer ses missions.",
)
@click.option("--campaign", "campaign_id", type=int, required=True, help="Numéro de la campagne.")
@click.option("--name", required=True, help="Nom de la vague, ex. « Vague de printemps ».")
@click.option("--start", required=True, callback=_date, help="Premier jour (AAAA-MM-JJ).")
@click.option("--end", required=True, callback=_date, help="Dernier jour (AAAA-MM-JJ).")
@click.option(
    "--plan",
    callback=_plan,
    help='Tests par site et canal en JSON, ex. \'{"visit": 2, "phone": 9}\' ou '
    '\'{"default": {...}, "networks": {"SIP": {...}}}\' (défaut : 2, 9, 10, 3, 1).',
)
@click.option(
    "--lockout-waves",
    type=click.IntRange(0, 10),
    default=1,
    show_default=True,
    help="Vagues pendant lesquelles un enquêteur ne retourne pas sur un site visité.",
)
@with_appcontext
def wave_open_command(
    campaign_id: int, name: str, start: date, end: date, plan: Any, lockout_waves: int
) -> None:
    from server.services import campaigns, waves
    from server.services.wave_progress import overall

    try:
        campaign = campaigns.get_campaign(db.session, campaign_id)
        wave = waves.open_wave(
            db.session,
            campaign,
            waves.WaveRequest(
                name=name, start=start, end=end, plan=plan, lockout_waves=lockout_waves
            ),
            actor=None,
        )
    except ServiceError as error:
        raise click.ClickException(_with_details(error)) from None
    db.session.commit()
    missions = overall(db.session, wave).total  # counted, not 15,000 objects loaded
    click.echo(f"Vague n° {wave.id} « {wave.name} » ouverte : {missions} missions.")


@wave_group.command("assign", help="Attribuer les missions d’une vague aux enquêteurs.")
@click.argument("wave_id", type=int)
@with_appcontext
def wave_assign_command(wave_id: int) -> None:
    from server.services import assignments, waves
    from server.services.assignment.rules import RULE_LABELS

    try:
        wave = waves.get_wave(db.session, wave_id)
        run = assignments.assign_wave(db.session, wave, actor=None)
    except ServiceError as error:
        raise click.ClickException(_with_details(error)) from None
    db.session.commit()
    click.echo(
        f"{run.assigned} missions attribuées, {run.kept} conservées (déjà commencées), "
        f"{run.unassignable} sans enquêteur ; {run.total_km:.0f} km de visites "
        f"({run.solve_seconds:.1f} s de calcul)."
    )
    for rule, count in sorted(run.blocked_by_rule.items(), key=lambda item: -item[1]):
        click.echo(f"  {count} bloquées par : {RULE_LABELS.get(rule, rule)} ({rule})")


@wave_group.command(
    "close",
    help="Clore une vague : missions ouvertes closes comme non "
    "réalisées, réponses attendues comme non reçues.",
)
@click.argument("wave_id", type=int)
@with_appcontext
def wave_close_command(wave_id: int) -> None:
    from server.services import waves

    try:
        wave = waves.get_wave(db.session, wave_id)
        closing = waves.close_wave(db.session, wave, actor=None)
    except ServiceError as error:
        raise click.ClickException(_with_details(error)) from None
    db.session.commit()
    click.echo(
        f"Vague n° {wave.id} close : {closing['not_done_total']} missions non réalisées, "
        f"{closing['no_reply_total']} réponses jamais reçues."
    )


@click.group("investigators", help="Enquêteurs.")
def investigators_group() -> None:
    pass


@investigators_group.command(
    "import",
    help="Importer des enquêteurs (CSV ou XLSX) ; les "
    "lignes refusées sont listées avec leur numéro.",
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def investigators_import_command(file: Path) -> None:
    from sampling.file_guards import read_bounded
    from server.services.investigator_import import import_investigators

    max_bytes = current_app.config["MAX_CONTENT_LENGTH"]
    try:
        outcome = import_investigators(
            db.session,
            read_bounded(file, max_bytes),
            file.name,
            actor=None,
            max_bytes=max_bytes,
        )
    except ServiceError as error:
        raise click.ClickException(_with_details(error)) from None
    db.session.commit()
    click.echo(
        f"{outcome.imported} enquêteurs ajoutés, {outcome.updated} mis à jour, "
        f"{len(outcome.rejected)} lignes rejetées."
    )
    for rejection in outcome.rejected:
        click.echo(f"  ligne {rejection.line} : {rejection.reason}")
    if outcome.password_reset_needed:
        click.echo(
            "Comptes créés sans mot de passe utilisable (à définir par un administrateur) : "
            + ", ".join(outcome.password_reset_needed)
        )


def _with_details(error: ServiceError) -> str:
    details = [
        f"{field} : {'; '.join(map(str, messages))}"
        for field, messages in error.errors.items()
        if isinstance(messages, list)
    ]
    return "\n  ".join([error.message, *details]) if details else error.message
