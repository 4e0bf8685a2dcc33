"""The desk's frame around every page: a menu that shows each role all it may use (an admin
everything, wherever they are), and tables that scroll in their own keyboard-reachable box
instead of widening the page past a phone's screen."""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from server.extensions import db
from server.models import User
from server.services import campaigns, referentiels
from server.services.frame_import import import_frame
from tests.server.web.test_coordinator_sample_pages import frame_csv, post_form

#: Campaigns point at a stored référentiel, as a fresh install has them.
pytestmark = pytest.mark.usefixtures("shipped_referentiels")

Login = Callable[..., tuple[FlaskClient, User]]

CSS = Path(__file__).parents[3] / "server" / "static" / "css" / "app.css"


@pytest.fixture
def campaign_id(app: Flask) -> int:
    with app.app_context():
        campaign = campaigns.create_campaign(
            db.session, name="Baromètre 2026", year=2026, referentiel_code="marianne", actor=None
        )
        import_frame(
            db.session, campaign, frame_csv(), "base.csv", actor=None, max_bytes=10_000_000
        )
        db.session.commit()
        return int(campaign.id)


def menu(html: str) -> str:
    start = html.index('<nav class="desk-nav" aria-label="Navigation principale">')
    return html[start : html.index("</nav>", start)]


def menu_links(html: str) -> dict[str, str]:
    """Menu entries: link text → address."""
    return {
        text: href for href, text in re.findall(r'<a href="([^"]*)"[^>]*>([^<]*)</a>', menu(html))
    }


# --- the menu -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/coordination/",
        "/coordination/campagnes/{id}/base",
        "/coordination/campagnes/{id}/echantillon",
        "/analyse/",
        "/admin/",
        "/admin/referentiels",
    ],
)
def test_an_admin_keeps_every_area_of_the_menu_wherever_they_are(
    login_as: Login, campaign_id: int, path: str
) -> None:
    browser, _ = login_as("admin")
    html = browser.get(path.format(id=campaign_id)).get_data(as_text=True)
    links = menu_links(html)
    assert links["Comptes"] == "/admin/comptes"
    assert links["Vue d’ensemble"] == "/admin/"
    assert links["Publier une version"] == "/admin/referentiels/publier"
    assert links["Versions et questionnaires"] == "/admin/referentiels"
    assert links["Tableau de bord"].startswith("/coordination/")
    assert links["Campagnes"].startswith("/analyse/")
    for area in ("Coordination", "Analyse", "Référentiels", "Administration"):
        assert f'<span class="nav-area-title">{area}</span>' in menu(html)


def test_on_a_campaign_page_the_admin_menu_leads_to_that_campaigns_pages(
    login_as: Login, campaign_id: int
) -> None:
    browser, _ = login_as("admin")
    html = browser.get(f"/analyse/?campaign={campaign_id}").get_data(as_text=True)
    links = menu_links(html)
    assert links["Base de sondage"] == f"/coordination/campagnes/{campaign_id}/base"
    assert links["Échantillon"] == f"/coordination/campagnes/{campaign_id}/echantillon"


def test_the_menu_marks_the_page_shown_and_only_it(login_as: Login, campaign_id: int) -> None:
    browser, _ = login_as("admin")
    html = browser.get(f"/coordination/campagnes/{campaign_id}/echantillon").get_data(as_text=True)
    assert menu(html).count('aria-current="page"') == 1
    assert 'aria-current="page">Échantillon</a>' in menu(html)
    html = browser.get("/admin/").get_data(as_text=True)
    assert 'aria-current="page">Vue d’ensemble</a>' in menu(html)
    html = browser.get("/admin/comptes").get_data(as_text=True)
    assert 'aria-current="page">Comptes</a>' in menu(html)


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        (
            "coordinator",
            {"Tableau de bord", "Campagnes", "Versions et questionnaires"},
            {"Comptes", "Publier une version"},
        ),
        (
            "analyst",
            {"Campagnes", "Versions et questionnaires"},
            {"Comptes", "Tableau de bord", "Publier une version"},
        ),
    ],
)
def test_other_roles_see_only_the_areas_they_may_use(
    login_as: Login, role: str, shown: set[str], hidden: set[str]
) -> None:
    browser, _ = login_as(role)
    html = browser.get("/analyse/").get_data(as_text=True)
    links = set(menu_links(html))
    assert shown <= links
    assert not hidden & links
    assert "Administration" not in menu(html)


# --- tables on small screens -------------------------------------------------------------------


class _TableParents(HTMLParser):
    """For each <table>, the attributes of the element that holds it."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[dict[str, str | None]] = []
        self.parents: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.parents.append(self.stack[-1] if self.stack else {})
        if tag not in {"br", "input", "img", "meta", "link", "hr", "col"}:
            self.stack.append(dict(attrs))

    def handle_endtag(self, tag: str) -> None:
        if tag not in {"br", "input", "img", "meta", "link", "hr", "col"} and self.stack:
            self.stack.pop()


@pytest.mark.parametrize(
    "path",
    [
        "/coordination/",
        "/coordination/campagnes/{id}/base",
        "/coordination/campagnes/{id}/echantillon",
        "/analyse/",
        "/admin/",
        "/admin/referentiels",
    ],
)
def test_every_table_scrolls_in_a_named_box_the_keyboard_reaches(
    app: Flask, login_as: Login, campaign_id: int, path: str
) -> None:
    with app.app_context():
        referentiels.load_shipped(db.session, actor=None)
        db.session.commit()
    browser, _ = login_as("admin")
    post_form(browser, campaign_id)  # a draw, for its allocation and sites tables
    html = browser.get(path.format(id=campaign_id)).get_data(as_text=True)
    parser = _TableParents()
    parser.feed(html)
    assert parser.parents, "no table on the page"
    for parent in parser.parents:
        assert parent.get("class") == "table-wrap"
        assert parent.get("role") == "region"
        assert parent.get("tabindex") == "0"
        assert parent.get("aria-label")


def test_grid_items_and_table_boxes_cannot_widen_the_page() -> None:
    """At 360 px the dashboard was 391 px wide: a grid item grew to its table's width, and the
    visually hidden text of a table cell escaped its scroll box. (Checked in Chromium: the
    dashboard, frame, sample, analyst and référentiel pages are 360 px wide at 360 px.)"""
    css = CSS.read_text(encoding="utf-8")
    assert ".grid > * { min-width: 0; }" in css
    wrap = re.search(r"\.table-wrap \{([^}]*)\}", css)
    assert wrap is not None
    assert "overflow-x: auto" in wrap.group(1)
    assert "position: relative" in wrap.group(1)
