"""Bearer tokens for the API."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from server.api.schemas import UserSchema
from server.auth import api_roles, api_user, throttle_policy
from server.extensions import db
from server.services import accounts

blp = Blueprint("auth_api", __name__, url_prefix="/api/v1/auth", description="Jetons d’accès")


class TokenRequestSchema(Schema):
    email = fields.String(required=True)
    password = fields.String(required=True, load_only=True)


class TokenSchema(Schema):
    token = fields.String()
    role = fields.String()
    expires_at = fields.DateTime()


@blp.route("/token")
class Token(MethodView):
    @blp.arguments(TokenRequestSchema)
    @blp.response(201, TokenSchema)
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
        token = request.headers["Authorization"].partition(" ")[2].strip()
        accounts.revoke_token(db.session, token, actor=api_user())
        db.session.commit()


@blp.route("/me")
class Me(MethodView):
    @api_roles()
    @blp.response(200, UserSchema)
    def get(self) -> Any:
        """The account behind the token."""
        return api_user()
