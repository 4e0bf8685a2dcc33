"""The JSON API under ``/api/v1``, documented by OpenAPI (flask-smorest)."""

from __future__ import annotations

from flask import Blueprint, Flask, send_from_directory
from flask_smorest import Api
from swagger_ui_bundle import swagger_ui_path
from werkzeug.wrappers import Response

from server.api.blueprint import DatabaseId
from server.extensions import csrf


def register(app: Flask, api: Api) -> None:
    from server.api import (
        auth,
        barometer,
        campaigns,
        error_docs,
        investigators,
        missions,
        outbox,
        photos,
        referentiels,
        reports,
        results,
        reviews,
        samples,
        scenarios,
        sites,
        users,
        waves,
    )

    error_docs.install(api.spec)
    # Routes take their converters when registered: ``<int:…>`` means ``DatabaseId`` in the
    # API's paths only, and the rule texts stay ``<int:…>``.
    converters = app.url_map.converters
    plain_int = converters["int"]
    converters["int"] = DatabaseId
    for blueprint in (
        auth.blp,
        campaigns.blp,
        investigators.blp,
        sites.blp,
        samples.blp,
        referentiels.blp,
        waves.blp,
        missions.blp,
        scenarios.blp,
        outbox.blp,
        photos.blp,
        reports.blp,
        results.blp,
        barometer.blp,
        reviews.blp,
        users.blp,
    ):
        # Flask-WTF's form check is off here: a bearer token is never sent by a forged
        # cross-site request, and a write on the page session must carry the X-CSRFToken
        # header, which ``server.auth.api_user`` checks before anything else.
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
    converters["int"] = plain_int

    assets = Blueprint("swagger_assets", __name__)

    @assets.route("/api/v1/docs/static/<path:filename>")
    def swagger_static(filename: str) -> Response:
        """Swagger UI served from the installed package: pages never load from a CDN."""
        return send_from_directory(swagger_ui_path, filename)

    app.register_blueprint(assets)
