"""Copying the database out of and back into a running engine, one way per engine.

SQLite goes through its online backup API (``sqlite3.Connection.backup``): a consistent copy
page by page while the server keeps working, which copying the file (and its WAL) is not.
PostgreSQL goes through ``pg_dump -Fc`` and ``pg_restore``; the row counts recorded beside the
dump are read inside the very snapshot the dump is taken from (``pg_export_snapshot`` and
``pg_dump --snapshot``), so the counts checked after a restore are the dump's own.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, text
from sqlalchemy.engine import Engine

from server.services.errors import Invalid, ServiceError

#: How long a restore waits for a lock held by a running server before it gives up whole.
RESTORE_LOCK_TIMEOUT = "10s"


@dataclass(frozen=True)
class DatabaseCopy:
    #: Rows per table, read from the copy itself (or from the snapshot it was taken in).
    tables: dict[str, int]
    #: The Alembic revision of the copied schema (None for a database never migrated).
    revision: str | None


def engine_name(engine: Engine) -> str:
    name = engine.url.get_backend_name()
    if name not in {"sqlite", "postgresql"}:
        raise Invalid(f"Sauvegarde impossible : moteur « {name} » non pris en charge.")
    return name


def dump(engine: Engine, target: Path) -> DatabaseCopy:
    """Write a consistent copy of the database to ``target``; say what it holds."""
    if engine_name(engine) == "sqlite":
        return _sqlite_dump(engine, target)
    return _postgres_dump(engine, target)


def load(engine: Engine, source: Path) -> None:
    """Replace the database's content by the copy in ``source``, all or nothing."""
    engine.dispose()  # our own pooled connections would hold locks or stale pages
    if engine_name(engine) == "sqlite":
        _sqlite_load(engine, source)
    else:
        _postgres_load(engine, source)
    engine.dispose()


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows per table of the live database, as ``dump`` records them."""
    with engine.connect() as connection:
        return _counts(connection, _table_names(connection))


def _table_names(connection: Connection) -> list[str]:
    if connection.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    else:
        query = (
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        )
    return sorted(connection.execute(text(query)).scalars())


def _counts(connection: Connection, tables: list[str]) -> dict[str, int]:
    quote = connection.dialect.identifier_preparer.quote
    return {
        table: int(connection.execute(text(f"SELECT count(*) FROM {quote(table)}")).scalar_one())
        for table in tables
    }


def _sqlite_dump(engine: Engine, target: Path) -> DatabaseCopy:
    raw = engine.raw_connection()
    try:
        copy = sqlite3.connect(target)
        try:
            raw.driver_connection.backup(copy)  # type: ignore[union-attr]
            tables = [
                row[0]
                for row in copy.execute(
                    "SELECT name FROM sqlite_master "
                    "WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
                )
            ]
            counts = {t: copy.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
            revision = None
            if "alembic_version" in counts:
                row = copy.execute("SELECT version_num FROM alembic_version").fetchone()
                revision = str(row[0]) if row else None
            # One self-contained file: no WAL beside it in the archive.
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
    finally:
        raw.close()
    return DatabaseCopy(tables=counts, revision=revision)


def _sqlite_load(engine: Engine, source: Path) -> None:
    copy = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if verdict != "ok":
            raise Invalid(f"La base contenue dans la sauvegarde est abîmée : {verdict}.")
        raw = engine.raw_connection()
        try:
            # The backup API replaces the destination whole, under its own lock.
            copy.backup(raw.driver_connection)  # type: ignore[arg-type]
        finally:
            raw.close()
    finally:
        copy.close()


def _libpq(engine: Engine) -> tuple[str, dict[str, str]]:
    """A libpq URI for the client tools, with the password in the environment rather than
    on a command line that ``ps`` shows to everyone on the machine."""
    url = engine.url
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return uri, env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ServiceError(
            f"« {name} » est introuvable : installez le client PostgreSQL "
            "(paquet Debian postgresql-client) de la même version que le serveur, ou plus récent."
        )
    return found


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise ServiceError(f"{what} a échoué : {detail[-1] if detail else done.returncode}")


def _postgres_dump(engine: Engine, target: Path) -> DatabaseCopy:
    uri, env = _libpq(engine)
    with (
        engine.connect().execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        ) as connection,
        connection.begin(),
    ):
        snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        counts = _counts(connection, _table_names(connection))
        revision = None
        if "alembic_version" in counts:
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        _run(
            [
                _tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={target}",
                f"--dbname={uri}",
            ],
            env,
            "pg_dump",
        )
    return DatabaseCopy(tables=counts, revision=revision)


def _postgres_load(engine: Engine, source: Path) -> None:
    uri, env = _libpq(engine)
    env["PGOPTIONS"] = f"-c lock_timeout={RESTORE_LOCK_TIMEOUT}"
    _run(
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={uri}",
            str(source),
        ],
        env,
        "pg_restore (rien n’a été modifié)",
    )
