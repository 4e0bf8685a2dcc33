"""Passwords of at least 12 characters (``accounts.MIN_PASSWORD_LENGTH``), wherever one is set,
and every password the project ships (demo, test accounts) meets the rule."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from server.demo.build import DEMO_PASSWORD
from server.extensions import db
from server.models import User
from server.services import accounts
from server.services.errors import Invalid
from tests.conftest import PASSWORD

ELEVEN, TWELVE = "onze-carac.", "douze-carac."


def test_the_rule_is_twelve_characters() -> None:
    assert accounts.MIN_PASSWORD_LENGTH == 12
    assert (len(ELEVEN), len(TWELVE)) == (11, 12)


def test_eleven_characters_are_refused_twelve_accepted(app: Flask) -> None:
    with app.app_context():
        with pytest.raises(Invalid, match="au moins 12 caractères"):
            accounts.check_password(ELEVEN)
        accounts.check_password(TWELVE)


def test_the_cli_refuses_eleven_characters(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=["users", "create", "onze@example.fr", "--role", "analyst"], input=ELEVEN + "\n"
    )
    assert result.exit_code == 1
    assert "au moins 12 caractères" in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 0


def test_the_cli_help_states_the_rule(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["users", "create", "--help"])
    assert "au moins 12 caractères" in result.output


def test_the_api_refuses_an_investigator_password_of_eleven(
    client: FlaskClient, token_for: Callable[..., dict[str, str]]
) -> None:
    response = client.post(
        "/api/v1/investigators",
        headers=token_for("coordinator"),
        json={
            "email": "court@example.fr",
            "name": "Mot court",
            "password": ELEVEN,
            "home_commune": "Rennes",
            "home_latitude": 48.11,
            "home_longitude": -1.68,
            "capacity": 10,
            "channels": ["visit"],
        },
    )
    assert response.status_code == 422, response.get_json()
    assert "12" in str(response.get_json()["errors"])


@pytest.mark.parametrize("password", [DEMO_PASSWORD, PASSWORD], ids=["démo", "tests"])
def test_shipped_passwords_meet_the_rule(password: str) -> None:
    assert len(password) >= accounts.MIN_PASSWORD_LENGTH
