"""Campaigns and the summary of their frame."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, joinedload

from server.models import Campaign, Referentiel, Site, User
from server.services import audit
from server.services.errors import Invalid, NotFound

FIRST_YEAR = 2009  # the barometer's first edition


def stored_referentiel(session: Session, code: str, version: int | None = None) -> Referentiel:
    """The stored référentiel ``code`` (its latest version unless one is named), or ``Invalid``
    listing the ones that exist, so the coordinator can pick one."""
    statement = select(Referentiel).where(Referentiel.code == code.strip())
    if version is not None:
        statement = statement.where(Referentiel.version == version)
    found = session.scalar(statement.order_by(Referentiel.version.desc()).limit(1))
    if found is None:
        known = [
            f"{c} v{v}"
            for c, v in session.execute(
                select(Referentiel.code, Referentiel.version).order_by(
                    Referentiel.code, Referentiel.version
                )
            )
        ]
        wanted = f"{code} v{version}" if version is not None else code
        choices = ", ".join(known) if known else "aucun (barometre referentiels load-shipped)"
        raise Invalid(
            f"Référentiel inconnu : {wanted}. Référentiels enregistrés : {choices}.",
            {"referentiel": [f"Inconnu ; possibles : {choices}."]},
        )
    return found


def create_campaign(
    session: Session,
    *,
    name: str,
    year: int,
    referentiel_code: str,
    referentiel_version: int | None = None,
    actor: User | None,
) -> Campaign:
    name = name.strip()
    if not name:
        raise Invalid("Le nom de la campagne est obligatoire.", {"name": ["Obligatoire."]})
    if not FIRST_YEAR <= year <= 2100:
        raise Invalid(
            f"Année invalide : {year} (entre {FIRST_YEAR} et 2100).", {"year": ["Hors bornes."]}
        )
    referentiel = stored_referentiel(session, referentiel_code, referentiel_version)
    campaign = Campaign(
        name=name,
        year=year,
        referentiel=referentiel,
        created_by_id=actor.id if actor else None,
    )
    session.add(campaign)
    session.flush()
    audit.record(session, "campaign.create", actor=actor, entity=campaign, year=year)
    return campaign


def get_campaign(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"Campagne {campaign_id} introuvable.")
    return campaign


def campaigns_query() -> Select[tuple[Campaign]]:
    """Campaigns, most recent year first (paginated by the API, listed by the pages)."""
    return (
        select(Campaign)
        .options(joinedload(Campaign.referentiel))
        .order_by(Campaign.year.desc(), Campaign.id)
    )


def list_campaigns(session: Session) -> list[Campaign]:
    return list(session.scalars(campaigns_query()))


@dataclass(frozen=True)
class FrameSummary:
    """Counts of a campaign's frame, for the home pages."""

    total: int
    by_network: list[tuple[str, int]]
    by_region: list[tuple[str, int]]


def frame_summary(session: Session, campaign: Campaign) -> FrameSummary:
    def counts(column: object) -> list[tuple[str, int]]:
        rows = session.execute(
            select(column, func.count())
            .where(Site.campaign_id == campaign.id)
            .group_by(column)
            .order_by(func.count().desc(), column)
        )
        return [(str(key), int(count)) for key, count in rows]

    by_network = counts(Site.network)
    return FrameSummary(
        total=sum(count for _, count in by_network),
        by_network=by_network,
        by_region=counts(Site.region),
    )
