"""Every error becomes a clear answer: JSON ``{code, message, errors}`` under ``/api``, a French
page elsewhere. Bad input never produces a 500 nor a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from server.services.errors import ServiceError, TooManyAttempts

log = logging.getLogger("barometre.errors")

MESSAGES = {
    400: "Requête invalide.",
    401: "Authentification requise.",
    403: "Accès refusé.",
    404: "Ressource introuvable.",
    405: "Méthode non autorisée pour cette adresse.",
    409: "Conflit avec l’état actuel des données.",
    413: "Fichier trop volumineux.",
    415: "Type de contenu non pris en charge.",
    422: "Données invalides.",
    429: "Trop de requêtes.",
    500: "Erreur interne : l’équipe technique a été prévenue.",
}

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
    500: "internal_error",
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(
    status: int, message: str, *, code: str | None = None, errors: dict[str, Any] | None = None
) -> tuple[Response | str, int]:
    if wants_json():
        body = {
            "code": code or CODES.get(status, "error"),
            "message": message,
            "errors": errors or {},
        }
        return jsonify(body), status
    return render_template(
        "errors/error.html", status=status, message=message, errors=errors or {}
    ), status


def _http_message(error: HTTPException, max_upload: int) -> str:
    status = error.code or 500
    if status == 413:
        return f"Fichier trop volumineux : la limite est de {max_upload // (1024 * 1024)} Mo."
    description = error.description
    default = type(error).description
    if description and description != default:
        return str(description)
    return MESSAGES.get(status, error.name)


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> tuple[Response | str, int]:
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        errors = data.get("messages") or data.get("errors") or {}
        # flask_smorest.abort(..., message=...) puts its text in ``data``.
        message = data.get("message") or _http_message(error, app.config["MAX_CONTENT_LENGTH"])
        if status == 422 and message == MESSAGES[422] and errors:
            message = "Données invalides : voir le détail par champ."
        return error_response(status, message, errors=errors)

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> tuple[Response | str, int]:
        return error_response(
            400,
            "Le formulaire n’a pas de jeton de sécurité valide (page trop ancienne ?) : "
            "rechargez la page et recommencez.",
            code="csrf",
        )

    @app.errorhandler(ServiceError)
    def _service(error: ServiceError) -> tuple[Response | str, int]:
        response = error_response(error.status, error.message, code=error.code, errors=error.errors)
        if isinstance(error, TooManyAttempts) and wants_json():
            response[0].headers["Retry-After"] = str(error.retry_after)  # type: ignore[union-attr]
        return response

    @app.errorhandler(InternalServerError)
    def _internal(error: InternalServerError) -> tuple[Response | str, int]:
        log.error("unhandled error", exc_info=error.original_exception or error)
        return error_response(500, MESSAGES[500])
