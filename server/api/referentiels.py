"""Référentiels and questionnaires: every signed-in role reads them, admins publish versions.

Investigators read them too (DESIGN.md §3.7): their phone form is built from the questionnaire.
A publication is either the JSON document as the request body or a multipart ``file``; the
same (code, version) published again with the same content answers 200 with the stored row
(idempotent), with another content 409, and a new version 201.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import asdict
from typing import Any

from flask import abort, request, send_file
from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters
from marshmallow import Schema, fields, validate
from werkzeug.wrappers import Response

import survey_schemas
from server.api.blueprint import Blueprint
from server.api.pagination import paginate
from server.auth import api_roles, api_user
from server.extensions import db
from server.models import CHANNEL_LABELS, Questionnaire, Referentiel, Role
from server.services import definitions, referentiels
from server.services.referentiels import LoadOutcome
from survey_schemas import CHANNELS
from survey_schemas.scoring import possible_points

blp = Blueprint(
    "referentiels_api",
    __name__,
    url_prefix="/api/v1",
    description="Référentiels et questionnaires",
)

READERS = (Role.COORDINATOR, Role.ANALYST, Role.INVESTIGATOR)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_DOCUMENT_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": {"type": "object"}},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
            },
        },
    },
}


class EngagementSchema(Schema):
    code = fields.String()
    label = fields.String()
    description = fields.String()
    weight = fields.Float()


class ReferentielRefSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    version = fields.Integer()
    name = fields.String()


def _questionnaires_of(row: Referentiel) -> list[Questionnaire]:
    return sorted(row.questionnaires, key=lambda q: (q.channel, q.version, q.id))


class QuestionnaireSummarySchema(Schema):
    id = fields.Integer()
    code = fields.String()
    channel = fields.String()
    version = fields.Integer()
    title = fields.String()
    referentiel = fields.Nested(ReferentielRefSchema)
    fingerprint = fields.String()
    loaded_at = fields.DateTime()


class ReferentielSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    version = fields.Integer()
    description = fields.Function(lambda row: row.content.get("description", ""))
    required_level = fields.Function(lambda row: definitions.referentiel_model(row).required_level)
    excellence = fields.Function(lambda row: definitions.referentiel_model(row).excellence)
    engagements = fields.Function(
        lambda row: EngagementSchema(many=True).dump(definitions.referentiel_model(row).engagements)
    )
    questionnaires = fields.Function(
        lambda row: QuestionnaireSummarySchema(many=True, exclude=("referentiel",)).dump(
            _questionnaires_of(row)
        )
    )
    fingerprint = fields.String()
    loaded_at = fields.DateTime()


class ChoiceSchema(Schema):
    value = fields.String()
    label = fields.String()
    exclusive = fields.Boolean()


class QuestionSchema(Schema):
    id = fields.String()
    type = fields.String()
    label = fields.String()
    help = fields.String()
    section = fields.String(allow_none=True)
    required = fields.Boolean()
    choices = fields.List(fields.Nested(ChoiceSchema))
    engagement = fields.String(allow_none=True)
    visible_if = fields.String(allow_none=True)
    visible_when = fields.Dict(
        allow_none=True,
        metadata={"description": "visible_if parsed (survey_schemas.condition_tree), for phones"},
    )
    constraints = fields.Dict()
    scoring = fields.Dict(allow_none=True, metadata={"description": "règle de notation"})
    points = fields.Float(metadata={"description": "points possibles (0 si non notée)"})


class SectionSchema(Schema):
    id = fields.String()
    title = fields.String()
    help = fields.String()


class QuestionnaireSchema(QuestionnaireSummarySchema):
    description = fields.String()
    sections = fields.List(fields.Nested(SectionSchema))
    questions = fields.List(fields.Nested(QuestionSchema))


class QuestionnaireFilterSchema(Schema):
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    referentiel = fields.Integer(metadata={"description": "id d’une version de référentiel"})


def _question(question: survey_schemas.Question, item: dict[str, Any]) -> dict[str, Any]:
    constraints = {k: v for k, v in asdict(question.constraints).items() if v not in (None, False)}
    return {
        "id": question.id,
        "type": question.type,
        "label": question.label,
        "help": question.help,
        "section": question.section,
        "required": question.required,
        "choices": definitions.answer_choices(question),
        "engagement": question.engagement,
        "visible_if": question.visible_if_source,
        "visible_when": (
            survey_schemas.condition_tree(question.visible_if)
            if question.visible_if is not None
            else None
        ),
        "constraints": constraints,
        "scoring": item.get("scoring"),
        "points": possible_points(question),
    }


def _questionnaire(row: Questionnaire) -> dict[str, Any]:
    """The stored version as the investigator's form needs it (choices of yes/no included)."""
    model = definitions.questionnaire_model(row)
    items = {item["id"]: item for item in model.document["questions"]}
    return {
        "id": row.id,
        "code": model.code,
        "channel": row.channel,
        "version": row.version,
        "title": row.title,
        "referentiel": row.referentiel,
        "fingerprint": row.fingerprint,
        "loaded_at": row.loaded_at,
        "description": model.description,
        "sections": model.sections,
        "questions": [_question(q, items[q.id]) for q in model.questions],
    }


def _uploaded_document() -> bytes:
    """The document sent as the body, or as the multipart field ``file``."""
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            abort(400, description="Aucun fichier reçu dans le champ « file ».")
        return upload.read()
    return request.get_data()


def _published(outcome: LoadOutcome[Any]) -> tuple[Any, int]:
    return outcome.row, 201 if outcome.created else 200


@blp.route("/referentiels")
class Referentiels(MethodView):
    @api_roles(*READERS)
    @blp.response(200, ReferentielSchema(many=True))
    @blp.paginate(page_size=50, max_page_size=500)
    def get(self, pagination_parameters: PaginationParameters) -> list[Referentiel]:
        """List the stored référentiel versions, by code then version."""
        return paginate(referentiels.referentiels_query(), pagination_parameters)

    @api_roles(Role.ADMIN)
    @blp.doc(requestBody=_DOCUMENT_BODY)
    @blp.response(201, ReferentielSchema, description="Nouvelle version enregistrée.")
    @blp.alt_response(200, schema=ReferentielSchema, description="Version identique déjà chargée.")
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def post(self) -> tuple[Referentiel, int]:
        """Publish a référentiel version (JSON body, or multipart ``file``)."""
        outcome = referentiels.load_referentiel_document(
            db.session, _uploaded_document(), actor=api_user()
        )
        db.session.commit()
        return _published(outcome)


@blp.route("/referentiels/<int:referentiel_id>")
class ReferentielById(MethodView):
    @api_roles(*READERS)
    @blp.response(200, ReferentielSchema)
    def get(self, referentiel_id: int) -> Referentiel:
        """One référentiel version with its engagements and questionnaires."""
        return referentiels.get_referentiel(db.session, referentiel_id)


@blp.route("/questionnaires")
class Questionnaires(MethodView):
    @api_roles(*READERS)
    @blp.arguments(QuestionnaireFilterSchema, location="query")
    @blp.response(200, QuestionnaireSummarySchema(many=True))
    @blp.paginate(page_size=50, max_page_size=500)
    def get(
        self, filters: dict[str, Any], pagination_parameters: PaginationParameters
    ) -> list[Questionnaire]:
        """List the stored questionnaire versions, filterable by channel and référentiel id."""
        statement = referentiels.questionnaires_query(
            filters.get("channel"), filters.get("referentiel")
        )
        return paginate(statement, pagination_parameters)

    @api_roles(Role.ADMIN)
    @blp.doc(requestBody=_DOCUMENT_BODY)
    @blp.response(201, QuestionnaireSchema, description="Nouvelle version enregistrée.")
    @blp.alt_response(
        200, schema=QuestionnaireSchema, description="Version identique déjà chargée."
    )
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def post(self) -> tuple[dict[str, Any], int]:
        """Publish a questionnaire version; its référentiel version must already be stored."""
        outcome = referentiels.load_questionnaire_document(
            db.session, _uploaded_document(), actor=api_user()
        )
        db.session.commit()
        row, status = _published(outcome)
        return _questionnaire(row), status


@blp.route("/questionnaires/<int:questionnaire_id>")
class QuestionnaireById(MethodView):
    @api_roles(*READERS)
    @blp.response(200, QuestionnaireSchema)
    def get(self, questionnaire_id: int) -> dict[str, Any]:
        """One questionnaire version with its sections and questions."""
        return _questionnaire(referentiels.get_questionnaire(db.session, questionnaire_id))


def xlsform_filename(row: Questionnaire) -> str:
    """``questionnaire-marianne-visite-v1.xlsx``: readable, ASCII, safe in every browser."""
    label = CHANNEL_LABELS.get(row.channel, row.channel)
    text = f"questionnaire {row.referentiel.code} {label} v{row.version}"
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") + ".xlsx"


@blp.route("/questionnaires/<int:questionnaire_id>/xlsform")
class QuestionnaireXlsform(MethodView):
    @api_roles(*READERS)
    @blp.doc(
        responses={
            "200": {
                "description": "Classeur XLSForm (ODK, KoboToolbox)",
                "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    )
    def get(self, questionnaire_id: int) -> Response:
        """The questionnaire as an XLSForm workbook, for partners' own survey tools."""
        row = referentiels.get_questionnaire(db.session, questionnaire_id)
        workbook = survey_schemas.build_xlsform(definitions.questionnaire_model(row))
        return send_file(
            io.BytesIO(workbook),
            mimetype=XLSX,
            as_attachment=True,
            download_name=xlsform_filename(row),
        )
