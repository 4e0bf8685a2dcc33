"""The scheduler's jobs, as data: a stable id, what runs, and how often.

Each job body is a service (``server.services.schedule``, ``server.services.outbox``) given
the session, the time and the settings; ``run_job`` gives it its own application context and
session and commits its work as one unit (the outbox delivery commits per message, through
its checkpoint). ``server.scheduler`` runs them under the lease, one scheduler at a time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from sqlalchemy.orm import Session

from server.extensions import db
from server.models.types import utcnow
from server.services import outbox, schedule

logger = logging.getLogger("barometre.jobs")

JobBody = Callable[[Session, datetime, Mapping[str, Any]], Mapping[str, int]]

#: Interval triggers count from this fixed instant, not from the scheduler's start: a job
#: runs at the same times whenever the scheduler was (re)started, so frequent restarts never
#: keep postponing an hourly job.
ANCHOR = datetime(2000, 1, 1, tzinfo=UTC)


def every(**interval: float) -> IntervalTrigger:
    return IntervalTrigger(**interval, start_date=ANCHOR, timezone=UTC)


@dataclass(frozen=True)
class Job:
    #: Stable: the job store row is replaced, never duplicated, at each start.
    id: str
    func: JobBody
    trigger: BaseTrigger
    #: French, for the logs and ``barometre scheduler --help``.
    description: str
    #: A run late by more than this (the scheduler was busy or stopped) is skipped; the next
    #: one catches up, since every job sweeps everything that is due.
    misfire_grace_time: int = 300


def _send_reminders(session: Session, now: datetime, config: Mapping[str, Any]) -> dict[str, int]:
    return schedule.send_reminders(
        session, now=now, lead=timedelta(hours=config.get("REMINDER_HOURS", 48))
    )


def _flag_overdue(session: Session, now: datetime, _config: Mapping[str, Any]) -> dict[str, int]:
    return schedule.flag_overdue(session, now=now)


def _record_missing_replies(
    session: Session, now: datetime, _config: Mapping[str, Any]
) -> dict[str, int]:
    return schedule.record_missing_replies(session, now=now)


def _close_finished_waves(
    session: Session, now: datetime, _config: Mapping[str, Any]
) -> dict[str, int]:
    return schedule.close_finished_waves(session, now=now)


def _deliver_outbox(session: Session, now: datetime, config: Mapping[str, Any]) -> dict[str, int]:
    delivery = outbox.deliver_pending(
        session,
        smtp=outbox.SmtpSettings.from_config(config),
        now=now,
        batch=config.get("OUTBOX_BATCH", 50),
        checkpoint=session.commit,  # each claim and each outcome is its own unit of work
    )
    return delivery.as_counts()


#: In the order ``--once`` runs them: the delivery last, so new reminders leave at once.
JOBS: list[Job] = [
    Job("send_reminders", _send_reminders, every(minutes=15), "Rappels aux enquêteurs"),
    Job("flag_overdue", _flag_overdue, every(minutes=15), "Missions en retard"),
    Job(
        "record_missing_replies",
        _record_missing_replies,
        every(hours=1),
        "Réponses non reçues à l’échéance",
    ),
    Job("close_finished_waves", _close_finished_waves, every(hours=1), "Clôture des vagues"),
    Job(
        "deliver_outbox",
        _deliver_outbox,
        every(minutes=1),
        "Envoi des courriels",
        misfire_grace_time=60,
    ),
]


def trigger_for(job: Job, config: Mapping[str, Any]) -> BaseTrigger:
    """The job's own trigger, or one interval for all when ``SCHEDULER_INTERVAL_SECONDS``
    is set (tests, demonstrations)."""
    seconds = config.get("SCHEDULER_INTERVAL_SECONDS") or 0
    return every(seconds=seconds) if seconds > 0 else job.trigger


def _summary(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{name} {value}" for name, value in counts.items()) or "rien à faire"


def run_job(app: Flask, job: Job, *, now: datetime | None = None) -> Mapping[str, int] | None:
    """Run ``job`` in its own application context and session, and commit its work.

    A failure is logged and rolled back (what the job had not committed is lost, nothing is
    half-written); it returns None then, and the next run tries again.
    """
    with app.app_context():
        session = db.session()  # this context's own session, removed when it ends
        try:
            counts = job.func(session, now or utcnow(), app.config)
            session.commit()
        except Exception:
            session.rollback()
            logger.exception("tâche %s : échec, son travail non validé est annulé", job.id)
            return None
        # A run that found nothing to do is only worth a debug line (most runs, most days).
        level = logging.INFO if any(counts.values()) else logging.DEBUG
        logger.log(level, "tâche %s : %s", job.id, _summary(counts))
        return counts
