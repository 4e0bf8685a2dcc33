"""The sign-in page on the investigator's phone: accessible, no sideways scroll, and it works."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from server.models import Role, User
from tests.browser.axe import assert_accessible, assert_no_horizontal_scroll
from tests.browser.conftest import login

if TYPE_CHECKING:
    from playwright.sync_api import Page


def test_login_page_has_no_serious_accessibility_violation(phone: Page) -> None:
    phone.goto("/login")

    assert_accessible(phone, "page de connexion, 390 px")


def test_login_page_with_errors_has_no_serious_accessibility_violation(phone: Page) -> None:
    phone.goto("/login")
    phone.get_by_role("button", name="Se connecter").click()
    phone.wait_for_load_state()

    assert_accessible(phone, "page de connexion après un envoi vide")


def test_login_page_does_not_scroll_sideways_on_a_small_phone(phone: Page) -> None:
    phone.goto("/login")
    assert_no_horizontal_scroll(phone, "390 px")

    phone.set_viewport_size({"width": 360, "height": 740})

    assert_no_horizontal_scroll(phone, "360 px")


def test_investigator_signs_in_and_lands_on_missions(
    phone: Page, make_user: Callable[..., User]
) -> None:
    user = make_user(Role.INVESTIGATOR)

    login(phone, user.email)

    assert urlsplit(phone.url).path == "/missions"
