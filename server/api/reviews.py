"""Reviewing reports: a wave's review queue with its automatic flags, one decision, bulk
approval of the unflagged reports, the comment library and a report's audit trail
(DOMAIN.md §6; the rules are in ``server.services.review``, ``review_queue`` and
``review_flags``). Coordinators decide; analysts read; investigators have none of it."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters
from marshmallow import Schema, fields, validate

from server.api.blueprint import Blueprint
from server.api.pagination import paginate
from server.auth import api_roles, api_user
from server.extensions import db
from server.models import Report, ReportStatus, ReviewComment, ReviewDecision, Role
from server.services import missions, review, review_comments, waves
from server.services.review_flags import FLAG_LABELS, Flag
from server.services.review_queue import ANY_FLAG, NO_FLAG, QueueFilters, review_queue, wave_flags
from survey_schemas import CHANNELS

blp = Blueprint("reviews_api", __name__, url_prefix="/api/v1", description="Revue des rapports")

READERS = (Role.COORDINATOR, Role.ANALYST)
DECISIONS = [d.value for d in ReviewDecision]
#: The queue's status filter: a report status (drafts are never reviewed), or ``all``.
QUEUE_STATUSES = [s.value for s in ReportStatus if s != ReportStatus.DRAFT] + ["all"]


# --- schemas ------------------------------------------------------------------------------


class FlagSchema(Schema):
    code = fields.String(metadata={"description": "Stable code: " + ", ".join(FLAG_LABELS)})
    label = fields.String()
    message = fields.String()


class ReviewOutSchema(Schema):
    id = fields.Integer()
    decision = fields.String(attribute="decision.value")
    comment = fields.String()
    reviewer_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class PhotoRefSchema(Schema):
    id = fields.Integer()
    sha256 = fields.String()
    question_id = fields.String(allow_none=True)
    url = fields.Function(lambda photo: f"/api/v1/photos/{photo.id}")


class ReportSiteSchema(Schema):
    id = fields.Integer()
    site_id = fields.String(attribute="code")
    name = fields.String()
    city = fields.String(allow_none=True)
    network = fields.String()
    region = fields.String()
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)


def _position(report: Report) -> dict[str, Any] | None:
    if report.latitude is None or report.longitude is None:
        return None
    return {
        "latitude": report.latitude,
        "longitude": report.longitude,
        "accuracy_m": report.position_accuracy_m,
    }


class QueueItemSchema(Schema):
    """A report as the reviewer sees it in a list."""

    id = fields.Integer()
    mission_id = fields.Integer()
    wave_id = fields.Integer(attribute="mission.wave_id")
    channel = fields.String(attribute="mission.channel")
    site = fields.Nested(ReportSiteSchema, attribute="mission.sampled_site.site")
    investigator_id = fields.Integer()
    status = fields.String(attribute="status.value")
    version = fields.Integer()
    started_at = fields.DateTime(allow_none=True)
    ended_at = fields.DateTime(allow_none=True)
    time_zone = fields.String(attribute="mission.time_zone")
    submitted_at = fields.DateTime(allow_none=True)
    flags = fields.List(fields.Nested(FlagSchema), attribute="review_flags")


class StaffReportSchema(QueueItemSchema):
    """One report with everything a reviewer reads: answers, evidence, photos, reviews."""

    questionnaire_id = fields.Integer(allow_none=True)
    answers = fields.Dict()
    scores = fields.Dict(allow_none=True)
    position = fields.Function(_position)
    location_declined = fields.Boolean()
    clock_offset_seconds = fields.Float(allow_none=True)
    photos = fields.List(fields.Nested(PhotoRefSchema))
    reviews = fields.List(fields.Nested(ReviewOutSchema))


class DecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    comment = fields.String(load_default="", validate=validate.Length(max=review.MAX_COMMENT))
    comment_id = fields.Integer(
        load_default=None,
        allow_none=True,
        metadata={"description": "A comment of the library, put before ``comment``."},
    )
    version = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1),
        metadata={"description": "The report version the reviewer read: 409 if it changed."},
    )


class QueueFilterSchema(Schema):
    status = fields.String(load_default="submitted", validate=validate.OneOf(QUEUE_STATUSES))
    channel = fields.String(load_default=None, validate=validate.OneOf(CHANNELS))
    network = fields.String(load_default=None)
    region = fields.String(load_default=None)
    investigator_id = fields.Integer(load_default=None)
    flag = fields.String(
        load_default=None,
        validate=validate.OneOf([*FLAG_LABELS, ANY_FLAG, NO_FLAG]),
        metadata={"description": "A flag code, `any` (flagged) or `none` (unflagged)."},
    )


class QueueSummarySchema(Schema):
    considered = fields.Integer()
    flagged = fields.Integer()
    unflagged = fields.Integer()
    by_flag = fields.Dict(keys=fields.String(), values=fields.Integer())


class BulkFilterSchema(Schema):
    channel = fields.String(load_default=None, validate=validate.OneOf(CHANNELS))
    network = fields.String(load_default=None)
    region = fields.String(load_default=None)
    investigator_id = fields.Integer(load_default=None)
    comment = fields.String(load_default="", validate=validate.Length(max=review.MAX_COMMENT))


class BulkResultSchema(Schema):
    approved = fields.Integer()
    skipped_flagged = fields.Integer()
    skipped_decided = fields.Integer()
    approved_ids = fields.List(fields.Integer())


class CommentSchema(Schema):
    id = fields.Integer()
    text = fields.String()
    decision = fields.Function(lambda c: c.decision.value if c.decision else None)
    active = fields.Boolean()
    created_at = fields.DateTime()


class CommentCreateSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=review.MAX_COMMENT))
    decision = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(DECISIONS),
        metadata={"description": "The decision it is written for; none: any."},
    )


class CommentFilterSchema(Schema):
    decision = fields.String(load_default=None, validate=validate.OneOf(DECISIONS))
    include_inactive = fields.Boolean(load_default=False)


class CommentPatchSchema(Schema):
    active = fields.Boolean(required=True)


class AuditEventSchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    action = fields.String()
    label = fields.Function(lambda e: review.AUDIT_LABELS.get(e.action, e.action))
    actor_id = fields.Integer(allow_none=True)
    actor = fields.String(attribute="actor_name", allow_none=True)
    entity_type = fields.String(allow_none=True)
    entity_id = fields.String(allow_none=True)
    details = fields.Dict()


# --- helpers ------------------------------------------------------------------------------


def _with_flags(report: Report, flags: list[Flag]) -> Report:
    report.review_flags = [flag.as_dict() for flag in flags]  # type: ignore[attr-defined]
    return report


def _page(rows: list[Any], pagination: PaginationParameters) -> list[Any]:
    pagination.item_count = len(rows)
    return rows[pagination.first_item : pagination.first_item + pagination.page_size]


def _filters(data: dict[str, Any]) -> QueueFilters:
    status = data.get("status")
    return QueueFilters(
        status=None if status == "all" else status,
        channel=data.get("channel"),
        network=data.get("network"),
        region=data.get("region"),
        investigator_id=data.get("investigator_id"),
        flag=data.get("flag"),
    )


# --- routes -------------------------------------------------------------------------------


@blp.route("/reports/<int:report_id>")
class ReportById(MethodView):
    @api_roles(*READERS)
    @blp.response(200, StaffReportSchema)
    def get(self, report_id: int) -> Report:
        """One report with its answers, evidence, photos, reviews and automatic flags."""
        report = review.get_report(db.session, report_id)
        flags = wave_flags(db.session, report.mission.wave, [report.id]).get(report.id, [])
        return _with_flags(report, flags)


@blp.route("/reports/<int:report_id>/review")
class ReportReview(MethodView):
    @api_roles(Role.COORDINATOR)
    @blp.arguments(DecisionSchema)
    @blp.response(200, StaffReportSchema)
    def post(self, data: dict[str, Any], report_id: int) -> Report:
        """Approve, return for correction or reject a submitted report (a comment is required
        to return or reject; ``comment_id`` puts a library comment first). Only a submitted
        report is reviewed (409 naming its status); ``version`` other than the report's, or
        another reviewer deciding first, is a 409 too. A returned report goes back to its
        investigator with the comment."""
        actor = api_user()
        report = review.get_report(db.session, report_id)
        comment = review_comments.compose(db.session, data["comment_id"], data["comment"])
        made = review.review(
            db.session,
            report,
            decision=data["decision"],
            comment=comment,
            actor=actor,
            expected_version=data["version"],
        )
        db.session.commit()
        flags = wave_flags(db.session, made.report.mission.wave, [report.id])
        return _with_flags(made.report, flags.get(report.id, []))


@blp.route("/reports/<int:report_id>/audit")
class ReportAudit(MethodView):
    @api_roles(*READERS)
    @blp.response(200, AuditEventSchema(many=True))
    @blp.paginate(page_size=100, max_page_size=500)
    def get(self, report_id: int, pagination_parameters: PaginationParameters) -> list[Any]:
        """The report's audit trail, oldest first: saves, submissions, photos, reviews."""
        report = review.get_report(db.session, report_id)
        events = review.report_audit(db.session, report)
        names = review.actor_names(db.session, events)
        for event in events:
            event.actor_name = names.get(event.actor_id or 0)  # type: ignore[attr-defined]
        return _page(events, pagination_parameters)


@blp.route("/missions/<int:mission_id>/reports")
class MissionReports(MethodView):
    @api_roles(*READERS)
    @blp.response(200, StaffReportSchema(many=True))
    @blp.paginate(page_size=50, max_page_size=200)
    def get(self, mission_id: int, pagination_parameters: PaginationParameters) -> list[Any]:
        """Every report of the mission, latest first, with reviews and automatic flags."""
        mission = missions.mission_for(db.session, mission_id, api_user())
        rows = review.mission_reports(db.session, mission)
        flags = wave_flags(db.session, mission.wave, [r.id for r in rows]) if rows else {}
        return _page([_with_flags(r, flags.get(r.id, [])) for r in rows], pagination_parameters)


@blp.route("/waves/<int:wave_id>/review-queue")
class WaveReviewQueue(MethodView):
    @api_roles(*READERS)
    @blp.arguments(QueueFilterSchema, location="query")
    @blp.response(200, QueueItemSchema(many=True))
    @blp.paginate(page_size=50, max_page_size=500)
    def get(
        self, filters: dict[str, Any], wave_id: int, pagination_parameters: PaginationParameters
    ) -> list[Any]:
        """The wave's reports to review (``status`` submitted by default), oldest sent first,
        each with its automatic flags; filters by channel, network, region, investigator and
        flag (a code, ``any`` or ``none``)."""
        wave = waves.get_wave(db.session, wave_id)
        queue = review_queue(db.session, wave, _filters(filters))
        rows = [_with_flags(row.report, row.flags) for row in queue.rows]
        return _page(rows, pagination_parameters)


@blp.route("/waves/<int:wave_id>/review-queue/summary")
class WaveReviewSummary(MethodView):
    @api_roles(*READERS)
    @blp.arguments(QueueFilterSchema, location="query")
    @blp.response(200, QueueSummarySchema)
    def get(self, filters: dict[str, Any], wave_id: int) -> dict[str, Any]:
        """How many reports the filters keep (the flag filter aside), flagged or not, and per
        flag code."""
        wave = waves.get_wave(db.session, wave_id)
        queue = review_queue(db.session, wave, _filters({**filters, "flag": None}))
        return {
            "considered": queue.considered,
            "flagged": queue.flagged,
            "unflagged": queue.unflagged,
            "by_flag": queue.by_flag,
        }


@blp.route("/waves/<int:wave_id>/review/approve-unflagged")
class WaveApproveUnflagged(MethodView):
    @api_roles(Role.COORDINATOR)
    @blp.arguments(BulkFilterSchema)
    @blp.response(200, BulkResultSchema)
    def post(self, data: dict[str, Any], wave_id: int) -> dict[str, Any]:
        """Approve the wave's submitted reports that carry no automatic flag, among those the
        filters keep (channel, network, region, investigator); each is reviewed and audited
        on its own. Flagged reports are left for a person to read."""
        wave = waves.get_wave(db.session, wave_id)
        outcome = review.approve_unflagged(
            db.session, wave, _filters(data), actor=api_user(), comment=data["comment"]
        )
        db.session.commit()
        return outcome.as_dict()


@blp.route("/review-comments")
class ReviewComments(MethodView):
    @api_roles(*READERS)
    @blp.arguments(CommentFilterSchema, location="query")
    @blp.response(200, CommentSchema(many=True))
    @blp.paginate(page_size=100, max_page_size=500)
    def get(self, filters: dict[str, Any], pagination_parameters: PaginationParameters) -> Any:
        """The comment library (active comments; ``decision`` keeps those written for it and
        those that suit any decision)."""
        statement = review_comments.comments_query(
            decision=filters["decision"], active_only=not filters["include_inactive"]
        )
        return paginate(statement, pagination_parameters)

    @api_roles(Role.COORDINATOR)
    @blp.arguments(CommentCreateSchema)
    @blp.response(201, CommentSchema)
    def post(self, data: dict[str, Any]) -> ReviewComment:
        """Add a comment to the library (the same text twice is a 409)."""
        comment = review_comments.add_comment(
            db.session, data["text"], decision=data["decision"], actor=api_user()
        )
        db.session.commit()
        return comment


@blp.route("/review-comments/<int:comment_id>")
class ReviewCommentById(MethodView):
    @api_roles(Role.COORDINATOR)
    @blp.arguments(CommentPatchSchema)
    @blp.response(200, CommentSchema)
    def patch(self, data: dict[str, Any], comment_id: int) -> ReviewComment:
        """Switch a library comment off (or on again); reviews keep their own copy."""
        comment = review_comments.get_comment(db.session, comment_id)
        review_comments.set_active(db.session, comment, data["active"], actor=api_user())
        db.session.commit()
        return comment
