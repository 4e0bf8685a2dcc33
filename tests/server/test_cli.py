"""The ``barometre`` command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from server.extensions import db
from server.models import Role, User


def test_help_lists_the_commands() -> None:
    from server.cli import main

    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("db", "demo", "serve", "users"):
        assert f"  {command} " in result.output


def test_users_create_reads_the_password_from_stdin(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=["users", "create", "Chef@Example.fr", "--role", "coordinator", "--name", "Chef"],
        input="un-mot-de-passe-long\n",
    )
    assert result.exit_code == 0, result.output
    assert "Compte créé : chef@example.fr (coordinator)." in result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "chef@example.fr"))
        assert user is not None
        assert user.role == Role.COORDINATOR


def test_users_create_refuses_a_short_password(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=["users", "create", "a@example.fr", "--role", "analyst"], input="court\n"
    )
    assert result.exit_code == 1
    assert "au moins 12 caractères" in result.output


def test_users_create_refuses_an_unknown_role(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=["users", "create", "a@example.fr", "--role", "chef"], input="x" * 12 + "\n"
    )
    assert result.exit_code == 2
    assert "'chef' is not one of" in result.output


def test_password_is_never_an_argument(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=["users", "create", "a@example.fr", "--role", "analyst", "--password", "x"]
    )
    assert result.exit_code == 2
    assert "No such option" in result.output


def test_malformed_database_url_is_a_clear_cli_error(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": "pas une url", "BAROMETRE_INSTANCE_PATH": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "server.cli", "db", "upgrade"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 2
    assert "Erreur de configuration : DATABASE_URL est mal formée" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_answers_on_its_port(tmp_path: Path) -> None:
    """``barometre serve`` really serves (Flask silently ignores app.run() inside its CLI)."""
    import socket
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "BAROMETRE_INSTANCE_PATH": str(tmp_path),
        "BAROMETRE_ENV": "testing",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as page:
                    assert page.status == 200
                    assert '<html lang="fr">' in page.read().decode()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=10)
