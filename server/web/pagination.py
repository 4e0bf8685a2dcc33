"""One page of a long list shown on a desk page, and the page links around it.

Pages read ``?page=`` themselves; a number that is not one, or past the end, shows the nearest
page rather than an error, since it is most often an old link to a list that got shorter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import request
from sqlalchemy import Select, func, select

from server.extensions import db

T = TypeVar("T")

#: Rows per page of the desk's long tables: a screen or two, and a quick page to render.
PAGE_SIZE = 50


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    number: int
    size: int
    total: int

    @property
    def count(self) -> int:
        """How many pages (at least one, even for an empty list)."""
        return max(1, -(-self.total // self.size))

    @property
    def first(self) -> int:
        """Position (from 1) of the page's first row; 0 when there is none."""
        return (self.number - 1) * self.size + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.number * self.size, self.total)

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.count else None

    def links(self, around: int = 2) -> list[int | None]:
        """Page numbers to link: the first, the last and ``around`` each side of this one;
        ``None`` where numbers are left out (shown as an ellipsis)."""
        shown = sorted(
            {1, self.count, *range(self.number - around, self.number + around + 1)}
            & set(range(1, self.count + 1))
        )
        numbers: list[int | None] = []
        for before, number in zip([0, *shown], shown, strict=False):
            if number - before > 1:
                numbers.append(None)
            numbers.append(number)
        return numbers


def requested_page() -> int:
    """The ``?page=`` asked for, 1 when absent or not a positive number."""
    raw = request.args.get("page", "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else 1


def paginate(rows: Sequence[T], number: int, size: int = PAGE_SIZE) -> Page[T]:
    """The page ``number`` of ``rows`` (clamped to the last page)."""
    count = max(1, -(-len(rows) // size))
    number = min(max(1, number), count)
    start = (number - 1) * size
    return Page(items=rows[start : start + size], number=number, size=size, total=len(rows))


def paginate_query(statement: Select[Any], number: int, size: int = PAGE_SIZE) -> Page[Any]:
    """One page of a select's rows (a count, then ``LIMIT``/``OFFSET``), clamped to the last
    page: the desk's long tables (missions, messages) are never loaded whole."""
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    count = max(1, -(-(total or 0) // size))
    number = min(max(1, number), count)
    rows = db.session.scalars(statement.offset((number - 1) * size).limit(size)).unique().all()
    return Page(items=rows, number=number, size=size, total=total or 0)
