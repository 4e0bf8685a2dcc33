"""The scenario library: the requests investigators play, per network and channel; listed
with filters, created and edited, switched on and off, exported and imported as CSV.

A new wave takes the active scenarios of each site's network and channel; missions keep the
text they were given, so editing the library changes only the waves opened afterwards.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as Redirect

from server.auth import page_roles
from server.extensions import db
from server.models import CHANNEL_LABELS, Role, Scenario
from server.services import campaigns, scenarios
from server.services.errors import ServiceError
from server.services.scenarios import ImportOutcome
from server.web.coordinator.routes import bp
from server.web.coordinator.wave_forms import (
    ScenarioActivationForm,
    ScenarioForm,
    ScenarioImportForm,
    put_service_errors,
)
from server.web.coordinator.wave_routes import Rendered, actor
from server.web.pagination import paginate_query, requested_page
from survey_schemas import CHANNELS

#: Rejected lines shown on the page; a file rejected line after line needs fixing, not reading.
MAX_REJECTIONS_SHOWN = 1000


def _filters() -> dict[str, str]:
    network = request.values.get("network", "").strip()
    channel = request.values.get("channel", "").strip()
    return {
        key: value
        for key, value in (
            ("network", network),
            ("channel", channel if channel in CHANNELS else ""),
        )
        if value
    }


def _known_networks() -> list[str]:
    """Networks of the library and of every campaign's frame (for the filter and the form)."""
    names = {s.network for s in db.session.scalars(scenarios.scenarios_query())}
    for campaign in campaigns.list_campaigns(db.session):
        names.update(name for name, _ in campaigns.frame_summary(db.session, campaign).by_network)
    return sorted(names)


def _library(
    *,
    form: ScenarioForm | None = None,
    import_form: ScenarioImportForm | None = None,
    outcome: ImportOutcome | None = None,
    error: str | None = None,
    details: list[str] | None = None,
    import_error: str | None = None,
    status: int = 200,
) -> Rendered:
    filters = _filters()
    if form is None:
        form = ScenarioForm(formdata=None, data={"active": True, **filters})
    return render_template(
        "coordinator/scenarios.html",
        scenarios=paginate_query(
            scenarios.scenarios_query(filters.get("network"), filters.get("channel")),
            requested_page(),
        ),
        filters=filters,
        networks=_known_networks(),
        channels=CHANNELS,
        channel_labels=CHANNEL_LABELS,
        form=form,
        error=error,
        error_details=details or [],
        activation_form=ScenarioActivationForm(formdata=None),
        import_form=import_form or ScenarioImportForm(formdata=None),
        outcome=outcome,
        import_error=import_error,
        max_rejections=MAX_REJECTIONS_SHOWN,
    ), status


@bp.route("/scenarios")
@page_roles(Role.COORDINATOR)
def scenarios_list() -> Rendered:
    return _library()


@bp.route("/scenarios", methods=["POST"])
@page_roles(Role.COORDINATOR)
def scenario_create() -> Rendered | Redirect:
    form = ScenarioForm()
    if not form.validate():
        return _library(form=form, error="Vérifiez les champs signalés.", status=422)
    try:
        scenario = scenarios.create_scenario(db.session, **form.values(), actor=actor())
    except ServiceError as failure:
        db.session.rollback()
        others = put_service_errors(form, failure.errors)
        return _library(form=form, error=failure.message, details=others, status=failure.status)
    db.session.commit()
    flash(f"Scénario « {scenario.title} » ajouté.", "success")
    return redirect(
        url_for("coordinator.scenarios_list", network=scenario.network, channel=scenario.channel)
    )


def _edit_page(
    scenario: Scenario,
    form: ScenarioForm,
    *,
    error: str | None = None,
    details: list[str] | None = None,
    status: int = 200,
) -> Rendered:
    return render_template(
        "coordinator/scenarios_form.html",
        scenario=scenario,
        form=form,
        networks=_known_networks(),
        error=error,
        error_details=details or [],
    ), status


@bp.route("/scenarios/<int:scenario_id>", methods=["GET", "POST"])
@page_roles(Role.COORDINATOR)
def scenario_edit(scenario_id: int) -> Rendered | Redirect:
    scenario = scenarios.get_scenario(db.session, scenario_id)
    form = ScenarioForm(obj=scenario)
    if not form.is_submitted():
        return _edit_page(scenario, form)
    if not form.validate():
        return _edit_page(scenario, form, error="Vérifiez les champs signalés.", status=422)
    try:
        scenarios.update_scenario(db.session, scenario, form.values(), actor=actor())
    except ServiceError as failure:
        db.session.rollback()
        others = put_service_errors(form, failure.errors)
        if not failure.errors:  # a clash with another scenario's title
            form.title.errors = [*form.title.errors, failure.message]
        return _edit_page(
            scenario, form, error=failure.message, details=others, status=failure.status
        )
    db.session.commit()
    flash(f"Scénario « {scenario.title} » enregistré.", "success")
    return redirect(
        url_for("coordinator.scenarios_list", network=scenario.network, channel=scenario.channel)
    )


@bp.route("/scenarios/<int:scenario_id>/activation", methods=["POST"])
@page_roles(Role.COORDINATOR)
def scenario_activation(scenario_id: int) -> Redirect:
    """Switch a scenario on or off, then back to the list as it was (filters, page)."""
    scenario = scenarios.get_scenario(db.session, scenario_id)
    scenarios.update_scenario(db.session, scenario, {"active": not scenario.active}, actor=actor())
    db.session.commit()
    state = "activé : il sera proposé aux nouvelles vagues" if scenario.active else "désactivé"
    flash(f"Scénario « {scenario.title} » {state}.", "success")
    back: dict[str, Any] = dict(_filters())
    page = request.form.get("page", "")
    if page.isdigit():
        back["page"] = int(page)
    return redirect(url_for("coordinator.scenarios_list", **back))


@bp.route("/scenarios.csv")
@page_roles(Role.COORDINATOR)
def scenarios_csv() -> Response:
    """The library (with the list's filters) as a CSV the import reads back."""
    filters = _filters()
    rows = db.session.scalars(
        scenarios.scenarios_query(filters.get("network"), filters.get("channel"))
    )
    return Response(
        scenarios.export_csv(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="scenarios.csv"'},
    )


@bp.route("/scenarios/import", methods=["POST"])
@page_roles(Role.COORDINATOR)
def scenarios_import() -> Rendered:
    """Import a CSV: the report (added, updated, rejected lines) is rendered, not redirected
    to, since rejected lines are not stored."""
    form = ScenarioImportForm()
    if not form.validate():
        return _library(import_form=form, status=422)
    upload = form.file.data
    try:
        outcome = scenarios.import_csv(
            db.session,
            upload.read(),
            upload.filename or "scenarios.csv",
            actor=actor(),
            max_bytes=current_app.config["MAX_CONTENT_LENGTH"],
        )
    except ServiceError as failure:  # the file is refused whole
        db.session.rollback()
        return _library(import_form=form, import_error=failure.message, status=failure.status)
    db.session.commit()
    return _library(outcome=outcome)
