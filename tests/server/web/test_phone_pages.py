"""The investigator's phone pages: the agenda, a mission with its report form, and what makes
them work offline (the service worker and the web app manifest). DESIGN.md §3.8, §3.11."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from PIL import Image
from sqlalchemy import select

from server.extensions import db
from server.models import Mission, Questionnaire, ReportStatus, User
from server.services import mission_lifecycle
from server.web.investigator.offline import phone_app_version
from survey_schemas import condition_tree, parse_condition
from tests.conftest import PASSWORD, sign_in
from tests.factories import Factory

Login = Callable[..., tuple[FlaskClient, User]]

#: 3.2 km north of the factory investigators' home (Vitré, 48.12, -1.21).
MID = (48.14878, -1.21)
CHOICE_TYPES = ("yes_no", "yes_no_na", "single_choice", "multiple_choice")


class Page(HTMLParser):
    """What the tests read of a page: its scripts, its ids and every tag's attributes."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[dict[str, str | None]] = []
        self.ids: set[str] = set()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._script: dict[str, str | None] | None = None
        self.script_text: dict[str, str] = {}
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if attributes.get("id"):
            self.ids.add(str(attributes["id"]))
        if tag == "script":
            self.scripts.append(attributes)
            self._script = attributes

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None and self._script.get("id"):
            key = str(self._script["id"])
            self.script_text[key] = self.script_text.get(key, "") + data


def _mission(
    factory: Factory,
    investigator: User,
    channel: str = "visit",
    *,
    place: tuple[float, float] = MID,
    start: datetime | None = None,
    name: str | None = None,
) -> Mission:
    """A mission of a new one-site campaign, assigned to ``investigator``, whose window is open
    now (or starts at ``start``)."""
    number = len(db.session.scalars(select(Mission)).all()) + 1
    campaign = factory.campaign(2026, name=f"Baromètre {channel} {number}")
    factory.site(campaign, latitude=place[0], longitude=place[1], name=name or f"Site {number}")
    mission = factory.mission(factory.wave(campaign, plan={channel: 1}))
    mission_lifecycle.assign(db.session, mission, investigator, actor=None)
    start = start or datetime.now(UTC) - timedelta(hours=1)
    mission.window_start = start
    mission.window_end = start + timedelta(hours=9)
    db.session.flush()
    return mission


# --- the agenda -----------------------------------------------------------------------------


def test_the_agenda_lists_the_groups_with_distances(app: Flask, factory: Factory) -> None:
    me = factory.investigator()
    today = _mission(factory, me, name="Préfecture de Vitré")
    later = _mission(
        factory, me, "phone", start=datetime.now(UTC) + timedelta(days=3), name="Mairie d’Acigné"
    )
    returned = _mission(factory, me, name="Sous-préfecture de Fougères")
    mission_lifecycle.mark_done(db.session, returned, actor=None)
    factory.report(returned, me, status=ReportStatus.RETURNED)
    someone_else = _mission(factory, factory.investigator(), name="Site d’un autre")
    db.session.commit()

    response = sign_in(app, me).get("/missions")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="fr">' in html
    titles = re.findall(r'<h2 id="groupe-(\w+)">([^<]+?) <span class="count">\((\d+)\)', html)
    assert titles == [
        ("returned", "À corriger", "1"),
        ("today", "Aujourd’hui", "1"),
        ("upcoming", "À venir", "1"),
    ]
    assert html.count("à 3,2 km") == 2  # the two visits; the call has no distance
    for mission in (today, later, returned):
        assert f'href="/missions/{mission.id}"' in html
    assert f'href="/missions/{someone_else.id}"' not in html
    assert str(escape("Site d’un autre")) not in html
    assert "Renvoyé pour correction" in html  # the returned report's badge
    # The sections come in the agenda's order.
    positions = [html.index(str(escape(name))) for name in ("Fougères", "Vitré", "Acigné")]
    assert positions == sorted(positions)


def test_a_coordinator_is_refused_the_phone_pages(
    login_as: Login, factory: Factory, app: Flask
) -> None:
    mission = _mission(factory, factory.investigator())
    db.session.commit()
    browser, _ = login_as("coordinator")
    for path in ("/missions", f"/missions/{mission.id}"):
        response = browser.get(path)
        assert response.status_code == 403
        assert "Accès refusé : votre rôle" in response.get_data(as_text=True)


def test_another_investigators_mission_page_is_404(app: Flask, factory: Factory) -> None:
    owner = factory.investigator()
    stranger = factory.investigator()
    mission = _mission(factory, owner)
    db.session.commit()
    browser = sign_in(app, stranger)
    response = browser.get(f"/missions/{mission.id}")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert f"Mission {mission.id} introuvable." in html
    assert "phone-data" not in html
    assert browser.get("/missions/999999").status_code == 404


def test_anonymous_mission_page_goes_to_login_and_back(app: Flask, factory: Factory) -> None:
    mission = _mission(factory, factory.investigator())
    db.session.commit()
    response = app.test_client().get(f"/missions/{mission.id}")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"] == [f"/missions/{mission.id}"]
    assert app.test_client().get("/missions").status_code == 302


# --- the mission page -----------------------------------------------------------------------


def _phone_data(page: Page) -> dict[str, Any]:
    blocks = [s for s in page.scripts if s.get("id") == "phone-data"]
    assert len(blocks) == 1
    assert blocks[0].get("type") == "application/json"
    data: dict[str, Any] = json.loads(page.script_text["phone-data"])
    return data


@pytest.mark.parametrize("channel", ["visit", "phone", "email", "letter", "website"])
def test_the_mission_page_renders_every_question_and_its_conditions(
    app: Flask, factory: Factory, channel: str
) -> None:
    me = factory.investigator()
    mission = _mission(factory, me, channel)
    db.session.commit()
    row = db.session.get(Questionnaire, mission.questionnaire_id)
    questions = row.content["questions"]
    assert questions

    response = sign_in(app, me).get(f"/missions/{mission.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = Page(html)
    assert '<html lang="fr">' in html
    assert ">Envoyer</button>" in html
    for question in questions:
        qid, label = question["id"], str(escape(question["label"]))
        assert f'data-question="{qid}"' in html, qid
        assert f"q-{qid}-erreur" in page.ids, qid
        if question["type"] in CHOICE_TYPES:
            # A fieldset whose legend is the label; one input per answer, named by the id.
            assert f"<legend>{label}" in html, qid
            names = [a.get("name") for tag, a in page.tags if tag == "input"]
            assert qid in names, qid
        else:
            assert f'<label for="q-{qid}">{label}' in html, qid
            assert f"q-{qid}" in page.ids, qid

    data = _phone_data(page)
    assert data["mission_id"] == mission.id
    assert data["user_id"] == me.id
    assert data["channel"] == channel
    assert data["questionnaire_id"] == row.id
    assert data["questionnaire_version"] == row.version
    assert data["takes_position"] is (channel == "visit")
    assert [q["id"] for q in data["questions"]] == [q["id"] for q in questions]
    conditions = 0
    for sent, question in zip(data["questions"], questions, strict=True):
        assert sent["label"] == question["label"]
        assert sent["type"] == question["type"]
        assert sent["required"] is bool(question.get("required", False))
        source = question.get("visible_if")
        if source is None:
            assert sent["visible_when"] is None, question["id"]
        else:
            conditions += 1
            assert sent["visible_when"] == condition_tree(parse_condition(source)), question["id"]
    if channel == "visit":
        assert conditions > 10  # the visit questionnaire is mostly conditional
    # The trees are the API's too.
    token = app.test_client().post(
        "/api/v1/auth/token", json={"email": me.email, "password": PASSWORD}
    )
    api = app.test_client().get(
        f"/api/v1/questionnaires/{row.id}",
        headers={"Authorization": f"Bearer {token.json['token']}"},
    )
    assert api.status_code == 200
    assert {q["id"]: q["visible_when"] for q in api.json["questions"]} == {
        q["id"]: q["visible_when"] for q in data["questions"]
    }


def test_the_phone_pages_have_no_inline_script(app: Flask, factory: Factory) -> None:
    me = factory.investigator()
    mission = _mission(factory, me)
    db.session.commit()
    browser = sign_in(app, me)
    for path in ("/missions", f"/missions/{mission.id}", "/login"):
        if path == "/login":
            browser = app.test_client()
        response = browser.get(path)
        assert response.status_code == 200, path
        page = Page(response.get_data(as_text=True))
        assert page.scripts or path == "/login"
        for script in page.scripts:
            assert script.get("src") or script.get("type") == "application/json", (path, script)
            if script.get("src"):
                assert str(script["src"]).startswith("/static/"), script  # no CDN
                with browser.get(str(script["src"])) as served:
                    assert served.status_code == 200, script
        for tag, attributes in page.tags:
            handlers = [name for name in attributes if name.startswith("on")]
            assert not handlers, (path, tag, handlers)
            assert not str(attributes.get("href") or "").startswith("javascript:"), (path, tag)


# --- offline: service worker and manifest ---------------------------------------------------


def test_the_service_worker_is_served_fresh_at_the_root(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/sw.js")  # public: the login page may register it
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Service-Worker-Allowed"] == "/"
    text = response.get_data(as_text=True)
    version = phone_app_version(app)
    assert version
    assert f"const VERSION = {json.dumps(version)};" in text
    assert 'request.method !== "GET"' in text
    # Every file of the shell it caches at install exists (one missing fails the install).
    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", text).group(1))  # type: ignore[union-attr]
    assert "/static/js/phone.js" in shell
    for url in shell:
        with client.get(url) as served:
            assert served.status_code == 200, url


def test_a_new_app_version_makes_a_new_worker(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    client = app.test_client()
    before = client.get("/sw.js").get_data(as_text=True)
    monkeypatch.setitem(app.config, "PHONE_APP_VERSION", "2026.03-essai")
    after = client.get("/sw.js").get_data(as_text=True)
    assert after != before
    assert 'const VERSION = "2026.03-essai";' in after
    assert phone_app_version(app) == "2026.03-essai"
    monkeypatch.setitem(app.config, "PHONE_APP_VERSION", "2026.04")
    assert 'const VERSION = "2026.04";' in client.get("/sw.js").get_data(as_text=True)


def test_the_manifest_and_its_icons(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data())
    assert manifest["name"]
    assert "Baromètre" in manifest["name"]
    assert manifest["short_name"]
    assert manifest["start_url"] == "/missions"
    assert manifest["lang"] == "fr"
    assert manifest["display"] == "standalone"
    assert manifest["icons"]
    for icon in manifest["icons"]:
        with client.get(icon["src"]) as served:
            assert served.status_code == 200, icon
            assert served.mimetype == "image/png", icon
            picture = Image.open(io.BytesIO(served.get_data()))
            assert picture.format == "PNG"
            assert "x".join(map(str, picture.size)) == icon["sizes"], icon
    assert {icon["sizes"] for icon in manifest["icons"]} >= {"192x192", "512x512"}


def test_the_phone_pages_point_at_the_manifest(app: Flask, factory: Factory) -> None:
    me = factory.investigator()
    db.session.commit()
    html = sign_in(app, me).get("/missions").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
