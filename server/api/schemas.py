"""marshmallow schemas shared across API modules."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from server.models.types import PLAUSIBLE_MOMENTS


def moment(**options: Any) -> fields.AwareDateTime:
    """A time with its offset, refused outside the plausible years of fieldwork (a 422 naming
    the field, never an overflow further down)."""
    earliest, latest = PLAUSIBLE_MOMENTS
    return fields.AwareDateTime(
        validate=validate.Range(
            min=earliest,
            max=latest,
            max_inclusive=False,
            error=(
                f"Date invraisemblable : elle doit tomber entre {earliest.year} "
                f"et {latest.year - 1}."
            ),
        ),
        **options,
    )


class ErrorSchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    errors = fields.Dict()


class UserSchema(Schema):
    id = fields.Integer(dump_only=True)
    email = fields.Email()
    name = fields.String()
    role = fields.String(attribute="role.value")
