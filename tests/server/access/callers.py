"""Who calls in the matrix, and how: each role with a bearer token, and with a signed-in
page session (whose writes carry its CSRF token, as our own pages do); anonymous both ways.

Write bodies are ones a guard-less route would act on (valid where a short body can be), so
that "a refused write changes nothing" is a real check, not a 422 in disguise.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from server.models import Role, User
from tests.conftest import PASSWORD, sign_in
from tests.server.access.routes import Route
from tests.server.access.world import World, client_id, unique_png

#: What a refused caller tries to set an account's password to.
NEW_PASSWORD = "intrus-mot-de-passe-2026"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_in(html: str) -> str:
    match = _CSRF.search(html)
    assert match is not None, "no CSRF token on the page"
    return match.group(1) or match.group(2)


@dataclass
class Caller:
    """One role (None = anonymous) with its two ways in."""

    role: Role | None
    browser: FlaskClient
    csrf: str
    plain: FlaskClient
    token: dict[str, str]

    @property
    def name(self) -> str:
        return self.role.value if self.role else "anonymous"

    def call(self, route: Route, url: str, via: str, world: World) -> TestResponse:
        """``via`` is "token" (API, no cookie) or "session" (pages, and the API from pages)."""
        if via == "token":
            return self.plain.open(
                url, method=route.method, headers=self.token, **_api_body(route, world)
            )
        if route.api:
            headers = {"X-CSRFToken": self.csrf} if route.writes else {}
            return self.browser.open(
                url, method=route.method, headers=headers, **_api_body(route, world)
            )
        if not route.writes:
            return self.browser.open(url, method=route.method)
        return self.browser.open(
            url,
            method=route.method,
            data={**_page_form(world), "csrf_token": self.csrf},
            content_type="multipart/form-data",
        )


def anonymous(app: Flask) -> Caller:
    browser = app.test_client()
    csrf = csrf_in(browser.get("/login").get_data(as_text=True))
    return Caller(None, browser, csrf, app.test_client(), {})


def signed_in(app: Flask, user: User) -> Caller:
    browser = sign_in(app, user)
    home = browser.get("/", follow_redirects=True)
    assert home.status_code == 200, (user.role, home.status_code)
    issuer = app.test_client()
    response = issuer.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 201, response.json
    token = {"Authorization": f"Bearer {response.json['token']}"}  # type: ignore[index]
    return Caller(
        user.role, browser, csrf_in(home.get_data(as_text=True)), app.test_client(), token
    )


def _csv(text: str) -> tuple[io.BytesIO, str]:
    return io.BytesIO(text.encode()), "intrus.csv"


def _iso(days: int = 0) -> str:
    return (datetime.now(UTC).replace(microsecond=0) + timedelta(days=days)).isoformat()


def _api_body(route: Route, world: World) -> dict[str, Any]:
    """Keyword arguments of ``client.open`` for an API call: a body the route would accept."""
    if not route.writes:
        return {}
    tail = route.rule.rsplit("/", 1)[-1]
    if tail in {"import", "photos", "scan"}:
        upload = (
            (io.BytesIO(unique_png(7)), "intrus.png")
            if tail != "import"
            else _csv("site_id,name,network,region\nZ9,Intrus,Préfecture,Bretagne\n")
        )
        return {"data": {"file": upload}, "content_type": "multipart/form-data"}
    return {"json": _json_body(route, world)}


def _json_body(route: Route, world: World) -> dict[str, Any]:
    answers = {"l_adresse": "INTRUSION"}
    bodies: dict[str, dict[str, Any]] = {
        "/api/v1/campaigns": {"name": "Intrus", "year": 2031, "referentiel": "marianne"},
        "/api/v1/campaigns/<int:campaign_id>/sample": {
            "size": 1,
            "strata": [],
            "allocation": "proportional",
            "minimum": 0,
            "seed": 9,
            "draw": "srs",
            "confirm": True,
        },
        "/api/v1/campaigns/<int:campaign_id>/waves": {
            "name": "Intruse",
            "start": "2026-05-04",
            "end": "2026-05-29",
        },
        "/api/v1/investigators": {
            "email": "intrus@example.fr",
            "name": "Intrus",
            "password": PASSWORD,
            "home_commune": "Rennes",
            "home_latitude": 48.1,
            "home_longitude": -1.7,
            "capacity": 3,
            "channels": ["letter"],
            "active": True,
        },
        "/api/v1/investigators/<int:user_id>": {"active": False, "capacity": 1},
        "/api/v1/missions/<int:mission_id>/assign": {
            "investigator_id": world.spare.id,
            "force": True,
        },
        "/api/v1/missions/<int:mission_id>/reply": {
            "received_at": _iso(),
            "text": "INTRUSION",
            "correction": True,
        },
        "/api/v1/missions/<int:mission_id>/sent": {"sent_at": _iso(-2)},
        "/api/v1/missions/<int:mission_id>/report": {
            "client_id": client_id(404),
            "answers": answers,
        },
        "/api/v1/missions/<int:mission_id>/report/submit": {
            "client_id": client_id(404),
            "answers": answers,
        },
        "/api/v1/reports/<int:report_id>/review": {"decision": "reject", "comment": "INTRUSION"},
        "/api/v1/review-comments": {"text": "INTRUSION"},
        "/api/v1/review-comments/<int:comment_id>": {"active": False},
        "/api/v1/scenarios": {
            "network": "Préfecture",
            "channel": "letter",
            "title": "Intrus",
            "text": "Intrus.",
        },
        "/api/v1/scenarios/<int:scenario_id>": {"title": "Intrus", "active": False},
        "/api/v1/users": {
            "email": "intrus.admin@example.fr",
            "name": "Intrus",
            "password": NEW_PASSWORD,
            "role": "admin",
        },
        "/api/v1/users/<int:user_id>": {"role": "admin", "active": False},
        "/api/v1/users/<int:user_id>/password": {"password": NEW_PASSWORD},
    }
    bodies["/api/v1/campaigns/<int:campaign_id>/sample/preview"] = bodies[
        "/api/v1/campaigns/<int:campaign_id>/sample"
    ]
    return bodies.get(route.rule, {})


def _page_form(world: World) -> dict[str, Any]:
    """One form for every page POST: the fields their forms use, filled so they would act."""
    return {
        "file": _csv("site_id,name,network,region\nZ9,Intrus,Préfecture,Bretagne\n"),
        "decision": "reject",
        "comment": "INTRUSION",
        "text": "INTRUSION",
        "name": "Intrus",
        "title": "Intrus",
        "investigator_id": str(world.spare.id),
        "force": "y",
        "active": "",
        "email": "intrus.admin@example.fr",
        "role": "admin",
        "action": "deactivate",
        "password": NEW_PASSWORD,
        # The password form's confirmation, and a ticked box for the forms that confirm.
        "confirm": NEW_PASSWORD,
    }
