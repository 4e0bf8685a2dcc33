"""axe-core over every page of every role, on the demo's data, in Chromium.

The pages are not listed by hand: they come from the app's URL map, so a new page is swept the
day it is added. Each page route is visited once per role allowed to open it (``page_roles``;
the admin may open every page), its path parameters taken from the demo by name: a parameter
with no demo value fails the sweep, as does a page that does not answer 200 in HTML. Desk
roles use a 1280 px desktop, the investigator the 390 px phone. A few states a route's first
view does not show are visited too: forms sent with errors, flash messages, empty lists, a
filtered queue, an import report with refused lines.

Every page is run through axe; a serious or critical violation fails the test, and the table
of violations per page and impact (axe's nodes) is printed (``-s``) for the issue's closing
note. One check of our own is added to axe's (``scroll_boxes.py``): a box that may scroll is
a named region reachable with the keyboard even when it fits the window. The investigator's
pages are also checked for horizontal scroll at 390 px.

Each GET route is either a page or excluded in ``page_routes.py``, with the reason.

The admin passes every role check, and sees every area of the menu on every desk page, so it
visits every page; the sweep is thus about a hundred pages, each route once per role (never
once per row).

**SQLite only.** The demo with its barometer takes ~50 s to build on SQLite and several times
that on PostgreSQL, while the HTML the pages render is the same on both engines: the
PostgreSQL pass of ``scripts/test`` skips this module (the engines' differences are covered by
the server tests, which do run there).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import select

from server.demo.build import DEMO_PASSWORD, DEMO_YEAR, build_demo
from server.demo.people import DEMO_STAFF
from server.extensions import db
from server.models import (
    Campaign,
    Mission,
    Questionnaire,
    Referentiel,
    Report,
    ReportStatus,
    Role,
    SampledSite,
    Scenario,
    User,
    Wave,
)
from tests.browser.axe import (
    BLOCKING_IMPACTS,
    assert_no_horizontal_scroll,
    axe_violations,
    describe_violations,
)
from tests.browser.conftest import DEFAULT_TIMEOUT_MS, PHONE, LiveServer, login, watch_csp
from tests.browser.page_routes import build_path, may_open, page_rules
from tests.browser.scroll_boxes import unreachable_scroll_boxes
from tests.conftest import _empty_tables

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("TEST_DATABASE_URL")),
    reason="balayage axe sur SQLite seulement : même HTML, démo bien plus lente sur PostgreSQL",
)

DESKTOP: dict[str, Any] = {
    "viewport": {"width": 1280, "height": 900},
    "locale": "fr-FR",
    "timezone_id": "Europe/Paris",
}
NAVIGATION_TIMEOUT_MS = 60_000
IMPACTS = ("critical", "serious", "moderate", "minor")

NEWCOMER = "enqueteur01@demo.barometre.fr"
STAFF_EMAILS = {Role(member["role"]): member["email"] for member in DEMO_STAFF}
DESK_ROLES = (Role.ADMIN, Role.COORDINATOR, Role.ANALYST)


@dataclass
class Visit:
    who: str
    page: str
    url: str
    counts: Counter[str]
    blocking: list[dict[str, Any]]
    #: the ids of the rules the page breaks, at any impact
    rules: list[str]
    #: loading (when ``visit`` opened it) and checking the page, for the sweep's budget
    seconds: float


#: Every page the module visited, for the closing table.
VISITS: list[Visit] = []


@pytest.fixture(autouse=True)
def _clean_tables() -> None:
    """Overrides the suite's per-test cleaning: the demo is built once for this module."""
    return


@pytest.fixture(scope="module")
def demo_ids(app: Flask, live_server: LiveServer) -> Iterator[dict[str, dict[str, int]]]:
    """Build the demo into the live server's database; yield path parameters per audience
    (``desk`` and ``investigator``), then print the table of violations and empty the tables."""
    with app.app_context():
        started = time.perf_counter()
        build_demo(db.session, progress=lambda _message: None, barometer=True)
        db.session.commit()
        print(f"\ndémo construite en {time.perf_counter() - started:.1f} s")
        ids = _path_values(db.session)
    yield ids
    _print_table()
    with app.app_context():
        db.session.remove()
        _empty_tables()


def _path_values(session: Any) -> dict[str, dict[str, int]]:
    """One demo id per path parameter name: the richest page of each kind (the current
    campaign and wave, a report waiting for review, the newcomer's returned report)."""
    campaign = session.scalar(select(Campaign).where(Campaign.year == DEMO_YEAR))
    wave = session.scalar(select(Wave).where(Wave.campaign_id == campaign.id).order_by(Wave.id))
    waiting = session.scalar(
        select(Report)
        .join(Mission, Report.mission_id == Mission.id)
        .where(Mission.wave_id == wave.id, Report.status == ReportStatus.SUBMITTED)
        .order_by(Report.id)
    )
    newcomer = session.scalar(select(User).where(User.email == NEWCOMER))
    returned = session.scalar(
        select(Report)
        .where(Report.investigator_id == newcomer.id, Report.status == ReportStatus.RETURNED)
        .order_by(Report.id)
    )
    site_id = session.scalar(
        select(SampledSite.site_id).where(SampledSite.id == waiting.mission.sampled_site_id)
    )
    desk = {
        "campaign_id": campaign.id,
        "wave_id": wave.id,
        "mission_id": waiting.mission_id,
        "report_id": waiting.id,
        "site_id": site_id,
        "user_id": newcomer.id,
        "scenario_id": session.scalar(select(Scenario.id).order_by(Scenario.id)),
        "questionnaire_id": session.scalar(select(Questionnaire.id).order_by(Questionnaire.id)),
        "referentiel_id": campaign.referentiel_id
        or session.scalar(select(Referentiel.id).order_by(Referentiel.id)),
    }
    return {"desk": desk, "investigator": {**desk, "mission_id": returned.mission_id}}


# --- visiting ----------------------------------------------------------------------------------


#: CSP violations seen by any page of the sweep (watch_csp in tests/browser/conftest.py).
CSP_VIOLATIONS: list[str] = []


def check(page: Page, who: str, label: str, started: float | None = None) -> None:
    """Run axe on the page as it is now and record the counts by impact."""
    started = time.perf_counter() if started is None else started
    violations = axe_violations(page) + unreachable_scroll_boxes(page)
    counts: Counter[str] = Counter()
    for violation in violations:
        counts[violation["impact"] or "minor"] += len(violation["nodes"])
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    rules = sorted(v["id"] for v in violations)
    # A page that needs what the CSP forbids (server/security.py) would half work in production.
    assert not CSP_VIOLATIONS, "violation(s) de la CSP : " + " ; ".join(CSP_VIOLATIONS)
    seconds = time.perf_counter() - started
    VISITS.append(Visit(who, label, urlsplit(page.url).path, counts, blocking, rules, seconds))


def visit(page: Page, who: str, label: str, path: str) -> None:
    """Open ``path``; it must answer 200 in HTML at that address (no redirect)."""
    started = time.perf_counter()
    response = page.goto(path)
    assert response is not None, path
    kind = response.headers.get("content-type", "")
    if response.status != 200 or not kind.startswith("text/html"):
        pytest.fail(
            f"{who} : {path} a répondu {response.status} ({kind}) au lieu d’une page ; "
            "corrigez la valeur du paramètre, ou excluez la route (page_routes.EXCLUDED) en "
            "disant pourquoi",
            pytrace=False,
        )
    if urlsplit(page.url).path != urlsplit(path).path:
        pytest.fail(f"{who} : {path} a redirigé vers {page.url}", pytrace=False)
    check(page, who, label, started)


def assert_no_blocking(who: str) -> None:
    failing = [v for v in VISITS if v.who == who and v.blocking]
    if failing:
        pytest.fail(
            f"axe : violation(s) graves ou critiques sur {len(failing)} page(s) ({who})\n"
            + "\n".join(f"{v.page} {v.url}\n{describe_violations(v.blocking)}" for v in failing),
            pytrace=False,
        )


def _print_table() -> None:
    width = max((len(v.page) for v in VISITS), default=10)
    head = " ".join(f"{impact:>8}" for impact in IMPACTS)
    print(f"\nViolations axe par page ({len(VISITS)} pages, nœuds par impact)")
    print(f"{'rôle':12} {'page':{width}} {head}      s  adresse  [règles enfreintes]")
    for v in VISITS:
        figures = " ".join(f"{v.counts.get(impact, 0):>8}" for impact in IMPACTS)
        rules = f"  [{', '.join(v.rules)}]" if v.rules else ""
        print(f"{v.who:12} {v.page:{width}} {figures} {v.seconds:6.1f}  {v.url}{rules}")
    totals = Counter[str]()
    for v in VISITS:
        totals.update(v.counts)
    figures = " ".join(f"{totals.get(impact, 0):>8}" for impact in IMPACTS)
    seconds = sum(v.seconds for v in VISITS)
    print(f"{'total':12} {'':{width}} {figures} {seconds:6.1f}")


def _new_page(browser: Browser, live_server: LiveServer, role: Role | None) -> Page:
    options = PHONE if role == Role.INVESTIGATOR else DESKTOP
    context = browser.new_context(**options, base_url=live_server.url)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    watch_csp(context, CSP_VIOLATIONS)
    # The demo's biggest pages (a wave's review queue, the results) take seconds to render on
    # a busy two-CPU machine; the sweep checks their markup, not their speed.
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    return context.new_page()


def _email(role: Role) -> str:
    return NEWCOMER if role == Role.INVESTIGATOR else STAFF_EMAILS[role]


# --- the sweep ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [*DESK_ROLES, Role.INVESTIGATOR], ids=lambda role: role.value)
def test_every_page_of_the_role_passes_axe(
    role: Role,
    app: Flask,
    browser: Browser,
    live_server: LiveServer,
    demo_ids: dict[str, dict[str, int]],
) -> None:
    page = _new_page(browser, live_server, role)
    values = demo_ids["investigator" if role == Role.INVESTIGATOR else "desk"]
    login(page, _email(role), DEMO_PASSWORD)
    assert page.get_by_text("Bienvenue").count() == 1, "message d’accueil absent"
    check(page, role.value, "accueil + message flash")
    for rule in page_rules(app):
        if may_open(app, rule, role):
            visit(page, role.value, rule.endpoint, build_path(rule, values))
            if role == Role.INVESTIGATOR:
                assert_no_horizontal_scroll(page, rule.endpoint)
    page.context.close()
    assert_no_blocking(role.value)


#: (who, what the page shows, address, form to send as it is or None, what proves the state)
STATES = (
    (
        "coord-états",
        "campagne : formulaire en erreur",
        "/coordination/campagnes/nouvelle",
        "main form[action*='/campagnes/nouvelle']",
        ".error-summary",
    ),
    (
        "coord-états",
        "enquêteur : formulaire en erreur",
        "/coordination/enqueteurs/nouveau",
        "main form.card",
        ".field-error",
    ),
    (
        "coord-états",
        "missions : liste vide",
        "/coordination/vagues/{wave_id}/missions?q=zzzz",
        None,
        "text=Aucune mission ne correspond à ces filtres.",
    ),
    (
        "coord-états",
        "revue : file filtrée",
        "/coordination/vagues/{wave_id}/revue?status=rejected",
        None,
        "main table >> text=Rejeté",
    ),
    (
        "coord-états",
        "revue : filtre inconnu (flash)",
        "/coordination/vagues/{wave_id}/revue?status=inconnu",
        None,
        ".notice-error",
    ),
    (
        "coord-états",
        "courriels : liste vide",
        "/coordination/courriels?status=failed",
        None,
        "text=Aucun message",
    ),
    (
        "admin-états",
        "publication : formulaire en erreur",
        "/admin/referentiels/publier",
        "main form[action*='/publier']",
        ".field-error",
    ),
)


#: An investigators' file whose only line is refused (latitude out of range): nothing is
#: stored, and the import report lists the line.
REFUSED_INVESTIGATORS = (
    b"courriel;nom;commune;latitude;longitude;capacite\n"
    b"refus@example.fr;Refus Exemple;Lyon;200;4,85;5\n"
)


def _import_report_with_rejections(page: Page) -> None:
    page.goto("/coordination/enqueteurs/import")
    page.set_input_files(
        "main form input[type=file]",
        {"name": "enqueteurs.csv", "mimeType": "text/csv", "buffer": REFUSED_INVESTIGATORS},
    )
    with page.expect_navigation():
        page.locator("main form [type=submit]").last.click()
    assert page.get_by_role("region", name="Lignes rejetées").count() == 1
    check(page, "coord-états", "import d’enquêteurs : lignes rejetées")


def test_desk_states_pass_axe(
    browser: Browser, live_server: LiveServer, demo_ids: dict[str, dict[str, int]]
) -> None:
    """What a first view does not show: forms sent with errors, empty lists, a filtered
    queue, an error flash (the welcome flash is each role's first page)."""
    pages: dict[str, Page] = {}
    for who, label, address, form, proof in STATES:
        if who not in pages:
            role = Role.ADMIN if who.startswith("admin") else Role.COORDINATOR
            pages[who] = _new_page(browser, live_server, role)
            login(pages[who], _email(role), DEMO_PASSWORD)
        page = pages[who]
        path = address.format(**demo_ids["desk"])
        if form is None:
            visit(page, who, label, path)
        else:
            page.goto(path)
            with page.expect_navigation():
                page.locator(f"{form} [type=submit]").first.click()
            check(page, who, label)
        assert page.locator(proof).count() > 0, f"{label} : {proof} absent de {page.url}"
    _import_report_with_rejections(pages["coord-états"])
    for page in pages.values():
        page.context.close()
    for who in pages:
        assert_no_blocking(who)


def test_public_pages_pass_axe(
    app: Flask, browser: Browser, live_server: LiveServer, demo_ids: dict[str, dict[str, int]]
) -> None:
    """Signed out: every public page, the refused sign-in and the sign-out's message."""
    for who, role in (("public", None), ("public-tel", Role.INVESTIGATOR)):
        page = _new_page(browser, live_server, role)
        for rule in page_rules(app):
            if may_open(app, rule, None):
                visit(page, who, rule.endpoint, build_path(rule, {}))
        page.goto("/login")
        page.get_by_label("Adresse électronique").fill("inconnu@example.fr")
        page.get_by_label("Mot de passe").fill("pas-le-bon")
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_load_state()
        assert page.locator("[role=alert], .notice-error, .error-summary").count() > 0
        check(page, who, "connexion refusée")
        login(page, NEWCOMER if role else STAFF_EMAILS[Role.ANALYST], DEMO_PASSWORD)
        with page.expect_navigation():
            page.locator("form[action$='/logout'] [type=submit]").first.click()
        assert page.get_by_text("Vous êtes déconnecté.").count() == 1
        check(page, who, "déconnexion (flash)")
        page.context.close()
    assert_no_blocking("public")
    assert_no_blocking("public-tel")
