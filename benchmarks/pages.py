"""What the coordinator's and the analyst's heaviest pages cost on the demo data: server time,
SQL queries and bytes, each against 300 ms.

Run: .venv/bin/python benchmarks/pages.py [--database-url URL] [--runs N] [--rebuild]
The database is ``--database-url``, else ``PAGES_DATABASE_URL``, else a SQLite file under
``/tmp/barometre-pages/``; when it holds no demo campaign yet (or with ``--rebuild``) the demo
is built into it first by ``barometre demo`` (about 50 s on SQLite), with its instance folder
beside it (``--instance``, else ``PAGES_INSTANCE_PATH``), never the shared ``instance/``.

The application runs in this process (``create_app`` and Flask's test client, signed in through
the login form as the demo's coordinator and analyst; the API with the analyst's bearer
token), so the time is the server's own: routing, queries, computation, rendering, without a
network. Each page is requested ``--runs`` times: the first, **cold**, after emptying the
barometer cache (what the first reader pays after a change of the data), then **warm** (the
median of the others). **Queries** counts the SQL statements of a warm request (a
``before_cursor_execute`` listener on the engine), the cold one in brackets when it differs;
**KB** is the body's size. The **baseline** is the login page, measured the same way in the
same run; ``ratio`` is a page's warm time over it. **CPU ms** is this process's CPU time of a
warm request (median): the figure a machine shared with other work inflates least (the
PostgreSQL server's own CPU is not in it). ``PASS`` when the warm time is under 300 ms (what
every reader gets while the data does not change), ``FAIL`` otherwise, with "(froid
au-delà)" when the first request after a change is over it; the exit status is 1 when a page
fails. The machine's load average is printed last. Figures only; not part of
``scripts/test``.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

# Standalone run: make the repository importable (ruff allows imports after sys.path edits).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.app import create_app
from server.extensions import db
from server.models import Campaign, Mission, Report, ReportStatus, SampledSite, Wave
from server.services import results_cache, review_flags_cache

BUDGET_MS = 300.0
DEFAULT_DIR = Path("/tmp/barometre-pages")
PASSWORD = "demo-barometre"
COORDINATOR = "coordination@demo.barometre.fr"
ANALYST = "analyse@demo.barometre.fr"


@dataclass(frozen=True)
class Page:
    label: str
    path: str
    who: str  # "coordinator", "analyst", "api" (the analyst's token) or "anonymous"


@dataclass(frozen=True)
class Measure:
    page: Page
    status: int
    cold_ms: float
    warm_ms: float
    #: This process's CPU time of a warm request (median): what a loaded machine inflates least.
    warm_cpu_ms: float
    cold_queries: int
    warm_queries: int
    size: int

    @property
    def passed(self) -> bool:
        """Every request but the first after a change (its figures cached) under budget."""
        return self.status == 200 and self.warm_ms < BUDGET_MS


class QueryCounter:
    """Counts the SQL statements the engine sends, between ``reset`` calls."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_args: Any) -> None:
        self.count += 1


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("PAGES_DATABASE_URL") or f"sqlite:///{DEFAULT_DIR / 'demo.sqlite3'}",
    )
    parser.add_argument(
        "--instance", default=os.environ.get("PAGES_INSTANCE_PATH") or str(DEFAULT_DIR / "instance")
    )
    parser.add_argument("--runs", type=int, default=6, help="requests per page (1 cold + warm)")
    parser.add_argument("--rebuild", action="store_true", help="run `barometre demo` first")
    return parser.parse_args()


def _has_demo(app: Flask) -> bool:
    with app.app_context():
        try:
            return db.session.scalar(select(Campaign.id).limit(1)) is not None
        except Exception:  # no schema yet: the demo builds it
            return False


def _build_demo(url: str, instance: str) -> None:
    print(f"Construction de la démo dans {url} (barometre demo)…", flush=True)
    env = {**os.environ, "DATABASE_URL": url, "BAROMETRE_INSTANCE_PATH": instance}
    command = [str(Path(sys.executable).with_name("barometre")), "demo"]
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)


def _app(url: str, instance: str) -> Flask:
    os.environ["BAROMETRE_INSTANCE_PATH"] = instance
    Path(instance).mkdir(parents=True, exist_ok=True)
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return create_app({"SQLALCHEMY_DATABASE_URI": url})


def _pages(app: Flask) -> list[Page]:
    """The demo's heaviest pages: this year's campaign, its latest wave, a sampled site and
    the oldest report waiting for review."""
    with app.app_context():
        session = db.session
        campaign = session.scalars(select(Campaign).order_by(Campaign.year.desc())).first()
        if campaign is None:
            raise SystemExit("Aucune campagne : lancez avec --rebuild.")
        wave = session.scalars(
            select(Wave).where(Wave.campaign_id == campaign.id).order_by(Wave.id.desc())
        ).first()
        if wave is None:
            raise SystemExit("La campagne n’a aucune vague : lancez avec --rebuild.")
        site_id = session.scalar(
            select(SampledSite.site_id)
            .join(Mission, Mission.sampled_site_id == SampledSite.id)
            .where(Mission.wave_id == wave.id)
            .order_by(SampledSite.site_id)
            .limit(1)
        )
        report_id = session.scalar(
            select(Report.id)
            .join(Mission, Mission.id == Report.mission_id)
            .where(Mission.wave_id == wave.id, Report.status == ReportStatus.SUBMITTED)
            .order_by(Report.submitted_at, Report.id)
            .limit(1)
        )
    c, w = campaign.id, wave.id
    return [
        Page("tableau de bord de la vague", f"/coordination/vagues/{w}", "coordinator"),
        Page("missions de la vague", f"/coordination/vagues/{w}/missions", "coordinator"),
        Page("résultats", f"/analyse/campagnes/{c}/resultats", "analyst"),
        Page("classement", f"/analyse/campagnes/{c}/classement", "analyst"),
        Page("fiche d’un site", f"/analyse/campagnes/{c}/sites/{site_id}", "analyst"),
        Page("file de revue", f"/coordination/vagues/{w}/revue", "coordinator"),
        Page("revue d’un rapport", f"/coordination/rapports/{report_id}", "coordinator"),
        Page("API résultats", f"/api/v1/campaigns/{c}/results", "api"),
    ]


def _signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    form = client.get("/login").get_data(as_text=True)
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
    token = found.group(1) if found else ""
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    if response.status_code != 302:
        raise SystemExit(f"Connexion refusée pour {email} ({response.status_code}).")
    return client


def _token(app: Flask) -> str:
    response = app.test_client().post(
        "/api/v1/auth/token", json={"email": ANALYST, "password": PASSWORD}
    )
    if response.status_code not in (200, 201):
        raise SystemExit(f"Jeton refusé ({response.status_code}).")
    return str(response.get_json()["token"])


@contextmanager
def _counting(app: Flask) -> Iterator[QueryCounter]:
    counter = QueryCounter()
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", counter)


def _forget_figures(app: Flask) -> None:
    """Empty the figures' and the flags' caches: the next request computes them (cold)."""
    results_cache.app_cache(app).clear()
    review_flags_cache.cache().clear()


def _measure(app: Flask, page: Page, client: FlaskClient, runs: int, headers: dict) -> Measure:
    times: list[float] = []
    cpu: list[float] = []
    queries: list[int] = []
    status, size = 0, 0
    with _counting(app) as counter:
        for run in range(runs):
            if run == 0:
                _forget_figures(app)
            counter.count = 0
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get(page.path, headers=headers)
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
            queries.append(counter.count)
            status, size = response.status_code, len(response.data)
    warm = times[1:] or times
    return Measure(
        page,
        status,
        times[0],
        statistics.median(warm),
        statistics.median(cpu[1:] or cpu),
        queries[0],
        queries[-1],
        size,
    )


def _print(measures: list[Measure], baseline: Measure, url: str) -> None:
    engine = url.split(":", 1)[0].split("+", 1)[0]
    print(f"\nPages du bureau sur la démo ({engine}), budget {BUDGET_MS:.0f} ms par page")
    header = (
        f"{'page':30} {'froid ms':>9} {'chaud ms':>9} {'CPU ms':>7} {'ratio':>6} "
        f"{'requêtes':>10} {'Ko':>7}"
    )
    print(header)
    print("-" * len(header) + "  -----")
    for m in [baseline, *measures]:
        queries = str(m.warm_queries)
        if m.cold_queries != m.warm_queries:
            queries += f" ({m.cold_queries})"
        ratio = m.warm_ms / baseline.warm_ms if baseline.warm_ms else 0.0
        verdict = "" if m is baseline else ("PASS" if m.passed else "FAIL")
        if m is not baseline and m.cold_ms >= BUDGET_MS:
            verdict += " (froid au-delà)"
        if m.status != 200:
            verdict += f" HTTP {m.status}"
        print(
            f"{m.page.label:30} {m.cold_ms:9.1f} {m.warm_ms:9.1f} {m.warm_cpu_ms:7.1f} "
            f"{ratio:6.1f} {queries:>10} {m.size / 1024:7.1f}  {verdict}"
        )
    failed = [m for m in measures if not m.passed]
    print(f"\n{len(measures) - len(failed)}/{len(measures)} pages sous {BUDGET_MS:.0f} ms.")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"Charge de la machine (moyenne sur 1 min) : {load:.1f} pour {os.cpu_count()} CPU.")


def main() -> int:
    arguments = _arguments()
    url, instance = arguments.database_url, arguments.instance
    app = _app(url, instance)
    if arguments.rebuild or not _has_demo(app):
        _build_demo(url, instance)
    pages = _pages(app)
    clients = {
        "coordinator": _signed_in(app, COORDINATOR),
        "analyst": _signed_in(app, ANALYST),
        "api": app.test_client(),
        "anonymous": app.test_client(),
    }
    bearer = {"Authorization": f"Bearer {_token(app)}"}
    runs = max(arguments.runs, 2)
    baseline = _measure(
        app, Page("référence : connexion", "/login", "anonymous"), clients["anonymous"], runs, {}
    )
    measures = [
        _measure(app, page, clients[page.who], runs, bearer if page.who == "api" else {})
        for page in pages
    ]
    _print(measures, baseline, url)
    return 0 if all(m.passed for m in measures) else 1


if __name__ == "__main__":
    sys.exit(main())
