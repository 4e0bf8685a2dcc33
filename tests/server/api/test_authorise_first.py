"""Every API route checks who is asking before it reads the body: no token is a 401 and a
wrong role a 403 whatever the body, so an anonymous caller learns nothing about the schema.

The routes come from the app's URL map, so a new route cannot escape these tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from server.models import Role

#: Routes anyone may call (signing in).
PUBLIC = {("POST", "/api/v1/auth/token")}
WRITES = ("POST", "PUT", "PATCH", "DELETE")
BAD_BODIES: list[Any] = [b"{not json", b'{"name": 3, "start": [], "file": null}', b"[]"]


def _api_methods(app: Flask) -> Iterator[tuple[str, str, tuple[Role, ...]]]:
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or "/docs" in rule.rule:
            continue
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if (method, rule.rule) in PUBLIC:
                continue
            handler = getattr(view_class, method.lower(), None) if view_class else view
            roles = getattr(handler, "api_roles", None)
            if roles is None:
                continue
            url = re.sub(r"<(?:int:)?[a-z_]+>", "1", rule.rule)
            yield method, url, roles


def _routes() -> list[tuple[str, str, tuple[Role, ...]]]:
    from server.app import create_app

    app = create_app({"ENV_PROFILE": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return sorted(_api_methods(app))


ROUTES = _routes()


def test_every_api_route_is_guarded() -> None:
    from server.app import create_app

    app = create_app({"ENV_PROFILE": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    unguarded = [
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        and "/docs" not in rule.rule
        and rule.rule != "/api/v1/openapi.json"
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
        if (method, rule.rule) not in PUBLIC
        and getattr(
            getattr(
                getattr(app.view_functions[rule.endpoint], "view_class", None), method.lower(), None
            ),
            "api_roles",
            None,
        )
        is None
    ]
    assert unguarded == []


@pytest.mark.parametrize(("method", "url", "roles"), ROUTES)
def test_no_token_is_401_whatever_the_body(
    client: FlaskClient, method: str, url: str, roles: tuple[Role, ...]
) -> None:
    for body in BAD_BODIES:
        response = client.open(url, method=method, data=body, content_type="application/json")
        assert response.status_code == 401, (method, url, body, response.json)
        assert set(response.json) == {"code", "message", "errors"}


def test_a_wrong_role_is_403_before_any_body_is_read(
    client: FlaskClient, token_for: Callable[..., dict[str, str]]
) -> None:
    """Investigators and analysts on every write route they are not allowed, with bodies
    that would each be a 400 or 422 if they were read (one token per role, every route)."""
    refused = []
    for role in (Role.INVESTIGATOR, Role.ANALYST):
        headers = token_for(role)
        for method, url, roles in ROUTES:
            if method not in WRITES or not roles or role in roles:
                continue
            for body in BAD_BODIES:
                response = client.open(
                    url,
                    method=method,
                    data=body,
                    content_type="application/json",
                    headers=headers,
                )
                if response.status_code != 403:
                    refused.append((role.value, method, url, body, response.status_code))
    assert refused == []
