"""The scheduler: jobs as data, the lease that lets one process work at a time, and two real
``barometre scheduler`` processes sharing the test database (SQLite file or PostgreSQL)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from server import jobs, scheduler
from server.extensions import db
from server.models import Mission, OutboxMessage, OutboxStatus, SchedulerLease, apscheduler_jobs
from server.models.types import utcnow
from server.scheduler import WAITING, Lease, Scheduler
from server.services import mission_lifecycle
from tests.factories import aware
from tests.server.test_outbox import SmtpServer

NOW = aware(2026, 3, 2, 8)
JOB_IDS = [
    "send_reminders",
    "flag_overdue",
    "record_missing_replies",
    "close_finished_waves",
    "deliver_outbox",
]


def wait_until(condition: Callable[[], Any], *, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def due_reminder(factory: Any, session: Any) -> Mission:
    """An assigned mission whose window opens in an hour, in a wave that is still running
    (real time: the scheduler processes use the clock), committed."""
    campaign = factory.campaign()
    factory.site(campaign)
    today = utcnow().date()
    wave = factory.wave(campaign, start=today, end=today + timedelta(days=30))
    mission = factory.mission(
        wave, window_start=utcnow() + timedelta(hours=1), window_end=utcnow() + timedelta(hours=3)
    )
    mission_lifecycle.assign(session, mission, factory.investigator(), actor=None)
    session.commit()
    return mission


def lease_row(app: Flask) -> Any:
    with app.app_context(), db.engine.connect() as connection:
        return connection.execute(select(SchedulerLease.__table__)).first()


def outbox_rows(app: Flask) -> list[Any]:
    with app.app_context(), db.engine.connect() as connection:
        return connection.execute(select(OutboxMessage.__table__)).all()


# --- jobs as data ------------------------------------------------------------------------


def test_jobs_have_stable_unique_ids() -> None:
    assert [job.id for job in jobs.JOBS] == JOB_IDS


def test_one_interval_for_all_jobs_when_configured() -> None:
    job = jobs.JOBS[0]

    assert jobs.trigger_for(job, {"SCHEDULER_INTERVAL_SECONDS": 0}) is job.trigger
    assert jobs.trigger_for(job, {"SCHEDULER_INTERVAL_SECONDS": 5}).interval == timedelta(seconds=5)


def test_a_failing_job_is_rolled_back_and_logged(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    def half_done(session: Any, now: Any, config: Any) -> dict[str, int]:
        from server.services import outbox

        outbox.enqueue(session, key="k", kind="test", recipient="a@b.fr", subject="s", body="b")
        raise RuntimeError("panne")

    job = jobs.Job("broken", half_done, jobs.every(minutes=1), "En panne")
    with caplog.at_level(logging.INFO, logger="barometre.jobs"):
        assert jobs.run_job(app, job, now=NOW) is None

    assert "tâche broken : échec" in caplog.text
    assert outbox_rows(app) == []


# --- the lease ---------------------------------------------------------------------------


def test_a_second_process_cannot_take_a_live_lease(app: Flask) -> None:
    with app.app_context():
        first = Lease(db.engine, seconds=60, holder="first")
        second = Lease(db.engine, seconds=60, holder="second")

        assert first.acquire(NOW)
        assert not second.acquire(NOW)
        assert first.renew(NOW + timedelta(seconds=30))  # now expires at NOW + 90 s
        assert not second.acquire(NOW + timedelta(seconds=89))
        assert second.acquire(NOW + timedelta(seconds=91))  # expired: taken over

        assert not first.renew(NOW + timedelta(seconds=92))
        assert not first.held(NOW + timedelta(seconds=92))
        assert second.held(NOW + timedelta(seconds=92))


def test_a_released_lease_is_free_at_once(app: Flask) -> None:
    with app.app_context():
        first = Lease(db.engine, seconds=60, holder="first")
        second = Lease(db.engine, seconds=60, holder="second")
        first.acquire(NOW)

        assert first.release()
        assert not second.release()  # not its lease: no effect

        assert second.acquire(NOW)
        assert lease_row(app).holder == "second"


def test_racing_processes_make_one_holder(app: Flask) -> None:
    """No row yet: every competitor tries the INSERT at once; one wins, none fails."""
    with app.app_context():
        engine = db.engine
    contenders = [Lease(engine, seconds=60, holder=f"p{n}") for n in range(4)]
    start = threading.Barrier(len(contenders))
    won: dict[str, Any] = {}

    def race(lease: Lease) -> None:
        start.wait()
        try:
            won[lease.holder] = lease.acquire(NOW)
        except Exception as error:  # reported below
            won[lease.holder] = error

    threads = [threading.Thread(target=race, args=(lease,)) for lease in contenders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert sorted(won.values(), key=str) == [False, False, False, True], won
    assert won[lease_row(app).holder] is True


def test_holder_names_the_host_and_process() -> None:
    host, pid, suffix = scheduler.make_holder().split(":")

    assert host
    assert pid == str(os.getpid())
    assert len(suffix) == 8


# --- running jobs under the lease ---------------------------------------------------------


def test_a_job_never_runs_without_the_lease(app: Flask, factory: Any, session: Any) -> None:
    due_reminder(factory, session)
    runner = Scheduler(app, lease=Lease(db.engine, seconds=60, holder="me"))
    Lease(db.engine, seconds=60, holder="other").acquire()

    assert runner.execute("send_reminders") is None
    scheduler.execute("send_reminders")  # what APScheduler calls: no scheduler works here
    assert outbox_rows(app) == []

    db.session.execute(update(SchedulerLease).values(holder="me"))
    db.session.commit()
    assert runner.execute("send_reminders") == {"enqueued": 1, "already_queued": 0}


def test_once_runs_every_job_and_gives_the_lease_back(
    app: Flask, factory: Any, session: Any
) -> None:
    due_reminder(factory, session)

    result = app.test_cli_runner().invoke(args=["scheduler", "--once"])

    assert result.exit_code == 0, result.output
    assert len(outbox_rows(app)) == 1
    assert lease_row(app) is None


def test_once_does_nothing_while_another_scheduler_works(
    app: Flask, factory: Any, session: Any
) -> None:
    due_reminder(factory, session)
    Lease(db.engine, seconds=60, holder="other").acquire()

    result = app.test_cli_runner().invoke(args=["scheduler", "--once"])

    assert result.exit_code == 1
    assert f"Rien n’a été fait, {WAITING}." in result.output
    assert outbox_rows(app) == []
    assert lease_row(app).holder == "other"


def test_unworkable_settings_are_refused(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "SCHEDULER_LEASE_SECONDS", 0)

    result = app.test_cli_runner().invoke(args=["scheduler", "--once"])

    assert result.exit_code == 1
    assert "SCHEDULER_LEASE_SECONDS doit valoir au moins 1" in result.output


def test_a_scheduler_that_loses_its_lease_stops_and_waits(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    with app.app_context():
        lease = Lease(db.engine, seconds=1.5, holder="me")
    runner = Scheduler(app, lease=lease)
    stop = threading.Event()
    worker = threading.Thread(target=runner.run, args=(stop,), daemon=True)
    with caplog.at_level(logging.INFO, logger="barometre.scheduler"):
        worker.start()
        try:
            wait_until(lambda: scheduler._working is runner, timeout=10, what="the scheduler")
            with app.app_context():  # another process took over while this one stalled
                db.session.execute(
                    update(SchedulerLease).values(
                        holder="thief", expires_at=utcnow() + timedelta(minutes=5)
                    )
                )
                db.session.commit()
            wait_until(lambda: WAITING in caplog.text, timeout=10, what="waiting")
            assert scheduler._working is None
            assert runner.execute("flag_overdue") is None
        finally:
            stop.set()
            worker.join(timeout=10)
    assert not worker.is_alive()
    assert "bail perdu (me) : tâches arrêtées" in caplog.text
    assert lease_row(app).holder == "thief"  # never released what is no longer its own


# --- two real processes ------------------------------------------------------------------


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


class SchedulerProcess:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log_path = log
        self._log = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "scheduler"],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self._log.close()


def test_two_schedulers_one_works_and_the_other_takes_over_when_it_dies(
    app: Flask,
    factory: Any,
    session: Any,
    database_url: str,
    tmp_path: Path,
    smtp_server: SmtpServer,
) -> None:
    """Exactly one of two processes runs jobs; SIGKILL it and the other takes over once the
    lease expires, with the job store's rows kept under the same ids and the reminder it
    already delivered not delivered again."""
    due_reminder(factory, session)
    session.close()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "BAROMETRE_INSTANCE_PATH": str(tmp_path),
        # Not "testing": that profile hands log lines to pytest; these go to stderr.
        "BAROMETRE_ENV": "development",
        "SECRET_KEY": "scheduler-test-key",  # two processes must not race to generate one
        "LOG_LEVEL": "DEBUG",  # every job run, even one with nothing to do
        "LOG_FORMAT": "text",
        "SCHEDULER_LEASE_SECONDS": "5",  # renewed every 1.7 s: a loaded machine keeps it
        "SCHEDULER_POLL_SECONDS": "1",
        "SCHEDULER_INTERVAL_SECONDS": "1",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_server.port),
        "SMTP_STARTTLS": "false",
    }
    processes = [SchedulerProcess(env, tmp_path / f"scheduler-{n}.log") for n in (1, 2)]
    try:
        working = wait_until(
            lambda: [p for p in processes if "bail obtenu" in p.log()],
            timeout=60,
            what="a scheduler to take the lease",
        )
        assert len(working) == 1
        first = working[0]
        (second,) = (p for p in processes if p is not first)
        wait_until(lambda: WAITING in second.log(), timeout=60, what="the other to wait")
        wait_until(
            lambda: [r for r in outbox_rows(app) if r.status == OutboxStatus.SENT],
            timeout=30,
            what="the reminder to be delivered",
        )
        assert f":{first.pid}:" in lease_row(app).holder
        assert "tâche " not in second.log()

        first.process.kill()  # no chance to give the lease back
        first.process.wait(timeout=10)
        wait_until(lambda: "bail obtenu" in second.log(), timeout=20, what="the takeover")
        wait_until(
            lambda: "tâche deliver_outbox" in second.log(),
            timeout=20,
            what="jobs in the second scheduler",
        )
        assert f":{second.pid}:" in lease_row(app).holder
        assert len(smtp_server.messages) == 1
        assert len(outbox_rows(app)) == 1
        with app.app_context(), db.engine.connect() as connection:
            stored = connection.execute(select(apscheduler_jobs.c.id)).scalars().all()
        assert sorted(stored) == sorted(JOB_IDS)

        second.process.terminate()
        assert second.process.wait(timeout=15) == 0
        assert "bail rendu" in second.log()
        assert lease_row(app) is None
    finally:
        for process in processes:
            process.stop()
            print(f"--- {process.log_path.name} (pid {process.pid})\n{process.log()}")  # on failure


def test_the_store_keeps_one_row_per_job_across_restarts(app: Flask) -> None:
    with app.app_context():
        lease = Lease(db.engine, seconds=30, holder="me")
    for _ in range(2):
        runner = Scheduler(app, lease=lease)
        stop = threading.Event()
        worker = threading.Thread(target=runner.run, args=(stop,), daemon=True)
        worker.start()
        try:
            wait_until(lambda r=runner: scheduler._working is r, timeout=10, what="the scheduler")
        finally:
            stop.set()
            worker.join(timeout=10)
        assert not worker.is_alive()

    with app.app_context(), db.engine.connect() as connection:
        rows = connection.execute(
            select(apscheduler_jobs.c.id, func.count()).group_by(apscheduler_jobs.c.id)
        ).all()
    assert sorted(rows) == sorted((job_id, 1) for job_id in JOB_IDS)
