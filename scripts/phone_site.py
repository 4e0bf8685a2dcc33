"""The demo, served for a phone in Chromium: shared by ``scripts/screenshots.py`` and
``benchmarks/phone.py`` (not a test fixture, and never the database under ``instance/``).

``demo_site()`` builds the demo (the same ``build_demo`` as ``barometre demo``, after the
Alembic migrations) into a throwaway SQLite database under a temporary instance folder, serves
it on 127.0.0.1 with werkzeug's ``make_server`` in a daemon thread, and removes everything on
exit. A small WSGI middleware records every response the server sends (path, status, bytes,
and the bytes it would be gzipped; ``gzip=True`` really sends it gzipped, as a production
proxy would, the development server never compresses), and serves the extra documents a
benchmark puts in ``PhoneSite.documents``. ``phone_context()`` opens a
390 × 844 touch screen in French, in Paris, and ``sign_in()`` goes through the login form.
"""

from __future__ import annotations

import gzip as gzip_module
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import select
from werkzeug.serving import WSGIRequestHandler, make_server

from server.app import create_app
from server.extensions import db
from server.models import Mission, Report, ReportStatus, User

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright

#: The investigator's phone (tests/browser/conftest.py has the same one at scale factor 2;
#: 1 here keeps the screenshots small).
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 1,
    "locale": "fr-FR",
    "timezone_id": "Europe/Paris",
    "service_workers": "allow",
}
#: Compressed as nginx would (``gzip_types``): text, scripts, JSON; never PNG or JPEG.
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "application/manifest")


@dataclass(frozen=True)
class Served:
    """One response the server sent."""

    at: float
    method: str
    path: str
    status: int
    content_type: str
    raw: int
    #: its body gzipped (level 6, nginx's and Python's usual); ``raw`` when not compressible
    gzipped: int
    sent: int


@dataclass
class DemoMissions:
    """The singled-out investigator's missions the phone pages are shown with."""

    returned: int
    #: a visit with a draft, and one not started yet
    draft_visit: int | None
    fresh_visit: int | None
    total: int


@dataclass
class PhoneSite:
    url: str
    app: Flask
    investigator: str
    password: str
    missions: DemoMissions
    build_seconds: float
    served: list[Served] = field(default_factory=list)
    #: extra HTML documents served as they are, by path (a benchmark's bare baseline page)
    documents: dict[str, bytes] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, item: Served) -> None:
        with self._lock:
            self.served.append(item)

    def mark(self) -> int:
        """Where the log of responses stands now (for ``since``)."""
        with self._lock:
            return len(self.served)

    def since(self, mark: int) -> list[Served]:
        with self._lock:
            return list(self.served[mark:])


def _compressible(content_type: str) -> bool:
    return content_type.startswith(COMPRESSIBLE)


class ResponseLog:
    """WSGI middleware: records each response; gzips compressible ones when asked to."""

    def __init__(self, app: Any, site: Callable[[], PhoneSite | None], *, gzip: bool) -> None:
        self.app = app
        self.site = site
        self.gzip = gzip

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"], captured["headers"] = status, headers
            return lambda _data: None  # the body comes back through the iterable

        site = self.site()
        document = site.documents.get(environ.get("PATH_INFO", "")) if site else None
        if document is not None:
            capture("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            captured["headers"].append(("Cache-Control", "no-store"))
            result: Iterable[bytes] = [document]
        else:
            result = self.app(environ, capture)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        headers: list[tuple[str, str]] = captured["headers"]
        content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
        compressible = bool(body) and _compressible(content_type)
        gzipped = gzip_module.compress(body, 6, mtime=0) if compressible else body
        accepts = "gzip" in environ.get("HTTP_ACCEPT_ENCODING", "")
        sent = body
        if self.gzip and compressible and accepts:
            sent = gzipped
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            headers += [("Content-Encoding", "gzip"), ("Content-Length", str(len(sent)))]
            headers.append(("Vary", "Accept-Encoding"))
        if site is not None:
            site.record(
                Served(
                    at=time.monotonic(),
                    method=environ["REQUEST_METHOD"],
                    path=environ.get("PATH_INFO", "") + _query(environ),
                    status=int(captured["status"].split()[0]),
                    content_type=content_type.split(";")[0],
                    raw=len(body),
                    gzipped=len(gzipped),
                    sent=len(sent),
                )
            )
        start_response(captured["status"], headers)
        return [sent]


def _query(environ: dict[str, Any]) -> str:
    query = environ.get("QUERY_STRING", "")
    return "?" + query if query else ""


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def _demo_missions(email: str) -> DemoMissions:
    user = db.session.scalar(select(User).where(User.email == email))
    assert user is not None, email
    rows = db.session.execute(
        select(Mission.id, Mission.channel, Report.status)
        .outerjoin(Report, Report.mission_id == Mission.id)
        .where(Mission.assignee_id == user.id)
        .order_by(Mission.window_start, Mission.id)
    ).all()
    returned = next(m for m, _c, status in rows if status == ReportStatus.RETURNED)
    draft = next((m for m, c, s in rows if c == "visit" and s == ReportStatus.DRAFT), None)
    fresh = next((m for m, c, s in rows if c == "visit" and s is None), None)
    return DemoMissions(returned, draft, fresh, len(rows))


@contextmanager
def demo_site(
    *, gzip: bool = False, seed: int = 2026, progress: Callable[[str], None] | None = None
) -> Iterator[PhoneSite]:
    """The demo on a free port of 127.0.0.1, for the ``with`` block's duration."""
    from flask_migrate import upgrade

    from server.demo.build import DEMO_PASSWORD, build_demo

    say = progress or (lambda _text: None)
    folder = Path(tempfile.mkdtemp(prefix="barometre-phone-"))
    before = os.environ.get("BAROMETRE_INSTANCE_PATH")
    os.environ["BAROMETRE_INSTANCE_PATH"] = str(folder / "instance")
    try:
        app = create_app(
            {
                "ENV_PROFILE": "development",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'demo.sqlite3'}",
                "UPLOAD_FOLDER": str(folder / "uploads"),
                "LOG_LEVEL": "WARNING",
            }
        )
    finally:
        if before is None:
            os.environ.pop("BAROMETRE_INSTANCE_PATH", None)
        else:
            os.environ["BAROMETRE_INSTANCE_PATH"] = before
    holder: list[PhoneSite] = []
    server = make_server(
        "127.0.0.1",
        0,
        ResponseLog(app.wsgi_app, lambda: holder[0] if holder else None, gzip=gzip),
        threaded=True,
        request_handler=_QuietHandler,
    )
    thread = threading.Thread(target=server.serve_forever, name="phone-site", daemon=True)
    try:
        started = time.perf_counter()
        with app.app_context():
            say("Construction de la démo dans une base SQLite jetable…")
            upgrade()
            report = build_demo(db.session, seed=seed, progress=lambda text: say("  " + text))
            db.session.commit()
            assert report.investigator, "la démo n’a pas d’enquêteur à montrer"
            missions = _demo_missions(report.investigator)
            db.session.remove()
        site = PhoneSite(
            url=f"http://127.0.0.1:{server.server_port}",
            app=app,
            investigator=report.investigator,
            password=DEMO_PASSWORD,
            missions=missions,
            build_seconds=time.perf_counter() - started,
        )
        holder.append(site)
        thread.start()
        yield site
    finally:
        if thread.is_alive():
            server.shutdown()
        server.server_close()
        with app.app_context():
            db.engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)


# --- Chromium ------------------------------------------------------------------------------


def chromium_path() -> str:
    """``BAROMETRE_CHROMIUM``, else Debian's ``chromium`` (never a Playwright download)."""
    path = os.environ.get("BAROMETRE_CHROMIUM") or shutil.which("chromium")
    if not path:
        raise SystemExit(
            "Chromium introuvable : installez le paquet Debian « chromium » "
            "ou indiquez son chemin dans BAROMETRE_CHROMIUM."
        )
    return path


def launch(playwright: Playwright) -> Browser:
    """Headless Chromium in French. Date and time inputs are drawn in Chromium's own UI
    language, which on Linux comes from ``LANGUAGE`` (``--lang`` is ignored) and needs
    Debian's ``chromium-l10n``; the context's ``locale`` alone leaves them in US form
    (03/04/2026 for 4 March, 11:00 AM)."""
    args = ["--disable-dev-shm-usage"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium's sandbox refuses to run as root
    env = {**os.environ, "LANGUAGE": "fr"}
    return playwright.chromium.launch(
        executable_path=chromium_path(), headless=True, args=args, env=env
    )


def phone_context(browser: Browser, site: PhoneSite, **overrides: Any) -> BrowserContext:
    """A fresh phone: its own cookies, cache, storage and service worker."""
    context = browser.new_context(**{**PHONE, "base_url": site.url, **overrides})
    context.set_default_timeout(60_000)
    return context


def sign_in(page: Page, site: PhoneSite) -> None:
    """The login form, as the investigator fills it; raises if the server refuses."""
    page.goto("/login")
    page.get_by_label("Adresse électronique").fill(site.investigator)
    page.get_by_label("Mot de passe").fill(site.password)
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()
    if urlsplit(page.url).path == "/login":
        raise RuntimeError("connexion refusée : " + page.locator("body").inner_text())


def console_problems(page: Page, into: list[str]) -> None:
    """Append to ``into`` what went wrong on the page: console errors and warnings (with
    the script line they came from), uncaught errors, and answers of 400 or more."""

    def where() -> str:
        return urlsplit(page.url).path

    def on_console(message: Any) -> None:
        if message.type in ("error", "warning"):
            origin = message.location.get("url", "")
            line = message.location.get("lineNumber")
            source = f" ({urlsplit(origin).path}:{line})" if origin else ""
            into.append(f"{where()}: console.{message.type}: {message.text}{source}")

    def on_response(response: Any) -> None:
        if response.status >= 400:
            into.append(f"{where()}: HTTP {response.status} pour {urlsplit(response.url).path}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: into.append(f"{where()}: erreur JavaScript : {error}"))
    page.on("response", on_response)


def total(items: Iterable[Served], attribute: str) -> int:
    return sum(getattr(item, attribute) for item in items)
