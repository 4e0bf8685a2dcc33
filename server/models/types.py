"""Column types shared by the models."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Enum
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

#: The moments fieldwork evidence may carry (a visit, a photo, a phone's clock): anything else
#: cannot be true, and times near ``datetime``'s own limits overflow once moved to UTC.
PLAUSIBLE_MOMENTS = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp always handed back timezone-aware, in UTC.

    PostgreSQL keeps the zone (``timestamptz``); SQLite has no zone and returns naive values,
    which would make comparisons such as "has this token expired?" fail. We store UTC and
    re-attach the zone on the way out, so both engines behave the same.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column(enum_type: type[enum.Enum], length: int = 20) -> Enum:
    """Enums stored as their string value in a plain column (same DDL on both engines)."""
    return Enum(
        enum_type, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )
