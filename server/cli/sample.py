"""``barometre sample``: drawing a campaign's sample."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from server.extensions import db
from server.services.errors import ServiceError


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
