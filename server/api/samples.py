"""A campaign's sample: preview the allocation, draw, read the drawn sites."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from server.api.blueprint import Blueprint
from server.auth import api_roles, api_user
from server.extensions import db
from server.models import Draw, Role
from server.services import campaigns, sample_draws
from server.services.errors import NotFound

blp = Blueprint("samples_api", __name__, url_prefix="/api/v1/campaigns", description="Échantillon")


class DrawRequestSchema(Schema):
    size = fields.Integer(load_default=600, validate=validate.Range(min=1))
    strata = fields.List(fields.String(), load_default=["network", "region"])
    allocation = fields.String(
        load_default="proportional", validate=validate.OneOf(sample_draws.ALLOCATIONS)
    )
    minimum = fields.Integer(load_default=2, validate=validate.Range(min=0))
    seed = fields.Integer(required=True)
    draw = fields.String(load_default="srs", validate=validate.OneOf(sample_draws.DRAW_METHODS))
    sd = fields.Dict(keys=fields.String(), values=fields.Float(), load_default=None)
    order_by = fields.String(load_default=None)
    overlap = fields.Float(load_default=None, validate=validate.Range(min=0, max=1))
    previous_draw = fields.Integer(load_default=None)
    confirm = fields.Boolean(load_default=False)

    @validates_schema
    def _rotation_pairs(self, data: dict[str, Any], **_: Any) -> None:
        if (data.get("overlap") is None) != (data.get("previous_draw") is None):
            raise ValidationError(
                "La rotation demande à la fois « overlap » et « previous_draw ».", "overlap"
            )

    @post_load
    def _to_request(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        confirm = data.pop("confirm")
        data["strata"] = tuple(data["strata"])
        return {"request": sample_draws.DrawRequest(**data), "confirm": confirm}


class AllocationRowSchema(Schema):
    stratum = fields.String()
    population = fields.Integer()
    sample = fields.Integer()
    inclusion_probability = fields.Float()
    weight = fields.Float(allow_none=True)
    certainty = fields.Boolean()


class DrawSchema(Schema):
    id = fields.Integer()
    campaign_id = fields.Integer()
    parameters = fields.Dict()
    seed = fields.Integer()
    allocation = fields.List(fields.Nested(AllocationRowSchema), attribute="allocation_table")
    overlap_achieved = fields.Dict(allow_none=True)
    code_version = fields.String()
    is_current = fields.Boolean()
    locked = fields.Function(lambda draw: draw.locked_at is not None)
    created_at = fields.DateTime()
    created_by_id = fields.Integer(allow_none=True)
    size = fields.Function(lambda draw: len(draw.sampled_sites))


class SampledSiteSchema(Schema):
    site_id = fields.String(attribute="site.code")
    name = fields.String(attribute="site.name")
    network = fields.String(attribute="site.network")
    region = fields.String(attribute="site.region")
    department = fields.String(attribute="site.department", allow_none=True)
    city = fields.String(attribute="site.city", allow_none=True)
    stratum = fields.String()
    inclusion_probability = fields.Float()
    weight = fields.Float()
    certainty = fields.Boolean()


class SampleSchema(Schema):
    draw = fields.Nested(DrawSchema)
    sites = fields.List(fields.Nested(SampledSiteSchema))


class PreviewSchema(Schema):
    population = fields.Integer()
    strata = fields.Integer()
    allocation = fields.List(fields.Nested(AllocationRowSchema), attribute="rows")


class SampleFilterSchema(Schema):
    network = fields.String(load_default=None)
    region = fields.String(load_default=None)


@blp.route("/<int:campaign_id>/sample/preview")
class SamplePreview(MethodView):
    @api_roles(Role.COORDINATOR)
    @blp.arguments(DrawRequestSchema)
    @blp.response(200, PreviewSchema)
    def post(self, data: dict[str, Any], campaign_id: int) -> dict[str, Any]:
        """The allocation table a draw with these parameters would use; nothing is drawn."""
        campaign = campaigns.get_campaign(db.session, campaign_id)
        preview = sample_draws.preview_allocation(db.session, campaign, data["request"])
        return {
            "population": sum(preview.population.values()),
            "strata": len(preview.population),
            "rows": preview.rows,
        }


@blp.route("/<int:campaign_id>/sample")
class Sample(MethodView):
    @api_roles(Role.COORDINATOR)
    @blp.arguments(DrawRequestSchema)
    @blp.response(201, DrawSchema)
    def post(self, data: dict[str, Any], campaign_id: int) -> Draw:
        """Draw the sample. Replacing an unlocked draw needs ``confirm: true`` (409 otherwise);
        a draw used by a wave is locked (409)."""
        campaign = campaigns.get_campaign(db.session, campaign_id)
        draw = sample_draws.draw_sample(
            db.session, campaign, data["request"], actor=api_user(), confirm=data["confirm"]
        )
        db.session.commit()
        return draw

    @api_roles(Role.COORDINATOR, Role.ANALYST)
    @blp.arguments(SampleFilterSchema, location="query")
    @blp.response(200, SampleSchema)
    def get(self, filters: dict[str, Any], campaign_id: int) -> dict[str, Any]:
        """The current draw and its sites, with stratum, inclusion probability and weight."""
        campaign = campaigns.get_campaign(db.session, campaign_id)
        draw = sample_draws.current_draw(db.session, campaign)
        if draw is None:
            raise NotFound("Aucun échantillon n’a encore été tiré pour cette campagne.")
        return {"draw": draw, "sites": sample_draws.sampled_sites(db.session, draw, **filters)}
