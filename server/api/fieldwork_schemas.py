"""marshmallow schemas of the fieldwork API: waves, missions, runs, replies."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from marshmallow import Schema, fields, validate

from server.api.schemas import moment
from server.api.sites import SiteSchema
from server.models import Mission
from survey_schemas import CHANNELS


class WaveCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    start = fields.Date(required=True)
    end = fields.Date(required=True)
    #: Tests per site and channel, flat ``{channel: n}`` or ``{default, networks}``.
    plan = fields.Dict(load_default=None)
    lockout_waves = fields.Integer(load_default=1, validate=validate.Range(min=0, max=10))
    reply_days = fields.Dict(keys=fields.String(), values=fields.Integer(), load_default=None)
    rules = fields.Dict(load_default=None)


class ProgressRowSchema(Schema):
    key = fields.String()
    label = fields.String()
    total = fields.Integer()
    done = fields.Integer()
    done_share = fields.Float()
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer())


class ProgressSchema(Schema):
    total = fields.Nested(ProgressRowSchema)
    by_channel = fields.List(fields.Nested(ProgressRowSchema))
    by_network = fields.List(fields.Nested(ProgressRowSchema))
    by_region = fields.List(fields.Nested(ProgressRowSchema))


class WaveSchema(Schema):
    id = fields.Integer()
    campaign_id = fields.Integer()
    draw_id = fields.Integer()
    name = fields.String()
    start = fields.Date()
    end = fields.Date()
    status = fields.String(attribute="status.value")
    plan = fields.Dict()
    reply_days = fields.Dict()
    lockout_waves = fields.Integer()
    rules = fields.Dict()
    closing = fields.Dict(allow_none=True)
    created_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    #: Counted for one wave (``GET /waves/{id}``, a new or closed wave); null in the lists.
    missions = fields.Integer(
        attribute="mission_count",
        dump_default=None,
        allow_none=True,
        metadata={"description": "Null in the lists: read GET /waves/{id}."},
    )
    progress = fields.Nested(
        ProgressSchema,
        dump_default=None,
        allow_none=True,
        metadata={"description": "Null in the lists: read GET /waves/{id}."},
    )


class AssigneeSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    email = fields.String()


def _local(mission: Mission, attribute: str) -> str | None:
    moment = getattr(mission, attribute)
    if moment is None:
        return None
    return str(moment.astimezone(ZoneInfo(mission.time_zone)).isoformat())


class MissionSchema(Schema):
    id = fields.Integer()
    wave_id = fields.Integer()
    site = fields.Nested(SiteSchema)
    stratum = fields.String(attribute="sampled_site.stratum")
    weight = fields.Float(attribute="sampled_site.weight")
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    ordinal = fields.Integer()
    scenario = fields.String()
    questionnaire_id = fields.Integer(allow_none=True)
    window_start = fields.DateTime()
    window_end = fields.DateTime()
    time_zone = fields.String()
    #: The window in the site's own zone (what the investigator reads).
    window_start_local = fields.Function(lambda m: _local(m, "window_start"))
    window_end_local = fields.Function(lambda m: _local(m, "window_end"))
    default_hours = fields.Boolean()
    assignee = fields.Nested(AssigneeSchema, allow_none=True)
    status = fields.String(attribute="status.value")
    reason = fields.String(allow_none=True)
    rule = fields.String(allow_none=True)
    sent_at = fields.DateTime(allow_none=True)
    reply_due_on = fields.Date(allow_none=True)
    reply_outcome = fields.Function(lambda m: m.reply_outcome.value if m.reply_outcome else None)
    reply_received_at = fields.DateTime(allow_none=True)
    reply_text = fields.String(allow_none=True)
    reply_working_days = fields.Integer(allow_none=True)


class MissionFilterSchema(Schema):
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    status = fields.String()
    network = fields.String()
    region = fields.String()
    assignee_id = fields.Integer()
    rule = fields.String()
    q = fields.String(metadata={"description": "Code or name of the site, in part."})


class UnassignableSchema(Schema):
    mission_id = fields.Integer()
    reason = fields.String()
    rule = fields.String()


class AssignResultSchema(Schema):
    """DESIGN.md §3.5: ``{assigned, unassignable: [{mission_id, reason}], total_km}``."""

    run_id = fields.Integer()
    assigned = fields.Integer()
    kept = fields.Integer()
    unassignable = fields.List(fields.Nested(UnassignableSchema))
    total_km = fields.Float()
    mean_km = fields.Float(allow_none=True)
    solve_seconds = fields.Float()
    fairness = fields.Float(allow_none=True)
    loads = fields.Dict()
    blocked_by_rule = fields.Dict()


class MissionAssignSchema(Schema):
    investigator_id = fields.Integer(required=True)
    force = fields.Boolean(load_default=False)


class RequestSentSchema(Schema):
    sent_at = moment(required=True)


class ReplySchema(Schema):
    received_at = moment(required=True)
    text = fields.String(load_default=None, validate=validate.Length(max=20_000))
    correction = fields.Boolean(load_default=False)
