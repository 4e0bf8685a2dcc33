"""A wave made ready for assignment, shared by the greedy baseline and the solver.

:func:`prepare` sorts and splits the tasks, puts the locked ones in the ledger, and computes
the distance matrix (integer metres, the solver's costs and the reported kilometres alike) and
per-person masks for the rules that do not depend on loads. :func:`finish` gives any task still
assignable to someone (a safety net: normally a no-op), names the rule blocking each of the
others and builds the :class:`Outcome`.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from numpy.typing import NDArray

from server.services.assignment.distance import distance_matrix
from server.services.assignment.model import VISIT, Outcome, Person, Rules, Task
from server.services.assignment.rules import Ledger, explain, normalise_commune, reason

Mask = NDArray[np.bool_]


class Masks:
    """Boolean vectors over persons for the load-independent rules (vectorised
    ``Ledger.static_failures``: True where the rule lets the person take the task)."""

    def __init__(self, persons: Sequence[Person], rules: Rules) -> None:
        self.rules = rules
        self.size = len(persons)
        self._skill: dict[str, Mask] = {}
        self._persons = persons
        self._unavailable: dict[date, list[int]] = defaultdict(list)
        self._recent: dict[str, list[int]] = defaultdict(list)
        self._by_insee: dict[str, list[int]] = defaultdict(list)
        self._by_name: dict[str, list[int]] = defaultdict(list)
        self._by_name_no_insee: dict[str, list[int]] = defaultdict(list)
        for i, person in enumerate(persons):
            for day in person.unavailable:
                self._unavailable[day].append(i)
            for site in person.recent_sites:
                self._recent[site].append(i)
            name = normalise_commune(person.commune)
            self._by_name[name].append(i)
            if person.insee:
                self._by_insee[person.insee.strip().upper()].append(i)
            else:
                self._by_name_no_insee[name].append(i)
        self._cache: dict[tuple[object, ...], Mask] = {}

    def _of(self, indices: Sequence[int]) -> Mask:
        mask = np.zeros(self.size, dtype=bool)
        mask[list(indices)] = True
        return mask

    def skill(self, channel: str) -> Mask:
        if not self.rules.channels:
            return np.ones(self.size, dtype=bool)
        if channel not in self._skill:
            self._skill[channel] = np.array(
                [channel in p.channels for p in self._persons], dtype=bool
            )
        return self._skill[channel]

    def home(self, task: Task) -> Mask:
        """Persons living in the task's commune (INSEE when both known, else the name)."""
        if task.insee:
            insee = task.insee.strip().upper()
            same = self._of(self._by_insee.get(insee, []))
            if task.commune:
                same |= self._of(self._by_name_no_insee.get(normalise_commune(task.commune), []))
            return same
        if task.commune:
            return self._of(self._by_name.get(normalise_commune(task.commune), []))
        return np.zeros(self.size, dtype=bool)

    def allowed(self, task: Task) -> Mask:
        """Persons no load-independent rule stops from taking ``task``."""
        key = (task.site, task.channel, task.day, task.has_coordinates, task.commune, task.insee)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        rules = self.rules
        mask = self.skill(task.channel).copy()
        if rules.availability:
            mask[self._unavailable.get(task.day, [])] = False
        if task.channel == VISIT:
            if not task.has_coordinates:
                mask[:] = False
            if rules.lockout:
                mask[self._recent.get(task.site, [])] = False
            if rules.home_commune:
                mask &= ~self.home(task)
        self._cache[key] = mask
        return mask


@dataclass
class Wave:
    rules: Rules
    persons: list[Person]
    ledger: Ledger
    masks: Masks
    #: Task id → person id, the locked tasks first.
    assignments: dict[int, int]
    #: Open (not locked) tasks, by id: visits with coordinates, remote tasks, and visits of a
    #: site without coordinates (never assigned).
    visits: list[Task]
    remote: list[Task]
    stranded: list[Task]
    #: Visit task id → row of ``metres`` (its site's position).
    place: dict[int, int]
    #: Rounded metres from each place (rows) to each person's home (columns).
    metres: NDArray[np.int64]
    started: float = field(default_factory=time.perf_counter)

    def give(self, task: Task, i: int) -> None:
        self.assignments[task.id] = self.persons[i].id
        self.ledger.add(task, i)

    def open_tasks(self) -> list[Task]:
        return [*self.visits, *self.remote, *self.stranded]


def prepare(tasks: Sequence[Task], persons: Sequence[Person], rules: Rules) -> Wave:
    started = time.perf_counter()
    ordered = sorted(tasks, key=lambda t: t.id)
    if len({t.id for t in ordered}) != len(ordered):
        raise ValueError("Deux missions ont le même identifiant.")
    people = list(persons)
    ledger = Ledger(people, rules)
    assignments: dict[int, int] = {}
    visits, remote, stranded = [], [], []
    for task in ordered:
        if task.locked_to is not None:
            assignments[task.id] = task.locked_to
            if task.locked_to in ledger.index:
                ledger.add(task, ledger.index[task.locked_to])
        elif not task.is_visit:
            remote.append(task)
        elif task.has_coordinates:
            visits.append(task)
        else:
            stranded.append(task)
    rows: dict[tuple[float, float], int] = {}
    place: dict[int, int] = {}
    for task in ordered:
        if task.is_visit and task.latitude is not None and task.longitude is not None:
            place[task.id] = rows.setdefault((task.latitude, task.longitude), len(rows))
    points = list(rows)
    metres = np.rint(
        distance_matrix(
            [p[0] for p in points],
            [p[1] for p in points],
            [p.latitude for p in people],
            [p.longitude for p in people],
        )
    ).astype(np.int64)
    return Wave(
        rules=rules,
        persons=people,
        ledger=ledger,
        masks=Masks(people, rules),
        assignments=assignments,
        visits=visits,
        remote=remote,
        stranded=stranded,
        place=place,
        metres=metres.reshape(len(points), len(people)),
        started=started,
    )


def least_loaded(wave: Wave, candidates: Sequence[int]) -> list[int]:
    """Candidates by load / capacity, then by position (the remote tasks' choice)."""
    ledger = wave.ledger
    return sorted(candidates, key=lambda i: (ledger.load[i] / max(1, wave.persons[i].capacity), i))


def repair(wave: Wave) -> int:
    """Give each open task still unassigned to an allowed person; returns how many moved."""
    given = 0
    for task in wave.open_tasks():
        if task.id in wave.assignments:
            continue
        candidates = [int(i) for i in np.flatnonzero(wave.masks.allowed(task))]
        candidates = [i for i in candidates if not wave.ledger.load_failures(task, i)]
        if not candidates:
            continue
        if task.is_visit:
            row = wave.metres[wave.place[task.id]]
            choice = min(candidates, key=lambda i: (int(row[i]), i))
        else:
            choice = least_loaded(wave, candidates)[0]
        wave.give(task, choice)
        given += 1
    return given


def fairness(load: Sequence[int], persons: Sequence[Person]) -> float:
    ratios = [n / p.capacity for n, p in zip(load, persons, strict=True) if p.capacity > 0]
    if not ratios or max(ratios) == 0:
        return 1.0
    if min(ratios) == 0:
        return math.inf
    return max(ratios) / min(ratios)


def finish(wave: Wave, stats: dict[str, float] | None = None) -> Outcome:
    """Repair, explain what is left and measure: the :class:`Outcome` of the wave."""
    stats = dict(stats or {})
    stats["repaired"] = repair(wave)
    left = [t for t in wave.open_tasks() if t.id not in wave.assignments]
    named = explain(left, wave.ledger)
    unassignable = {task_id: code for task_id, code in named.items() if code is not None}
    if len(unassignable) != len(named):  # cannot happen after repair(): loads only grow
        raise RuntimeError("Une mission attribuable est restée sans enquêteur.")
    by_id = {t.id: t for t in left}
    reasons = {i: reason(by_id[i], code, wave.rules) for i, code in unassignable.items()}
    ledger, persons = wave.ledger, wave.persons
    metres = 0
    visits = 0
    for task_id, person_id in wave.assignments.items():
        row = wave.place.get(task_id)
        column = ledger.index.get(person_id)
        if row is not None and column is not None:
            metres += int(wave.metres[row, column])
            visits += 1
    km = metres / 1000
    return Outcome(
        assignments=dict(sorted(wave.assignments.items())),
        unassignable=dict(sorted(unassignable.items())),
        reasons=dict(sorted(reasons.items())),
        total_km=km,
        mean_km=km / visits if visits else 0.0,
        load={p.id: ledger.load[i] for i, p in enumerate(persons)},
        visit_load={p.id: ledger.visits[i] for i, p in enumerate(persons)},
        fairness=fairness(ledger.load, persons),
        solve_seconds=time.perf_counter() - wave.started,
        stats=stats,
    )
