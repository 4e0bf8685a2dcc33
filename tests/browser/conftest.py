"""The browser harness: the app on a live local server, Debian's Chromium driven by Playwright.

Every test here is marked ``browser``. Without Chromium, Playwright or axe-core the tests are
skipped, with the reason; ``BAROMETRE_REQUIRE_BROWSER=1`` (set by ``scripts/test``) turns that
into an error, so a broken installation cannot pass as a green run. Chromium is
``BAROMETRE_CHROMIUM`` or the ``chromium`` on the PATH (Playwright's own browser downloads are
never used), axe-core ``BAROMETRE_AXE`` or ``node_modules/axe-core/axe.min.js``.

The server, the browser and Playwright last for this package only (``scope="package"``):
Playwright's sync API marks an asyncio loop as running in the main thread while it is alive,
which the rest of the suite must not inherit.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from flask import Flask, got_request_exception
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from server.models import Role, User
from tests.browser.axe import axe_path
from tests.conftest import PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Playwright

HERE = Path(__file__).resolve().parent
DEFAULT_TIMEOUT_MS = 10_000

#: The investigator's phone: a 390 × 844 CSS-pixel touch screen, in French, in Paris.
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
    "locale": "fr-FR",
    "timezone_id": "Europe/Paris",
    "service_workers": "allow",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # This hook sees the whole session's items: mark only those under this directory.
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)


# --- availability ------------------------------------------------------------------------


def chromium_path() -> str | None:
    return os.environ.get("BAROMETRE_CHROMIUM") or shutil.which("chromium")


def _missing_tools() -> list[str]:
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("Playwright (pip install -r requirements-dev.txt)")
    chromium = chromium_path()
    if chromium is None or not os.access(chromium, os.X_OK):
        missing.append(
            f"Chromium ({chromium or 'aucun « chromium » dans le PATH'} ; "
            "paquet Debian « chromium » ou BAROMETRE_CHROMIUM)"
        )
    if not axe_path().is_file():
        missing.append(f"axe-core ({axe_path()} absent ; npm ci ou BAROMETRE_AXE)")
    return missing


@pytest.fixture(scope="package")
def browser_tools() -> None:
    """Skip (or, with BAROMETRE_REQUIRE_BROWSER=1, fail) when a tool is missing."""
    missing = _missing_tools()
    if not missing:
        return
    reason = "tests navigateur impossibles, il manque : " + " ; ".join(missing)
    if os.environ.get("BAROMETRE_REQUIRE_BROWSER") == "1":
        pytest.fail(reason + " (BAROMETRE_REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(reason)


# --- the live server ---------------------------------------------------------------------


@dataclass
class LiveServer:
    """The app served over HTTP on 127.0.0.1 (a secure context: service workers, crypto)."""

    url: str
    app: Flask
    #: exceptions raised by views since the last check; a test fails if it leaves any
    errors: list[BaseException] = field(default_factory=list)

    def _record(self, _sender: Flask, exception: BaseException, **_extra: Any) -> None:
        self.errors.append(exception)


class _QuietHandler(WSGIRequestHandler):
    """No access line per request: the app's own request log already says the same."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@pytest.fixture(scope="package")
def live_server(app: Flask) -> Iterator[LiveServer]:
    """``app`` on a free port, in a daemon thread; each request runs in its own app context.

    Depends on ``app``, so a test using it gets its tables emptied afterwards.
    """
    server: BaseWSGIServer = make_server(
        "127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler
    )
    live = LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    got_request_exception.connect(live._record, app, weak=False)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield live
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
    got_request_exception.disconnect(live._record, app)


@pytest.fixture(autouse=True)
def _no_server_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    """A view that raised during a test fails it, even when only a background fetch saw the 500."""
    if "live_server" not in request.fixturenames:
        yield
        return
    live: LiveServer = request.getfixturevalue("live_server")
    live.errors.clear()
    yield
    errors, live.errors[:] = list(live.errors), []
    if errors:
        pytest.fail(
            "erreur(s) du serveur pendant le test : " + " ; ".join(repr(e) for e in errors),
            pytrace=False,
        )


# --- Playwright --------------------------------------------------------------------------


@pytest.fixture(scope="package")
def playwright(browser_tools: None) -> Iterator[Playwright]:
    from playwright.sync_api import sync_playwright

    manager = sync_playwright().start()
    yield manager
    manager.stop()


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's headless Chromium (never a Playwright download)."""
    args = ["--disable-dev-shm-usage"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium's sandbox refuses to run as root
    chromium = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=args)
    yield chromium
    chromium.close()


@pytest.fixture
def page_errors() -> list[str]:
    """Uncaught JavaScript errors of the test's pages; the test fails if any is left here
    (clear the list in a test that provokes one on purpose)."""
    return []


#: Run in every document before its own scripts (through CDP, so our CSP does not apply to
#: it): reports each violation of the page's Content-Security-Policy on the console.
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`securitypolicyviolation: ${event.violatedDirective} a bloqué `
    + `${event.blockedURI || "inline"} (${event.sourceFile || document.URL}:${event.lineNumber})`);
});
"""


def is_csp_violation(text: str) -> bool:
    """Chromium's own message ("Refused to …" in older versions, "Executing inline script
    violates the following Content Security Policy directive …" in newer ones), or our
    listener's. "Refused to execute script … MIME type" (``X-Content-Type-Options: nosniff``
    on a mistyped response) counts too: our headers broke the page just the same."""
    return text.startswith(("Refused to", "securitypolicyviolation")) or (
        "Content Security Policy" in text
    )


def watch_csp(context: BrowserContext, violations: list[str]) -> None:
    """Append to ``violations`` every CSP violation of the context's pages (server/security.py:
    no inline script, handler nor style; a page relying on one would half work in production)."""

    def record(message: ConsoleMessage) -> None:
        if is_csp_violation(message.text):
            violations.append(f"{message.page.url if message.page else '?'} : {message.text}")

    context.add_init_script(_CSP_LISTENER)
    context.on("console", record)


@pytest.fixture
def csp_violations() -> list[str]:
    """CSP violations of the test's pages; the test fails if any is left here."""
    return []


@pytest.fixture
def new_phone_context(
    browser: Browser, live_server: LiveServer, page_errors: list[str], csp_violations: list[str]
) -> Iterator[Callable[..., BrowserContext]]:
    """``new_phone_context(**overrides)``: a fresh phone (its own cookies, storage, service
    worker) on the live server; every one is closed after the test."""
    contexts: list[BrowserContext] = []

    def make(**overrides: Any) -> BrowserContext:
        options = {**PHONE, "base_url": live_server.url, **overrides}
        context = browser.new_context(**options)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        context.on("weberror", lambda error: page_errors.append(str(error.error)))
        watch_csp(context, csp_violations)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    if csp_violations:
        pytest.fail(
            "violation(s) de la CSP (ou refus du navigateur) : " + " ; ".join(csp_violations),
            pytrace=False,
        )
    if page_errors:
        pytest.fail("erreur(s) JavaScript : " + " ; ".join(page_errors), pytrace=False)


@pytest.fixture
def phone(new_phone_context: Callable[..., BrowserContext]) -> Page:
    """A page on a new phone, pointed at the live server (``phone.goto("/login")``)."""
    return new_phone_context().new_page()


# --- signing in --------------------------------------------------------------------------


def login(page: Page, email: str, password: str = PASSWORD) -> None:
    """Sign in through the real form; fails, with the page's message, if it is refused."""
    page.goto("/login")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()
    if urlsplit(page.url).path == "/login":
        pytest.fail(
            f"connexion refusée pour {email} : {page.locator('body').inner_text()}",
            pytrace=False,
        )


@pytest.fixture
def phone_as(phone: Page, make_user: Callable[..., User]) -> Callable[..., tuple[Page, User]]:
    """``phone_as(role="investigator", **overrides)``: a new account signed in on ``phone``."""

    def sign_in(role: Role | str = Role.INVESTIGATOR, **overrides: Any) -> tuple[Page, User]:
        user = make_user(role, **overrides)
        login(phone, user.email)
        return phone, user

    return sign_in
