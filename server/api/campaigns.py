"""Campaigns: one per barometer year."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters
from marshmallow import Schema, fields, validate

from server.api.blueprint import Blueprint
from server.api.pagination import paginate
from server.auth import api_roles, api_user
from server.extensions import db
from server.models import Campaign, Role
from server.services import campaigns

blp = Blueprint("campaigns_api", __name__, url_prefix="/api/v1/campaigns", description="Campagnes")

READERS = (Role.COORDINATOR, Role.ANALYST)


class CampaignCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    year = fields.Integer(required=True)
    referentiel = fields.String(load_default="marianne", validate=validate.Length(min=1, max=50))
    #: Latest stored version of the référentiel unless one is named.
    referentiel_version = fields.Integer(load_default=None, validate=validate.Range(min=1))


class CampaignSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    year = fields.Integer()
    referentiel = fields.String(attribute="referentiel_code")
    referentiel_version = fields.Integer()
    referentiel_id = fields.Integer()
    created_at = fields.DateTime()


@blp.route("")
class Campaigns(MethodView):
    @api_roles(*READERS)
    @blp.response(200, CampaignSchema(many=True))
    @blp.paginate(page_size=50, max_page_size=500)
    def get(self, pagination_parameters: PaginationParameters) -> list[Any]:
        """List campaigns, most recent year first."""
        return paginate(campaigns.campaigns_query(), pagination_parameters)

    @api_roles(Role.COORDINATOR)
    @blp.arguments(CampaignCreateSchema)
    @blp.response(201, CampaignSchema)
    def post(self, data: dict[str, Any]) -> Campaign:
        """Create a campaign."""
        campaign = campaigns.create_campaign(
            db.session,
            name=data["name"],
            year=data["year"],
            referentiel_code=data["referentiel"],
            referentiel_version=data["referentiel_version"],
            actor=api_user(),
        )
        db.session.commit()
        return campaign


@blp.route("/<int:campaign_id>")
class CampaignById(MethodView):
    @api_roles(*READERS)
    @blp.response(200, CampaignSchema)
    def get(self, campaign_id: int) -> Campaign:
        """One campaign."""
        return campaigns.get_campaign(db.session, campaign_id)
