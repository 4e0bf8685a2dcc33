"""The coordinator's fieldwork pages: a new campaign, its waves, opening one with its plan,
the wave's dashboard (assigning, closing), the missions table and its CSV, and one mission's
page (moving it, forcing a rule, recording a reply). Analysts read; investigators may not."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from server.extensions import db
from server.models import (
    AuditEvent,
    Campaign,
    Mission,
    MissionStatus,
    User,
    Wave,
    WaveStatus,
)
from server.services import assignments, replies
from server.web.mission_text import window_text
from tests.factories import Factory

#: Campaigns point at a stored référentiel, as a fresh install has them.
pytestmark = pytest.mark.usefixtures("shipped_referentiels", "session")

Login = Callable[..., tuple[FlaskClient, User]]


def token(html: str) -> str:
    """The CSRF token of any form of the page (the sign-out form is on every page)."""
    found = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def squash(html: str) -> str:
    return re.sub(r"[ \t\r\n]+", " ", html)


def post(browser: FlaskClient, page: str, url: str, data: dict[str, Any]) -> Any:
    html = browser.get(page).get_data(as_text=True)
    return browser.post(url, data={"csrf_token": token(html), **data})


@pytest.fixture
def campaign(factory: Factory) -> Campaign:
    """6 sites drawn whole: 4 in Préfecture (Rennes), 2 in SIP (Brest)."""
    campaign = factory.campaign(2026)
    for i in range(6):
        if i < 4:
            factory.site(campaign, network="Préfecture", latitude=48.1 + i / 100)
        else:
            factory.site(
                campaign,
                network="SIP",
                region="Bretagne",
                city="Brest",
                department="29",
                latitude=48.39,
                longitude=-4.49,
            )
    factory.draw(campaign)
    db.session.commit()
    return campaign


@pytest.fixture
def wave(factory: Factory, campaign: Campaign) -> Wave:
    """One visit and one email per site; two investigators able to take them."""
    wave = factory.wave(campaign, name="Printemps", plan={"default": {"visit": 1, "email": 1}})
    factory.investigator(name="Alice Martin")
    factory.investigator(name="Bruno Petit")
    db.session.commit()
    return wave


# --- a new campaign --------------------------------------------------------------------------


def test_the_new_campaign_form_offers_the_stored_referentiels(login_as: Login) -> None:
    browser, _ = login_as("coordinator")
    html = browser.get("/coordination/campagnes/nouvelle").get_data(as_text=True)
    assert 'lang="fr"' in html
    assert re.search(r'<option value="marianne:\d+">marianne v\d+ · ', html)
    assert "Créer la campagne" in html


def test_creating_a_campaign_leads_to_its_frame(login_as: Login) -> None:
    browser, user = login_as("coordinator")
    page = "/coordination/campagnes/nouvelle"
    html = browser.get(page).get_data(as_text=True)
    choice = re.search(r'<option value="(marianne:\d+)"', html)
    assert choice
    response = post(
        browser, page, page, {"name": "Baromètre 2027", "year": 2027, "referentiel": choice[1]}
    )
    assert response.status_code == 302
    campaign = db.session.scalar(select(Campaign).where(Campaign.year == 2027))
    assert campaign is not None
    assert campaign.created_by_id == user.id
    assert response.headers["Location"] == f"/coordination/campagnes/{campaign.id}/base"
    landing = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Campagne « Baromètre 2027 » créée" in landing


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"referentiel": "inconnu:3"},
            "Référentiel inconnu : inconnu v3. Référentiels enregistrés : marianne v",
        ),
        ({"year": 1990}, "Entre 2009 et 2100."),
        ({"year": "deux mille"}, "Indiquez une année, par exemple 2026."),
        ({"name": ""}, "Indiquez le nom de la campagne."),
    ],
)
def test_a_bad_campaign_is_refused_next_to_its_field(
    login_as: Login, fields: dict[str, Any], message: str
) -> None:
    browser, _ = login_as("coordinator")
    page = "/coordination/campagnes/nouvelle"
    data = {"name": "Baromètre 2027", "year": 2027, "referentiel": "marianne:1", **fields}
    response = post(browser, page, page, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert 'class="error-summary"' in html
    assert db.session.scalar(select(Campaign).where(Campaign.year == 2027)) is None


# --- the waves of a campaign and opening one -------------------------------------------------


def test_the_waves_list_shows_dates_status_missions_and_done_share(
    login_as: Login, campaign: Campaign, wave: Wave
) -> None:
    browser, _ = login_as("coordinator")
    html = squash(
        browser.get(f"/coordination/campagnes/{campaign.id}/vagues").get_data(as_text=True)
    )
    assert f'<a href="/coordination/vagues/{wave.id}">Printemps</a>' in html
    assert "du 02/03/2026 au 24/04/2026" in html
    assert "<td>Ouverte</td>" in html
    assert '<td class="num">12</td>' in html
    assert "0\u202f%" in html
    assert f'href="/coordination/campagnes/{campaign.id}/vagues/nouvelle"' in html


def test_the_wave_form_shows_the_sites_the_missions_and_the_scenarios(
    factory: Factory, login_as: Login, campaign: Campaign
) -> None:
    from server.services import scenarios

    scenarios.create_scenario(
        db.session, network="SIP", channel="phone", title="Impôt", text="…", actor=None
    )
    db.session.commit()
    browser, _ = login_as("coordinator")
    html = squash(
        browser.get(f"/coordination/campagnes/{campaign.id}/vagues/nouvelle").get_data(as_text=True)
    )
    assert "<strong>6</strong> sites dans l’échantillon" in html
    # Default plan: 2 + 9 + 10 + 3 + 1 = 25 tests per site.
    assert "<strong>150</strong> missions à générer" in html
    assert 'id="count_visit" inputmode="numeric" max="50" min="0" name="count_visit"' in html
    assert 'Préfecture <span class="muted">(4 sites)</span>' in html
    assert 'for="network_1_phone">SIP · Appel</label>' in html
    assert '<td class="num">100</td>' in html  # Préfecture: 4 sites × 25
    assert (
        '<a href="/coordination/scenarios?network=SIP&amp;channel=phone">1<span '
        'class="visually-hidden"> scénario Appel pour SIP</span></a>'
    ) in html


def wave_data(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Automne",
        "start": "2026-09-07",
        "end": "2026-10-30",
        "count_visit": 1,
        "count_phone": 2,
        "count_email": 0,
        "count_letter": 0,
        "count_website": 0,
        "lockout_waves": 1,
        "reply_email": 5,
        "reply_letter": 15,
        "remote_per_site": 2,
        "lockout": "y",
        "same_site_in_wave": "y",
        "submit": "Ouvrir la vague",
    }
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def test_preview_recomputes_the_missions_and_opens_nothing(
    login_as: Login, campaign: Campaign
) -> None:
    browser, _ = login_as("coordinator")
    page = f"/coordination/campagnes/{campaign.id}/vagues/nouvelle"
    data = wave_data(network_1_visit=3, submit=None, preview="Recalculer")
    response = post(browser, page, page, data)
    html = squash(response.get_data(as_text=True))
    assert response.status_code == 200
    # Préfecture 4 × (1 + 2) = 12, SIP 2 × (3 + 2) = 10.
    assert "<strong>22</strong> missions à générer" in html
    assert 'name="network_1_visit" type="number" value="3"' in html
    assert db.session.scalar(select(Wave)) is None


def test_opening_a_wave_generates_its_missions_and_leads_to_its_dashboard(
    login_as: Login, campaign: Campaign
) -> None:
    browser, _ = login_as("coordinator")
    page = f"/coordination/campagnes/{campaign.id}/vagues/nouvelle"
    response = post(browser, page, page, wave_data(network_1_visit=0, network_1_email=1))
    assert response.status_code == 302
    wave = db.session.scalar(select(Wave))
    assert wave is not None
    assert response.headers["Location"] == f"/coordination/vagues/{wave.id}"
    counts = Counter(
        (m.sampled_site.site.network, m.channel)
        for m in db.session.scalars(select(Mission).where(Mission.wave_id == wave.id))
    )
    assert counts == {
        ("Préfecture", "visit"): 4,
        ("Préfecture", "phone"): 8,
        ("SIP", "phone"): 4,
        ("SIP", "email"): 2,
    }
    assert wave.rules["home_commune"] is False  # its box was left unticked
    assert wave.rules["lockout"] is True
    assert wave.plan["networks"] == {"SIP": {"visit": 0, "email": 1}}
    dashboard = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Vague « Automne » ouverte : 18 missions générées." in dashboard


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"end": "2026-09-01"}, 422, "La fin de la vague (01/09/2026) doit suivre son début"),
        ({"count_visit": -1}, 422, "De 0 à 50 tests."),
        ({"network_0_phone": -2}, 422, "De 0 à 50 tests."),
        ({"count_phone": "deux"}, 422, "Indiquez un nombre entier de tests"),
        ({"count_visit": 0, "count_phone": 0}, 422, "Plan de test vide"),
        ({"reply_email": 0}, 422, "De 1 à 60 jours ouvrés."),
        ({"lockout_waves": 11}, 422, "De 0 à 10 vagues."),
        ({"start": ""}, 422, "Indiquez le premier jour de la vague."),
    ],
)
def test_a_bad_wave_is_refused_and_nothing_is_written(
    login_as: Login, campaign: Campaign, fields: dict[str, Any], status: int, message: str
) -> None:
    browser, _ = login_as("coordinator")
    page = f"/coordination/campagnes/{campaign.id}/vagues/nouvelle"
    response = post(browser, page, page, wave_data(**fields))
    html = response.get_data(as_text=True)
    assert response.status_code == status
    assert message in html
    assert 'class="error-summary"' in html
    assert db.session.scalar(select(Mission.id)) is None


def test_overlapping_waves_are_refused(login_as: Login, campaign: Campaign, wave: Wave) -> None:
    browser, _ = login_as("coordinator")
    page = f"/coordination/campagnes/{campaign.id}/vagues/nouvelle"
    response = post(browser, page, page, wave_data(start="2026-04-20", end="2026-05-29"))
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Les dates chevauchent la vague « Printemps »" in html
    assert '<p class="field-error" id="start-error">Chevauche une autre vague.</p>' in html
    assert db.session.scalar(select(Wave).where(Wave.name == "Automne")) is None


def test_without_a_sample_the_page_says_to_draw_it_first(factory: Factory, login_as: Login) -> None:
    campaign = factory.campaign(2027)
    db.session.commit()
    browser, _ = login_as("coordinator")
    html = browser.get(f"/coordination/campagnes/{campaign.id}/vagues/nouvelle").get_data(
        as_text=True
    )
    assert "Cette campagne n’a pas encore d’échantillon" in html
    assert "Ouvrir la vague" not in html


# --- the dashboard -----------------------------------------------------------------------------


def test_the_dashboard_shows_progress_by_channel_network_and_region(
    login_as: Login, wave: Wave
) -> None:
    browser, _ = login_as("coordinator")
    html = squash(browser.get(f"/coordination/vagues/{wave.id}").get_data(as_text=True))
    assert "<caption>Par canal</caption>" in html
    assert "<caption>Par réseau</caption>" in html
    assert "<caption>Par région</caption>" in html
    assert '<th scope="row">Visite</th> <td class="num">6</td>' in html
    assert '<th scope="row">SIP</th> <td class="num">4</td>' in html
    assert '<meter min="0" max="1" value="0.0" aria-hidden="true"></meter> 0\u202f%' in html
    assert "Les missions n’ont pas encore été attribuées." in html
    assert "Attribuer les missions" in html
    assert "Clore la vague" in html
    assert 'role="region" aria-label="Par canal" tabindex="0"' in html


def test_assigning_shows_the_run_the_unassignable_missions_and_the_loads(
    factory: Factory, login_as: Login, wave: Wave
) -> None:
    # Nobody takes emails: each email is blocked by a missing skill.
    for person in db.session.scalars(select(User).where(User.role == "investigator")):
        person.investigator_profile.channels = ["visit"]
    db.session.commit()
    browser, _ = login_as("coordinator")
    page = f"/coordination/vagues/{wave.id}"
    response = post(browser, page, f"{page}/attribuer", {})
    assert response.status_code == 302
    html = squash(browser.get(page).get_data(as_text=True))
    assert (
        "Attribution terminée : 6 missions attribuées, 0 déjà commencées conservées, "
        "6 non attribuables." in html
    )
    assert "<dt>Attribuées</dt><dd>6</dd>" in html
    assert "<dt>Non attribuables</dt><dd>6</dd>" in html
    assert "<dt>Distance totale</dt><dd>" in html
    assert "<dt>Équité des charges</dt>" in html
    assert '<th scope="row">Compétence manquante</th> <td class="num">6</td>' in html
    assert f'href="/coordination/vagues/{wave.id}/missions?rule=no_channel"' in html
    assert "Alice Martin" in html
    assert "/ 100" in html
    assert "Relancer l’attribution garde les missions déjà commencées" in html


def test_assigning_without_investigators_says_why(
    factory: Factory, login_as: Login, campaign: Campaign
) -> None:
    wave = factory.wave(campaign, plan={"default": {"visit": 1}})
    db.session.commit()
    browser, _ = login_as("coordinator")
    page = f"/coordination/vagues/{wave.id}"
    response = post(browser, page, f"{page}/attribuer", {})
    html = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Attribution impossible : Aucun enquêteur actif" in html


def test_closing_needs_the_confirmation_box(login_as: Login, wave: Wave) -> None:
    browser, _ = login_as("coordinator")
    page = f"/coordination/vagues/{wave.id}"
    refused = post(browser, page, f"{page}/clore", {})
    assert refused.status_code == 422
    assert "Cochez cette case pour clore la vague." in refused.get_data(as_text=True)
    assert db.session.get(Wave, wave.id).status == WaveStatus.OPEN
    closed = post(browser, page, f"{page}/clore", {"confirm": "y"})
    assert closed.status_code == 302
    db.session.expire_all()
    assert db.session.get(Wave, wave.id).status == WaveStatus.CLOSED
    html = browser.get(page).get_data(as_text=True)
    assert "12 missions closes comme non réalisées" in html
    assert "Attribuer les missions" not in html


# --- the missions table ------------------------------------------------------------------------


def test_the_missions_table_filters_and_keeps_its_filters_across_pages(
    factory: Factory, login_as: Login, campaign: Campaign
) -> None:
    wave = factory.wave(campaign, plan={"default": {"phone": 9, "visit": 1}})
    db.session.commit()
    browser, _ = login_as("coordinator")
    page = f"/coordination/vagues/{wave.id}/missions"
    html = squash(browser.get(page, query_string={"channel": "phone"}).get_data(as_text=True))
    assert "Missions 1–50 sur 54 (filtrées)" in html
    assert f'href="{page}?page=2&amp;channel=phone" rel="next"' in html
    assert '<option value="phone" selected>Appel</option>' in html
    assert "Non attribuée" in html
    second = squash(
        browser.get(page, query_string={"channel": "phone", "page": 2}).get_data(as_text=True)
    )
    assert "Missions 51–54 sur 54 (filtrées)" in second
    sip = squash(
        browser.get(page, query_string={"network": "SIP", "q": "S000"}).get_data(as_text=True)
    )
    assert "sur 20 (filtrées)" in sip


def test_the_missions_table_shows_windows_in_the_sites_zone(login_as: Login, wave: Wave) -> None:
    browser, _ = login_as("coordinator")
    html = browser.get(f"/coordination/vagues/{wave.id}/missions?channel=visit").get_data(
        as_text=True
    )
    mission = db.session.scalar(
        select(Mission).where(Mission.wave_id == wave.id, Mission.channel == "visit")
    )
    assert window_text(mission) in html
    assert re.search(r"(lun|mar|mer|jeu|ven)\. \d\d/\d\d/2026 \d\d:\d\d–\d\d:\d\d", html)


def test_window_text_is_french_in_the_sites_zone() -> None:
    mission = Mission(
        window_start=datetime(2026, 3, 3, 7, 30, tzinfo=UTC),
        window_end=datetime(2026, 3, 3, 11, 0, tzinfo=UTC),
        time_zone="Europe/Paris",
    )
    assert window_text(mission) == "mar. 03/03/2026 08:30–12:00"
    mission.time_zone = "Indian/Reunion"
    mission.window_start = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
    mission.window_end = datetime(2026, 3, 3, 20, 0, tzinfo=UTC)
    assert window_text(mission) == "mar. 03/03/2026, toute la journée"


def test_the_missions_csv_holds_every_filtered_row_with_french_headers(
    factory: Factory, login_as: Login, campaign: Campaign
) -> None:
    wave = factory.wave(campaign, plan={"default": {"phone": 9, "visit": 1}})
    db.session.commit()
    browser, _ = login_as("coordinator")
    response = browser.get(f"/coordination/vagues/{wave.id}/missions.csv?channel=phone")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:7] == ["Code site", "Site", "Réseau", "Région", "Commune", "Canal", "Test n°"]
    assert "Statut" in rows[0]
    assert "Motif" in rows[0]
    assert len(rows) == 1 + 54  # every row, not one page
    assert {row[5] for row in rows[1:]} == {"Appel"}
    assert {row[rows[0].index("Statut")] for row in rows[1:]} == {"Non attribuée"}


# --- one mission -------------------------------------------------------------------------------


def first_mission(wave: Wave, channel: str = "visit") -> Mission:
    mission = db.session.scalar(
        select(Mission)
        .where(Mission.wave_id == wave.id, Mission.channel == channel)
        .order_by(Mission.id)
    )
    assert mission is not None
    return mission


def person(name: str) -> User:
    user = db.session.scalar(select(User).where(User.name == name))
    assert user is not None
    return user


def test_the_mission_page_shows_the_site_the_window_and_the_scenario(
    login_as: Login, wave: Wave
) -> None:
    mission = first_mission(wave)
    browser, _ = login_as("coordinator")
    html = squash(browser.get(f"/coordination/missions/{mission.id}").get_data(as_text=True))
    site = mission.sampled_site.site
    assert f'<span class="code">{site.code}</span> {site.name}' in html
    assert site.address in html
    assert "lun. 08:30–12:00, 13:30–16:30" in html
    assert window_text(mission) in html
    assert mission.scenario[:40] in html
    assert "<dt>Statut</dt><dd>Non attribuée</dd>" in html
    assert re.search(
        r'<option value="\d+">Alice Martin — 0/100 missions, 0/20 visites</option>', html
    )
    assert "Enregistrer la réponse" not in html  # a visit has no reply


def test_reassigning_a_mission_to_another_investigator(login_as: Login, wave: Wave) -> None:
    mission = first_mission(wave)
    alice = person("Alice Martin")
    browser, _ = login_as("coordinator")
    page = f"/coordination/missions/{mission.id}"
    response = post(browser, page, page, {"investigator": alice.id, "assign": "Attribuer"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Mission, mission.id).assignee_id == alice.id
    assert "Mission attribuée à Alice Martin." in browser.get(page).get_data(as_text=True)


def test_reassigning_to_an_inactive_investigator_is_refused(
    factory: Factory, login_as: Login, wave: Wave
) -> None:
    gone = factory.investigator(name="Chloé Parti", active=False)
    db.session.commit()
    mission = first_mission(wave)
    browser, _ = login_as("coordinator")
    page = f"/coordination/missions/{mission.id}"
    response = post(browser, page, page, {"investigator": gone.id, "assign": "Attribuer"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Chloé Parti est désactivé(e) : choisissez un enquêteur actif." in html
    assert 'id="investigator-error"' in html
    assert "Chloé Parti —" not in html  # not offered in the list either
    assert db.session.get(Mission, mission.id).assignee_id is None


def test_a_broken_rule_is_named_then_forced_with_a_confirmation(
    factory: Factory, login_as: Login, wave: Wave
) -> None:
    local = factory.investigator(name="Denis Rennais", home_commune="Rennes")
    db.session.commit()
    mission = first_mission(wave)  # a visit in Rennes
    browser, _ = login_as("coordinator")
    page = f"/coordination/missions/{mission.id}"
    refused = post(browser, page, page, {"investigator": local.id, "assign": "Attribuer"})
    html = squash(refused.get_data(as_text=True))
    assert refused.status_code == 409
    assert "Attribution refusée : commune de résidence" in html
    assert "<li>Commune de résidence</li>" in html
    assert "Attribuer quand même" in html
    unconfirmed = post(browser, page, page, {"investigator": local.id, "force": "x"})
    assert unconfirmed.status_code == 409
    assert "Cochez cette case pour passer outre." in unconfirmed.get_data(as_text=True)
    assert db.session.get(Mission, mission.id).assignee_id is None
    forced = post(
        browser, page, page, {"investigator": local.id, "force": "x", "force_confirm": "y"}
    )
    assert forced.status_code == 302
    db.session.expire_all()
    assert db.session.get(Mission, mission.id).assignee_id == local.id
    event = db.session.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == "mission.assign")
        .order_by(AuditEvent.id.desc())
    )
    assert event is not None
    assert event.details["forced_rule"] == "home_commune"
    assert "Règle passée outre (consignée au journal) : commune de résidence." in browser.get(
        page
    ).get_data(as_text=True)


def sent_email(wave: Wave, hours_ago: int = 48) -> Mission:
    """The first email mission, assigned and its request sent ``hours_ago``."""
    mission = first_mission(wave, "email")
    alice = person("Alice Martin")
    assignments.reassign_mission(db.session, mission, alice, actor=alice, force=True)
    replies.record_request_sent(
        db.session, mission, datetime.now(UTC) - timedelta(hours=hours_ago), actor=alice
    )
    db.session.commit()
    return mission


def local_input(moment: datetime) -> str:
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo("Europe/Paris")).strftime("%Y-%m-%dT%H:%M")


def test_recording_a_reply_then_correcting_it(login_as: Login, wave: Wave) -> None:
    mission = sent_email(wave)
    browser, _ = login_as("coordinator")
    page = f"/coordination/missions/{mission.id}"
    received = local_input(datetime.now(UTC) - timedelta(hours=1))
    data = {"received_at": received, "text": "Voici les pièces.", "record": "x"}
    response = post(browser, page, f"{page}/reponse", data)
    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Mission, mission.id)
    assert stored.status == MissionStatus.DONE
    assert stored.reply_text == "Voici les pièces."
    html = squash(browser.get(page).get_data(as_text=True))
    assert "Réponse enregistrée." in html
    assert "<q>Voici les pièces.</q>" in html
    assert "Corriger la réponse déjà enregistrée" in html
    twice = post(browser, page, f"{page}/reponse", data)
    assert twice.status_code == 409
    refusal = twice.get_data(as_text=True)
    assert "La réponse à cette mission est déjà enregistrée" in refusal
    assert "Pour la remplacer, cochez « Corriger la réponse déjà enregistrée »." in refusal
    assert '<p class="field-error" id="correction-error">' in refusal
    corrected = post(
        browser, page, f"{page}/reponse", {**data, "text": "Corrigé.", "correction": "y"}
    )
    assert corrected.status_code == 302
    db.session.expire_all()
    assert db.session.get(Mission, mission.id).reply_text == "Corrigé."


def test_a_letters_reply_is_recorded_with_its_scan(login_as: Login, wave: Wave) -> None:
    mission = sent_email(wave)
    browser, _ = login_as("coordinator")
    page = f"/coordination/missions/{mission.id}"
    received = local_input(datetime.now(UTC) - timedelta(hours=1))
    scan = b"%PDF-1.4\n%%EOF\n"
    response = post(
        browser,
        page,
        f"{page}/reponse",
        {"received_at": received, "record": "x", "scan": (io.BytesIO(scan), "lettre.pdf")},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    html = browser.get(page).get_data(as_text=True)
    assert "Numérisation de la réponse</a>" in html
    with browser.get(f"{page}/reponse/numerisation") as served:
        assert served.status_code == 200
        assert served.data == scan
    not_a_scan = post(
        browser,
        page,
        f"{page}/reponse",
        {
            "received_at": received,
            "record": "x",
            "correction": "y",
            "scan": (io.BytesIO(b"GIF89a"), "lettre.pdf"),
        },
    )
    assert not_a_scan.status_code == 422
    assert "ni un PDF" in not_a_scan.get_data(as_text=True)


def test_the_desk_records_that_the_request_left(login_as: Login, wave: Wave) -> None:
    mission = first_mission(wave, "email")
    alice = person("Alice Martin")
    assignments.reassign_mission(db.session, mission, alice, actor=alice, force=True)
    db.session.commit()
    browser, _ = login_as("coordinator")
    page = f"/coordination/missions/{mission.id}"
    assert "Enregistrer l’envoi" in browser.get(page).get_data(as_text=True)
    future = local_input(datetime.now(UTC) + timedelta(days=2))
    refused = post(browser, page, f"{page}/envoi", {"sent_at": future, "record_sent": "x"})
    assert refused.status_code == 422
    assert "La date d’envoi est dans le futur" in refused.get_data(as_text=True)
    sent = local_input(datetime.now(UTC) - timedelta(hours=3))
    response = post(browser, page, f"{page}/envoi", {"sent_at": sent, "record_sent": "x"})
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    stored = db.session.get(Mission, mission.id)
    assert stored.status == MissionStatus.AWAITING_REPLY
    assert stored.sent_at is not None


def test_a_reply_before_the_request_was_sent_is_refused(login_as: Login, wave: Wave) -> None:
    mission = first_mission(wave, "email")
    browser, _ = login_as("coordinator")
    page = f"/coordination/missions/{mission.id}"
    received = local_input(datetime.now(UTC) - timedelta(hours=1))
    response = post(browser, page, f"{page}/reponse", {"received_at": received, "record": "x"})
    assert response.status_code == 409
    assert "La demande n’a pas encore été envoyée" in response.get_data(as_text=True)


def test_a_reply_dated_before_the_sending_is_refused_next_to_its_field(
    login_as: Login, wave: Wave
) -> None:
    mission = sent_email(wave, hours_ago=2)
    browser, _ = login_as("coordinator")
    page = f"/coordination/missions/{mission.id}"
    received = local_input(datetime.now(UTC) - timedelta(days=3))
    response = post(browser, page, f"{page}/reponse", {"received_at": received, "record": "x"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "précède l’envoi de la demande" in html
    assert '<p class="field-error" id="received_at-error">Avant l’envoi.</p>' in html


# --- who may do what ---------------------------------------------------------------------------


def test_an_analyst_reads_the_dashboard_and_the_missions_but_writes_nothing(
    login_as: Login, wave: Wave
) -> None:
    browser, _ = login_as("analyst")
    dashboard = f"/coordination/vagues/{wave.id}"
    html = browser.get(dashboard).get_data(as_text=True)
    assert "<caption>Par canal</caption>" in html
    assert "Attribuer les missions" not in html
    assert "Clore la vague" not in html
    assert browser.get(f"{dashboard}/missions").status_code == 200
    assert browser.get(f"{dashboard}/missions.csv").status_code == 200
    mission = first_mission(wave)
    mission_page = f"/coordination/missions/{mission.id}"
    assert browser.get(mission_page).status_code == 200
    alice = person("Alice Martin")
    for url, data in [
        (f"{dashboard}/attribuer", {}),
        (f"{dashboard}/clore", {"confirm": "y"}),
        (mission_page, {"investigator": alice.id, "assign": "x"}),
        (f"{mission_page}/reponse", {"received_at": "2026-03-04T10:00"}),
        (f"/coordination/campagnes/{wave.campaign_id}/vagues/nouvelle", wave_data()),
        ("/coordination/campagnes/nouvelle", {"name": "X", "year": 2027}),
    ]:
        assert post(browser, dashboard, url, data).status_code == 403, url
    assert browser.get("/coordination/campagnes/nouvelle").status_code == 403
    assert db.session.get(Wave, wave.id).status == WaveStatus.OPEN


PAGES = [
    "/coordination/campagnes/nouvelle",
    "/coordination/campagnes/{campaign}/vagues",
    "/coordination/campagnes/{campaign}/vagues/nouvelle",
    "/coordination/vagues/{wave}",
    "/coordination/vagues/{wave}/missions",
    "/coordination/vagues/{wave}/missions.csv",
    "/coordination/missions/{mission}",
]


@pytest.mark.parametrize("path", PAGES)
def test_investigators_are_refused(login_as: Login, wave: Wave, path: str) -> None:
    url = path.format(campaign=wave.campaign_id, wave=wave.id, mission=first_mission(wave).id)
    browser, _ = login_as("investigator")
    assert browser.get(url).status_code == 403


@pytest.mark.parametrize("path", PAGES)
def test_strangers_are_sent_to_sign_in(client: FlaskClient, wave: Wave, path: str) -> None:
    url = path.format(campaign=wave.campaign_id, wave=wave.id, mission=first_mission(wave).id)
    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/login")


@pytest.mark.parametrize(
    "path",
    [
        "/coordination/campagnes/{campaign}/vagues",
        "/coordination/campagnes/{campaign}/vagues/nouvelle",
        "/coordination/vagues/{wave}",
        "/coordination/vagues/{wave}/missions",
    ],
)
def test_every_table_scrolls_in_a_named_box_the_keyboard_reaches(
    login_as: Login, wave: Wave, path: str
) -> None:
    from tests.server.web.test_desk_layout import _TableParents

    browser, _ = login_as("coordinator")
    html = browser.get(path.format(campaign=wave.campaign_id, wave=wave.id)).get_data(as_text=True)
    parser = _TableParents()
    parser.feed(html)
    assert parser.parents, "no table on the page"
    for parent in parser.parents:
        assert parent.get("class") == "table-wrap"
        assert parent.get("role") == "region"
        assert parent.get("tabindex") == "0"
        assert parent.get("aria-label")
