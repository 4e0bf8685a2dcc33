"""A wave's missions: the filtered table and its CSV, and one mission's page, where a
coordinator moves it to another investigator or records the reply to an email or letter.

Analysts read the table, the CSV and the mission pages; every write is the coordinator's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response as Redirect

from exports.csv_safe import Cell, csv_bytes
from server.auth import page_roles
from server.downloads import reply_scan_response
from server.extensions import db
from server.models import CHANNEL_LABELS, Mission, Role, Wave, WaveStatus
from server.services import (
    assignments,
    investigators,
    missions,
    replies,
    reply_scans,
    scenarios,
    waves,
)
from server.services.assignment.rules import RULE_LABELS
from server.services.assignments import RuleBroken
from server.services.errors import NotFound, ServiceError
from server.services.mission_lifecycle import OPEN, STATUS_LABELS
from server.services.mission_plan import REPLY_CHANNELS
from server.services.wave_progress import investigator_loads, wave_progress
from server.web.coordinator.labels import opening_hours_text
from server.web.coordinator.routes import bp
from server.web.coordinator.wave_forms import (
    ReassignForm,
    ReplyForm,
    RequestSentForm,
    put_service_errors,
    readable_message,
)
from server.web.coordinator.wave_routes import (
    STATUS_ORDER,
    Rendered,
    actor,
    may_edit,
)
from server.web.mission_text import local_text, window_text
from server.web.pagination import paginate_query, requested_page
from survey_schemas import CHANNELS

#: The table's filters, as the query string names them.
FILTERS = ("channel", "status", "network", "region", "assignee", "rule", "q")

MISSIONS_CSV_HEADER = (
    "Code site",
    "Site",
    "Réseau",
    "Région",
    "Commune",
    "Canal",
    "Test n°",
    "Début de la fenêtre",
    "Fin de la fenêtre",
    "Fuseau horaire",
    "Scénario",
    "Texte du scénario",
    "Enquêteur",
    "Statut",
    "Règle",
    "Motif",
)


def _filters() -> dict[str, str]:
    return {name: value for name in FILTERS if (value := request.args.get(name, "").strip())}


def _query(wave: Wave, filters: dict[str, str]) -> Any:
    assignee = filters.get("assignee", "")
    return missions.missions_query(
        wave,
        channel=filters.get("channel"),
        status=filters.get("status"),
        network=filters.get("network"),
        region=filters.get("region"),
        assignee_id=int(assignee) if assignee.isdigit() else None,
        rule=filters.get("rule"),
        q=filters.get("q"),
    )


def _scenario_titles(rows: list[Mission]) -> dict[int, str]:
    ids = {m.scenario_id for m in rows if m.scenario_id is not None}
    found = {}
    for scenario_id in ids:
        try:
            found[scenario_id] = scenarios.get_scenario(db.session, scenario_id).title
        except NotFound:  # removed from the library since: the mission keeps its text
            continue
    return found


@bp.route("/vagues/<int:wave_id>/missions")
@page_roles(Role.COORDINATOR, Role.ANALYST)
def wave_missions(wave_id: int) -> str:
    wave = waves.get_wave(db.session, wave_id)
    filters = _filters()
    page = paginate_query(_query(wave, filters), requested_page())
    progress = wave_progress(db.session, wave)
    return render_template(
        "coordinator/missions.html",
        wave=wave,
        campaign=wave.campaign,
        missions=page,
        filters=filters,
        titles=_scenario_titles(list(page.items)),
        window_text=window_text,
        networks=[row.key for row in progress["by_network"]],
        regions=[row.key for row in progress["by_region"]],
        people=investigator_loads(db.session, wave),
        channels=CHANNELS,
        channel_labels=CHANNEL_LABELS,
        statuses=STATUS_ORDER,
        status_labels=STATUS_LABELS,
        rule_labels=RULE_LABELS,
    )


def _csv_rows(wave: Wave, filters: dict[str, str]) -> Iterator[tuple[Cell, ...]]:
    titles: dict[int, str] = {}
    for mission in db.session.scalars(_query(wave, filters)):
        if mission.scenario_id is not None and mission.scenario_id not in titles:
            titles.update(_scenario_titles([mission]))
        site = mission.site
        zone = ZoneInfo(mission.time_zone)
        yield (
            site.code,
            site.name,
            site.network,
            site.region,
            site.city,
            CHANNEL_LABELS.get(mission.channel, mission.channel),
            mission.ordinal,
            f"{mission.window_start.astimezone(zone):%d/%m/%Y %H:%M}",
            f"{mission.window_end.astimezone(zone):%d/%m/%Y %H:%M}",
            mission.time_zone,
            titles.get(mission.scenario_id or 0, ""),
            mission.scenario,
            mission.assignee.name if mission.assignee else "",
            STATUS_LABELS[mission.status],
            RULE_LABELS.get(mission.rule, mission.rule) if mission.rule else "",
            mission.reason or "",
        )


@bp.route("/vagues/<int:wave_id>/missions.csv")
@page_roles(Role.COORDINATOR, Role.ANALYST)
def wave_missions_csv(wave_id: int) -> Response:
    """Every mission of the filtered table (never its pagination), French headers."""
    wave = waves.get_wave(db.session, wave_id)
    return Response(
        csv_bytes(MISSIONS_CSV_HEADER, _csv_rows(wave, _filters())),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="missions-vague-{wave.id}.csv"'},
    )


# --- one mission -----------------------------------------------------------------------------


def _mission_page(
    mission: Mission,
    *,
    reassign_form: ReassignForm | None = None,
    reply_form: ReplyForm | None = None,
    sent_form: RequestSentForm | None = None,
    sent_error: str | None = None,
    broken: list[str] | None = None,
    reassign_error: str | None = None,
    reply_error: str | None = None,
    reply_details: list[str] | None = None,
    status: int = 200,
) -> Rendered:
    wave = mission.wave
    loads = investigator_loads(db.session, wave)
    form = reassign_form or ReassignForm(formdata=None)
    form.set_choices(loads)
    return render_template(
        "coordinator/missions_detail.html",
        mission=mission,
        wave=wave,
        campaign=wave.campaign,
        site=mission.site,
        window=window_text(mission),
        local_text=local_text,
        scenario_title=_scenario_titles([mission]).get(mission.scenario_id or 0),
        hours=opening_hours_text(mission.site.opening_hours),
        channel_labels=CHANNEL_LABELS,
        status_labels=STATUS_LABELS,
        rule_labels=RULE_LABELS,
        reassign_form=form,
        reassignable=mission.status in OPEN and wave.status == WaveStatus.OPEN,
        broken=broken or [],
        reassign_error=reassign_error,
        reply_form=reply_form or ReplyForm(formdata=None),
        sent_form=sent_form or RequestSentForm(formdata=None),
        sent_error=sent_error,
        takes_reply=mission.channel in REPLY_CHANNELS,
        reply_error=reply_error,
        reply_details=reply_details or [],
        can_edit=may_edit(),
    ), status


@bp.route("/missions/<int:mission_id>")
@page_roles(Role.COORDINATOR, Role.ANALYST)
def mission(mission_id: int) -> Rendered:
    return _mission_page(missions.mission_for(db.session, mission_id, current_user))


@bp.route("/missions/<int:mission_id>", methods=["POST"])
@page_roles(Role.COORDINATOR)
def mission_reassign(mission_id: int) -> Rendered | Redirect:
    """Give the mission to the investigator chosen. A broken rule refuses the move, naming
    it, and offers « Attribuer quand même » (with a confirmation), which the service audits."""
    mission = missions.mission_for(db.session, mission_id, current_user)
    form = ReassignForm()
    form.set_choices(investigator_loads(db.session, mission.wave))
    if not form.validate():
        return _mission_page(mission, reassign_form=form, status=422)
    try:
        person = investigators.get_investigator(db.session, form.investigator_id())
        broken = assignments.reassign_mission(
            db.session, mission, person, actor=actor(), force=form.forced
        )
    except RuleBroken as refusal:
        db.session.rollback()
        if form.force.data:
            form.force_confirm.errors = ["Cochez cette case pour passer outre."]
        return _mission_page(
            mission,
            reassign_form=form,
            broken=list(refusal.errors.get("rule", [])),
            reassign_error=refusal.message,
            status=refusal.status,
        )
    except ServiceError as failure:  # an inactive or unknown investigator, a closed wave…
        db.session.rollback()
        if isinstance(failure, NotFound) or "investigator_id" in failure.errors:
            form.investigator.errors = [*form.investigator.errors, failure.message]
            return _mission_page(mission, reassign_form=form, status=failure.status)
        return _mission_page(
            mission, reassign_form=form, reassign_error=failure.message, status=failure.status
        )
    db.session.commit()
    message = f"Mission attribuée à {person.name}."
    if broken:
        labels = ", ".join(RULE_LABELS.get(code, code).lower() for code in broken)
        message += f" Règle passée outre (consignée au journal) : {labels}."
    flash(message, "success")
    return redirect(url_for("coordinator.mission", mission_id=mission.id))


@bp.route("/missions/<int:mission_id>/reponse", methods=["POST"])
@page_roles(Role.COORDINATOR)
def mission_reply(mission_id: int) -> Rendered | Redirect:
    """Record the site's reply to an email or letter (a second one needs « correction »)."""
    mission = missions.mission_for(db.session, mission_id, current_user)
    form = ReplyForm()
    if not form.validate():
        return _mission_page(
            mission, reply_form=form, reply_error="Vérifiez les champs signalés.", status=422
        )
    try:
        replies.record_reply(
            db.session,
            mission,
            received_at=form.received_in(mission.time_zone),
            text=form.text.data,
            actor=actor(),
            correction=bool(form.correction.data),
        )
        scan = form.scan.data
        if scan and scan.filename:
            reply_scans.store_reply_scan(
                db.session,
                mission,
                scan.read(),
                folder=Path(current_app.config["UPLOAD_FOLDER"]),
                actor=actor(),
            )
    except ServiceError as failure:
        db.session.rollback()
        others = put_service_errors(form, failure.errors)
        message = readable_message(form, failure.message)
        if "correction" in failure.errors:  # the service's advice is the API's (« correction »)
            message = (
                message.partition(" Pour la corriger")[0]
                + f" Pour la remplacer, cochez « {form.correction.label.text} »."
            )
        return _mission_page(
            mission,
            reply_form=form,
            reply_error=message,
            reply_details=others,
            status=failure.status,
        )
    db.session.commit()
    flash("Réponse enregistrée.", "success")
    return redirect(url_for("coordinator.mission", mission_id=mission.id))


@bp.route("/missions/<int:mission_id>/envoi", methods=["POST"])
@page_roles(Role.COORDINATOR)
def mission_request_sent(mission_id: int) -> Rendered | Redirect:
    """Record when the email or letter left (the investigator may have told the desk)."""
    mission = missions.mission_for(db.session, mission_id, current_user)
    form = RequestSentForm()
    if not form.validate():
        return _mission_page(
            mission, sent_form=form, sent_error="Vérifiez la date d’envoi.", status=422
        )
    try:
        replies.record_request_sent(
            db.session, mission, form.sent_in(mission.time_zone), actor=actor()
        )
    except ServiceError as failure:
        db.session.rollback()
        put_service_errors(form, failure.errors)
        return _mission_page(
            mission, sent_form=form, sent_error=failure.message, status=failure.status
        )
    db.session.commit()
    flash("Envoi de la demande enregistré : la réponse est attendue.", "success")
    return redirect(url_for("coordinator.mission", mission_id=mission.id))


@bp.route("/missions/<int:mission_id>/reponse/numerisation")
@page_roles(Role.COORDINATOR, Role.ANALYST)
def mission_reply_scan(mission_id: int) -> Response:
    """The stored scan of the reply (kept outside the static folder)."""
    mission = missions.mission_for(db.session, mission_id, current_user)
    response = reply_scan_response(mission, Path(current_app.config["UPLOAD_FOLDER"]))
    if response is None:
        abort(404)
    return response
