"""CSRF on every form: each page route taking POST, read from the URL map so that a new form
cannot escape the check, refuses a POST without the token (400) and stores nothing; and every
``<form method="post">`` the pages render carries the token.

The API is left out on purpose: its blueprints are exempt from Flask-WTF and check the
``X-CSRFToken`` header of a session write themselves (tests/server/api/test_session_api.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import Rule

from server.extensions import db
from server.models import Role, User
from tests.conftest import sign_in

LoginAs = Callable[..., tuple[FlaskClient, User]]
MakeUser = Callable[..., User]
CSRF_MESSAGE = "jeton de sécurité"
TEMPLATES = Path(__file__).resolve().parents[3] / "server"
POST_FORM = re.compile(r"<form\b[^>]*\bmethod=\"post\"[^>]*>(.*?)</form>", re.S | re.I)


def page_rules(app: Flask, method: str) -> list[Rule]:
    """The app's own page routes accepting ``method`` (not the API, not static files)."""
    return sorted(
        (
            rule
            for rule in app.url_map.iter_rules()
            if method in (rule.methods or ())
            and not rule.rule.startswith("/api/")
            and rule.endpoint != "static"
        ),
        key=lambda rule: rule.rule,
    )


def path_for(rule: Rule, values: dict[str, int]) -> str:
    unknown = set(rule.arguments) - set(values)
    assert not unknown, f"{rule.rule} : ajoutez {sorted(unknown)} à url_values (conftest.py)"
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(rf"<(?:[a-z]+:)?{name}>", str(values[name]), path)
    return path


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table: "nothing stored" means this does not change."""
    db.session.expire_all()
    return {
        table.name: sorted(map(tuple, db.session.execute(select(table)).all()), key=repr)
        for table in db.metadata.sorted_tables
    }


def admin_browser(app: Flask, make_user: MakeUser) -> FlaskClient:
    """Admins may use every page (DESIGN.md §3.7), so no route is skipped as forbidden."""
    return sign_in(app, make_user(Role.ADMIN))


def test_every_post_route_is_covered(app: Flask) -> None:
    """The check below walks these; it would be empty if the URL map were misread."""
    endpoints = {rule.endpoint for rule in page_rules(app, "POST")}
    assert {"auth.login", "auth.logout", "coordinator.campaign_new"} <= endpoints
    assert len(endpoints) >= 20


def test_a_post_without_the_token_is_refused_and_stores_nothing(
    app: Flask, make_user: MakeUser, url_values: dict[str, int]
) -> None:
    browser = admin_browser(app, make_user)
    before = snapshot()
    for rule in page_rules(app, "POST"):
        path = path_for(rule, url_values)
        response = browser.post(path, data={"confirm": "y", "comment": "x", "name": "x"})
        assert response.status_code == 400, (path, response.status_code)
        assert CSRF_MESSAGE in response.get_data(as_text=True), path
        after = snapshot()
        assert after == before, f"{path} a écrit sans jeton CSRF"


def test_the_token_of_another_session_is_refused_too(
    app: Flask, client: FlaskClient, login_as: LoginAs
) -> None:
    browser, _ = login_as(Role.COORDINATOR)
    foreign = _tokens(client.get("/login").get_data(as_text=True))[0]
    response = browser.post("/coordination/campagnes/nouvelle", data={"csrf_token": foreign})
    assert response.status_code == 400
    assert CSRF_MESSAGE in response.get_data(as_text=True)


def test_with_its_token_the_same_post_gets_past_the_check(app: Flask, login_as: LoginAs) -> None:
    """The other side of the check above: the 400 was the missing token, not the form."""
    browser, _ = login_as(Role.COORDINATOR)
    page = browser.get("/coordination/campagnes/nouvelle").get_data(as_text=True)
    response = browser.post(
        "/coordination/campagnes/nouvelle", data={"csrf_token": _tokens(page)[0]}
    )
    assert CSRF_MESSAGE not in response.get_data(as_text=True)


class _Forms(HTMLParser):
    """The POST forms of a page, each with the names of its inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, set[str]]] = []
        self._current: tuple[str, set[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form" and (found.get("method") or "get").lower() == "post":
            self._current = (found.get("action") or "", set())
            self.forms.append(self._current)
        elif tag == "input" and self._current is not None:
            self._current[1].add(found.get("name") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def _tokens(html: str) -> list[str]:
    return re.findall(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', html)


def _rendered_pages(
    app: Flask, browser: FlaskClient, values: dict[str, int]
) -> Iterator[tuple[str, str]]:
    for rule in page_rules(app, "GET"):
        path = path_for(rule, values)
        response = browser.get(path)
        if response.mimetype == "text/html":
            yield path, response.get_data(as_text=True)


def test_every_post_form_the_pages_render_carries_the_token(
    app: Flask, make_user: MakeUser, url_values: dict[str, int]
) -> None:
    forms = 0
    for path, html in _rendered_pages(app, admin_browser(app, make_user), url_values):
        parser = _Forms()
        parser.feed(html)
        for action, inputs in parser.forms:
            forms += 1
            assert "csrf_token" in inputs, f"{path} : formulaire POST « {action} » sans jeton"
    assert forms >= 15, f"seulement {forms} formulaires POST vus : la visite a-t-elle échoué ?"


def _templates() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.html"))


@pytest.mark.parametrize("template", _templates(), ids=lambda path: path.name)
def test_every_post_form_in_the_templates_carries_the_token(template: Path) -> None:
    """Also the forms the page visit above did not show (another state, another role)."""
    source = template.read_text(encoding="utf-8")
    for match in re.finditer(
        r"<form\b[^>]*\bmethod=\"post\"[^>]*>(.*?)</form>", source, re.S | re.I
    ):
        body = match.group(1)
        assert "csrf_token" in body or "hidden_tag()" in body, (
            f"{template.relative_to(TEMPLATES)} : {match.group(0)[:80]}…"
        )
