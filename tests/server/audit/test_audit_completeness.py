"""Every write route leaves an audit event naming the actor, the object and the change.

The routes come from the app's URL map (API POST/PUT/PATCH/DELETE and page POSTs), so a new
write route with no entry in ``cases.ALL_CASES`` (nor in ``UNAUDITED``, with why) fails here.
Each case sends a valid request as an allowed user on a seeded world, through the real
token or the real signed-in page session with its CSRF token, then reads the events added.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from server.extensions import db
from server.models import AuditEvent, User
from tests.conftest import PASSWORD, sign_in
from tests.factories import Factory
from tests.server.audit import world as seeded
from tests.server.audit.cases import ALL_CASES, UNAUDITED, Api, Page
from tests.server.audit.forms import submit_form

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def write_routes(app: Flask) -> list[tuple[str, str]]:
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in (rule.methods or set()) & WRITES
    }
    return sorted(routes, key=lambda route: (route[1], route[0]))


def test_every_write_route_has_a_case_or_a_reason(app: Flask) -> None:
    routes = write_routes(app)
    missing = [r for r in routes if r not in ALL_CASES and r not in UNAUDITED]
    assert not missing, f"routes d’écriture sans cas d’audit : {missing}"
    stale = [r for r in (*ALL_CASES, *UNAUDITED) if r not in routes]
    assert not stale, f"cas pour des routes qui n’existent plus : {stale}"
    audited = sum(1 for r in routes if r in ALL_CASES)
    print(
        f"\nwrite routes: {len(routes)}, audited and checked: {audited}, "
        f"without audit row (listed with why): {len(routes) - audited}"
    )
    assert audited >= 50


@pytest.fixture
def world(app: Flask) -> seeded.World:
    with app.app_context():
        built = seeded.build(Factory(db.session), db.session)
        for user in (
            built.admin,
            built.coordinator,
            built.analyst,
            built.investigator,
            built.spare,
        ):
            db.session.refresh(user)
            db.session.expunge(user)
        return built


def last_event_id(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.max(AuditEvent.id))) or 0)


def events_after(app: Flask, event_id: int) -> list[AuditEvent]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(AuditEvent).where(AuditEvent.id > event_id).order_by(AuditEvent.id)
            )
        )
        for row in rows:
            db.session.expunge(row)
        return rows


def token(app: Flask, user: User) -> dict[str, str]:
    response = app.test_client().post(
        "/api/v1/auth/token", json={"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def send(app: Flask, method: str, request: Api | Page, actor: User) -> tuple[TestResponse, int]:
    """The response, and the last audit event before the request: the actor's credentials
    are made first (a login, a token), so their own events are not mistaken for the write's."""
    if isinstance(request, Page):
        browser = app.test_client() if request.anonymous else sign_in(app, actor)
        before = last_event_id(app)
        response = submit_form(
            browser, request.page, request.action, request.changes, button=request.button
        )
        return response, before
    client: FlaskClient = app.test_client()
    headers = {} if request.url == "/api/v1/auth/token" and method == "POST" else token(app, actor)
    before = last_event_id(app)
    options: dict[str, Any] = {"headers": headers}
    if request.upload is not None:
        data, name = request.upload
        options |= {
            "data": {"file": (io.BytesIO(data), name)},
            "content_type": "multipart/form-data",
        }
    elif request.json is not None:
        options["json"] = request.json
    return client.open(request.url, method=method, **options), before


def refusal(response: TestResponse) -> str:
    """What the answer says went wrong: the JSON message, or the page's error messages."""
    if response.is_json:
        return str(response.get_json())
    html = response.get_data(as_text=True)
    found = re.findall(r'class="(?:field-error|notice notice-error)"[^>]*>(.*?)</', html, re.S)
    return " | ".join(found) or html[:500]


@pytest.mark.parametrize(("method", "rule"), sorted(ALL_CASES, key=lambda r: (r[1], r[0])))
def test_a_valid_write_leaves_an_audit_event(
    app: Flask, world: seeded.World, method: str, rule: str
) -> None:
    case = ALL_CASES[(method, rule)]
    actor = world.by_role(case.role)
    request = case.request(world)
    response, before = send(app, method, request, actor)
    assert response.status_code < 400, (rule, response.status_code, refusal(response))
    events = events_after(app, before)
    matching = [e for e in events if e.action == case.action]
    assert matching, (
        f"{method} {rule} : pas d’événement {case.action} ({[e.action for e in events]})"
    )
    event = matching[0]
    assert event.actor_id == actor.id, (rule, event.action)
    assert event.entity_type == case.entity_type, (rule, event.entity_type)
    assert event.entity_id, rule
    assert case.details <= set(event.details), (rule, event.details)
    assert PASSWORD not in str(event.details)
