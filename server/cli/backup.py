"""``barometre backup FILE`` and ``barometre restore FILE``: the database and the photos."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import current_app
from flask.cli import with_appcontext

from server.extensions import db
from server.models.types import utcnow
from server.services import backup
from server.services.errors import ServiceError


def _uploads() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def _known_revision(revision: str | None) -> bool:
    from server.app import MIGRATIONS_DIR

    if revision is None:
        return True
    try:
        return ScriptDirectory(str(MIGRATIONS_DIR)).get_revision(revision) is not None
    except CommandError:
        return False


@click.command(
    "backup",
    help="Sauvegarder la base et les fichiers déposés (photos, scans) dans une archive FILE "
    "(.tar, ou .tar.gz pour la compresser). Possible pendant que le serveur tourne.",
)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Remplacer FILE s’il existe déjà.")
@with_appcontext
def backup_command(file: Path, force: bool) -> None:
    if file.exists() and not force:
        raise click.ClickException(f"« {file} » existe déjà (--force pour le remplacer).")
    try:
        manifest = backup.create_backup(db.engine, _uploads(), file, now=utcnow())
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    rows = sum(manifest.tables.values())
    click.echo(
        f"Sauvegarde écrite : {file} ({manifest.engine}, {len(manifest.tables)} tables, "
        f"{rows} lignes, {manifest.upload_files} fichiers déposés, "
        f"{file.stat().st_size / 1e6:.1f} Mo)."
    )


@click.command(
    "restore",
    help="Remplacer la base et les fichiers déposés par ceux de la sauvegarde FILE. "
    "Arrêtez d’abord le serveur et le planificateur.",
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Ne pas demander de confirmation.")
@with_appcontext
def restore_command(file: Path, yes: bool) -> None:
    from flask_migrate import upgrade

    try:
        manifest = backup.read_manifest(file)
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    if not _known_revision(manifest.revision):
        raise click.ClickException(
            f"Cette sauvegarde a le schéma « {manifest.revision} », inconnu de cette version du "
            "Baromètre : restaurez-la avec la version qui l’a faite, ou une plus récente."
        )
    click.echo(
        f"Sauvegarde du {manifest.created_at} ({manifest.engine}) : "
        f"{sum(manifest.tables.values())} lignes, {manifest.upload_files} fichiers déposés."
    )
    if not yes:
        if not sys.stdin.isatty():
            raise click.UsageError("Confirmation impossible sans terminal : ajoutez --yes.")
        click.confirm(
            "La base configurée et le dossier des fichiers déposés seront remplacés. Continuer ?",
            abort=True,
        )
    db.session.remove()  # our own open transaction would block the restore
    try:
        restored = backup.restore_backup(db.engine, _uploads(), file)
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    upgrade()  # a backup made by an older version is brought to this version's schema
    click.echo(
        f"Restauration terminée : {sum(manifest.tables.values())} lignes, "
        f"{manifest.upload_files} fichiers."
    )
    if restored.previous_uploads is not None:
        click.echo(f"L’ancien dossier des fichiers est conservé dans {restored.previous_uploads}.")
