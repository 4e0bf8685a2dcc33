"""Creating and reading campaigns through the API."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

#: Campaigns point at a stored référentiel, as a fresh install has them.
pytestmark = pytest.mark.usefixtures("shipped_referentiels")


def test_coordinator_creates_and_reads_a_campaign(
    client: FlaskClient, token_for: Callable[..., dict[str, str]]
) -> None:
    headers = token_for("coordinator")
    created = client.post(
        "/api/v1/campaigns",
        headers=headers,
        json={"name": "Baromètre 2026", "year": 2026, "referentiel": "marianne"},
    )
    assert created.status_code == 201
    body = created.get_json()
    assert body["name"] == "Baromètre 2026"
    assert body["referentiel"] == "marianne"
    fetched = client.get(f"/api/v1/campaigns/{body['id']}", headers=headers)
    assert fetched.get_json()["year"] == 2026


def test_campaign_list_is_paginated(
    client: FlaskClient, token_for: Callable[..., dict[str, str]]
) -> None:
    headers = token_for("coordinator")
    for year in range(2019, 2026):
        client.post("/api/v1/campaigns", headers=headers, json={"name": f"B{year}", "year": year})
    response = client.get("/api/v1/campaigns?page=2&page_size=3", headers=headers)
    assert [c["year"] for c in response.get_json()] == [2022, 2021, 2020]
    pagination = json.loads(response.headers["X-Pagination"])
    assert pagination["total"] == 7
    assert pagination["total_pages"] == 3


@pytest.mark.parametrize("page", [10**6, 10**20, 2**63])
def test_a_page_far_past_the_last_is_empty_not_a_500(
    client: FlaskClient, token_for: Callable[..., dict[str, str]], page: int
) -> None:
    """Found by the fuzz run: an offset past 64 bits overflowed the database driver."""
    headers = token_for("coordinator")
    client.post("/api/v1/campaigns", headers=headers, json={"name": "B", "year": 2026})
    response = client.get(f"/api/v1/campaigns?page={page}&page_size=10", headers=headers)
    assert response.status_code == 200
    assert response.get_json() == []
    assert json.loads(response.headers["X-Pagination"])["total"] == 1


def test_an_id_past_the_database_range_is_a_json_404(
    client: FlaskClient, token_for: Callable[..., dict[str, str]]
) -> None:
    """Found by the fuzz run: such an id reached the database, a 500 on both engines."""
    response = client.get(f"/api/v1/campaigns/{2**63}", headers=token_for("coordinator"))
    assert response.status_code == 404
    assert set(response.get_json()) == {"code", "message", "errors"}
    questionnaires = client.get(
        f"/api/v1/questionnaires?referentiel={2**40}", headers=token_for("coordinator")
    )
    assert questionnaires.status_code == 422
    assert "referentiel" in questionnaires.get_json()["errors"]["query"]


def test_unknown_campaign_is_a_json_404(
    client: FlaskClient, token_for: Callable[..., dict[str, str]]
) -> None:
    response = client.get("/api/v1/campaigns/999999", headers=token_for("analyst"))
    assert response.status_code == 404
    assert response.get_json()["message"] == "Campagne 999999 introuvable."


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"year": 2026}, "name"),
        ({"name": "B", "year": "deux mille"}, "year"),
        ({"name": "B"}, "year"),
        ({"name": "", "year": 2026}, "name"),
    ],
)
def test_invalid_campaign_payloads_are_422_per_field(
    client: FlaskClient, token_for: Callable[..., dict[str, str]], payload: dict, field: str
) -> None:
    response = client.post("/api/v1/campaigns", headers=token_for("coordinator"), json=payload)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]


def test_year_out_of_range_is_refused(
    client: FlaskClient, token_for: Callable[..., dict[str, str]]
) -> None:
    response = client.post(
        "/api/v1/campaigns", headers=token_for("coordinator"), json={"name": "B", "year": 1850}
    )
    assert response.status_code == 422
    assert "Année invalide" in response.get_json()["message"]


def test_malformed_json_body_is_a_clear_400(
    client: FlaskClient, token_for: Callable[..., dict[str, str]]
) -> None:
    response = client.post(
        "/api/v1/campaigns",
        headers={**token_for("coordinator"), "Content-Type": "application/json"},
        data="{pas du json",
    )
    assert response.status_code in (400, 422)
    assert response.get_json()["code"] in ("bad_request", "invalid")


def test_a_campaign_points_at_the_stored_referentiel(
    client: FlaskClient, token_for: Callable[..., dict[str, str]]
) -> None:
    created = client.post(
        "/api/v1/campaigns",
        headers=token_for("coordinator"),
        json={"name": "Baromètre 2026", "year": 2026, "referentiel": "services-publics-plus"},
    )
    assert created.status_code == 201, created.json
    assert created.json["referentiel"] == "services-publics-plus"
    assert created.json["referentiel_version"] == 1
    assert isinstance(created.json["referentiel_id"], int)


def test_a_campaign_on_an_unknown_referentiel_is_422_listing_the_stored_ones(
    client: FlaskClient, token_for: Callable[..., dict[str, str]]
) -> None:
    response = client.post(
        "/api/v1/campaigns",
        headers=token_for("coordinator"),
        json={"name": "Baromètre 2026", "year": 2026, "referentiel": "qualiref"},
    )
    assert response.status_code == 422
    assert "Référentiel inconnu : qualiref" in response.json["message"]
    assert "marianne v1" in response.json["message"]
    assert "services-publics-plus v1" in response.json["message"]
    assert "referentiel" in response.json["errors"]


def test_an_unknown_referentiel_version_is_422(
    client: FlaskClient, token_for: Callable[..., dict[str, str]]
) -> None:
    response = client.post(
        "/api/v1/campaigns",
        headers=token_for("coordinator"),
        json={"name": "B", "year": 2026, "referentiel": "marianne", "referentiel_version": 9},
    )
    assert response.status_code == 422
    assert "marianne v9" in response.json["message"]
