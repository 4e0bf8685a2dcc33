"""The investigator's report of a mission, from the phone: reading it, saving its draft and
submitting it, each safely replayed after a lost connection (DESIGN.md §3.11; the rules are
in ``server.services.reports``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from server.api.blueprint import Blueprint
from server.api.schemas import moment
from server.auth import api_roles, api_user
from server.extensions import db
from server.models import Report, Role
from server.services import missions, reports
from server.services.errors import Conflict

blp = Blueprint("reports_api", __name__, url_prefix="/api/v1", description="Reports")


# --- schemas ------------------------------------------------------------------------------


class PositionSchema(Schema):
    latitude = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    longitude = fields.Float(required=True, validate=validate.Range(min=-180, max=180))
    accuracy_m = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=0))


class ReportWriteSchema(Schema):
    """What the phone sends to save a draft or to submit (the same payload for both)."""

    client_id = fields.UUID(required=True, metadata={"description": "Made by the phone."})
    answers = fields.Dict(keys=fields.String(), load_default=dict)
    base_version = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1),
        metadata={"description": "The server version the phone's copy is based on."},
    )
    started_at = moment(load_default=None, allow_none=True)
    ended_at = moment(load_default=None, allow_none=True)
    position = fields.Nested(PositionSchema, load_default=None, allow_none=True)
    location_declined = fields.Boolean(load_default=False)
    client_time = moment(
        load_default=None,
        allow_none=True,
        metadata={"description": "The phone's clock when sending: measures its offset."},
    )


class ReviewSchema(Schema):
    decision = fields.String(attribute="decision.value")
    comment = fields.String()
    created_at = fields.DateTime()


def _position(report: Report) -> dict[str, Any] | None:
    if report.latitude is None or report.longitude is None:
        return None
    return {
        "latitude": report.latitude,
        "longitude": report.longitude,
        "accuracy_m": report.position_accuracy_m,
    }


def _review(report: Report) -> dict[str, Any] | None:
    review = reports.latest_review(report)
    return ReviewSchema().dump(review) if review is not None else None


class ReportSchema(Schema):
    id = fields.Integer()
    mission_id = fields.Integer()
    investigator_id = fields.Integer()
    client_id = fields.String()
    questionnaire_id = fields.Integer(allow_none=True)
    status = fields.String(attribute="status.value")
    version = fields.Integer()
    answers = fields.Dict()
    #: Corrected by the phone's clock offset (server clock, UTC).
    started_at = fields.DateTime(allow_none=True)
    ended_at = fields.DateTime(allow_none=True)
    position = fields.Function(_position)
    location_declined = fields.Boolean()
    clock_offset_seconds = fields.Float(allow_none=True)
    flags = fields.List(fields.String())
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    submitted_at = fields.DateTime(allow_none=True)
    scores = fields.Dict(allow_none=True)
    review = fields.Function(_review)


def _payload(data: dict[str, Any]) -> reports.ReportPayload:
    position = data["position"]
    return reports.ReportPayload(
        client_id=str(data["client_id"]),
        answers=data["answers"],
        base_version=data["base_version"],
        started_at=data["started_at"],
        ended_at=data["ended_at"],
        position=reports.Position(**position) if position is not None else None,
        location_declined=data["location_declined"],
        client_time=data["client_time"],
    )


def _with_server_copy(error: reports.StaleVersion) -> Conflict:
    """The 409 of a stale write, carrying the server's copy for the phone to show."""
    return Conflict(error.message, {**error.errors, "server": ReportSchema().dump(error.report)})


# --- routes -------------------------------------------------------------------------------


@blp.route("/missions/<int:mission_id>/report")
class MissionReport(MethodView):
    @api_roles(Role.COORDINATOR, Role.ANALYST, Role.INVESTIGATOR)
    @blp.response(200, ReportSchema)
    def get(self, mission_id: int) -> Report:
        """The current report of the mission (an investigator's own mission only), with the
        latest review, so a returned report comes back with its comment; 404 before any."""
        user = api_user()
        mission = missions.mission_for(db.session, mission_id, user)
        return reports.current_report(db.session, mission, user)

    @api_roles(Role.INVESTIGATOR)
    @blp.arguments(ReportWriteSchema)
    @blp.response(200, ReportSchema)
    def put(self, data: dict[str, Any], mission_id: int) -> Report:
        """Save the draft (partial answers allowed; unknown questions and unreadable values
        refused per question id). The same content again changes nothing; other content
        over an older ``base_version`` is a 409 whose ``errors.server`` is the server's copy.
        Answers ``{version, updated_at, …}`` (the whole report)."""
        return _write(reports.save_draft, data, mission_id)


@blp.route("/missions/<int:mission_id>/report/submit")
class MissionReportSubmit(MethodView):
    @api_roles(Role.INVESTIGATOR)
    @blp.arguments(ReportWriteSchema)
    @blp.response(200, ReportSchema)
    def post(self, data: dict[str, Any], mission_id: int) -> Report:
        """Submit the report: fully validated (422 ``errors.answers`` per question id),
        scored, fingerprinted, and the mission moves on. The same payload again is a 200 with
        the same report; a different one after submission is a 409."""
        return _write(reports.submit, data, mission_id)


def _write(action: Callable[..., Report], data: dict[str, Any], mission_id: int) -> Report:
    """Save or submit the signed-in investigator's report of the mission, and commit; a stale
    copy is a 409 carrying the server's."""
    user = api_user()
    mission = missions.mission_for(db.session, mission_id, user)
    try:
        report = action(db.session, mission, _payload(data), actor=user)
    except reports.StaleVersion as error:
        db.session.rollback()
        raise _with_server_copy(error) from None
    db.session.commit()
    return report
