"""The API's blueprint class: flask-smorest's, with three guards every view gets.

- A JSON parser that refuses every body Python's ``json`` cannot read as a 400, not only the
  syntax errors webargs expects.
- Integers kept within the database's ``INTEGER`` (32 bits on PostgreSQL, where a larger one
  is a ``DataError``, i.e. a 500): an input field with no range of its own gets that range
  (a 422 naming the field), and an id in a path beyond it matches no route (a 404, through
  ``DatabaseId``, which ``server.api.register`` puts in place of ``int`` for the API's routes).
"""

from __future__ import annotations

import json
from typing import Any

import flask
import flask_smorest
from marshmallow import Schema, fields, validate
from webargs.flaskparser import FlaskParser
from werkzeug.routing import IntegerConverter, Map

#: PostgreSQL's ``INTEGER``, the type of every id and count column.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
DATABASE_RANGE = validate.Range(
    min=INT_MIN, max=INT_MAX, error="Nombre hors limites : entre {min} et {max}."
)


class DatabaseId(IntegerConverter):
    """``<int:…>`` in API paths: an id beyond the database's ``INTEGER`` matches no route."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", INT_MAX)
        super().__init__(url_map, *args, **kwargs)


class JSONParser(FlaskParser):
    """A body nested a thousand levels deep (``RecursionError``) or an integer of more than
    4,300 digits (``ValueError``) is bad input, answered like a syntax error (400)."""

    def _raw_load_json(self, req: flask.Request) -> Any:
        try:
            return super()._raw_load_json(req)
        except json.JSONDecodeError:
            raise
        except (RecursionError, ValueError) as error:
            raise json.JSONDecodeError(f"JSON illisible : {error}", "", 0) from None


def bound_integers(schema: type[Schema] | Schema) -> None:
    """Give every integer field of ``schema`` (nested and list items included) not bounded
    on both sides by its own range the database's; the OpenAPI document shows it too."""
    declared = schema._declared_fields  # the fields each instance copies
    for field in declared.values():
        _bound(field)


def _bound(field: fields.Field) -> None:
    if isinstance(field, fields.Integer):
        bounded = any(
            isinstance(v, validate.Range) and v.min is not None and v.max is not None
            for v in field.validators
        )
        if not bounded and DATABASE_RANGE not in field.validators:
            field.validators.append(DATABASE_RANGE)
    elif isinstance(field, fields.List):
        _bound(field.inner)
    elif isinstance(field, fields.Nested) and not callable(field.nested):
        nested = field.nested
        if isinstance(nested, Schema) or (isinstance(nested, type) and issubclass(nested, Schema)):
            bound_integers(nested)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = JSONParser()

    def arguments(self, schema: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(schema, Schema) or (isinstance(schema, type) and issubclass(schema, Schema)):
            bound_integers(schema)
        return super().arguments(schema, *args, **kwargs)
