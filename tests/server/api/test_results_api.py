"""``GET /api/v1/campaigns/{id}/results`` and ``…/sites/results``: who may read them, and
that they are exactly what ``server.services.results.barometer_data`` computes."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from exports.barometer_data import Figure
from server.models import Campaign, Mission
from server.services.results import barometer_data
from tests.factories import Factory
from tests.server.services.test_results import Fieldwork, two_years

Headers = Callable[..., dict[str, str]]


@pytest.fixture
def campaign(factory: Factory, session: Session) -> Campaign:
    """Two strata, visits and calls, one site in five without an approved test."""
    fieldwork = Fieldwork(factory, session)
    campaign = fieldwork.campaign(
        2026, [("CAF", "Bretagne", 6), ("Préfecture", "Normandie", 5)], size=8
    )
    wave = fieldwork.wave(campaign, {"visit": 1, "phone": 1})
    codes = sorted(m.sampled_site.site.code for m in fieldwork.missions(wave))

    def outcome(mission: Mission) -> str:
        return "skip" if mission.sampled_site.site.code == codes[0] else "approve"

    fieldwork.play(wave, outcome, lambda mission: 0.6)
    session.commit()
    return campaign


def _figure(figure: Figure) -> dict[str, Any]:
    return json.loads(json.dumps(asdict(figure)))


@pytest.mark.parametrize("role", ["analyst", "coordinator", "admin"])
def test_staff_read_the_results(
    client: FlaskClient, token_for: Headers, campaign: Campaign, role: str
) -> None:
    response = client.get(f"/api/v1/campaigns/{campaign.id}/results", headers=token_for(role))
    assert response.status_code == 200
    assert response.get_json()["national"]["n"] > 0


def test_an_investigator_may_not_read_them(
    client: FlaskClient, token_for: Headers, campaign: Campaign
) -> None:
    headers = token_for("investigator")
    for url in ("results", "sites/results"):
        response = client.get(f"/api/v1/campaigns/{campaign.id}/{url}", headers=headers)
        assert response.status_code == 403


def test_anonymous_is_401(client: FlaskClient, campaign: Campaign) -> None:
    for url in ("results", "sites/results"):
        assert client.get(f"/api/v1/campaigns/{campaign.id}/{url}").status_code == 401


def test_an_unknown_campaign_is_404(client: FlaskClient, token_for: Headers) -> None:
    headers = token_for("analyst")
    for url in ("results", "sites/results"):
        response = client.get(f"/api/v1/campaigns/999/{url}", headers=headers)
        assert response.status_code == 404
        assert response.get_json()["code"] == "not_found"


def test_the_json_is_the_pipeline_exactly(
    client: FlaskClient, token_for: Headers, campaign: Campaign, session: Session
) -> None:
    body = client.get(
        f"/api/v1/campaigns/{campaign.id}/results", headers=token_for("analyst")
    ).get_json()
    data = barometer_data(session, campaign)
    assert body["national"] == _figure(data.national)
    assert body["share_at_least_7"] == _figure(data.share_at_least_7)
    for name in ("by_engagement", "by_network", "by_region", "by_channel"):
        assert body[name] == [_figure(f) for f in getattr(data, name)], name
    assert body["change"] is None
    assert body["evolution"] == [
        {
            "campaign_id": year.campaign_id,
            "year": year.year,
            "national": _figure(year.national),
            "share_at_least_7": _figure(year.share_at_least_7),
        }
        for year in data.evolution
    ]
    for name in (
        "engagements_at_least_7",
        "engagements_excellent",
        "approved_tests",
        "sampled_sites",
        "responding_sites",
        "campaign_id",
        "year",
        "referentiel",
    ):
        assert body[name] == getattr(data, name), name
    assert (body["sampled_sites"], body["responding_sites"]) == (8, 7)
    assert (body["level"], body["minimum_sites"]) == (0.95, 5)


def test_the_site_results_are_paginated_best_first(
    client: FlaskClient, token_for: Headers, campaign: Campaign, session: Session
) -> None:
    headers = token_for("coordinator")
    url = f"/api/v1/campaigns/{campaign.id}/sites/results"
    first = client.get(url, headers=headers, query_string={"page_size": 5})
    second = client.get(url, headers=headers, query_string={"page_size": 5, "page": 2})
    assert first.status_code == second.status_code == 200
    assert json.loads(first.headers["X-Pagination"])["total"] == 8
    rows = first.get_json() + second.get_json()
    expected = barometer_data(session, campaign).sites
    assert [r["code"] for r in rows] == [s.code for s in expected]
    assert rows[0]["rank"] == 1
    assert (rows[-1]["grade"], rows[-1]["rank"], rows[-1]["tests"]) == (None, None, 0)
    assert rows[0]["engagement_grades"] == json.loads(json.dumps(expected[0].engagement_grades))
    assert set(rows[0]) >= {"site_id", "code", "name", "network", "region", "grade", "tests"}


def test_the_routes_are_documented(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    results = paths["/api/v1/campaigns/{campaign_id}/results"]["get"]
    assert "200" in results["responses"]
    assert "/api/v1/campaigns/{campaign_id}/sites/results" in paths


def test_the_change_in_json_is_the_pipeline_exactly(
    client: FlaskClient, token_for: Headers, factory: Factory, session: Session
) -> None:
    _, now = two_years(Fieldwork(factory, session), same_sites=True)
    session.commit()
    body = client.get(
        f"/api/v1/campaigns/{now.id}/results", headers=token_for("analyst")
    ).get_json()
    change = barometer_data(session, now).change
    assert change is not None
    assert change.covariance_used
    assert body["change"] == json.loads(json.dumps(asdict(change)))
    assert [year["year"] for year in body["evolution"]] == [2025, 2026]
