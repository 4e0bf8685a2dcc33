"""The assignment optimiser and its greedy baseline on seeded synthetic waves.

The rules are checked by code written here, independently of the package's own ``Ledger``:
every hard rule holds in the output, and each unassignable task names a rule that, lifted
alone, would let some investigator take it given the other assignments.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path

import pytest
from geopy.distance import geodesic

from server.services.assignment import (
    PRIORITY,
    Outcome,
    Person,
    Rules,
    Task,
    assign_greedy,
    solve,
)

Solver = Callable[[Sequence[Task], Sequence[Person], Rules], Outcome]
SOLVERS: dict[str, Solver] = {"solver": solve, "greedy": assign_greedy}
REMOTE = {"phone", "email", "letter", "website"}
ALL = frozenset({"visit", *REMOTE})
PLAN = {"visit": 2, "phone": 3, "email": 2, "letter": 1, "website": 1}
DAYS = [date(2025, 3, 3) + timedelta(days=d) for d in range(14) if d % 7 < 5]
CITIES = [
    ("Saint-Étienne", "42218", 45.440, 4.387, ["SAINT ETIENNE", "saint-etienne", "Saint Étienne"]),
    ("L’Haÿ-les-Roses", "94038", 48.780, 2.337, ["L'HAY LES ROSES", "l’haÿ-les-roses"]),
    ("Évry-Courcouronnes", "91228", 48.629, 2.440, ["EVRY COURCOURONNES", "évry courcouronnes"]),
    ("Lyon", "69123", 45.764, 4.836, ["LYON", "lyon"]),
    ("Bourg-en-Bresse", "01053", 46.205, 5.225, ["BOURG EN BRESSE"]),
    ("Nantes", "44109", 47.218, -1.554, ["NANTES"]),
    ("Rennes", "35238", 48.117, -1.678, ["rennes"]),
    ("Toulouse", "31555", 43.605, 1.444, ["TOULOUSE"]),
]
# Which Rules field switches each rule off (written here, not imported).
LIFT = {
    "no_channel": {"channels": False},
    "capacity": {"capacity": False},
    "visit_capacity": {"visit_capacity": False},
    "availability": {"availability": False},
    "same_site_in_wave": {"same_site_in_wave": False},
    "lockout": {"lockout": False},
    "home_commune": {"home_commune": False},
    "remote_per_site": {"remote_per_site": None},
}


# --- an independent statement of the rules ---------------------------------------------------


def commune_key(name: str) -> str:
    text = "".join(
        c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)
    ).casefold()
    return " ".join(re.sub(r"[-'’]", " ", text).split())


def lives_in(task: Task, person: Person) -> bool:
    if task.insee and person.insee:
        return task.insee == person.insee
    return bool(task.commune) and commune_key(task.commune or "") == commune_key(person.commune)


class State:
    """Loads given a complete assignment."""

    def __init__(self, tasks: Sequence[Task], assignments: dict[int, int]) -> None:
        self.load: Counter[int] = Counter()
        self.visits: Counter[int] = Counter()
        self.site_visits: Counter[tuple[str, int]] = Counter()
        self.site_remote: Counter[tuple[str, int]] = Counter()
        for task in tasks:
            person = assignments.get(task.id)
            if person is None:
                continue
            self.load[person] += 1
            if task.channel == "visit":
                self.visits[person] += 1
                self.site_visits[task.site, person] += 1
            else:
                self.site_remote[task.site, person] += 1


def failing(
    task: Task, person: Person, rules: Rules, state: State, *, need_coordinates: bool = True
) -> set[str]:
    """Rules that stop ``person`` from taking ``task`` on top of ``state``."""
    out = set()
    visit = task.channel == "visit"
    if rules.channels and task.channel not in person.channels:
        out.add("no_channel")
    if rules.availability and task.day in person.unavailable:
        out.add("availability")
    if rules.capacity and state.load[person.id] + 1 > person.capacity:
        out.add("capacity")
    if visit:
        if need_coordinates and (task.latitude is None or task.longitude is None):
            out.add("no_coordinates")
        if rules.visit_capacity and state.visits[person.id] + 1 > person.visit_capacity:
            out.add("visit_capacity")
        if rules.same_site_in_wave and state.site_visits[task.site, person.id] >= 1:
            out.add("same_site_in_wave")
        if rules.lockout and task.site in person.recent_sites:
            out.add("lockout")
        if rules.home_commune and lives_in(task, person):
            out.add("home_commune")
    elif (
        rules.remote_per_site is not None
        and state.site_remote[task.site, person.id] + 1 > rules.remote_per_site
    ):
        out.add("remote_per_site")
    return out


def violations(
    tasks: Sequence[Task], persons: Sequence[Person], rules: Rules, outcome: Outcome
) -> list[str]:
    """Every hard rule broken by a task the outcome gave out (locked tasks are kept as they
    are: they count in the loads, but only the tasks given out are checked)."""
    by_id = {p.id: p for p in persons}
    state = State(tasks, outcome.assignments)
    found = []
    given: set[int] = set()
    for task in tasks:
        if task.id not in outcome.assignments or task.locked_to is not None:
            continue
        person = by_id[outcome.assignments[task.id]]
        given.add(person.id)
        static = failing(task, person, rules, State([], {}))
        for rule in static - {"capacity", "visit_capacity", "remote_per_site"}:
            found.append(f"{task.id}: {rule}")
        visit, limit = task.channel == "visit", rules.remote_per_site
        if visit and rules.same_site_in_wave and state.site_visits[task.site, person.id] > 1:
            found.append(f"{task.id}: same_site_in_wave")
        if not visit and limit is not None and state.site_remote[task.site, person.id] > limit:
            found.append(f"{task.id}: remote_per_site")
    for person in persons:
        if person.id not in given:
            continue
        if rules.capacity and state.load[person.id] > person.capacity:
            found.append(f"person {person.id}: capacity")
        if rules.visit_capacity and state.visits[person.id] > person.visit_capacity:
            found.append(f"person {person.id}: visit_capacity")
    return found


def check_blocking_rules(
    tasks: Sequence[Task], persons: Sequence[Person], rules: Rules, outcome: Outcome
) -> None:
    """Each unassignable task: nobody can take it as things stand; the named rule, lifted,
    lets someone take it; or, when no single rule does, it fails for the most persons."""
    state = State(tasks, outcome.assignments)
    by_id = {t.id: t for t in tasks}
    for task_id, named in outcome.unassignable.items():
        task = by_id[task_id]
        sets = [failing(task, p, rules, state) for p in persons]
        assert all(sets), task
        if named == "no_coordinates":
            lifted, need_coordinates = rules, False
        else:
            lifted, need_coordinates = dataclasses.replace(rules, **LIFT[named]), True
        unblocked = any(
            not failing(task, p, lifted, state, need_coordinates=need_coordinates) for p in persons
        )
        if any(len(s) == 1 for s in sets):  # some single rule, lifted, unblocks the task
            assert unblocked, (task, named)
        else:
            counts = Counter(c for s in sets for c in s)
            assert named == min(PRIORITY, key=lambda c: (-counts[c], PRIORITY.index(c)))


# --- generated waves --------------------------------------------------------------------------


def make_wave(
    seed: int, *, sites: int = 50, persons: int = 12, tight: bool = False
) -> tuple[list[Task], list[Person]]:
    rng = random.Random(seed)
    tasks: list[Task] = []
    codes = [f"S{n:03d}" for n in range(sites)]
    for code in codes:
        name, insee, lat, lon, _ = rng.choice(CITIES)
        in_city = rng.random() < 0.6
        commune, code_insee = (name, insee) if in_city else (f"Village {code}", None)
        if rng.random() < 0.5:
            code_insee = None
        position = (lat + rng.gauss(0, 0.15), lon + rng.gauss(0, 0.2))
        if rng.random() < 0.04:
            position = (None, None)  # type: ignore[assignment]
        for channel, count in PLAN.items():
            for _ in range(count):
                tasks.append(
                    Task(
                        len(tasks) + 1,
                        code,
                        channel,
                        rng.choice(DAYS),
                        position[0],
                        position[1],
                        commune,
                        code_insee,
                    )
                )
    visits = sum(1 for t in tasks if t.channel == "visit")
    people = []
    for n in range(persons):
        name, insee, lat, lon, variants = rng.choice(CITIES)
        in_city = rng.random() < 0.6
        channels = set(ALL)
        if rng.random() < 0.25:
            channels.discard(rng.choice(sorted(ALL)))
        capacity = len(tasks) * (8 if tight else 15) // (10 * persons)
        visit_capacity = visits * (7 if tight else 20) // (10 * persons)
        people.append(
            Person(
                id=100 + n,
                latitude=lat + rng.gauss(0, 0.2),
                longitude=lon + rng.gauss(0, 0.3),
                commune=rng.choice(variants) if in_city else f"Hameau {n}",
                insee=insee if in_city and rng.random() < 0.5 else None,
                channels=frozenset(channels),
                capacity=capacity + rng.randint(-2, 2),
                visit_capacity=max(1, visit_capacity + rng.randint(-1, 1)),
                unavailable=frozenset(rng.sample(DAYS, rng.randint(0, 3))),
                recent_sites=frozenset(rng.sample(codes, 3)),
            )
        )
    return lock_some(tasks, people, rng), people


def lock_some(tasks: list[Task], persons: list[Person], rng: random.Random) -> list[Task]:
    """Lock about 3 % of the tasks to someone allowed to take them."""
    given: dict[int, int] = {}
    out = []
    for task in tasks:
        if rng.random() < 0.03:
            state = State(tasks, given)
            allowed = [p for p in persons if not failing(task, p, Rules(), state)]
            if allowed:
                person = rng.choice(allowed)
                given[task.id] = person.id
                task = dataclasses.replace(task, locked_to=person.id)
        out.append(task)
    return out


def wave_cases() -> list[tuple[int, bool]]:
    return [(seed, tight) for seed in (1, 2, 3) for tight in (False, True)]


@functools.cache
def generated(seed: int, tight: bool) -> tuple[list[Task], list[Person]]:
    """The wave of ``make_wave(seed, tight=tight)``, made once (tests only read it)."""
    return make_wave(seed, tight=tight)


@functools.cache
def outcome_of(method: str, seed: int, tight: bool) -> Outcome:
    """The outcome of one method on a generated wave, computed once for the tests below."""
    return SOLVERS[method](*generated(seed, tight), Rules())


@pytest.mark.parametrize("method", sorted(SOLVERS))
@pytest.mark.parametrize(("seed", "tight"), wave_cases())
def test_every_rule_holds_in_generated_waves(method: str, seed: int, tight: bool) -> None:
    tasks, persons = generated(seed, tight)
    outcome = outcome_of(method, seed, tight)
    assert violations(tasks, persons, Rules(), outcome) == []
    assert set(outcome.assignments).isdisjoint(outcome.unassignable)
    assert set(outcome.assignments) | set(outcome.unassignable) == {t.id for t in tasks}


@pytest.mark.parametrize("method", sorted(SOLVERS))
@pytest.mark.parametrize(("seed", "tight"), wave_cases())
def test_each_unassignable_task_names_a_rule_that_blocks_it(
    method: str, seed: int, tight: bool
) -> None:
    tasks, persons = generated(seed, tight)
    outcome = outcome_of(method, seed, tight)
    if tight:
        assert outcome.unassignable
    check_blocking_rules(tasks, persons, Rules(), outcome)
    assert set(outcome.reasons) == set(outcome.unassignable)


@pytest.mark.parametrize(
    "rules",
    [
        Rules(remote_per_site=1),
        Rules(remote_per_site=None, same_site_in_wave=False),
        Rules(home_commune=False, lockout=False),
        Rules(capacity=False),
        Rules(visit_capacity=False, availability=False, channels=False),
    ],
    ids=["remote-1", "no-site-limits", "no-recognition", "no-capacity", "few-rules"],
)
def test_rules_switched_off_or_tightened_still_hold(rules: Rules) -> None:
    tasks, persons = make_wave(7, sites=30, tight=True)
    for method in SOLVERS.values():
        outcome = method(tasks, persons, rules)
        assert violations(tasks, persons, rules, outcome) == []
        check_blocking_rules(tasks, persons, rules, outcome)


@pytest.mark.parametrize(("seed", "tight"), wave_cases())
def test_solver_travels_no_more_than_greedy(seed: int, tight: bool) -> None:
    tasks, _ = generated(seed, tight)
    ours, base = outcome_of("solver", seed, tight), outcome_of("greedy", seed, tight)
    assert len(ours.assignments) >= len(base.assignments)
    ours_visits = sum(1 for t in tasks if t.channel == "visit" and t.id in ours.assignments)
    base_visits = sum(1 for t in tasks if t.channel == "visit" and t.id in base.assignments)
    assert ours_visits >= base_visits
    if ours_visits == base_visits:
        assert ours.total_km <= base.total_km + 1e-9


def test_solver_beats_greedy_when_nearest_choices_collide() -> None:
    day = DAYS[0]
    # Greedy gives A to Jeanne (nearest to both); B must then go to Paul, far away.
    tasks = [
        Task(1, "A", "visit", day, 45.0, 4.0, "A"),
        Task(2, "B", "visit", day, 45.0, 4.2, "B"),
    ]
    persons = [
        Person(1, 45.0, 4.1, "Jeanne", capacity=5, visit_capacity=1),
        Person(2, 45.0, 3.5, "Paul", capacity=5, visit_capacity=1),
    ]
    ours, base = solve(tasks, persons), assign_greedy(tasks, persons)
    assert ours.assignments == {1: 2, 2: 1}
    assert ours.total_km < base.total_km


def test_pruned_solve_matches_unpruned_on_visits() -> None:
    tasks, persons = make_wave(5, sites=80, persons=20, tight=True)
    pruned = solve(tasks, persons, nearest=3, remote_candidates=4)
    full = solve(tasks, persons, nearest=None, remote_candidates=None)
    assert len(pruned.assignments) == len(full.assignments)
    assert pruned.total_km <= full.total_km * 1.02
    assert violations(tasks, persons, Rules(), pruned) == []


def test_locked_tasks_are_kept_and_counted() -> None:
    day = DAYS[0]
    tasks = [Task(i, f"S{i}", "phone", day, locked_to=1) for i in range(1, 4)]
    tasks += [Task(i, f"S{i}", "phone", day) for i in range(4, 8)]
    tasks.append(Task(9, "V", "visit", day, 45.0, 4.0, "Ailleurs", locked_to=77))
    persons = [Person(1, 45.0, 4.0, "Lyon", capacity=2), Person(2, 45.0, 4.1, "Lyon", capacity=3)]
    for method in SOLVERS.values():
        outcome = method(tasks, persons, Rules())
        assert all(outcome.assignments[i] == 1 for i in (1, 2, 3))
        assert outcome.assignments[9] == 77  # unknown person: kept anyway
        assert outcome.load == {1: 3, 2: 3}  # over capacity by its locks: gets nothing more
        assert list(outcome.unassignable.values()) == ["capacity"]


def test_tight_capacity_yields_capacity_or_visit_capacity() -> None:
    for seed in (1, 2, 3):
        named = set(outcome_of("solver", seed, True).unassignable.values())
        assert named & {"capacity", "visit_capacity"}


def test_visit_quota_reached_names_visit_capacity() -> None:
    day = DAYS[0]
    tasks = [Task(i, f"S{i}", "visit", day, 45.0 + i / 100, 4.0, f"C{i}") for i in range(1, 4)]
    persons = [Person(1, 45.0, 4.0, "Lyon", capacity=10, visit_capacity=2)]
    for method in SOLVERS.values():
        outcome = method(tasks, persons, Rules())
        assert list(outcome.unassignable.values()) == ["visit_capacity"]
        assert outcome.visit_load == {1: 2}


def test_full_capacity_names_capacity() -> None:
    day = DAYS[0]
    tasks = [Task(i, f"S{i}", "phone", day) for i in range(1, 6)]
    persons = [Person(1, 45.0, 4.0, "Lyon", capacity=2), Person(2, 45.0, 4.0, "Lyon", capacity=1)]
    outcome = solve(tasks, persons)
    assert len(outcome.assignments) == 3
    assert set(outcome.unassignable.values()) == {"capacity"}
    assert outcome.reasons[next(iter(outcome.unassignable))] == (
        "Capacité de tous les enquêteurs possibles atteinte"
    )


def test_channel_nobody_has_yields_no_channel() -> None:
    tasks, persons = make_wave(4)
    persons = [dataclasses.replace(p, channels=p.channels - {"letter"}) for p in persons]
    for method in SOLVERS.values():
        outcome = method(tasks, persons, Rules())
        letters = [t.id for t in tasks if t.channel == "letter" and t.locked_to is None]
        assert {outcome.unassignable[i] for i in letters} == {"no_channel"}
        assert outcome.reasons[letters[0]] == (
            "Aucun enquêteur disponible n’a la compétence « Courrier »"
        )


def test_site_without_coordinates_yields_no_coordinates() -> None:
    day = DAYS[0]
    tasks = [Task(1, "X", "visit", day, None, None, "Lyon"), Task(2, "X", "phone", day)]
    tasks.append(Task(3, "Y", "visit", day, 45.2, 4.5, "Vienne"))
    persons = [Person(1, 45.0, 4.0, "Givors", capacity=5, visit_capacity=5)]
    for method in SOLVERS.values():
        outcome = method(tasks, persons, Rules())
        assert outcome.unassignable == {1: "no_coordinates"}
        assert outcome.assignments == {2: 1, 3: 1}


def test_same_site_twice_and_remote_per_site() -> None:
    day = DAYS[0]
    tasks = [Task(i, "S", "visit", day, 45.5, 4.5, "Vienne") for i in range(1, 4)]
    tasks += [Task(i, "S", "phone", day) for i in range(4, 10)]
    persons = [
        Person(1, 45.0, 4.0, "Lyon", capacity=20, visit_capacity=20),
        Person(2, 45.1, 4.0, "Lyon", capacity=20, visit_capacity=20),
    ]
    for method in SOLVERS.values():
        outcome = method(tasks, persons, Rules())
        assert outcome.unassignable == {
            3: "same_site_in_wave",
            8: "remote_per_site",
            9: "remote_per_site",
        }
        assert outcome.visit_load == {1: 1, 2: 1}


@pytest.mark.parametrize(
    ("person", "rule"),
    [
        (Person(1, 45.0, 4.0, "SAINT ETIENNE", capacity=9, visit_capacity=9), "home_commune"),
        (Person(1, 45.0, 4.0, "Ailleurs", "42218", capacity=9, visit_capacity=9), "home_commune"),
        (
            Person(
                1,
                45.0,
                4.0,
                "Ailleurs",
                capacity=9,
                visit_capacity=9,
                recent_sites=frozenset({"S"}),
            ),
            "lockout",
        ),
        (
            Person(
                1,
                45.0,
                4.0,
                "Ailleurs",
                capacity=9,
                visit_capacity=9,
                unavailable=frozenset(DAYS[:1]),
            ),
            "availability",
        ),
        (
            Person(
                1, 45.0, 4.0, "Ailleurs", channels=frozenset(REMOTE), capacity=9, visit_capacity=9
            ),
            "no_channel",
        ),
        (Person(1, 45.0, 4.0, "Ailleurs", capacity=9, visit_capacity=0), "visit_capacity"),
    ],
)
def test_a_single_blocked_visit_names_its_rule(person: Person, rule: str) -> None:
    task = Task(1, "S", "visit", DAYS[0], 45.43, 4.39, "Saint-Étienne", "42218")
    for method in SOLVERS.values():
        assert method([task], [person], Rules()).unassignable == {1: rule}
        lifted = dataclasses.replace(Rules(), **LIFT[rule])
        assert method([task], [person], lifted).assignments == {1: 1}


def test_same_name_different_insee_is_another_commune() -> None:
    task = Task(1, "S", "visit", DAYS[0], -20.9, 55.5, "Saint-Denis", "97411")
    person = Person(1, -20.95, 55.45, "SAINT DENIS", "93066", capacity=1, visit_capacity=1)
    assert solve([task], [person]).assignments == {1: 1}


def test_no_person_at_all() -> None:
    outcome = solve([Task(1, "S", "phone", DAYS[0])], [])
    assert outcome.unassignable == {1: "no_channel"}
    assert outcome.fairness == 1.0


def test_outcome_measures_match_geodesic_and_loads() -> None:
    tasks, persons = make_wave(6)
    outcome = solve(tasks, persons)
    homes = {p.id: (p.latitude, p.longitude) for p in persons}
    km = [
        geodesic(homes[outcome.assignments[t.id]], (t.latitude, t.longitude)).km
        for t in tasks
        if t.channel == "visit" and t.id in outcome.assignments
    ]
    assert outcome.total_km == pytest.approx(sum(km), abs=0.001 * len(km))
    assert outcome.mean_km == pytest.approx(outcome.total_km / len(km))
    assert sum(outcome.load.values()) == len(outcome.assignments)
    ratios = [outcome.load[p.id] / p.capacity for p in persons]
    assert outcome.fairness == pytest.approx(max(ratios) / min(ratios))
    assert outcome.solve_seconds > 0


def digest(outcome: Outcome) -> str:
    data = [outcome.assignments, outcome.unassignable, round(outcome.total_km, 6)]
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def test_same_input_gives_same_output() -> None:
    tasks, persons = make_wave(8, tight=True)
    first, second = solve(tasks, persons), solve(tasks, persons)
    assert first.assignments == second.assignments
    assert first.unassignable == second.unassignable
    assert digest(first) == digest(second)


def test_same_output_whatever_the_hash_seed() -> None:
    """Nothing depends on the iteration order of sets of strings (PYTHONHASHSEED)."""
    tasks, persons = make_wave(8, tight=True)
    code = (
        "import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]\n"
        "from test_assignment_solver import make_wave, digest\n"
        "from server.services.assignment import solve\n"
        "print(digest(solve(*make_wave(8, tight=True))))\n"
    )
    here = Path(__file__).resolve()
    result = subprocess.run(
        [sys.executable, "-c", code, str(here.parent), str(here.parents[3])],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    )
    assert result.stdout.strip() == digest(solve(tasks, persons))
