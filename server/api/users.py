"""Accounts, for admins: list, create, read, change (name, role, active), reset a password.

Investigators are created by coordinators with their profile (``POST /investigators``); an
account created here may have any other role, and the role investigator is neither given nor
taken away here (see ``accounts.INVESTIGATOR_ROLE_REFUSAL``). ``@api_roles`` is the outermost
decorator, as in ``investigators``: a wrong-role caller gets 403 whatever body they sent.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters
from marshmallow import Schema, fields, validate

from server.api.blueprint import Blueprint
from server.api.pagination import paginate
from server.auth import api_roles, api_user
from server.extensions import db
from server.models import Role, User
from server.services import accounts

blp = Blueprint("users_api", __name__, url_prefix="/api/v1/users", description="Comptes")

_ROLE = fields.Enum(
    Role,
    by_value=True,
    error_messages={"unknown": "Rôle inconnu (attendus : {choices})."},
)


class UserSchema(Schema):
    """An account as admins see it; the password hash is never part of it."""

    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    role = fields.Enum(Role, by_value=True)
    active = fields.Boolean()
    created_at = fields.DateTime()
    last_login_at = fields.DateTime(allow_none=True)
    #: Investigators have a field profile, managed at ``/investigators/{id}``.
    has_investigator_profile = fields.Method("_has_profile")

    def _has_profile(self, user: User) -> bool:
        return user.investigator_profile is not None


class UserCreateSchema(Schema):
    email = fields.Email(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    password = fields.String(required=True, load_only=True)
    role = _ROLE


class UserUpdateSchema(Schema):
    """Any of these, the others unchanged; ``active: false`` deactivates at once (sessions and
    tokens stop working), ``active: true`` reactivates (a new login is needed)."""

    name = fields.String(validate=validate.Length(min=1, max=200))
    role = _ROLE
    active = fields.Boolean()


class PasswordResetSchema(Schema):
    password = fields.String(required=True, load_only=True)


class PasswordResetResultSchema(Schema):
    #: Bearer tokens of the account revoked by the reset (its sessions end too).
    revoked_tokens = fields.Integer()


class UserFilterSchema(Schema):
    role = fields.Enum(Role, by_value=True)
    active = fields.Boolean()


@blp.route("")
class Users(MethodView):
    @api_roles(Role.ADMIN)
    @blp.arguments(UserFilterSchema, location="query")
    @blp.response(200, UserSchema(many=True))
    @blp.paginate(page_size=100, max_page_size=500)
    def get(self, filters: dict[str, Any], pagination_parameters: PaginationParameters) -> Any:
        """List accounts by name (filters: ``role``, ``active``)."""
        return paginate(accounts.users_query(**filters), pagination_parameters)

    @api_roles(Role.ADMIN)
    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema)
    @blp.alt_response(409, response="CONFLICT", description="Adresse déjà utilisée.")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def post(self, data: dict[str, Any]) -> User:
        """Create an account (role ``admin``, ``coordinator`` or ``analyst``; ``role`` defaults
        to ``analyst``, who may write nothing)."""
        data.setdefault("role", Role.ANALYST)
        user = accounts.create_account(db.session, actor=api_user(), **data)
        db.session.commit()
        return user


@blp.route("/<int:user_id>")
class UserById(MethodView):
    @api_roles(Role.ADMIN)
    @blp.response(200, UserSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, user_id: int) -> User:
        """One account."""
        return accounts.get_user(db.session, user_id)

    @api_roles(Role.ADMIN)
    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(
        409, response="CONFLICT", description="Soi-même ou le dernier administrateur actif."
    )
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def patch(self, changes: dict[str, Any], user_id: int) -> User:
        """Change the name, role or status given. Refused (409) for one's own account's role or
        status and for the last active admin; to or from investigator, 422."""
        user = accounts.get_user(db.session, user_id)
        accounts.update_user(db.session, user, changes, actor=api_user())
        db.session.commit()
        return user


@blp.route("/<int:user_id>/password")
class UserPassword(MethodView):
    @api_roles(Role.ADMIN)
    @blp.arguments(PasswordResetSchema)
    @blp.response(200, PasswordResetResultSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def post(self, data: dict[str, Any], user_id: int) -> dict[str, int]:
        """Set a new password (given to the person apart); their sessions end and their tokens
        are revoked at once."""
        user = accounts.get_user(db.session, user_id)
        revoked = accounts.reset_password(db.session, user, data["password"], actor=api_user())
        db.session.commit()
        return {"revoked_tokens": revoked}
