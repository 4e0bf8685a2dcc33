"""The ``barometre`` command: a Flask command group with the project's own commands.

``barometre db …`` comes from Flask-Migrate; the rest is registered here on the app's CLI so
that every command runs inside an application context with the configured database.
"""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import FlaskGroup

from server.config import ConfigError


def _app_for_cli() -> Flask:
    from server.app import create_app

    try:
        return create_app()
    except ConfigError as error:
        click.echo(f"Erreur de configuration : {error}", err=True)
        sys.exit(2)


main = FlaskGroup(
    name="barometre",
    help="Baromètre : échantillonnage, terrain, notation et classeur du baromètre.",
    create_app=_app_for_cli,
    add_version_option=False,
    load_dotenv=False,
    set_debug_flag=False,
)


def read_password(prompt: str) -> str:
    """A password from an interactive prompt, or the first line of stdin when piped.

    Never from argv: command lines end up in shell histories and process lists.
    """
    if sys.stdin.isatty():
        return str(click.prompt(prompt, hide_input=True, confirmation_prompt=True))
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise click.UsageError("Aucun mot de passe reçu sur l’entrée standard.")
    return line


def register(app: Flask) -> None:
    from server.cli import (
        backup,
        export,
        fieldwork,
        frame,
        referentiels,
        sample,
        scheduler,
        serve,
        users,
    )

    for command in (
        users.users_group,
        frame.frame_group,
        sample.sample_group,
        referentiels.referentiels_group,
        serve.serve_command,
        serve.demo_command,
        scheduler.scheduler_command,
        fieldwork.wave_group,
        fieldwork.investigators_group,
        export.export_group,
        backup.backup_command,
        backup.restore_command,
    ):
        app.cli.add_command(command)
