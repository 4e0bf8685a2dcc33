"""Coordinators create and list investigators."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import PASSWORD


def payload(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "email": "enqueteur@example.fr",
        "name": "Inès Moreau",
        "password": PASSWORD,
        "home_commune": "Rennes",
        "home_latitude": 48.1113,
        "home_longitude": -1.6800,
        "capacity": 30,
        "channels": ["visit", "phone"],
        "active": True,
    }
    data.update(overrides)
    return data


def test_created_investigator_can_log_in_and_is_listed(
    client: FlaskClient, token_for: Callable[..., dict[str, str]]
) -> None:
    headers = token_for("coordinator")
    created = client.post("/api/v1/investigators", headers=headers, json=payload())
    assert created.status_code == 201
    assert created.get_json()["home_commune"] == "Rennes"
    assert "password" not in created.get_json()
    listed = client.get("/api/v1/investigators", headers=headers).get_json()
    assert [i["email"] for i in listed] == ["enqueteur@example.fr"]
    login = client.post(
        "/api/v1/auth/token", json={"email": "enqueteur@example.fr", "password": PASSWORD}
    )
    assert login.get_json()["role"] == "investigator"


def test_duplicate_email_is_a_409(
    client: FlaskClient, token_for: Callable[..., dict[str, str]]
) -> None:
    headers = token_for("coordinator")
    client.post("/api/v1/investigators", headers=headers, json=payload())
    again = client.post("/api/v1/investigators", headers=headers, json=payload(name="Autre"))
    assert again.status_code == 409
    assert "existe déjà" in again.get_json()["message"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"home_latitude": 123.0}, "home_latitude"),
        ({"home_longitude": -200.0}, "home_longitude"),
        ({"capacity": -1}, "capacity"),
        ({"password": "court"}, "password"),
        ({"home_commune": "  "}, "home_commune"),
    ],
)
def test_invalid_profiles_are_refused_per_field(
    client: FlaskClient, token_for: Callable[..., dict[str, str]], overrides: dict, field: str
) -> None:
    response = client.post(
        "/api/v1/investigators", headers=token_for("coordinator"), json=payload(**overrides)
    )
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_unknown_channel_is_refused(
    client: FlaskClient, token_for: Callable[..., dict[str, str]]
) -> None:
    response = client.post(
        "/api/v1/investigators",
        headers=token_for("coordinator"),
        json=payload(channels=["visit", "pigeon"]),
    )
    assert response.status_code == 422
    assert "channels" in response.get_json()["errors"]["json"]
