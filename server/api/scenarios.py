"""The scenario library: realistic user requests per network and channel."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters
from marshmallow import Schema, fields, validate
from sqlalchemy.orm import Session

from server.api.blueprint import Blueprint
from server.api.pagination import paginate
from server.api.uploads import RejectionSchema, UploadSchema, uploaded_file
from server.auth import api_roles, api_user
from server.extensions import db
from server.models import Role, Scenario
from server.services import scenarios
from survey_schemas import CHANNELS

blp = Blueprint("scenarios_api", __name__, url_prefix="/api/v1/scenarios", description="Scénarios")


class ScenarioSchema(Schema):
    id = fields.Integer(dump_only=True)
    network = fields.String(required=True, validate=validate.Length(min=1, max=200))
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    text = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    active = fields.Boolean(load_default=True)


class ScenarioPatchSchema(Schema):
    network = fields.String(validate=validate.Length(min=1, max=200))
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    title = fields.String(validate=validate.Length(min=1, max=200))
    text = fields.String(validate=validate.Length(min=1, max=5000))
    active = fields.Boolean()


class ScenarioFilterSchema(Schema):
    network = fields.String()
    channel = fields.String(validate=validate.OneOf(CHANNELS))


class ScenarioImportSchema(Schema):
    imported = fields.Integer()
    updated = fields.Integer()
    rejected = fields.List(fields.Nested(RejectionSchema))


def _session() -> Session:
    return db.session


@blp.route("")
class Scenarios(MethodView):
    @api_roles(Role.COORDINATOR)
    @blp.arguments(ScenarioFilterSchema, location="query")
    @blp.response(200, ScenarioSchema(many=True))
    @blp.paginate(page_size=100, max_page_size=1000)
    def get(self, filters: dict[str, Any], pagination_parameters: PaginationParameters) -> Any:
        """The library, by network, channel and title."""
        return paginate(scenarios.scenarios_query(**filters), pagination_parameters)

    @api_roles(Role.COORDINATOR)
    @blp.arguments(ScenarioSchema)
    @blp.response(201, ScenarioSchema)
    def post(self, data: dict[str, Any]) -> Scenario:
        """Add a scenario for a network and channel."""
        scenario = scenarios.create_scenario(_session(), actor=api_user(), **data)
        db.session.commit()
        return scenario


@blp.route("/<int:scenario_id>")
class ScenarioById(MethodView):
    @api_roles(Role.COORDINATOR)
    @blp.response(200, ScenarioSchema)
    def get(self, scenario_id: int) -> Scenario:
        return scenarios.get_scenario(_session(), scenario_id)

    @api_roles(Role.COORDINATOR)
    @blp.arguments(ScenarioPatchSchema)
    @blp.response(200, ScenarioSchema)
    def patch(self, data: dict[str, Any], scenario_id: int) -> Scenario:
        """Change a scenario (missions already generated keep the text they were given)."""
        scenario = scenarios.get_scenario(_session(), scenario_id)
        scenarios.update_scenario(_session(), scenario, data, actor=api_user())
        db.session.commit()
        return scenario


@blp.route("/import")
class ScenarioImport(MethodView):
    @api_roles(Role.COORDINATOR)
    @blp.arguments(UploadSchema, location="files")
    @blp.response(200, ScenarioImportSchema)
    def post(self, files: dict[str, Any]) -> Any:
        """Import scenarios from a CSV or XLSX file (columns reseau, canal, titre, texte,
        actif); known ones (same network, channel and title) are updated."""
        data, filename = uploaded_file("scenarios.csv")
        outcome = scenarios.import_csv(
            _session(),
            data,
            filename,
            actor=api_user(),
            max_bytes=current_app.config["MAX_CONTENT_LENGTH"],
        )
        db.session.commit()
        return outcome


@blp.route("/export.csv")
class ScenarioExport(MethodView):
    @api_roles(Role.COORDINATOR)
    @blp.response(200, {"format": "binary", "type": "string"}, content_type="text/csv")
    def get(self) -> Response:
        """The whole library as a CSV a French spreadsheet opens (and this API re-imports)."""
        rows = _session().scalars(scenarios.scenarios_query())
        return Response(
            scenarios.export_csv(rows),
            mimetype="text/csv",
            headers={"Content-Disposition": 'attachment; filename="scenarios.csv"'},
        )
