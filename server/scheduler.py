"""One scheduler per deployment: a lease in the database, and APScheduler while it is held.

Any number of ``barometre scheduler`` processes may be started (two hosts, a restart that
overlaps the old process); only the one holding the ``scheduler_lease`` row runs jobs. It
renews the lease every third of its length; the others poll, and take it over once it has
expired, that is once its holder died or lost the database for a whole lease length. A
process that fails to renew stops its scheduler at once, and every job run first checks in
the database that the lease is still this process's.

Clocks: expiry is compared with each process's own UTC clock, so hosts sharing a database
must keep their clocks in sync (NTP) to well within the lease length.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy import delete, inspect, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from server import jobs as jobs_module
from server.extensions import db
from server.models import SchedulerLease
from server.models.types import utcnow

logger = logging.getLogger("barometre.scheduler")

LEASE_NAME = "main"
WAITING = "en attente : un autre planificateur travaille"


def make_holder() -> str:
    """``hostname:pid:random`` — unique even when a pid is reused after a restart."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Lease:
    """The ``scheduler_lease`` row named ``name``: who may run jobs, until when."""

    def __init__(
        self, engine: Engine, *, seconds: float, holder: str | None = None, name: str = LEASE_NAME
    ) -> None:
        self.engine = engine
        self.duration = timedelta(seconds=seconds)
        self.holder = holder or make_holder()
        self.name = name
        self.table = SchedulerLease.__table__

    def acquire(self, now: datetime | None = None) -> bool:
        """Take the lease if it is free, expired or already ours; True when we hold it.

        One conditional UPDATE decides between competitors (the database serialises it);
        when the row is missing, an INSERT that ignores a conflict: of two racing inserts
        one wins and the other sees it held.
        """
        now = now or utcnow()
        columns = self.table.c
        with self.engine.begin() as connection:
            taken = connection.execute(
                update(self.table)
                .where(
                    columns.name == self.name,
                    or_(columns.holder == self.holder, columns.expires_at < now),
                )
                .values(holder=self.holder, expires_at=now + self.duration, renewed_at=now)
            ).rowcount
            if taken == 1:
                return True
            return self._insert(connection, now)

    def _insert(self, connection: Connection, now: datetime) -> bool:
        values = {
            "name": self.name,
            "holder": self.holder,
            "expires_at": now + self.duration,
            "renewed_at": now,
        }
        insert: Any = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[
            connection.dialect.name
        ]
        # RETURNING, not rowcount: psycopg reports no row count for this statement.
        inserted = connection.execute(
            insert(self.table)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["name"])
            .returning(self.table.c.name)
        ).scalar()
        return inserted is not None

    def renew(self, now: datetime | None = None) -> bool:
        """Push our lease's expiry back; False when it is no longer ours (taken over)."""
        now = now or utcnow()
        columns = self.table.c
        with self.engine.begin() as connection:
            return (
                connection.execute(
                    update(self.table)
                    .where(columns.name == self.name, columns.holder == self.holder)
                    .values(expires_at=now + self.duration, renewed_at=now)
                ).rowcount
                == 1
            )

    def held(self, now: datetime | None = None) -> bool:
        """Is the lease ours and unexpired, as the database says right now?"""
        now = now or utcnow()
        row = self.current()
        return row is not None and row["holder"] == self.holder and row["expires_at"] > now

    def current(self) -> Mapping[str, Any] | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(self.table).where(self.table.c.name == self.name)
            ).first()
        return dict(row._mapping) if row is not None else None

    def release(self) -> bool:
        """Give the lease up if it is still ours, so a waiting process starts at once;
        True when it was."""
        with self.engine.begin() as connection:
            released = connection.execute(
                delete(self.table)
                .where(self.table.c.name == self.name, self.table.c.holder == self.holder)
                .returning(self.table.c.name)
            ).first()
        return released is not None


#: The scheduler working in this process, for ``execute`` (APScheduler stores jobs by a
#: textual reference to a module-level function and their arguments, not to an object).
_working: Scheduler | None = None


def execute(job_id: str) -> None:
    """What APScheduler calls: run job ``job_id`` if this process still holds the lease."""
    scheduler = _working
    if scheduler is None:
        logger.warning("tâche %s ignorée : ce processus ne planifie plus", job_id)
        return
    scheduler.execute(job_id)


class Scheduler:
    """Runs the jobs while holding the lease; waits for it otherwise."""

    def __init__(
        self,
        app: Flask,
        *,
        jobs: Sequence[jobs_module.Job] | None = None,
        lease: Lease | None = None,
    ) -> None:
        self.app = app
        self.jobs = list(jobs_module.JOBS if jobs is None else jobs)
        config = app.config
        with app.app_context():
            self.engine = db.engine
        self.lease = lease or Lease(self.engine, seconds=config["SCHEDULER_LEASE_SECONDS"])
        seconds = self.lease.duration.total_seconds()
        self.renew_every = seconds / 3
        self.poll_every = min(float(config["SCHEDULER_POLL_SECONDS"]), seconds / 2)
        self._by_id = {job.id: job for job in self.jobs}

    def check_settings(self) -> str | None:
        """A French message when the scheduler's settings cannot work."""
        config = self.app.config
        if self.lease.duration < timedelta(seconds=1):
            return "SCHEDULER_LEASE_SECONDS doit valoir au moins 1 (secondes)."
        if config["SCHEDULER_POLL_SECONDS"] < 1:
            return "SCHEDULER_POLL_SECONDS doit valoir au moins 1 (secondes)."
        if config["SCHEDULER_INTERVAL_SECONDS"] < 0:
            return (
                "SCHEDULER_INTERVAL_SECONDS doit être positif (0 : l’intervalle de chaque tâche)."
            )
        return None

    def check_database(self) -> str | None:
        """A French message when the tables the scheduler needs are missing."""
        tables = inspect(self.engine)
        missing = [t for t in ("scheduler_lease", "apscheduler_jobs") if not tables.has_table(t)]
        if missing:
            return (
                f"Tables absentes ({', '.join(missing)}) : la base n’est pas à jour, "
                "lancez d’abord « barometre db upgrade »."
            )
        return None

    # -- one job ---------------------------------------------------------------------------

    def execute(self, job_id: str, *, now: datetime | None = None) -> Mapping[str, int] | None:
        job = self._by_id.get(job_id)
        if job is None:
            logger.warning("tâche %s inconnue : ignorée", job_id)
            return None
        if not self._safely(self.lease.held):
            logger.warning(
                "tâche %s non lancée : le bail n’est plus détenu par ce processus", job_id
            )
            return None
        return jobs_module.run_job(self.app, job, now=now)

    def run_once(self) -> dict[str, Mapping[str, int] | None] | None:
        """Take the lease, run every job once, give the lease back; None if it was held."""
        if not self._safely(self.lease.acquire):
            return None
        results: dict[str, Mapping[str, int] | None] = {}
        try:
            for job in self.jobs:
                if not self._safely(self.lease.renew):
                    logger.warning("bail perdu : tâches suivantes abandonnées")
                    break
                results[job.id] = jobs_module.run_job(self.app, job)
        finally:
            self._safely(self.lease.release)
        return results

    # -- the long-running process --------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Until ``stop`` is set: wait for the lease, work while holding it, and so on."""
        waiting = False
        try:
            while not stop.is_set():
                if self._safely(self.lease.acquire):
                    waiting = False
                    logger.info("bail obtenu (%s) : le planificateur travaille", self.lease.holder)
                    self._work(stop)
                    if not stop.is_set():
                        logger.warning("bail perdu (%s) : tâches arrêtées", self.lease.holder)
                    continue
                if not waiting:
                    holder = self._safely(self.lease.current)
                    logger.info("%s (%s)", WAITING, holder["holder"] if holder else "?")
                    waiting = True
                stop.wait(self.poll_every)
        finally:
            released = self._safely(self.lease.release)
            logger.info(
                "planificateur arrêté (%s)%s",
                self.lease.holder,
                ", bail rendu" if released else "",
            )

    def _work(self, stop: threading.Event) -> None:
        """Run APScheduler while the lease is renewed; return when lost or stopped."""
        global _working
        scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=self.engine)},
            # One worker: jobs run one after another, never two sweeps on the same missions.
            executors={"default": ThreadPoolExecutor(max_workers=1)},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone="UTC",
        )
        lost = False
        try:
            scheduler.start(paused=True)
            self._register(scheduler)
            _working = self
            scheduler.resume()
            while not stop.wait(self.renew_every):
                if not self._safely(self.lease.renew):
                    lost = True
                    return
        finally:
            _working = None  # from now on, a run that fires refuses to start
            if scheduler.running:
                # Stopping: let a running job finish and commit. Lost: do not wait for it.
                scheduler.shutdown(wait=not lost)

    def _register(self, scheduler: BackgroundScheduler) -> None:
        """Put every job in the store under its stable id (replacing the stored one) and
        remove stored jobs that are no longer listed."""
        for stored in scheduler.get_jobs():
            if stored.id not in self._by_id:
                logger.info("tâche %s retirée du magasin (plus dans la liste)", stored.id)
                stored.remove()
        for job in self.jobs:
            scheduler.add_job(
                execute,
                trigger=jobs_module.trigger_for(job, self.app.config),
                args=[job.id],
                id=job.id,
                name=job.description,
                replace_existing=True,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=job.misfire_grace_time,
            )

    @staticmethod
    def _safely(operation: Any) -> Any:
        """A lease operation whose database error counts as "not held" (logged), so a lost
        connection makes the process stop working instead of crashing."""
        try:
            return operation()
        except SQLAlchemyError as error:
            logger.error("base de données indisponible pour le bail : %s", error)
            return None
