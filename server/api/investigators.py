"""Investigators: accounts with a field profile, managed by coordinators.

Every view checks the caller's role before anything reads the request: ``@api_roles`` is the
outermost decorator (under ``@blp.route``), so an anonymous or wrong-role caller gets 401 or
403 whatever body they sent, never a 422 that would describe the schema to them.
``functools.wraps`` carries flask-smorest's documentation attributes through it.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters
from marshmallow import Schema, fields, pre_dump, validate

from server.api.blueprint import Blueprint
from server.api.pagination import paginate
from server.api.uploads import RejectionSchema, UploadSchema, uploaded_file
from server.auth import api_roles, api_user
from server.extensions import db
from server.models import Role, User
from server.services import investigators
from server.services.investigator_import import import_investigators
from server.services.investigators import UpdateOutcome
from survey_schemas import CHANNELS

blp = Blueprint(
    "investigators_api", __name__, url_prefix="/api/v1/investigators", description="Enquêteurs"
)

_COORDINATES_REQUIRED: dict[str, Any] = {
    "required": "Coordonnées du domicile obligatoires (elles servent à calculer les trajets).",
    "null": "Coordonnées du domicile obligatoires (elles servent à calculer les trajets).",
    "invalid": "Nombre attendu (degrés décimaux).",
}
_INTEGER: dict[str, Any] = {"invalid": "Nombre entier attendu."}
_CHANNEL = fields.String(
    validate=validate.OneOf(CHANNELS, error="Canal inconnu : {input} (attendus : {choices}).")
)


class InvestigatorCreateSchema(Schema):
    email = fields.Email(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    password = fields.String(required=True, load_only=True)
    home_commune = fields.String(required=True)
    home_insee = fields.String(load_default=None, allow_none=True)
    home_latitude = fields.Float(required=True, error_messages=_COORDINATES_REQUIRED)
    home_longitude = fields.Float(required=True, error_messages=_COORDINATES_REQUIRED)
    capacity = fields.Integer(required=True, strict=True, error_messages=_INTEGER)
    #: Visits per wave at most; the capacity when not given, 0 for remote-only people.
    visit_capacity = fields.Integer(
        load_default=None, allow_none=True, strict=True, error_messages=_INTEGER
    )
    channels = fields.List(_CHANNEL, load_default=list(CHANNELS))
    #: ISO dates, or ranges « 2026-03-02..2026-03-06 ».
    unavailable_dates = fields.List(fields.String(), load_default=list)
    active = fields.Boolean(load_default=True)


class InvestigatorUpdateSchema(Schema):
    """Any of these, the others unchanged; ``active: false`` deactivates."""

    name = fields.String(validate=validate.Length(min=1, max=200))
    home_commune = fields.String()
    home_insee = fields.String(allow_none=True)
    home_latitude = fields.Float(error_messages=_COORDINATES_REQUIRED)
    home_longitude = fields.Float(error_messages=_COORDINATES_REQUIRED)
    capacity = fields.Integer(strict=True, error_messages=_INTEGER)
    visit_capacity = fields.Integer(strict=True, error_messages=_INTEGER)
    channels = fields.List(_CHANNEL)
    unavailable_dates = fields.List(fields.String())
    active = fields.Boolean()


class InvestigatorFilterSchema(Schema):
    active = fields.Boolean()
    channel = fields.String(validate=validate.OneOf(CHANNELS))


class InvestigatorSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    home_commune = fields.String()
    home_insee = fields.String(allow_none=True)
    home_latitude = fields.Float()
    home_longitude = fields.Float()
    capacity = fields.Integer()
    visit_capacity = fields.Integer()
    channels = fields.List(fields.String())
    unavailable_dates = fields.List(fields.String())
    #: The profile and the account are switched on and off together.
    active = fields.Boolean()

    @pre_dump
    def _flatten(self, obj: Any, **_: Any) -> Any:
        if isinstance(obj, User):
            return {"id": obj.id, "email": obj.email, **investigators.profile_values(obj)}
        return obj


class InvestigatorUpdateResultSchema(InvestigatorSchema):
    #: Open missions taken back by a deactivation, to reassign.
    released_missions = fields.List(fields.Integer())

    @pre_dump
    def _outcome(self, obj: Any, **_: Any) -> Any:
        if isinstance(obj, UpdateOutcome):
            return {
                "id": obj.user.id,
                "email": obj.user.email,
                **investigators.profile_values(obj.user),
                "released_missions": [m.id for m in obj.released_missions],
            }
        return obj


class InvestigatorImportResultSchema(Schema):
    imported = fields.Integer()
    updated = fields.Integer()
    rejected = fields.List(fields.Nested(RejectionSchema))
    #: New accounts have no usable password: an administrator must set one.
    password_reset_needed = fields.List(fields.String())
    released_missions = fields.List(fields.Integer(), attribute="released_mission_ids")
    encoding = fields.String(allow_none=True)
    delimiter = fields.String(allow_none=True)


@blp.route("")
class Investigators(MethodView):
    @api_roles(Role.COORDINATOR)
    @blp.arguments(InvestigatorFilterSchema, location="query")
    @blp.response(200, InvestigatorSchema(many=True))
    @blp.paginate(page_size=100, max_page_size=500)
    def get(self, filters: dict[str, Any], pagination_parameters: PaginationParameters) -> Any:
        """List investigators with their profile (filters: ``active``, ``channel``)."""
        statement = investigators.investigators_query(**filters)
        return paginate(statement, pagination_parameters)

    @api_roles(Role.COORDINATOR)
    @blp.arguments(InvestigatorCreateSchema)
    @blp.response(201, InvestigatorSchema)
    def post(self, data: dict[str, Any]) -> User:
        """Create an investigator account and profile."""
        user = investigators.create_investigator(db.session, actor=api_user(), **data)
        db.session.commit()
        return user


@blp.route("/<int:user_id>")
class InvestigatorById(MethodView):
    @api_roles(Role.COORDINATOR)
    @blp.response(200, InvestigatorSchema)
    def get(self, user_id: int) -> User:
        """One investigator with their profile."""
        return investigators.get_investigator(db.session, user_id)

    @api_roles(Role.COORDINATOR)
    @blp.arguments(InvestigatorUpdateSchema)
    @blp.response(200, InvestigatorUpdateResultSchema)
    def patch(self, changes: dict[str, Any], user_id: int) -> UpdateOutcome:
        """Change the name or profile fields given; ``active: false`` deactivates the person
        and their account and takes back their open missions (``released_missions``)."""
        user = investigators.get_investigator(db.session, user_id)
        outcome = investigators.update_investigator(db.session, user, changes, actor=api_user())
        db.session.commit()
        return outcome


@blp.route("/import")
class InvestigatorImport(MethodView):
    @api_roles(Role.COORDINATOR)
    @blp.arguments(UploadSchema, location="files")
    @blp.response(200, InvestigatorImportResultSchema)
    def post(self, files: dict[str, Any]) -> Any:
        """Import investigators from a CSV or XLSX file (multipart field ``file``).

        Known e-mails update their investigator; new ones create an account without a usable
        password (listed in ``password_reset_needed``). Rejected lines come with their number
        and reason; the good ones are written in one transaction.
        """
        data, filename = uploaded_file("enqueteurs.csv")
        outcome = import_investigators(
            db.session,
            data,
            filename,
            actor=api_user(),
            max_bytes=current_app.config["MAX_CONTENT_LENGTH"],
        )
        db.session.commit()
        return outcome
