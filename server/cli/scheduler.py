"""``barometre scheduler``: the process that runs the jobs (one per deployment)."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command(
    "scheduler",
    help="Lancer le planificateur des tâches jusqu’à SIGTERM ou Ctrl+C. Un seul travaille à la "
    "fois : un second processus attend que le bail du premier expire. Tâches (server/jobs.py) : "
    "rappels aux enquêteurs, missions en retard, réponses non reçues, clôture des vagues "
    "finies, envoi des courriels.",
)
@click.option(
    "--once",
    is_flag=True,
    help="Prendre le bail, lancer chaque tâche une fois, le rendre et s’arrêter "
    "(pour cron ; code 1 si un autre planificateur travaille).",
)
@with_appcontext
def scheduler_command(once: bool) -> None:
    from server.scheduler import WAITING, Scheduler

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    scheduler = Scheduler(app)
    problem = scheduler.check_settings() or scheduler.check_database()
    if problem:
        raise click.ClickException(problem)
    if once:
        results = scheduler.run_once()
        if results is None:
            raise click.ClickException(f"Rien n’a été fait, {WAITING}.")
        failed = [job_id for job_id, counts in results.items() if counts is None]
        if failed:
            raise click.ClickException(f"Tâches en échec : {', '.join(failed)} (voir le journal).")
        return

    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        logging.getLogger("barometre.scheduler").info(
            "signal %s reçu : arrêt après la tâche en cours (un second signal l’interrompt)",
            signal.Signals(signum).name,
        )
        signal.signal(signum, signal.SIG_DFL)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    click.echo(f"Planificateur {scheduler.lease.holder} (SIGTERM ou Ctrl+C pour l’arrêter)")
    scheduler.run(stop)
