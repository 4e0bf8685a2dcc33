"""A campaign's site frame: upload the ministry's file, list what was imported."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters
from marshmallow import Schema, fields
from sqlalchemy import select

from server.api.blueprint import Blueprint
from server.api.pagination import paginate
from server.api.uploads import RejectionSchema, UploadSchema, uploaded_file
from server.auth import api_roles, api_user
from server.extensions import db
from server.models import Role, Site
from server.services import campaigns
from server.services.frame_import import import_frame

blp = Blueprint(
    "sites_api", __name__, url_prefix="/api/v1/campaigns", description="Base de sondage"
)


class ImportResultSchema(Schema):
    imported = fields.Integer()
    updated = fields.Integer()
    rejected = fields.List(fields.Nested(RejectionSchema))
    encoding = fields.String(allow_none=True)
    delimiter = fields.String(allow_none=True)


class SiteSchema(Schema):
    id = fields.Integer()
    site_id = fields.String(attribute="code")
    name = fields.String()
    network = fields.String()
    region = fields.String()
    department = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    postcode = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    size = fields.Float(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    opening_hours = fields.Dict(allow_none=True)
    extra = fields.Dict()


class SiteFilterSchema(Schema):
    network = fields.String()
    region = fields.String()


@blp.route("/<int:campaign_id>/sites/import")
class FrameImport(MethodView):
    @api_roles(Role.COORDINATOR)
    @blp.arguments(UploadSchema, location="files")
    @blp.response(200, ImportResultSchema)
    def post(self, files: dict[str, Any], campaign_id: int) -> Any:
        """Import a frame file (CSV or XLSX, multipart field ``file``); rejected lines are
        listed with their line number and reason, the good ones written in one transaction."""
        campaign = campaigns.get_campaign(db.session, campaign_id)
        data, filename = uploaded_file("frame.csv")
        outcome = import_frame(
            db.session,
            campaign,
            data,
            filename,
            actor=api_user(),
            max_bytes=current_app.config["MAX_CONTENT_LENGTH"],
        )
        db.session.commit()
        return outcome


@blp.route("/<int:campaign_id>/sites")
class Sites(MethodView):
    @api_roles(Role.COORDINATOR, Role.ANALYST)
    @blp.arguments(SiteFilterSchema, location="query")
    @blp.response(200, SiteSchema(many=True))
    @blp.paginate(page_size=100, max_page_size=1000)
    def get(
        self, filters: dict[str, str], campaign_id: int, pagination_parameters: PaginationParameters
    ) -> list[Any]:
        """The campaign's frame, filterable by network and region."""
        campaign = campaigns.get_campaign(db.session, campaign_id)
        statement = select(Site).where(Site.campaign_id == campaign.id).order_by(Site.code)
        for name, value in filters.items():
            statement = statement.where(getattr(Site, name) == value)
        return paginate(statement, pagination_parameters)
