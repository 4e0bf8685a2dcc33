"""The outbox: every message the toolkit sends, as written before delivery."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters
from marshmallow import Schema, fields, validate

from server.api.blueprint import Blueprint
from server.api.pagination import paginate
from server.auth import api_roles
from server.models import OutboxStatus, Role
from server.services.outbox import outbox_query

blp = Blueprint("outbox_api", __name__, url_prefix="/api/v1/outbox", description="Courriels")


class OutboxFilterSchema(Schema):
    status = fields.String(validate=validate.OneOf([s.value for s in OutboxStatus]))


class OutboxMessageSchema(Schema):
    id = fields.Integer()
    key = fields.String()
    kind = fields.String()
    recipient = fields.String()
    subject = fields.String()
    body = fields.String()
    mission_id = fields.Integer(allow_none=True)
    status = fields.String(
        attribute="status.value", metadata={"enum": [s.value for s in OutboxStatus]}
    )
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    next_attempt_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)


@blp.route("")
class Outbox(MethodView):
    @api_roles(Role.COORDINATOR)
    @blp.arguments(OutboxFilterSchema, location="query")
    @blp.response(200, OutboxMessageSchema(many=True))
    @blp.paginate(page_size=50, max_page_size=500)
    def get(self, filters: dict[str, Any], pagination_parameters: PaginationParameters) -> Any:
        """Messages, newest first, with their status (``in_doubt``: maybe delivered, left
        for a coordinator to re-send or mark sent) and last error."""
        return paginate(outbox_query(filters.get("status")), pagination_parameters)
