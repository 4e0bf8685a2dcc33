"""The Content-Security-Policy (server/security.py) in real Chromium: the harness notices a
violation, and the pages that used to need inline code (the API docs, the campaign picker)
work without it. Every other browser test fails on a violation too (conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from server.extensions import db
from server.models import Role, User
from server.security import CONTENT_SECURITY_POLICY
from tests.browser.conftest import login

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Route

DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}, "is_mobile": False}
CANARY = """<!doctype html><html lang="fr"><head><title>canari</title></head><body>
<p id="styled" style="color: red">canari</p><button onclick="alert(1)">x</button>
<script>document.title = "exécuté";</script></body></html>"""


def test_the_harness_reports_each_kind_of_violation(
    new_phone_context: Callable[..., BrowserContext], csp_violations: list[str]
) -> None:
    """A page under our policy with an inline script, style and handler: all three are
    refused by Chromium and reported (so a page relying on one cannot pass unnoticed)."""
    context = new_phone_context()

    def serve_canary(route: Route) -> None:
        route.fulfill(
            status=200,
            content_type="text/html; charset=utf-8",
            headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY},
            body=CANARY,
        )

    context.route("**/canari", serve_canary)
    page = context.new_page()
    page.goto("/canari")
    page.locator("button").click()
    page.wait_for_function("() => true")  # let the console events arrive

    assert page.title() == "canari"  # the inline script did not run
    reported = " ".join(csp_violations)
    for directive in ("script-src-elem", "style-src-attr", "script-src-attr"):
        assert directive in reported, (directive, csp_violations)
    csp_violations.clear()  # provoked on purpose


def test_the_api_docs_work_under_the_policy(
    new_phone_context: Callable[..., BrowserContext],
) -> None:
    page = new_phone_context(**DESKTOP).new_page()
    page.goto("/api/v1/docs")
    # Swagger UI drew the operations from /api/v1/openapi.json (its initialiser ran).
    page.get_by_text("/api/v1/auth/token", exact=True).first.wait_for()
    assert page.locator(".opblock").count() > 20


def test_choosing_a_campaign_shows_it_without_an_inline_handler(
    new_phone_context: Callable[..., BrowserContext],
    make_user: Callable[..., User],
    factory: Any,
) -> None:
    first, second = factory.campaign(2025), factory.campaign(2026)
    db.session.commit()
    coordinator = make_user(Role.COORDINATOR)
    page = new_phone_context(**DESKTOP).new_page()
    login(page, coordinator.email)
    page.goto("/coordination/")
    picker = page.get_by_label("Campagne", exact=True)
    for campaign in (first, second):
        with page.expect_navigation():
            picker.select_option(str(campaign.id))  # no button pressed: picker.js submits
        assert parse_qs(urlsplit(page.url).query)["campaign"] == [str(campaign.id)]
        assert page.get_by_label("Campagne", exact=True).input_value() == str(campaign.id)
