"""Drawing, recording and reading a campaign's sample.

The statistics are in ``sampling``; this module turns the campaign's frame into plain units,
records everything needed to reproduce the draw (parameters, seed, allocation table, code
version, who and when) and guards the draw's life cycle: a draw used by a wave is locked, and
replacing an unlocked one needs an explicit confirmation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

import sampling
from sampling import FrameUnit
from server.models import Campaign, Draw, SampledSite, Site, User
from server.models.types import utcnow
from server.services import audit
from server.services.errors import Conflict, Invalid, NotFound

#: Frame columns a stratum or a systematic order can be made of (besides imported extras).
SITE_COLUMNS = ("network", "region", "department", "city", "postcode")
ALLOCATIONS = ("proportional", "neyman", "equal")
DRAW_METHODS = ("srs", "systematic", "pps")


class ConfirmationRequired(Conflict):
    code = "confirmation_required"


@dataclass(frozen=True)
class DrawRequest:
    """What the coordinator asks for (DESIGN.md §3.5, ``POST /campaigns/{id}/sample``)."""

    size: int = 600
    strata: tuple[str, ...] = ("network", "region")
    allocation: str = "proportional"
    minimum: int = 2
    seed: int = 1
    draw: str = "srs"
    #: Per-stratum standard deviations for Neyman allocation (e.g. last year's grades).
    sd: dict[str, float] | None = None
    #: Column ordering the frame for a systematic or πps draw.
    order_by: str | None = None
    overlap: float | None = None
    previous_draw: int | None = None

    def parameters(self) -> dict[str, Any]:
        data = asdict(self)
        data["strata"] = list(self.strata)
        return data


def code_version() -> str:
    try:
        return f"barometre {version('barometre')}"
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "barometre (non installé)"


def _column_value(site: Site, column: str) -> str:
    if column in SITE_COLUMNS:
        return str(getattr(site, column) or "")
    return site.extra.get(column, "")


def _check_columns(sites: Sequence[Site], columns: Sequence[str], label: str) -> None:
    known = set(SITE_COLUMNS)
    for site in sites:
        known.update(site.extra)
    unknown = [c for c in columns if c not in known]
    if unknown:
        raise Invalid(
            f"{label} : colonne inconnue {', '.join(unknown)} "
            f"(colonnes possibles : {', '.join(sorted(known))}).",
            {label.lower(): [f"Colonne inconnue : {c}" for c in unknown]},
        )


def _frame(session: Session, campaign: Campaign) -> list[Site]:
    sites = list(
        session.scalars(select(Site).where(Site.campaign_id == campaign.id).order_by(Site.code))
    )
    if not sites:
        raise Invalid("La base de sondage de cette campagne est vide : importez d’abord les sites.")
    return sites


def _units(sites: Sequence[Site], request: DrawRequest) -> list[FrameUnit]:
    _check_columns(sites, request.strata, "Strates")
    if request.order_by:
        _check_columns(sites, [request.order_by], "Ordre")
    return [
        FrameUnit(
            key=site.code,
            stratum=sampling.stratum_key([_column_value(site, c) for c in request.strata]),
            prn=site.permanent_random_number,
            size=site.size,
            order=_column_value(site, request.order_by) if request.order_by else None,
        )
        for site in sites
    ]


def _check_request(request: DrawRequest) -> None:
    errors: dict[str, list[str]] = {}
    if request.allocation not in ALLOCATIONS:
        errors["allocation"] = [f"Attendu : {', '.join(ALLOCATIONS)}."]
    if request.draw not in DRAW_METHODS:
        errors["draw"] = [f"Attendu : {', '.join(DRAW_METHODS)}."]
    if (request.overlap is None) != (request.previous_draw is None):
        errors["overlap"] = ["La rotation demande à la fois « overlap » et « previous_draw »."]
    if errors:
        raise Invalid("Paramètres de tirage invalides.", errors)


@dataclass
class AllocationPreview:
    population: dict[str, int]
    rows: list[sampling.AllocationRow] = field(default_factory=list)


def preview_allocation(
    session: Session, campaign: Campaign, request: DrawRequest
) -> AllocationPreview:
    """The allocation table the draw would use, without drawing anything."""
    _check_request(request)
    return _allocation(_units(_frame(session, campaign), request), request)


def _allocation(units: Sequence[FrameUnit], request: DrawRequest) -> AllocationPreview:
    population = dict(Counter(unit.stratum for unit in units))
    try:
        allocation = sampling.allocate(
            population,
            request.size,
            method=request.allocation,
            minimum=request.minimum,
            sd=request.sd,
        )
    except ValueError as error:
        raise Invalid(f"Allocation impossible : {error}") from None
    return AllocationPreview(population, sampling.allocation_table(population, allocation))


def frame_columns(session: Session, campaign: Campaign) -> list[str]:
    """Columns a stratum or an order can use: the known ones, then the file's extra columns."""
    extras: set[str] = set()
    for extra in session.scalars(select(Site.extra).where(Site.campaign_id == campaign.id)):
        extras.update(extra or {})
    return [*SITE_COLUMNS, *sorted(extras - set(SITE_COLUMNS))]


def current_draw(session: Session, campaign: Campaign) -> Draw | None:
    return session.scalar(
        select(Draw).where(Draw.campaign_id == campaign.id, Draw.is_current.is_(True))
    )


def get_draw(session: Session, draw_id: int) -> Draw:
    draw = session.get(Draw, draw_id)
    if draw is None:
        raise NotFound(f"Tirage {draw_id} introuvable.")
    return draw


def _previous_draw(session: Session, draw_id: int) -> sampling.PreviousDraw:
    """The draw to rotate from: its sites, and per stratum its PRN start and (n_h, N_h).

    The start is the one recorded with the draw; a draw recorded before starts were kept is
    usable only when it was an unrotated srs draw, whose start is its seeded one.
    """
    previous = get_draw(session, draw_id)
    parameters = previous.parameters or {}
    if parameters.get("draw", "srs") != "srs":
        raise Invalid(
            f"Le tirage n° {previous.id} n’est pas un tirage aléatoire simple : ses sites ne "
            "forment pas une suite de nombres aléatoires permanents, la rotation ne peut pas "
            "partir de lui.",
            {"previous_draw": ["Choisissez un tirage aléatoire simple (srs)."]},
        )
    sizes = {
        str(row["stratum"]): (int(row["sample"]), int(row["population"]))
        for row in previous.allocation_table
    }
    starts = previous.starts
    if starts is None:
        if parameters.get("overlap") is not None or parameters.get("previous_draw") is not None:
            raise Invalid(
                f"Le tirage n° {previous.id} a lui-même été tiré par rotation avant que les "
                "points de départ soient enregistrés : son point de départ n’est pas connu, la "
                "rotation ne peut pas partir de lui.",
                {"previous_draw": ["Tirage sans points de départ enregistrés."]},
            )
        starts = {stratum: sampling.stratum_start(previous.seed, stratum) for stratum in sizes}
    codes = session.scalars(
        select(Site.code).join(SampledSite).where(SampledSite.draw_id == previous.id)
    )
    try:
        return sampling.PreviousDraw(keys=set(codes), starts=starts, sizes=sizes)
    except ValueError as error:
        raise Invalid(f"Tirage n° {previous.id} inutilisable pour la rotation : {error}") from None


def draw_sample(
    session: Session,
    campaign: Campaign,
    request: DrawRequest,
    *,
    actor: User | None,
    confirm: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Draw:
    """Draw and record the campaign's sample; it becomes the current draw (flushed only)."""
    existing = current_draw(session, campaign)
    if existing is not None and existing.locked_at is not None:
        raise Conflict(
            f"Le tirage n° {existing.id} est verrouillé : une vague l’utilise déjà, il ne peut "
            "plus être remplacé."
        )
    if existing is not None and not confirm:
        raise ConfirmationRequired(
            f"Cette campagne a déjà un tirage (n° {existing.id}). Renvoyez la demande avec "
            "« confirm »: true pour le remplacer ; l’ancien sera conservé comme remplacé.",
            {"confirm": ["Confirmation nécessaire pour remplacer le tirage actuel."]},
        )
    _check_request(request)
    sites = {site.code: site for site in _frame(session, campaign)}
    units = _units(list(sites.values()), request)
    preview = _allocation(units, request)
    allocation = {row.stratum: row.sample for row in preview.rows}
    previous = _previous_draw(session, request.previous_draw) if request.previous_draw else None
    if progress:
        progress(f"Tirage de {request.size} sites dans {len(allocation)} strates…")
    try:
        result = sampling.draw_sample(
            units,
            allocation,
            method=request.draw,  # type: ignore[arg-type]
            seed=request.seed,
            previous=previous,
            overlap=request.overlap,
        )
    except ValueError as error:
        raise Invalid(f"Tirage impossible : {error}") from None

    if existing is not None:
        existing.is_current = False
    draw = Draw(
        campaign=campaign,
        parameters=request.parameters(),
        seed=request.seed,
        allocation_table=[asdict(row) for row in preview.rows],
        overlap_achieved=(
            {h: {"kept": kept, "target": target} for h, (kept, target) in result.overlap.items()}
            if result.overlap is not None
            else None
        ),
        # The PRN start per stratum: a later draw rotates from it by a fixed shift.
        starts=result.starts if request.draw == "srs" else None,
        code_version=code_version(),
        created_by_id=actor.id if actor else None,
        is_current=True,
    )
    session.add(draw)
    session.flush()
    session.add_all(
        SampledSite(
            draw_id=draw.id,
            site_id=sites[unit.key].id,
            stratum=unit.stratum,
            inclusion_probability=unit.inclusion_probability,
            weight=unit.weight,
            certainty=unit.certainty,
        )
        for unit in result.units
    )
    session.flush()
    audit.record(
        session,
        "sample.draw",
        actor=actor,
        entity=draw,
        size=len(result.units),
        replaced=existing.id if existing else None,
    )
    return draw


def lock_draw(session: Session, draw: Draw, *, actor: User | None) -> None:
    """Lock a draw once a wave uses it: its weights are then part of published figures."""
    if draw.locked_at is None:
        draw.locked_at = utcnow()
        audit.record(session, "sample.lock", actor=actor, entity=draw)


def sampled_sites(
    session: Session, draw: Draw, *, network: str | None = None, region: str | None = None
) -> list[SampledSite]:
    statement = (
        select(SampledSite)
        .join(Site)
        .where(SampledSite.draw_id == draw.id)
        .options(joinedload(SampledSite.site))
        .order_by(SampledSite.stratum, Site.code)
    )
    if network:
        statement = statement.where(Site.network == network)
    if region:
        statement = statement.where(Site.region == region)
    return list(session.scalars(statement))


def overlap_summary(draw: Draw) -> tuple[int, int] | None:
    """Total (kept, target) over strata, when the draw rotated from a previous one."""
    if not draw.overlap_achieved:
        return None
    kept = sum(v["kept"] for v in draw.overlap_achieved.values())
    target = sum(v["target"] for v in draw.overlap_achieved.values())
    return kept, target
