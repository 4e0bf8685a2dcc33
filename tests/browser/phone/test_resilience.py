"""What must never lose or double a report on the phone: a double tap, a session that expires
mid-form, a report returned for correction, a service-worker update, and a second device."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from server.extensions import db
from server.models import Mission, Report, ReportStatus, Review, ReviewDecision, User
from server.services import report_lifecycle
from tests.browser.axe import assert_accessible
from tests.browser.conftest import login
from tests.browser.phone.helpers import (
    fill_closed_site,
    phone_on_site,
    stored_reports,
    wait_ready,
    wait_saved_on_server,
    wait_sent,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page


def _open_mission(page: Page, mission: Mission) -> None:
    page.goto(f"/missions/{mission.id}")
    wait_ready(page)


def test_a_double_tap_on_envoyer_gives_one_report(
    app: Any, visit: tuple[Mission, User], new_phone_context: Any
) -> None:
    mission, investigator = visit
    page = phone_on_site(new_phone_context)
    login(page, investigator.email)
    _open_mission(page, mission)
    fill_closed_site(page)

    page.evaluate(
        "() => { const b = document.getElementById('submit-report'); b.click(); b.click(); }"
    )
    wait_sent(page)

    reports = stored_reports(app, mission.id)
    assert [r.status for r in reports] == [ReportStatus.SUBMITTED]


def test_a_session_expired_mid_form_loses_nothing(
    app: Any, visit: tuple[Mission, User], new_phone_context: Any
) -> None:
    mission, investigator = visit
    page = phone_on_site(new_phone_context)
    login(page, investigator.email)
    _open_mission(page, mission)
    fill_closed_site(page, observations="Avant l’expiration.")

    page.context.clear_cookies()  # the session ends while the investigator is on site
    page.locator("[name=v_observations]").fill("Tapé après l’expiration de la session.")
    page.get_by_role("button", name="Envoyer", exact=True).click()
    banner = page.locator("#session-expired")
    banner.wait_for(state="visible")
    assert_accessible(page, "session expirée")
    assert stored_reports(app, mission.id) == [] or stored_reports(app, mission.id)[0].status == (
        ReportStatus.DRAFT
    )

    banner.get_by_role("link", name="reconnectez-vous").click()
    page.get_by_label("Adresse électronique").fill(investigator.email)
    page.get_by_label("Mot de passe").fill("mot-de-passe-solide")
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()
    assert page.url.endswith(f"/missions/{mission.id}")
    wait_ready(page)
    wait_sent(page)

    (report,) = stored_reports(app, mission.id)
    assert report.status == ReportStatus.SUBMITTED
    assert report.answers["v_observations"] == "Tapé après l’expiration de la session."


def test_a_returned_report_is_corrected_and_sent_again(
    app: Any, visit: tuple[Mission, User], new_phone_context: Any, make_user: Any
) -> None:
    mission, investigator = visit
    page = phone_on_site(new_phone_context)
    login(page, investigator.email)
    _open_mission(page, mission)
    fill_closed_site(page, observations="Première version.")
    page.get_by_role("button", name="Envoyer", exact=True).click()
    wait_sent(page)

    reviewer = make_user("coordinator")
    with app.app_context():
        report = db.session.scalars(select(Report).where(Report.mission_id == mission.id)).one()
        report_lifecycle.return_for_correction(
            db.session, report, actor=reviewer, comment="Précisez ce qui était affiché."
        )
        db.session.add(
            Review(
                report=report,
                reviewer_id=reviewer.id,
                decision=ReviewDecision.RETURN,
                comment="Précisez ce qui était affiché.",
            )
        )
        db.session.commit()

    page.goto("/missions")
    page.get_by_role("heading", name="À corriger").wait_for()
    assert_accessible(page, "liste avec un rapport à corriger")
    page.get_by_role("link", name="Visite").first.click()
    wait_ready(page)
    page.locator("#returned-comment").filter(has_text="Précisez ce qui était affiché.").wait_for()
    assert page.locator("[name=v_observations]").input_value() == "Première version."
    page.locator("[name=v_observations]").fill("Corrigé : aucune affiche à l’entrée.")
    page.get_by_role("button", name="Envoyer", exact=True).click()
    wait_sent(page)

    (report,) = stored_reports(app, mission.id)
    assert report.status == ReportStatus.SUBMITTED
    assert report.answers["v_observations"] == "Corrigé : aucune affiche à l’entrée."


#: How long a first service worker may take to control the page (a wait, not a speed check).
WORKER_TIMEOUT_MS = 30_000


def _worker_version(page: Page) -> str:
    return str(
        page.evaluate(
            """() => new Promise((resolve) => {
                const channel = new MessageChannel();
                channel.port1.onmessage = (event) => resolve(event.data.version);
                navigator.serviceWorker.controller.postMessage({type: "version"}, [channel.port2]);
            })"""
        )
    )


def _wait_for_worker(page: Page, version: str, seconds: float = 15) -> None:
    """Until the page is controlled by the worker of ``version`` (installed and activated)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        controlled = page.evaluate("navigator.serviceWorker.controller !== null")
        if controlled and _worker_version(page) == version:
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"le service worker {version} n’a pas pris la main")


def test_a_service_worker_update_keeps_a_stored_draft(
    app: Any, visit: tuple[Mission, User], new_phone_context: Any
) -> None:
    mission, investigator = visit
    page = phone_on_site(new_phone_context)
    login(page, investigator.email)
    _open_mission(page, mission)
    # The first install caches the whole app shell before it claims the page: seconds on a
    # busy machine, so this waits for the event longer than the default.
    page.wait_for_function(
        "() => navigator.serviceWorker.controller !== null", timeout=WORKER_TIMEOUT_MS
    )
    before = _worker_version(page)
    page.context.set_offline(True)  # the draft exists on this phone only
    page.locator("[name=v_observations]").fill("Brouillon gardé pendant la mise à jour.")
    page.wait_for_function("() => window.BarometreReport.current().revision > 0")
    page.context.set_offline(False)

    configured = app.config.get("PHONE_APP_VERSION")
    app.config["PHONE_APP_VERSION"] = "mise-a-jour-de-test"
    try:
        page.reload()
        _wait_for_worker(page, "mise-a-jour-de-test")
        page.reload()
        wait_ready(page)
        caches = page.evaluate("caches.keys()")
    finally:
        app.config["PHONE_APP_VERSION"] = configured

    assert before != "mise-a-jour-de-test"
    assert "barometre-shell-mise-a-jour-de-test" in caches
    assert f"barometre-shell-{before}" not in caches
    value = page.locator("[name=v_observations]").input_value()
    assert value == "Brouillon gardé pendant la mise à jour."


def test_a_newer_copy_from_a_second_device_is_shown_never_overwritten(
    app: Any, visit: tuple[Mission, User], new_phone_context: Any
) -> None:
    mission, investigator = visit
    first = phone_on_site(new_phone_context)
    login(first, investigator.email)
    _open_mission(first, mission)
    first.locator("[name=v_observations]").fill("Version du premier téléphone.")
    wait_saved_on_server(first)

    second = phone_on_site(new_phone_context)
    login(second, investigator.email)
    _open_mission(second, mission)
    assert second.locator("[name=v_observations]").input_value() == (
        "Version du premier téléphone."
    )

    first.locator("[name=v_observations]").fill("Premier téléphone, modifiée.")
    wait_saved_on_server(first)
    second.locator("[name=v_observations]").fill("Second téléphone, modifiée.")
    conflict = second.locator("#conflict")
    conflict.wait_for(state="visible", timeout=15_000)
    assert "Premier téléphone, modifiée." in conflict.inner_text()
    assert_accessible(second, "conflit de versions")
    (report,) = stored_reports(app, mission.id)
    assert report.answers["v_observations"] == "Premier téléphone, modifiée."

    second.get_by_role("button", name="Garder la version de ce téléphone").click()
    conflict.wait_for(state="hidden")
    wait_saved_on_server(second)
    (report,) = stored_reports(app, mission.id)
    assert report.answers["v_observations"] == "Second téléphone, modifiée."


def test_the_pending_button_sends_what_waits(
    app: Any, visit: tuple[Mission, User], new_phone_context: Any
) -> None:
    mission, investigator = visit
    page = phone_on_site(new_phone_context)
    login(page, investigator.email)
    _open_mission(page, mission)
    fill_closed_site(page)
    wait_saved_on_server(page)
    # The phone says it is online, but the server cannot be reached (a captive portal, say).
    page.route("**/report/submit", lambda route: route.abort("internetdisconnected"))
    page.get_by_role("button", name="Envoyer", exact=True).click()
    pending = page.get_by_role("button", name="1 en attente d’envoi")
    pending.wait_for()
    assert stored_reports(app, mission.id)[0].status == ReportStatus.DRAFT

    page.unroute("**/report/submit")
    pending.click()
    page.locator("#sync-status").filter(has_text="Tout est envoyé.").wait_for()
    wait_sent(page)
    (report,) = stored_reports(app, mission.id)
    assert report.status == ReportStatus.SUBMITTED


def test_a_missing_required_answer_is_shown_on_its_question_and_nothing_is_sent(
    app: Any, visit: tuple[Mission, User], new_phone_context: Any
) -> None:
    mission, investigator = visit
    page = phone_on_site(new_phone_context)
    login(page, investigator.email)
    _open_mission(page, mission)
    page.locator("[name=v_observations]").fill("Commencé, pas fini.")

    page.get_by_role("button", name="Envoyer", exact=True).click()

    error = page.locator("#q-v_date_visite-erreur")
    error.filter(has_text="Réponse obligatoire").wait_for()
    assert page.evaluate("document.activeElement.name") == "v_date_visite"
    described = page.locator("[name=v_date_visite]").get_attribute("aria-describedby") or ""
    assert "q-v_date_visite-erreur" in described.split()
    assert_accessible(page, "formulaire avec des réponses manquantes")
    assert page.get_by_role("button", name="Envoyer", exact=True).is_visible()
    assert [r.status for r in stored_reports(app, mission.id)] in ([], [ReportStatus.DRAFT])
