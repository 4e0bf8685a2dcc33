"""The analyst's results pages: the dashboard with its charts, the ranking and a site's
printable scorecard, each showing the pipeline's own figures."""

from __future__ import annotations

import re
from typing import Any

import pytest
from markupsafe import escape
from sqlalchemy.orm import Session

from server.models import Campaign, Mission
from server.services.results import barometer_data
from server.web.charts import grade_text
from tests.factories import Factory
from tests.server.services.test_results import Fieldwork

FRAME = [("Préfecture", "Bretagne", 6), ("Préfecture", "Normandie", 6), ("SIP", "Bretagne", 6)]


@pytest.fixture
def campaign(factory: Factory, session: Session) -> Campaign:
    """Twelve sites drawn in three strata, each visited and called, every report approved."""
    fieldwork = Fieldwork(factory, session)
    campaign = fieldwork.campaign(2026, FRAME, size=12, seed=3)
    wave = fieldwork.wave(campaign, {"visit": 1, "phone": 1})

    def quality(mission: Mission) -> float:
        return 0.3 + 0.5 * (mission.sampled_site.site.id % 5) / 5

    fieldwork.play(wave, lambda _mission: "approve", quality)
    session.commit()
    return campaign


def _text(response: Any) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return str(response.get_data(as_text=True))


def test_the_dashboard_shows_the_pipelines_figures_with_charts(
    login_as: Any, campaign: Campaign, session: Session
) -> None:
    browser, _ = login_as("analyst")
    html = _text(browser.get(f"/analyse/campagnes/{campaign.id}/resultats"))
    data = barometer_data(session, campaign)

    assert f"{grade_text(data.national.estimate)} / 10" in html
    assert data.national.estimate is not None
    for figure in [*data.by_engagement, *data.by_network, *data.by_region]:
        assert str(escape(figure.label)) in html
    assert len(re.findall(r'<svg [^>]*role="img"', html)) == 5
    assert html.count('class="target-line"') == 5  # the 7/10 line on every chart
    assert f"/api/v1/campaigns/{campaign.id}/barometer.xlsx" in html
    assert "<script>" not in html


def test_an_empty_campaign_gives_an_explained_dashboard(
    login_as: Any, factory: Factory, session: Session
) -> None:
    fieldwork = Fieldwork(factory, session)
    campaign = fieldwork.campaign(2026, FRAME, size=12)
    session.commit()
    browser, _ = login_as("analyst")

    html = _text(browser.get(f"/analyse/campagnes/{campaign.id}/resultats"))

    assert "– / 10" in html
    assert "Aucune note : pas encore de test validé." in html


def test_the_ranking_filters_by_network(login_as: Any, campaign: Campaign) -> None:
    browser, _ = login_as("coordinator")
    html = _text(browser.get(f"/analyse/campagnes/{campaign.id}/classement?network=SIP"))

    rows = re.findall(r"<tr><td>(\d+|–)</td><th scope=\"row\"><a href=\"[^\"]+\">", html)
    assert rows
    assert "<td>Préfecture</td>" not in html
    assert "<td>SIP</td>" in html


def test_a_scorecard_puts_the_site_beside_its_network_and_the_nation(
    login_as: Any, campaign: Campaign, session: Session
) -> None:
    data = barometer_data(session, campaign)
    site = next(s for s in data.sites if s.grade is not None)
    browser, _ = login_as("analyst")

    html = _text(browser.get(f"/analyse/campagnes/{campaign.id}/sites/{site.site_id}"))

    assert site.name in html
    assert f"Réseau {site.network}" in html
    assert f"{grade_text(site.grade)} / 10" in html
    assert "js/print.js" in html
    assert html.count("/coordination/rapports/") == site.tests  # each test with its evidence
    for _code, label in data.engagements:
        assert str(escape(label)) in html


def test_a_site_outside_the_sample_has_no_scorecard(login_as: Any, campaign: Campaign) -> None:
    browser, _ = login_as("analyst")
    assert browser.get(f"/analyse/campagnes/{campaign.id}/sites/999999").status_code == 404


@pytest.mark.parametrize("path", ["resultats", "classement", "sites/1"])
def test_investigators_may_not_read_the_results(
    login_as: Any, campaign: Campaign, path: str
) -> None:
    browser, _ = login_as("investigator")
    assert browser.get(f"/analyse/campagnes/{campaign.id}/{path}").status_code == 403
