"""Benchmark of the server's frame import: 100,000 sites read, checked and written to SQLite.

Run: .venv/bin/python benchmarks/frame_import.py [--sites N]
Baseline measured in the same run: the same rows written by a bare SQLAlchemy Core
``insert`` of the already-parsed values (no checks, no permanent random numbers, no audit),
so the ratio shows what our import adds on top of the unavoidable database work. Then a
re-import of the same file (every site updated in place). Timings only: nothing is asserted.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import delete, insert

from sampling import read_frame
from server.app import create_app
from server.extensions import db
from server.models import Campaign, Site
from server.services.frame_import import import_frame


def _frame_writer():  # type: ignore[no-untyped-def]
    """Reuse the synthetic frame of benchmarks/sampling.py (same file, same columns)."""
    spec = importlib.util.spec_from_file_location(
        "bench_sampling", Path(__file__).with_name("sampling.py")
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sites", type=int, default=100_000)
    sites = parser.parse_args().sites
    bench = _frame_writer()
    bench.SITES = sites
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "frame.csv"
        bench.write_frame(path)
        data = path.read_bytes()
        app = create_app(
            {
                "ENV_PROFILE": "testing",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(folder) / 'bench.sqlite3'}",
            }
        )
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            campaign = Campaign(name="Bench", year=2026, referentiel_code="marianne")
            db.session.add(campaign)
            db.session.commit()

            start = time.perf_counter()
            rows = read_frame(data, path.name, max_bytes=len(data) + 1).sites
            db.session.execute(
                insert(Site),
                [
                    {
                        "campaign_id": campaign.id,
                        "code": r.site_id,
                        "name": r.name,
                        "network": r.network,
                        "region": r.region,
                        "department": r.department,
                        "city": r.city,
                        "postcode": r.postcode,
                        "address": r.address,
                        "latitude": r.latitude,
                        "longitude": r.longitude,
                        "size": r.size,
                        "email": r.email,
                        "phone": r.phone,
                        "extra": r.extra,
                        "permanent_random_number": 0.5,
                    }
                    for r in rows
                ],
            )
            db.session.commit()
            baseline = time.perf_counter() - start
            db.session.execute(delete(Site))
            db.session.commit()

            timings = {}
            for label in ("first import", "re-import"):
                start = time.perf_counter()
                outcome = import_frame(
                    db.session, campaign, data, path.name, actor=None, max_bytes=len(data) + 1
                )
                db.session.commit()
                timings[label] = (time.perf_counter() - start, outcome)
    print(f"{'step':<34}{'seconds':>9}  notes")
    print(f"{'bare parse + Core insert':<34}{baseline:>9.2f}  {sites} sites (baseline)")
    for label, (seconds, outcome) in timings.items():
        print(
            f"{'import_frame ' + label:<34}{seconds:>9.2f}  "
            f"{outcome.imported} added, {outcome.updated} updated; "
            f"ratio to baseline = {seconds / baseline:.1f}"
        )


if __name__ == "__main__":
    main()
