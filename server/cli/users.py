"""``barometre users``: accounts."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from server.cli import read_password
from server.extensions import db
from server.models import Role
from server.services import accounts
from server.services.accounts import MIN_PASSWORD_LENGTH
from server.services.errors import ServiceError


@click.group("users", help="Gérer les comptes.")
def users_group() -> None:
    pass


@users_group.command(
    "create",
    help=f"Créer un compte ; le mot de passe (au moins {MIN_PASSWORD_LENGTH} caractères) est "
    "demandé, ou lu sur l’entrée standard, jamais passé en argument.",
)
@click.argument("email")
@click.option(
    "--role", type=click.Choice([r.value for r in Role]), required=True, help="Rôle du compte."
)
@click.option("--name", default="", help="Nom affiché (par défaut : l’adresse).")
@with_appcontext
def create_user_command(email: str, role: str, name: str) -> None:
    password = read_password("Mot de passe")
    try:
        user = accounts.create_user(
            db.session, email=email, name=name or email, password=password, role=Role(role)
        )
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"Compte créé : {user.email} ({role}).")
