"""The sample page: preview the allocation, draw (or replace) the sample, read and export it."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as Redirect

from exports.csv_safe import csv_bytes
from server.auth import page_roles
from server.extensions import db
from server.models import Campaign, Draw, Role
from server.services import campaigns, sample_draws
from server.services.errors import NotFound, ServiceError
from server.services.sample_draws import AllocationPreview, ConfirmationRequired
from server.web.coordinator.forms import DrawForm
from server.web.coordinator.labels import ALLOCATION_LABELS, DRAW_METHOD_LABELS, column_label
from server.web.coordinator.routes import bp

SAMPLE_CSV_HEADER = (
    "site_id",
    "nom",
    "réseau",
    "région",
    "département",
    "commune",
    "strate",
    "probabilité d’inclusion",
    "poids",
)


def _draw_size(draw: Draw) -> int:
    return sum(int(row["sample"]) for row in draw.allocation_table)


def _previous_draw_choices(campaign: Campaign) -> list[tuple[str, str]]:
    """Other campaigns' current draws: a rotation keeps part of last year's panel."""
    choices = []
    for other in campaigns.list_campaigns(db.session):
        draw = sample_draws.current_draw(db.session, other) if other.id != campaign.id else None
        if draw is not None:
            label = f"{other.name} ({other.year}) · tirage n° {draw.id}, {_draw_size(draw)} sites"
            choices.append((str(draw.id), label))
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
    details: dict[str, Any] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    filters = _filters()
    return render_template(
        "coordinator/sample.html",
        campaign=campaign,
        form=form,
        draw=current,
        draw_size=_draw_size(current) if current else 0,
        created_by=current.created_by if current else None,
        overlap=sample_draws.overlap_summary(current) if current else None,
        sites=sample_draws.sampled_sites(db.session, current, **filters) if current else [],
        filters=filters,
        summary=campaigns.frame_summary(db.session, campaign),
        preview=preview,
        error=error,
        error_details=details or {},
        column_label=column_label,
        allocation_labels=ALLOCATION_LABELS,
        method_labels=DRAW_METHOD_LABELS,
    ), status


@bp.route("/campagnes/<int:campaign_id>/echantillon", methods=["GET", "POST"])
@page_roles(Role.COORDINATOR)
def sample(campaign_id: int) -> tuple[str, int] | Redirect:
    """Preview renders the allocation and draws nothing; a draw commits, then redirects."""
    campaign = campaigns.get_campaign(db.session, campaign_id)
    current = sample_draws.current_draw(db.session, campaign)
    form = DrawForm(seed=campaign.year)
    form.set_choices(
        sample_draws.frame_columns(db.session, campaign), _previous_draw_choices(campaign)
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
        message = (
            f"Cette campagne a déjà un tirage (n° {current.id if current else '?'}). Cochez "
            "« Remplacer le tirage actuel » pour le remplacer ; l’ancien sera conservé comme "
            "remplacé."
        )
        return _page(campaign, form, current, error=message, status=409)
    except ServiceError as failure:
        db.session.rollback()
        return _page(
            campaign,
            form,
            current,
            error=failure.message,
            details=failure.errors,
            status=failure.status,
        )
    db.session.commit()
    flash(f"Échantillon tiré : {_draw_size(draw)} sites (tirage n° {draw.id}).", "success")
    return redirect(url_for("coordinator.sample", campaign_id=campaign.id))


@bp.route("/campagnes/<int:campaign_id>/echantillon.csv")
@page_roles(Role.COORDINATOR, Role.ANALYST)
def sample_csv(campaign_id: int) -> Response:
    """The drawn sites (same filters as the page) as a CSV French Excel opens as it is."""
    campaign = campaigns.get_campaign(db.session, campaign_id)
    draw = sample_draws.current_draw(db.session, campaign)
    if draw is None:
        raise NotFound("Aucun échantillon n’a encore été tiré pour cette campagne.")
    rows = (
        (
            s.site.code,
            s.site.name,
            s.site.network,
            s.site.region,
            s.site.department,
            s.site.city,
            s.stratum,
            s.inclusion_probability,
            s.weight,
        )
        for s in sample_draws.sampled_sites(db.session, draw, **_filters())
    )
    return Response(
        csv_bytes(SAMPLE_CSV_HEADER, rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="echantillon-{campaign.year}.csv"'},
    )
