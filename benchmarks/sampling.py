"""Benchmark of the sampling package on a synthetic frame of 100,000 sites.

Run: .venv/bin/python benchmarks/sampling.py
Writes a `;`-separated Windows-1252 CSV with decimal commas to a temporary directory, times
read_frame against a bare csv.reader parse of the same file, then allocate, draw (srs, pps)
and estimate. Timings only: nothing is asserted.
"""

from __future__ import annotations

import csv
import io
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

# Standalone run: make the repository importable (ruff allows imports after sys.path edits).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sampling import (
    FrameUnit,
    allocate,
    draw_sample,
    estimate_mean,
    estimate_proportion,
    read_frame,
    stratum_key,
)
from sampling.prn import permanent_random_numbers

SITES = 100_000
NETWORKS = ["Préfecture", "Sous-préfecture", "SIP", "Tribunal judiciaire", "France services"]
REGIONS = [
    "Bretagne",
    "Île-de-France",
    "Grand Est",
    "Occitanie",
    "Hauts-de-France",
    "Nouvelle-Aquitaine",
    "Auvergne-Rhône-Alpes",
    "Normandie",
    "Centre-Val de Loire",
    "Bourgogne-Franche-Comté",
    "Pays de la Loire",
    "Provence-Alpes-Côte d’Azur",
    "Corse",
]
T = TypeVar("T")


def write_frame(path: Path) -> None:
    rng = random.Random(2024)
    lines = [
        "code_site;nom;réseau;région;département;commune;code_postal;adresse;latitude;"
        "longitude;fréquentation;courriel;téléphone"
    ]
    for i in range(SITES):
        lat = f"{41 + rng.random() * 10:.5f}".replace(".", ",")
        lon = f"{-5 + rng.random() * 13:.5f}".replace(".", ",")
        lines.append(
            f'S{i:06d};"Accueil n° {i} – « cœur »";{NETWORKS[i % 5]};{REGIONS[i % 13]};'
            f'{i % 95 + 1:02d};Commune {i};{10000 + i % 89999:05d};"{i} rue de l’Église; bât. B";'
            f"{lat};{lon};{int(rng.random() * 50000)};accueil{i}@exemple.gouv.fr;01 23 45 67 89"
        )
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))


def timed(action: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def bare_parse(data: bytes) -> int:
    text = data.decode("cp1252")
    return sum(1 for _ in csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "base.csv"
        write_frame(path)
        data = path.read_bytes()
    rows: list[tuple[str, float, str]] = []
    frame, seconds = timed(lambda: read_frame(data, "base.csv", max_bytes=len(data)))
    rows.append(("read_frame", seconds, f"{len(frame.sites)} sites, {frame.encoding}"))
    _, bare = timed(lambda: bare_parse(data))
    rows.append(
        ("csv.reader (decode + parse)", bare, f"ratio read_frame/bare = {seconds / bare:.1f}")
    )

    prns = permanent_random_numbers((s.site_id for s in frame.sites), seed=1)
    units = [
        FrameUnit(
            s.site_id, stratum_key([s.network, s.region]), prns[s.site_id], size=(s.size or 0) + 1.0
        )
        for s in frame.sites
    ]
    population = dict(Counter(u.stratum for u in units))
    allocation, seconds = timed(lambda: allocate(population, 600, minimum=2))
    rows.append(("allocate proportional", seconds, f"{len(population)} strata, n = 600"))
    _, seconds = timed(
        lambda: allocate(
            population,
            600,
            minimum=2,
            method="neyman",
            sd={h: 1.0 + len(h) % 3 for h in population},
        )
    )
    rows.append(("allocate neyman", seconds, ""))
    for method in ("srs", "pps"):
        drawn, seconds = timed(lambda m=method: draw_sample(units, allocation, method=m, seed=7))
        rows.append((f"draw {method}", seconds, f"{len(drawn.units)} sites"))
    srs = draw_sample(units, allocation, seed=7)
    previous = srs.as_previous()
    rotated, seconds = timed(
        lambda: draw_sample(units, allocation, seed=8, previous=previous, overlap=0.5)
    )
    kept = sum(k for k, _ in (rotated.overlap or {}).values())
    rows.append(("draw srs + rotation 50 %", seconds, f"kept {kept} of {len(previous.keys)}"))

    rng = random.Random(3)
    grades = [min(10.0, max(0.0, rng.gauss(7, 1.5))) for _ in srs.units]
    strata = [u.stratum for u in srs.units]
    estimate, seconds = timed(lambda: estimate_mean(grades, strata, population))
    rows.append(("estimate_mean", seconds, f"{estimate.estimate:.3f} ± {estimate.se:.3f}"))
    domain = [h.startswith("SIP") for h in strata]
    _, seconds = timed(
        lambda: estimate_proportion([g >= 7 for g in grades], strata, population, domain=domain)
    )
    rows.append(("estimate_proportion (domain)", seconds, ""))

    print(f"{'step':<30} {'seconds':>9}  notes")
    for name, value, note in rows:
        print(f"{name:<30} {value:>9.4f}  {note}")


if __name__ == "__main__":
    main()
