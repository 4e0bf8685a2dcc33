"""Drawing a campaign's sample through the API: allocation, reproducibility, the draw's life
cycle (confirmation, lock) and rotation from last year's draw."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from server.extensions import db
from server.models import Draw
from server.services import sample_draws

#: Campaigns point at a stored référentiel, as a fresh install has them.
pytestmark = pytest.mark.usefixtures("shipped_referentiels")

NETWORKS = ("Préfecture", "Sous-préfecture", "Service des impôts des particuliers")
REGIONS = ("Bretagne", "Normandie", "Occitanie")


def frame_csv(count_per_stratum: int = 12, skip: int = 0) -> bytes:
    lines = ["site_id,name,network,region,size"]
    for n, network in enumerate(NETWORKS):
        for r, region in enumerate(REGIONS):
            for i in range(count_per_stratum):
                if skip and i % skip == 0:
                    continue
                lines.append(f"S{n}{r}-{i:03d},Site {n}{r}{i},{network},{region},{100 + 37 * i}")
    return "\n".join(lines).encode()


@pytest.fixture
def coordinator(token_for: Callable[..., dict[str, str]]) -> dict[str, str]:
    return token_for("coordinator")


def new_campaign(client: FlaskClient, headers: dict[str, str], year: int, data: bytes) -> int:
    campaign = client.post(
        "/api/v1/campaigns", headers=headers, json={"name": f"B{year}", "year": year}
    ).get_json()["id"]
    response = client.post(
        f"/api/v1/campaigns/{campaign}/sites/import",
        headers=headers,
        data={"file": (io.BytesIO(data), "base.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    return int(campaign)


@pytest.fixture
def campaign_id(client: FlaskClient, coordinator: dict[str, str]) -> int:
    return new_campaign(client, coordinator, 2026, frame_csv())


def draw(client: FlaskClient, headers: dict[str, str], campaign: int, **params: Any):  # type: ignore[no-untyped-def]
    body = {"size": 45, "seed": 7, **params}
    return client.post(f"/api/v1/campaigns/{campaign}/sample", headers=headers, json=body)


def test_preview_gives_the_allocation_table_without_drawing(
    client: FlaskClient, coordinator: dict[str, str], campaign_id: int
) -> None:
    response = client.post(
        f"/api/v1/campaigns/{campaign_id}/sample/preview",
        headers=coordinator,
        json={"size": 45, "seed": 1},
    )
    body = response.get_json()
    assert (body["population"], body["strata"]) == (108, 9)
    assert {row["sample"] for row in body["allocation"]} == {5}
    row = body["allocation"][0]
    assert row["inclusion_probability"] == pytest.approx(5 / 12)
    assert row["weight"] == pytest.approx(12 / 5)
    sample = client.get(f"/api/v1/campaigns/{campaign_id}/sample", headers=coordinator)
    assert sample.status_code == 404


def test_draw_records_sites_with_stratum_probability_and_weight(
    client: FlaskClient, coordinator: dict[str, str], campaign_id: int
) -> None:
    created = draw(client, coordinator, campaign_id)
    assert created.status_code == 201
    assert created.get_json()["size"] == 45
    assert created.get_json()["code_version"].startswith("barometre")
    body = client.get(f"/api/v1/campaigns/{campaign_id}/sample", headers=coordinator).get_json()
    assert len(body["sites"]) == 45
    site = body["sites"][0]
    assert set(site) >= {
        "site_id",
        "name",
        "network",
        "region",
        "stratum",
        "inclusion_probability",
        "weight",
    }
    assert site["stratum"] == f"{site['network']} × {site['region']}"
    assert sum(s["weight"] for s in body["sites"]) == pytest.approx(108)


def test_same_parameters_and_frame_give_the_same_sample(
    client: FlaskClient, coordinator: dict[str, str]
) -> None:
    first = new_campaign(client, coordinator, 2026, frame_csv())
    draw(client, coordinator, first)
    again = new_campaign(client, coordinator, 2027, frame_csv())
    draw(client, coordinator, again)
    codes = [
        sorted(
            s["site_id"]
            for s in client.get(f"/api/v1/campaigns/{c}/sample", headers=coordinator).get_json()[
                "sites"
            ]
        )
        for c in (first, again)
    ]
    assert codes[0] == codes[1]


def test_replacing_a_draw_needs_confirmation(
    client: FlaskClient, coordinator: dict[str, str], campaign_id: int
) -> None:
    first = draw(client, coordinator, campaign_id).get_json()
    refused = draw(client, coordinator, campaign_id, seed=8)
    assert refused.status_code == 409
    assert refused.get_json()["code"] == "confirmation_required"
    assert "confirm" in refused.get_json()["message"]
    replaced = draw(client, coordinator, campaign_id, seed=8, confirm=True)
    assert replaced.status_code == 201
    current = client.get(f"/api/v1/campaigns/{campaign_id}/sample", headers=coordinator)
    assert current.get_json()["draw"]["id"] == replaced.get_json()["id"] != first["id"]


def test_a_locked_draw_cannot_be_replaced(
    app: Flask, client: FlaskClient, coordinator: dict[str, str], campaign_id: int
) -> None:
    draw_id = draw(client, coordinator, campaign_id).get_json()["id"]
    with app.app_context():
        sample_draws.lock_draw(db.session, db.session.get(Draw, draw_id), actor=None)
        db.session.commit()
    refused = draw(client, coordinator, campaign_id, confirm=True)
    assert refused.status_code == 409
    assert "verrouillé" in refused.get_json()["message"]


def test_rotation_shifts_last_years_start_and_keeps_every_sites_probability(
    client: FlaskClient, coordinator: dict[str, str]
) -> None:
    """The start moves by a shift fixed from the target and the sizes (Ohlsson 1995), so
    π = n_h/N_h holds for old and new sites alike and the overlap reached is reported as it
    is: random around the target (its exactness is proven by simulation in tests/sampling)."""
    last_year = new_campaign(client, coordinator, 2025, frame_csv(count_per_stratum=30))
    previous = draw(client, coordinator, last_year, size=90).get_json()["id"]
    this_year = new_campaign(client, coordinator, 2026, frame_csv(count_per_stratum=32, skip=7))
    created = draw(
        client, coordinator, this_year, size=90, seed=99, overlap=0.5, previous_draw=previous
    )
    assert created.status_code == 201, created.get_json()
    achieved = created.get_json()["overlap_achieved"]
    assert len(achieved) == 9
    assert all(0 <= s["kept"] <= 10 and s["target"] == 5 for s in achieved.values())
    with client.application.app_context():
        old, new = db.session.get(Draw, previous), db.session.get(Draw, created.json["id"])
        assert old is not None
        assert new is not None
        assert old.starts
        assert new.starts
        assert set(new.starts) == set(old.starts)
        assert any(new.starts[h] != old.starts[h] for h in new.starts)
        rows = {row["stratum"]: row for row in new.allocation_table}
        for sampled in new.sampled_sites:
            row = rows[sampled.stratum]
            assert sampled.inclusion_probability == pytest.approx(row["sample"] / row["population"])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"allocation": "au-hasard"}, "allocation"),
        ({"draw": "loterie"}, "draw"),
        ({"size": 0}, "size"),
        ({"minimum": -1}, "minimum"),
        ({"overlap": 0.5}, "overlap"),
        ({"overlap": 1.5, "previous_draw": 1}, "overlap"),
        ({"seed": "abc"}, "seed"),
    ],
)
def test_malformed_draw_parameters_are_422_per_field(
    client: FlaskClient, coordinator: dict[str, str], campaign_id: int, params: dict, field: str
) -> None:
    response = draw(client, coordinator, campaign_id, **params)
    assert response.status_code == 422
    assert field in str(response.get_json()["errors"])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"size": 500}, "Allocation impossible"),
        ({"size": 10}, "Allocation impossible"),
        ({"strata": ["network", "couleur"]}, "colonne inconnue couleur"),
        ({"allocation": "neyman"}, "Allocation impossible"),
        ({"previous_draw": 424242, "overlap": 0.5}, "Tirage 424242 introuvable"),
    ],
)
def test_impossible_requests_are_refused_clearly(
    client: FlaskClient, coordinator: dict[str, str], campaign_id: int, params: dict, message: str
) -> None:
    response = draw(client, coordinator, campaign_id, **params)
    assert response.status_code in (404, 422)
    assert message in response.get_json()["message"]


def test_drawing_on_an_empty_frame_is_refused(
    client: FlaskClient, coordinator: dict[str, str]
) -> None:
    campaign = client.post(
        "/api/v1/campaigns", headers=coordinator, json={"name": "Vide", "year": 2026}
    ).get_json()["id"]
    response = draw(client, coordinator, campaign)
    assert response.status_code == 422
    assert "vide" in response.get_json()["message"]


def test_pps_draw_uses_the_size_column(
    client: FlaskClient, coordinator: dict[str, str], campaign_id: int
) -> None:
    draw(client, coordinator, campaign_id, draw="pps")
    sites = client.get(f"/api/v1/campaigns/{campaign_id}/sample", headers=coordinator).get_json()
    probabilities = {s["inclusion_probability"] for s in sites["sites"]}
    assert len(probabilities) > 9  # unequal within strata, unlike srs


def test_analyst_reads_the_sample_but_cannot_draw(
    client: FlaskClient,
    coordinator: dict[str, str],
    campaign_id: int,
    token_for: Callable[..., dict[str, str]],
) -> None:
    draw(client, coordinator, campaign_id)
    analyst = token_for("analyst")
    assert client.get(f"/api/v1/campaigns/{campaign_id}/sample", headers=analyst).status_code == 200
    assert draw(client, analyst, campaign_id, confirm=True).status_code == 403


def test_cli_draw_prints_the_result(
    app: Flask, client: FlaskClient, coordinator: dict[str, str], campaign_id: int
) -> None:
    result = app.test_cli_runner().invoke(
        args=[
            "sample",
            "draw",
            "--campaign",
            str(campaign_id),
            "--size",
            "45",
            "--strata",
            "network,region",
            "--allocation",
            "proportional",
            "--minimum",
            "2",
            "--seed",
            "3",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "45 sites dans 9 strates." in result.output
    again = app.test_cli_runner().invoke(
        args=["sample", "draw", "--campaign", str(campaign_id), "--size", "45", "--seed", "3"]
    )
    assert again.exit_code == 1
    assert "relancez avec --yes" in again.output
