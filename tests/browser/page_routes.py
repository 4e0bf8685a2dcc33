"""The sweep's pages, from the app's URL map: which GET routes are pages, who may open
each, and its address with the demo's values (tests/browser/test_axe_sweep.py).

A route is a page unless it is excluded here, with the reason; so a new page is swept the day
it is added, and a new download or JSON route fails the sweep until it is listed below.
"""

from __future__ import annotations

import pytest
from flask import Flask
from werkzeug.routing import Rule

from server.models import Role

#: GET routes that are not pages, by endpoint, and why the sweep leaves them out.
EXCLUDED = {
    "static": "fichiers statiques, pas des pages",
    "index": "redirige vers l’accueil du rôle, balayé sous son propre nom",
    "investigator.manifest": "manifeste JSON de l’application du téléphone",
    "investigator.service_worker": "script du service worker",
    "health.healthz": "sonde JSON pour le répartiteur de charge",
    "admin.questionnaire_xlsform": "téléchargement XLSForm (xlsx)",
    "coordinator.sample_csv": "téléchargement CSV",
    "coordinator.scenarios_csv": "téléchargement CSV",
    "coordinator.wave_missions_csv": "téléchargement CSV",
    "coordinator.review_photo": "octets d’une photo",
    "coordinator.mission_reply_scan": "fichier de la réponse numérisée",
}
#: The JSON API (its Swagger UI is third-party HTML), covered by the API tests.
EXCLUDED_PREFIXES = {"/api/": "API JSON et son interface Swagger (tierce)"}


def excluded(rule: Rule) -> str | None:
    """Why the route is not swept, or None for a page."""
    if rule.endpoint in EXCLUDED:
        return EXCLUDED[rule.endpoint]
    return next(
        (why for prefix, why in EXCLUDED_PREFIXES.items() if rule.rule.startswith(prefix)), None
    )


def page_rules(app: Flask) -> list[Rule]:
    """Every GET route that is a page, in the URL map's order, one per endpoint."""
    seen: set[str] = set()
    rules = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint in seen or excluded(rule):
            continue
        seen.add(rule.endpoint)
        rules.append(rule)
    return rules


def may_open(app: Flask, rule: Rule, role: Role | None) -> bool:
    """``page_roles`` says who may open a page (the admin, every page); a page without it is
    public, visited signed out only."""
    roles = getattr(app.view_functions[rule.endpoint], "page_roles", None)
    if roles is None:
        return role is None
    return role is not None and (role == Role.ADMIN or role in roles)


def build_path(rule: Rule, values: dict[str, int]) -> str:
    """The route's address, each path parameter taken from ``values`` by its name."""
    unknown = sorted(set(rule.arguments) - set(values))
    if unknown:
        pytest.fail(
            f"{rule.endpoint} ({rule.rule}) : paramètre(s) {', '.join(unknown)} sans valeur de "
            "démonstration ; ajoutez-la à _path_values (test_axe_sweep.py), ou excluez la "
            "route (EXCLUDED) en disant pourquoi",
            pytrace=False,
        )
    built = rule.build({name: values[name] for name in rule.arguments}, append_unknown=False)
    assert built is not None, rule.rule
    return built[1]
