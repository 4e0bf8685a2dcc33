"""Campaigns and their waves: creating a campaign, opening a wave on the drawn sample, and the
wave's dashboard (progress, assignment, loads, closing).

Analysts read the waves and the dashboard; every write is the coordinator's (or an admin's).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from server.auth import allowed, page_roles
from server.extensions import db
from server.models import CHANNEL_LABELS, Campaign, MissionStatus, Role, User, Wave
from server.services import (
    assignments,
    campaigns,
    referentiels,
    sample_draws,
    scenarios,
    wave_plans,
    wave_progress,
    waves,
)
from server.services.assignment.rules import RULE_LABELS
from server.services.errors import Invalid, ServiceError
from server.services.mission_lifecycle import STATUS_LABELS
from server.web.coordinator.routes import bp
from server.web.coordinator.wave_forms import (
    WAVE_ERROR_FIELDS,
    AssignForm,
    CampaignForm,
    CloseWaveForm,
    WaveForm,
    put_service_errors,
    wave_form,
)
from server.web.pagination import paginate, requested_page
from survey_schemas import CHANNELS

Rendered = tuple[str, int]

#: Columns of the progress tables, in the order fieldwork goes through them.
STATUS_ORDER = (
    MissionStatus.UNASSIGNED,
    MissionStatus.ASSIGNED,
    MissionStatus.AWAITING_REPLY,
    MissionStatus.OVERDUE,
    MissionStatus.DONE,
    MissionStatus.NOT_DONE,
    MissionStatus.CANCELLED,
)
WAVE_STATUS_LABELS = {"open": "Ouverte", "closed": "Close"}


def actor() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def may_edit() -> bool:
    """The signed-in user may write on the fieldwork pages (an analyst only reads)."""
    return allowed(current_user, (Role.COORDINATOR,))


# --- campaigns -------------------------------------------------------------------------------


def _campaign_page(
    form: CampaignForm,
    *,
    error: str | None = None,
    details: list[str] | None = None,
    status: int = 200,
) -> Rendered:
    return render_template(
        "coordinator/campaign_new.html", form=form, error=error, error_details=details or []
    ), status


@bp.route("/campagnes/nouvelle", methods=["GET", "POST"])
@page_roles(Role.COORDINATOR)
def campaign_new() -> Rendered | Response:
    """A new campaign on a stored référentiel; its frame is the next step."""
    form = CampaignForm()
    form.set_choices(referentiels.list_referentiels(db.session))
    if not form.is_submitted():
        return _campaign_page(form)
    if not form.validate():
        return _campaign_page(form, status=422)
    code, version = form.referentiel_asked()
    try:
        campaign = campaigns.create_campaign(
            db.session,
            name=form.name.data,
            year=form.year.data,
            referentiel_code=code,
            referentiel_version=version,
            actor=actor(),
        )
    except ServiceError as failure:  # an unknown référentiel names the stored ones
        db.session.rollback()
        others = put_service_errors(form, failure.errors)
        return _campaign_page(form, error=failure.message, details=others, status=failure.status)
    db.session.commit()
    flash(
        f"Campagne « {campaign.name} » créée : importez maintenant sa base de sondage.", "success"
    )
    return redirect(url_for("coordinator.frame", campaign_id=campaign.id))


# --- waves of a campaign ---------------------------------------------------------------------


@bp.route("/campagnes/<int:campaign_id>/vagues")
@page_roles(Role.COORDINATOR, Role.ANALYST)
def waves_list(campaign_id: int) -> str:
    campaign = campaigns.get_campaign(db.session, campaign_id)
    page = paginate(db.session.scalars(waves.waves_query(campaign.id)).all(), requested_page())
    return render_template(
        "coordinator/waves.html",
        campaign=campaign,
        waves=page,
        totals={w.id: wave_progress.overall(db.session, w) for w in page.items},
        wave_status_labels=WAVE_STATUS_LABELS,
        can_edit=may_edit(),
    )


def _sites_by_network(campaign: Campaign) -> dict[str, int]:
    draw = sample_draws.current_draw(db.session, campaign)
    if draw is None:
        return {}
    counts = Counter(row.site.network for row in sample_draws.sampled_sites(db.session, draw))
    return dict(sorted(counts.items()))


def _planned(plan: dict[str, Any] | None, sites: dict[str, int]) -> dict[str, Any] | None:
    """Missions the plan will generate, per network and channel (tests per site × sites);
    None when the plan itself is refused (its errors are then on the form)."""
    try:
        normalised = wave_plans.normalise_plan(plan)
    except Invalid:
        return None
    rows = []
    totals = dict.fromkeys(CHANNELS, 0)
    for network, count in sites.items():
        per_site = wave_plans.counts_for(normalised, network)
        missions = {c: per_site.get(c, 0) * count for c in CHANNELS}
        for channel, n in missions.items():
            totals[channel] += n
        rows.append(
            {"network": network, "sites": count, "per_site": per_site, "missions": missions}
        )
    return {
        "rows": rows,
        "totals": totals,
        "total": sum(totals.values()),
        "sites": sum(sites.values()),
    }


def _scenario_counts() -> Counter[tuple[str, str]]:
    """Active scenarios of the library per (network, channel)."""
    found: Counter[tuple[str, str]] = Counter()
    for scenario in db.session.scalars(scenarios.scenarios_query()):
        if scenario.active:
            found[(scenario.network, scenario.channel)] += 1
    return found


def _wave_page(
    campaign: Campaign,
    form: WaveForm,
    sites: dict[str, int],
    *,
    error: str | None = None,
    details: list[str] | None = None,
    status: int = 200,
) -> Rendered:
    plan_ok = not any(field.errors for field in form.plan_fields())
    return render_template(
        "coordinator/wave_new.html",
        campaign=campaign,
        form=form,
        sites=sites,
        planned=_planned(form.plan(), sites) if plan_ok else None,
        scenario_counts=_scenario_counts(),
        has_draw=sample_draws.current_draw(db.session, campaign) is not None,
        channels=CHANNELS,
        channel_labels=CHANNEL_LABELS,
        error=error,
        error_details=details or [],
    ), status


@bp.route("/campagnes/<int:campaign_id>/vagues/nouvelle", methods=["GET", "POST"])
@page_roles(Role.COORDINATOR)
def wave_new(campaign_id: int) -> Rendered | Response:
    """Preview recomputes the missions the plan will generate; opening commits and leads to
    the wave's dashboard. Errors are listed at the top of the form, where the page lands."""
    campaign = campaigns.get_campaign(db.session, campaign_id)
    sites = _sites_by_network(campaign)
    form = wave_form(list(sites))
    if not form.is_submitted():
        return _wave_page(campaign, form, sites)
    if not form.validate():
        return _wave_page(campaign, form, sites, error="Vérifiez les champs signalés.", status=422)
    if form.preview.data:
        return _wave_page(campaign, form, sites)
    try:
        wave = waves.open_wave(db.session, campaign, form.wave_request(), actor=actor())
    except ServiceError as failure:
        db.session.rollback()
        others = put_service_errors(form, failure.errors, WAVE_ERROR_FIELDS)
        return _wave_page(
            campaign, form, sites, error=failure.message, details=others, status=failure.status
        )
    db.session.commit()
    total = wave_progress.overall(db.session, wave).total
    flash(f"Vague « {wave.name} » ouverte : {total} missions générées.", "success")
    return redirect(url_for("coordinator.wave_dashboard", wave_id=wave.id))


# --- the wave's dashboard --------------------------------------------------------------------


def _dashboard(
    wave: Wave, *, close_form: CloseWaveForm | None = None, status: int = 200
) -> Rendered:
    overall = wave_progress.overall(db.session, wave)
    run = assignments.latest_run(db.session, wave)
    blocked = sorted(
        ((count, code) for code, count in (run.blocked_by_rule if run else {}).items()),
        key=lambda item: (-item[0], item[1]),
    )
    return render_template(
        "coordinator/wave_dashboard.html",
        wave=wave,
        campaign=wave.campaign,
        overall=overall,
        progress=wave_progress.wave_progress(db.session, wave),
        statuses=[s for s in STATUS_ORDER if overall.counts.get(s.value)],
        status_labels=STATUS_LABELS,
        run=run,
        run_summary=assignments.load_summary(run) if run else None,
        blocked=[(code, RULE_LABELS.get(code, code), count) for count, code in blocked],
        loads=wave_progress.investigator_loads(db.session, wave),
        overdue=overall.counts.get(MissionStatus.OVERDUE.value, 0),
        assign_form=AssignForm(formdata=None),
        close_form=close_form or CloseWaveForm(formdata=None),
        wave_status_labels=WAVE_STATUS_LABELS,
        can_edit=may_edit(),
    ), status


@bp.route("/vagues/<int:wave_id>")
@page_roles(Role.COORDINATOR, Role.ANALYST)
def wave_dashboard(wave_id: int) -> Rendered:
    return _dashboard(waves.get_wave(db.session, wave_id))


@bp.route("/vagues/<int:wave_id>/attribuer", methods=["POST"])
@page_roles(Role.COORDINATOR)
def wave_assign(wave_id: int) -> Rendered | Response:
    """Run the optimiser; missions already started stay with their investigator."""
    wave = waves.get_wave(db.session, wave_id)
    try:
        run = assignments.assign_wave(db.session, wave, actor=actor())
    except ServiceError as failure:
        db.session.rollback()
        flash(f"Attribution impossible : {failure.message}", "error")
        return redirect(url_for("coordinator.wave_dashboard", wave_id=wave.id))
    db.session.commit()
    flash(
        f"Attribution terminée : {run.assigned} missions attribuées, {run.kept} déjà commencées "
        f"conservées, {run.unassignable} non attribuables.",
        "success",
    )
    return redirect(url_for("coordinator.wave_dashboard", wave_id=wave.id))


@bp.route("/vagues/<int:wave_id>/clore", methods=["POST"])
@page_roles(Role.COORDINATOR)
def wave_close(wave_id: int) -> Rendered | Response:
    wave = waves.get_wave(db.session, wave_id)
    form = CloseWaveForm()
    if not form.validate_on_submit():
        return _dashboard(wave, close_form=form, status=422)
    try:
        closing = waves.close_wave(db.session, wave, actor=actor())
    except ServiceError as failure:  # already closed (a second click, another tab)
        db.session.rollback()
        flash(failure.message, "error")
        return redirect(url_for("coordinator.wave_dashboard", wave_id=wave.id))
    db.session.commit()
    flash(
        f"Vague « {wave.name} » close : {closing['not_done_total']} missions closes comme non "
        f"réalisées, {closing['no_reply_total']} réponses déclarées non reçues.",
        "success",
    )
    return redirect(url_for("coordinator.wave_dashboard", wave_id=wave.id))
