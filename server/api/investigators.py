"""Investigators: accounts with a field profile, managed by coordinators."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.pagination import PaginationParameters
from marshmallow import Schema, fields, validate

from server.api.pagination import paginate
from server.auth import api_roles, api_user
from server.extensions import db
from server.models import Role, User
from server.services import investigators
from survey_schemas import CHANNELS

blp = Blueprint(
    "investigators_api", __name__, url_prefix="/api/v1/investigators", description="Enquêteurs"
)


class InvestigatorCreateSchema(Schema):
    email = fields.Email(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    password = fields.String(required=True, load_only=True)
    home_commune = fields.String(required=True)
    home_latitude = fields.Float(required=True)
    home_longitude = fields.Float(required=True)
    capacity = fields.Integer(required=True)
    channels = fields.List(
        fields.String(validate=validate.OneOf(CHANNELS)), load_default=list(CHANNELS)
    )
    active = fields.Boolean(load_default=True)


class InvestigatorSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    home_commune = fields.String(attribute="investigator_profile.home_commune")
    home_latitude = fields.Float(attribute="investigator_profile.home_latitude")
    home_longitude = fields.Float(attribute="investigator_profile.home_longitude")
    capacity = fields.Integer(attribute="investigator_profile.capacity")
    channels = fields.List(fields.String(), attribute="investigator_profile.channels")
    active = fields.Boolean(attribute="investigator_profile.active")


@blp.route("")
class Investigators(MethodView):
    @blp.response(200, InvestigatorSchema(many=True))
    @blp.paginate(page_size=100, max_page_size=500)
    @api_roles(Role.COORDINATOR)
    def get(self, pagination_parameters: PaginationParameters) -> list[Any]:
        """List investigators with their profile."""
        return paginate(investigators.investigators_query(), pagination_parameters)

    @blp.arguments(InvestigatorCreateSchema)
    @blp.response(201, InvestigatorSchema)
    @api_roles(Role.COORDINATOR)
    def post(self, data: dict[str, Any]) -> User:
        """Create an investigator account and profile."""
        user = investigators.create_investigator(db.session, actor=api_user(), **data)
        db.session.commit()
        return user
