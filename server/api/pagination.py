"""Pagination of SQLAlchemy selects, flask-smorest style (``page``, ``page_size``,
``X-Pagination``)."""

from __future__ import annotations

from typing import Any

from flask_smorest.pagination import PaginationParameters
from sqlalchemy import Select, func, select

from server.extensions import db


def paginate(statement: Select[Any], pagination: PaginationParameters) -> list[Any]:
    """One page of ``statement``. A page past the last one is empty without asking the
    database: its offset may not fit in a 64-bit integer (``?page=10**20`` is valid input)."""
    count = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    pagination.item_count = count
    if pagination.first_item >= (count or 0):
        return []
    page = statement.offset(pagination.first_item).limit(pagination.page_size)
    return list(db.session.scalars(page).unique())
