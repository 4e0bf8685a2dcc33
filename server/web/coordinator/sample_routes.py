"""The sample page: preview the allocation, draw (or replace) the sample, read and export it."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as Redirect

from exports.csv_safe import Cell, csv_bytes
from server.auth import page_roles
from server.extensions import db
from server.models import Campaign, Draw, Role, SampledSite
from server.services import campaigns, sample_draws
from server.services.errors import NotFound, ServiceError
from server.services.sample_draws import AllocationPreview, ConfirmationRequired
from server.web.coordinator.forms import DrawForm
from server.web.coordinator.labels import (
    ALLOCATION_LABELS,
    DRAW_METHOD_LABELS,
    column_label,
    opening_hours_text,
    strata_label,
)
from server.web.coordinator.routes import bp
from server.web.pagination import paginate, requested_page

#: The CSV's columns: French headers, which the frame import also reads back (« Code site »
#: is ``code_site``), so the sample can seed another campaign's frame.
SAMPLE_CSV_HEADER = (
    "Code site",
    "Nom",
    "Réseau",
    "Région",
    "Département",
    "Commune",
    "Code postal",
    "Adresse",
    "Courriel",
    "Téléphone",
    "Horaires d’ouverture",
    "Strate",
    "Probabilité d’inclusion",
    "Poids",
)

#: Columns the sites table always shows: a stratum made of them says nothing more.
SHOWN_COLUMNS = frozenset({"network", "region"})


def _draw_size(draw: Draw) -> int:
    return sum(int(row["sample"]) for row in draw.allocation_table)


def _previous_draw_choices(campaign: Campaign, current: Draw | None) -> list[tuple[str, str]]:
    """Other campaigns' current draws: a rotation keeps part of last year's panel.

    The draw the current one rotated from stays offered even if it was replaced since, so
    that the form, which starts from the current draw's parameters, can be sent as it is.
    """
    choices = []
    for other in campaigns.list_campaigns(db.session):
        draw = sample_draws.current_draw(db.session, other) if other.id != campaign.id else None
        if draw is not None:
            label = f"{other.name} ({other.year}) · tirage n° {draw.id}, {_draw_size(draw)} sites"
            choices.append((str(draw.id), label))
    previous_id = current.parameters.get("previous_draw") if current else None
    if previous_id and str(previous_id) not in {value for value, _ in choices}:
        try:
            previous = sample_draws.get_draw(db.session, int(previous_id))
        except NotFound:
            return choices
        other = previous.campaign
        choices.append(
            (
                str(previous.id),
                f"{other.name} ({other.year}) · tirage n° {previous.id}, "
                f"{_draw_size(previous)} sites (remplacé depuis)",
            )
        )
    return choices


def _filters() -> dict[str, str | None]:
    return {
        "network": request.args.get("network") or None,
        "region": request.args.get("region") or None,
    }


def _page(
    campaign: Campaign,
    form: DrawForm,
    current: Draw | None,
    *,
    preview: AllocationPreview | None = None,
    error: str | None = None,
    details: list[str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    filters = _filters()
    sites = sample_draws.sampled_sites(db.session, current, **filters) if current else []
    strata = list(current.parameters.get("strata") or []) if current else []
    return render_template(
        "coordinator/sample.html",
        campaign=campaign,
        form=form,
        draw=current,
        draw_size=_draw_size(current) if current else 0,
        created_by=current.created_by if current else None,
        overlap=sample_draws.overlap_summary(current) if current else None,
        sites=paginate(sites, requested_page()),
        show_stratum=not set(strata) <= SHOWN_COLUMNS,
        filters=filters,
        summary=campaigns.frame_summary(db.session, campaign),
        preview=preview,
        preview_strata=strata_label(form.strata.data or ()),
        error=error,
        error_details=details or [],
        column_label=column_label,
        strata_label=strata_label,
        allocation_labels=ALLOCATION_LABELS,
        method_labels=DRAW_METHOD_LABELS,
    ), status


@bp.route("/campagnes/<int:campaign_id>/echantillon", methods=["GET", "POST"])
@page_roles(Role.COORDINATOR)
def sample(campaign_id: int) -> tuple[str, int] | Redirect:
    """Preview renders the allocation and draws nothing; a draw commits, then redirects.

    The form starts from the current draw's parameters (a new draw is most often the same
    design with one change); errors are listed at the top of the form, where the page lands.
    """
    campaign = campaigns.get_campaign(db.session, campaign_id)
    current = sample_draws.current_draw(db.session, campaign)
    form = DrawForm(
        data=DrawForm.defaults(current.parameters if current else None, seed=campaign.year)
    )
    form.set_choices(
        sample_draws.frame_columns(db.session, campaign),
        _previous_draw_choices(campaign, current),
    )
    if not form.is_submitted():
        return _page(campaign, form, current)
    if not form.validate():
        return _page(campaign, form, current, error="Vérifiez les champs signalés.", status=422)
    asked = form.draw_request()
    try:
        if form.preview.data:
            preview = sample_draws.preview_allocation(db.session, campaign, asked)
            return _page(campaign, form, current, preview=preview)
        draw = sample_draws.draw_sample(
            db.session,
            campaign,
            asked,
            actor=current_user._get_current_object(),
            confirm=form.confirm.data,
        )
    except ConfirmationRequired:
        db.session.rollback()
        form.confirm.errors = ["Cochez cette case pour remplacer le tirage actuel."]
        message = (
            f"Cette campagne a déjà un tirage (n° {current.id if current else '?'}). Cochez "
            "« Remplacer le tirage actuel » pour le remplacer ; l’ancien sera conservé comme "
            "remplacé."
        )
        return _page(campaign, form, current, error=message, status=409)
    except ServiceError as failure:
        db.session.rollback()
        others = form.add_service_errors(failure.errors or {})
        return _page(
            campaign, form, current, error=failure.message, details=others, status=failure.status
        )
    db.session.commit()
    flash(f"Échantillon tiré : {_draw_size(draw)} sites (tirage n° {draw.id}).", "success")
    return redirect(url_for("coordinator.sample", campaign_id=campaign.id))


def _csv_row(row: SampledSite) -> tuple[Cell, ...]:
    site = row.site
    return (
        site.code,
        site.name,
        site.network,
        site.region,
        site.department,
        site.city,
        site.postcode,
        site.address,
        site.email,
        site.phone,
        opening_hours_text(site.opening_hours),
        row.stratum,
        row.inclusion_probability,
        row.weight,
    )


@bp.route("/campagnes/<int:campaign_id>/echantillon.csv")
@page_roles(Role.COORDINATOR, Role.ANALYST)
def sample_csv(campaign_id: int) -> Response:
    """Every drawn site (same filters as the page, never its pagination) as a CSV French
    Excel opens as it is, with what fieldwork needs: address, email, phone, opening hours."""
    campaign = campaigns.get_campaign(db.session, campaign_id)
    draw = sample_draws.current_draw(db.session, campaign)
    if draw is None:
        raise NotFound("Aucun échantillon n’a encore été tiré pour cette campagne.")
    rows: Iterator[tuple[Cell, ...]] = (
        _csv_row(row) for row in sample_draws.sampled_sites(db.session, draw, **_filters())
    )
    return Response(
        csv_bytes(SAMPLE_CSV_HEADER, rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="echantillon-{campaign.year}.csv"'},
    )
