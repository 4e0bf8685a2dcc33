"""Benchmark of the assignment optimiser against the greedy baseline on synthetic waves.

Run: .venv/bin/python benchmarks/assignment.py [--quick]
Generates (seeded) the demo-sized wave (600 sites, 15,000 missions, 40 investigators) and a
3,000-site one (75,000 missions, 200 investigators), each with ample visit capacity and with a
tight one (total visit capacity 1.1 × the visits). For each: the solver's time, tasks assigned
and unassignable, its visit km as a ratio to greedy's on the same input and rules, greedy's
time, the fairness of both (max / min of load / capacity), and the visit km of the solver with
pruning as a ratio to the unpruned solve (``nearest=None``: every eligible person linked). A
last demo row is short of visit capacity (0.9 ×), to show what is left and why.
Timings and ratios only: nothing is asserted. ``--quick`` runs the demo size only.
"""

from __future__ import annotations

import random
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

# Standalone run: make the repository importable (ruff allows imports after sys.path edits).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.services.assignment import Outcome, Person, Rules, Task, assign_greedy, solve

PLAN = {"visit": 2, "phone": 9, "email": 10, "letter": 3, "website": 1}
CITIES = [
    ("Paris", 48.857, 2.352),
    ("Marseille", 43.296, 5.370),
    ("Lyon", 45.764, 4.836),
    ("Toulouse", 43.605, 1.444),
    ("Nice", 43.710, 7.262),
    ("Nantes", 47.218, -1.554),
    ("Strasbourg", 48.573, 7.752),
    ("Montpellier", 43.611, 3.877),
    ("Bordeaux", 44.838, -0.579),
    ("Lille", 50.629, 3.057),
    ("Rennes", 48.117, -1.678),
    ("Reims", 49.258, 4.032),
    ("Saint-Étienne", 45.440, 4.387),
    ("Le Havre", 49.494, 0.108),
    ("Grenoble", 45.188, 5.724),
    ("Dijon", 47.322, 5.041),
    ("Angers", 47.478, -0.563),
    ("Nîmes", 43.837, 4.360),
    ("Clermont-Ferrand", 45.778, 3.087),
    ("Brest", 48.390, -4.486),
    ("Tours", 47.394, 0.685),
    ("Limoges", 45.834, 1.261),
    ("Amiens", 49.894, 2.296),
    ("Perpignan", 42.699, 2.895),
    ("Metz", 49.119, 6.176),
    ("Besançon", 47.238, 6.024),
    ("Orléans", 47.903, 1.909),
    ("Rouen", 49.443, 1.099),
    ("Caen", 49.182, -0.370),
    ("Poitiers", 46.580, 0.340),
    ("Pau", 43.295, -0.371),
    ("Ajaccio", 41.919, 8.738),
]
START = date(2025, 3, 3)
DAYS = [START + timedelta(days=d) for d in range(28) if (START + timedelta(days=d)).weekday() < 5]


def make_wave(
    sites: int, investigators: int, *, visit_ratio: float, seed: int = 2025
) -> tuple[list[Task], list[Person]]:
    """A synthetic wave: sites around French cities, homes near them, the default plan;
    capacities vary from person to person (0.6 to 1.4 of the mean), total capacity 1.4 × the
    tasks and total visit capacity ``visit_ratio`` × the visits."""
    rng = random.Random(seed)
    tasks: list[Task] = []
    codes = [f"S{n:05d}" for n in range(sites)]
    for n, code in enumerate(codes):
        name, lat, lon = rng.choice(CITIES)
        urban = rng.random() < 0.4
        spread = 0.05 if urban else 0.6
        lat, lon = lat + rng.gauss(0, spread), lon + rng.gauss(0, spread * 1.4)
        commune = name if urban else f"Commune {n}"
        for channel, count in PLAN.items():
            for _ in range(count):
                tasks.append(
                    Task(len(tasks) + 1, code, channel, rng.choice(DAYS), lat, lon, commune)
                )
    visits = sites * PLAN["visit"]
    factors = [rng.uniform(0.6, 1.4) for _ in range(investigators)]
    persons: list[Person] = []
    for n in range(investigators):
        share = factors[n] / sum(factors)
        capacity = round(len(tasks) * 1.4 * share)
        visit_capacity = round(visits * visit_ratio * share)
        name, lat, lon = rng.choice(CITIES)
        urban = rng.random() < 0.5
        spread = 0.05 if urban else 0.5
        channels = set(PLAN)
        if rng.random() < 0.15:
            channels.discard(rng.choice(sorted(PLAN)))
        persons.append(
            Person(
                id=1000 + n,
                latitude=lat + rng.gauss(0, spread),
                longitude=lon + rng.gauss(0, spread * 1.4),
                commune=name.upper().replace("-", " ") if urban else f"Village {n}",
                channels=frozenset(channels),
                capacity=capacity,
                visit_capacity=visit_capacity,
                unavailable=frozenset(rng.sample(DAYS, rng.randint(0, 4))),
                recent_sites=frozenset(rng.sample(codes, visits // investigators)),
            )
        )
    return tasks, persons


def row(label: str, tasks: list[Task], persons: list[Person], *, exact: bool) -> str:
    rules = Rules()
    ours = solve(tasks, persons, rules)
    start = time.perf_counter()
    base = assign_greedy(tasks, persons, rules)
    greedy_seconds = time.perf_counter() - start
    pruning = "n/a"
    if exact:
        full = solve(tasks, persons, rules, nearest=None)
        pruning = f"{visit_km(ours) / visit_km(full):.4f}"
    rules_hit = Counter(ours.unassignable.values()).most_common(2)
    return (
        f"{label:<26} {len(tasks):>6} {len(persons):>4} {ours.solve_seconds:>8.2f} "
        f"{len(ours.assignments):>6} {len(ours.unassignable):>6} {len(base.unassignable):>6} "
        f"{ours.mean_km:>7.1f} {base.mean_km:>7.1f} {ours.total_km / base.total_km:>6.3f} "
        f"{greedy_seconds:>7.2f} {ours.fairness:>6.3f} {base.fairness:>6.3f} {pruning:>7}  "
        + ", ".join(f"{code} {n}" for code, n in rules_hit)
    )


def visit_km(outcome: Outcome) -> float:
    return outcome.total_km or 1.0


def main() -> None:
    quick = "--quick" in sys.argv
    sizes = [("demo", 600, 40)] + ([] if quick else [("large", 3000, 200)])
    print(
        f"{'wave':<26} {'tasks':>6} {'pers':>4} {'solve s':>8} {'assign':>6} {'unass':>6} "
        f"{'g.unas':>6} {'km/vis':>7} {'g.km/v':>7} {'km/g':>6} {'greedy':>7} {'fair':>6} "
        f"{'g.fair':>6} {'prune':>7}  unassignable rules"
    )
    for name, sites, investigators in sizes:
        cases = [("ample", 3.0), ("tight", 1.1)] + ([("short", 0.9)] if name == "demo" else [])
        for case, ratio in cases:
            tasks, persons = make_wave(sites, investigators, visit_ratio=ratio)
            label = f"{name} {case} ({ratio:g}× visits)"
            print(row(label, tasks, persons, exact=True), flush=True)


if __name__ == "__main__":
    main()
