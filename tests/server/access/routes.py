"""Every route of the app's URL map, with who may call it, read from the guards themselves.

The roles come from the ``api_roles`` and ``page_roles`` attributes the decorators of
``server/auth.py`` leave on each view, so a new route is in the access matrix the day it is
added; a route with neither guard must be listed in ``PUBLIC`` with why, or the matrix fails.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from flask import Flask

from server.models import Role

#: Routes anyone may call, and why (method "*" = every method of the rule).
PUBLIC: dict[tuple[str, str], str] = {
    ("GET", "/"): "sends anyone to the login page or to their role's home page",
    ("*", "/login"): "the sign-in form itself",
    ("POST", "/logout"): "signing out needs no role (and ends an anonymous session harmlessly)",
    ("GET", "/static/<path:filename>"): "stylesheets, scripts and icons, the same for everyone",
    ("GET", "/sw.js"): "the service worker must load before anyone signs in, to work offline",
    ("GET", "/manifest.webmanifest"): "the phone's install manifest, read by the browser alone",
    ("GET", "/api/v1/openapi.json"): "the API's published contract (DESIGN.md §3.5)",
    ("GET", "/api/v1/docs"): "the API's documentation page, built from the contract",
    ("GET", "/api/v1/docs/static/<path:filename>"): "the documentation page's assets",
    ("POST", "/api/v1/auth/token"): "where a caller gets a token: it cannot need one",
    ("GET", "/healthz"): "the reverse proxy's probe: answers with no login and no data",
}

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: ``<name>``, ``<int:name>``, ``<int(max=2147483647):name>``…
PARAMETER = re.compile(r"<(?:(?P<converter>[a-z]+)(?:\([^)]*\))?:)?(?P<name>[a-z_]+)>")


@dataclass(frozen=True)
class Route:
    """One method of one rule of the URL map, and the roles its guard lets in."""

    method: str
    rule: str
    api: bool
    #: The roles of the guard (admin always passes); empty = any signed-in user.
    roles: tuple[Role, ...]

    @property
    def writes(self) -> bool:
        return self.method in WRITES

    @property
    def parameters(self) -> list[str]:
        return [match["name"] for match in PARAMETER.finditer(self.rule)]

    def lets_in(self, role: Role) -> bool:
        return role == Role.ADMIN or not self.roles or role in self.roles

    def url(self, values: dict[str, int]) -> str:
        return PARAMETER.sub(lambda match: str(values[match["name"]]), self.rule)


def is_public(method: str, rule: str) -> bool:
    return ("*", rule) in PUBLIC or (method, rule) in PUBLIC


def _guard(app: Flask, endpoint: str, method: str) -> tuple[bool, tuple[Role, ...]] | None:
    """(is the API, roles) of the view's guard, or None when the view has no guard."""
    view = app.view_functions[endpoint]
    view_class = getattr(view, "view_class", None)
    handler = getattr(view_class, method.lower(), None) if view_class is not None else view
    roles = getattr(handler, "api_roles", None)
    if roles is not None:
        return True, tuple(roles)
    roles = getattr(handler, "page_roles", None)
    if roles is not None:
        return False, tuple(roles)
    return None


def walk(app: Flask) -> tuple[list[Route], list[tuple[str, str]]]:
    """The guarded routes, and the (method, rule) pairs with no guard that are not public."""
    guarded: list[Route] = []
    unguarded: list[tuple[str, str]] = []
    for method, rule, endpoint in _methods(app):
        guard = _guard(app, endpoint, method)
        if guard is not None:
            guarded.append(Route(method, rule, *guard))
        elif not is_public(method, rule):
            unguarded.append((method, rule))
    return sorted(guarded, key=lambda r: (r.rule, r.method)), sorted(unguarded)


def public_routes(app: Flask) -> list[tuple[str, str]]:
    return sorted(
        (method, rule) for method, rule, _endpoint in _methods(app) if is_public(method, rule)
    )


def _methods(app: Flask) -> Iterator[tuple[str, str, str]]:
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield method, rule.rule, rule.endpoint
