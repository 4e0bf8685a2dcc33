"""Tables of the scheduler process: its lease (one scheduler at a time) and APScheduler's store.

``apscheduler_jobs`` is the table APScheduler's ``SQLAlchemyJobStore`` creates; it is declared
here with exactly APScheduler 3's columns so that the migrations create it and the
migrations-equal-models test sees it, instead of a table appearing behind Alembic's back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Float, LargeBinary, String, Table, Unicode
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import UTCDateTime

apscheduler_jobs = Table(
    "apscheduler_jobs",
    db.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)


class SchedulerLease(db.Model):  # type: ignore[name-defined,misc]
    """The right to run jobs, held by one scheduler process and renewed while it lives.

    A second scheduler finds the lease held and unexpired, and waits; if the holder dies, the
    lease expires and the waiting one takes over.
    """

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    renewed_at: Mapped[datetime] = mapped_column(UTCDateTime())
