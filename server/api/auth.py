"""Bearer tokens for the API."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, request
from flask.views import MethodView
from flask_wtf.csrf import generate_csrf
from marshmallow import Schema, fields

from server.api.blueprint import Blueprint
from server.api.schemas import UserSchema
from server.auth import SESSION_AUTH, api_roles, api_user, throttle_policy
from server.extensions import db
from server.services import accounts

blp = Blueprint("auth_api", __name__, url_prefix="/api/v1/auth", description="Jetons d’accès")


class TokenRequestSchema(Schema):
    email = fields.String(required=True)
    password = fields.String(required=True, load_only=True)


class MeSchema(UserSchema):
    csrf_token = fields.Function(
        lambda _user: generate_csrf() if request.environ.get(SESSION_AUTH) else None,
        metadata={
            "description": "With the page session only: the X-CSRFToken its writes must carry."
        },
    )


class TokenSchema(Schema):
    token = fields.String()
    role = fields.String()
    expires_at = fields.DateTime()


@blp.route("/token")
class Token(MethodView):
    @blp.arguments(TokenRequestSchema)
    @blp.response(201, TokenSchema)
    @blp.alt_response(401, response="UNAUTHORIZED", description="E-mail ou mot de passe faux.")
    @blp.alt_response(429, response="TOO_MANY_REQUESTS", description="Trop d’essais : patienter.")
    @blp.doc(security=[])
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Exchange an e-mail and password for a bearer token."""
        try:
            user = accounts.authenticate(
                db.session, data["email"], data["password"], policy=throttle_policy()
            )
        finally:
            # Failed attempts are recorded too: that is what slows the next guess down.
            db.session.commit()
        clear, token = accounts.issue_token(
            db.session, user, ttl=current_app.config["API_TOKEN_TTL"]
        )
        db.session.commit()
        return {"token": clear, "role": user.role.value, "expires_at": token.expires_at}

    @api_roles()
    @blp.response(204)
    def delete(self) -> None:
        """Revoke the token this request carries."""
        user = api_user()
        if "Authorization" not in request.headers:
            abort(400, description="Aucun jeton à révoquer : cette requête vient d’une session.")
        token = request.headers["Authorization"].partition(" ")[2].strip()
        accounts.revoke_token(db.session, token, actor=user)
        db.session.commit()


@blp.route("/me")
class Me(MethodView):
    @api_roles()
    @blp.response(200, MeSchema)
    def get(self) -> Any:
        """The account behind the token or the page session (the phone pages check their
        session here before sending what they queued)."""
        return api_user()
