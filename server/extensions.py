"""Flask extensions, created unbound here and bound in ``create_app`` (no app at import time)."""

from __future__ import annotations

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_smorest.pagination import PaginationMetadataSchema
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from marshmallow import Schema, fields
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

#: Constraint names are fixed so Alembic migrations name them the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()


class ErrorSchema(Schema):
    """The body of every API error (``server/errors.py``): ``code`` is a word such as
    ``not_found``, not flask-smorest's default integer, so the spec says what is sent."""

    code = fields.String(required=True, metadata={"example": "not_found"})
    message = fields.String(required=True, metadata={"description": "En français, pour l’usager."})
    errors = fields.Dict(required=True, metadata={"description": "Le détail, par champ."})


class BarometreApi(Api):
    ERROR_SCHEMA = ErrorSchema

    def _register_pagination_header(self) -> None:
        """``X-Pagination`` holds a JSON object, which OpenAPI 3 says with ``content``; the
        ``schema`` flask-smorest writes would mean a ``simple``-style list (``total,2,…``)."""
        header = {
            "description": "Pagination metadata (JSON)",
            "content": {"application/json": {"schema": PaginationMetadataSchema}},
        }
        self.spec.components.header("PAGINATION", header, lazy=True)


api = BarometreApi()
