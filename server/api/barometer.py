"""A campaign's barometer files, read-only (DESIGN.md §3.5, §3.9): the workbook and the open
data, both written from ``server.services.results.barometer_data``, the same data as
``GET /campaigns/{id}/results``, so the files and the API cannot disagree."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO, cast

from flask import Response, current_app
from flask.views import MethodView
from sqlalchemy.orm import Session

from exports.barometer import write_barometer
from exports.barometer_data import BarometerData
from exports.opendata import write_opendata
from exports.opendata_answers import CODED_TYPES
from server.api.blueprint import Blueprint
from server.auth import api_roles
from server.extensions import db
from server.models import Campaign, Role
from server.services import campaigns, definitions, referentiels, results_cache

blp = Blueprint("barometer_api", __name__, url_prefix="/api/v1/campaigns", description="Baromètre")

READERS = (Role.ANALYST, Role.COORDINATOR)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP = "application/zip"
#: Files past this size go from memory to a temporary file while they are written.
IN_MEMORY = 8 * 2**20
BLOCK = 256 * 2**10


def question_types(session: Session, campaign: Campaign) -> dict[str, str]:
    """Question id → type over every questionnaire of the campaign's référentiel, so the open
    data keeps coded answers only; a question that is free text in some version counts as
    free text."""
    types: dict[str, str] = {}
    rows = referentiels.list_questionnaires(session, referentiel_id=campaign.referentiel_id)
    for row in rows:
        for question in definitions.questionnaire_model(row).questions:
            known = types.get(question.id)
            if known is None or known in CODED_TYPES:  # free text in one version wins
                types[question.id] = question.type
    return types


def barometer_file_name(campaign: Campaign, suffix: str) -> str:
    """``barometre-2026.xlsx``: ASCII, safe in every browser."""
    return f"barometre-{campaign.year}{suffix}"


def _send(write: Callable[[BinaryIO], None], *, mimetype: str, name: str) -> Response:
    """Write the file into a spooled temporary file, then stream it in blocks; the file is
    closed once the last block is sent, or when the client goes away."""
    spool = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY)  # noqa: SIM115 - see blocks()
    try:
        write(cast(BinaryIO, spool))
        size = spool.tell()
        spool.seek(0)
    except BaseException:
        spool.close()
        raise

    def blocks() -> Iterator[bytes]:
        with spool:
            while block := spool.read(BLOCK):
                yield block

    headers = {"Content-Disposition": f"attachment; filename={name}", "Content-Length": str(size)}
    return Response(blocks(), mimetype=mimetype, headers=headers)


def _binary(description: str, mimetype: str) -> dict[str, Any]:
    return {
        "responses": {
            "200": {
                "description": description,
                "content": {mimetype: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    }


def _data(campaign: Campaign) -> BarometerData:
    """The same cached figures as the results pages: a download right after reading them
    costs no second computation."""
    return results_cache.barometer(db.session, campaign, results_cache.app_cache(current_app))


@blp.route("/<int:campaign_id>/barometer.xlsx")
class CampaignBarometer(MethodView):
    @api_roles(*READERS)
    @blp.doc(**_binary("Classeur du baromètre (9 feuilles, graphiques)", XLSX))
    def get(self, campaign_id: int) -> Response:
        """The barometer workbook: summary, one sheet per view, sites, tests, evolution and
        methodology, with charts (DESIGN.md §3.9)."""
        campaign = campaigns.get_campaign(db.session, campaign_id)
        data = _data(campaign)
        return _send(
            lambda target: write_barometer(data, target),
            mimetype=XLSX,
            name=barometer_file_name(campaign, ".xlsx"),
        )


@blp.route("/<int:campaign_id>/opendata.zip")
class CampaignOpenData(MethodView):
    @api_roles(*READERS)
    @blp.doc(**_binary("Données ouvertes : CSV et datapackage.json (Frictionless)", ZIP))
    def get(self, campaign_id: int) -> Response:
        """The open data: sites.csv, tests.csv (coded answers only, no investigator),
        figures.csv and their Frictionless ``datapackage.json``."""
        campaign = campaigns.get_campaign(db.session, campaign_id)
        data = _data(campaign)
        types = question_types(db.session, campaign)
        return _send(
            lambda target: write_opendata(data, target, question_types=types),
            mimetype=ZIP,
            name=barometer_file_name(campaign, "-donnees-ouvertes.zip"),
        )
