"""``barometre serve`` and ``barometre demo``."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from server.extensions import db
from server.models import Role


@click.command(
    "serve",
    help="Servir l’application (serveur de développement ; en production, "
    "utilisez gunicorn : voir le README).",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve_command(host: str, port: int) -> None:
    from werkzeug.serving import run_simple

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    click.echo(f"Baromètre sur http://{host}:{port} (Ctrl+C pour arrêter)")
    # Not app.run(): Flask ignores it inside its own command line, on purpose.
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)


@click.command("demo", help="Créer (ou mettre à jour) la campagne de démonstration et ses comptes.")
@click.option("--seed", default=2026, show_default=True, type=int, help="Graine des données.")
@with_appcontext
def demo_command(seed: int) -> None:
    from flask_migrate import upgrade

    from server.demo.build import DEMO_PASSWORD, build_demo

    upgrade()
    report = build_demo(db.session, seed=seed, progress=click.echo, barometer=True)
    db.session.commit()
    click.echo("")
    click.echo("Comptes de démonstration (mot de passe : " + DEMO_PASSWORD + ") :")
    investigators = [email for email, role in report.accounts if role == Role.INVESTIGATOR]
    for email, role in report.accounts:
        if role != Role.INVESTIGATOR:
            click.echo(f"  {role:<13} {email}")
    if investigators:
        click.echo(
            f"  {'investigator':<13} {investigators[0]} … {investigators[-1]} "
            f"({len(investigators)} comptes)"
        )
    if report.investigator:
        click.echo(f"  Pour le téléphone, connectez-vous comme {report.investigator} : missions à")
        click.echo("  faire, brouillons, rapports envoyés et un rapport renvoyé pour correction.")
