"""The baseline: nearest available investigator, one task at a time, under the same rules.

Visits are taken by task id, each going to the nearest person whose rules and loads allow it;
then remote tasks by task id, each to the allowed person with the least load / capacity (ties
by position in ``persons``). Locked tasks are kept and counted first. The solver is measured
against this, and its visit choices seed the solver's arcs (so the solver is never worse).
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

import numpy as np

from server.services.assignment.model import Outcome, Person, Rules, Task
from server.services.assignment.rules import Ledger
from server.services.assignment.wave import Wave, finish, prepare


def assign_greedy(
    tasks: Sequence[Task], persons: Sequence[Person], rules: Rules | None = None
) -> Outcome:
    """Assign ``tasks`` to ``persons`` with the nearest-available rule of thumb."""
    wave = prepare(tasks, persons, rules or Rules())
    for task_id, i in greedy_visits(wave, wave.ledger).items():
        wave.assignments[task_id] = wave.persons[i].id
    greedy_remote(wave)
    return finish(wave, {"method": 0.0})


def greedy_visits(wave: Wave, ledger: Ledger) -> dict[int, int]:
    """Each open visit, by id, to the nearest allowed person; adds to ``ledger`` and returns
    task id → person index (``wave.assignments`` is left to the caller)."""
    chosen: dict[int, int] = {}
    orders: dict[int, np.ndarray] = {}
    for task in wave.visits:
        row = wave.place[task.id]
        order = orders.get(row)
        if order is None:
            order = orders[row] = np.argsort(wave.metres[row], kind="stable")
        allowed = wave.masks.allowed(task)
        for i in order[allowed[order]].tolist():
            if not ledger.load_failures(task, i):
                ledger.add(task, i)
                chosen[task.id] = i
                break
    return chosen


def greedy_remote(wave: Wave) -> None:
    """Each open remote task, by id, to the allowed person with the least load / capacity."""
    ledger, persons = wave.ledger, wave.persons

    def key(i: int) -> tuple[float, int]:
        return (ledger.load[i] / max(1, persons[i].capacity), i)

    heap = [key(i) for i in range(len(persons)) if ledger.capacity_left(i) > 0]
    heapq.heapify(heap)
    for task in wave.remote:
        allowed = wave.masks.allowed(task)
        skipped = []
        while heap:
            entry = heapq.heappop(heap)
            i = entry[1]
            if ledger.capacity_left(i) == 0:
                continue  # full for good: leaves the heap
            if allowed[i] and not ledger.load_failures(task, i):
                wave.give(task, i)
                heapq.heappush(heap, key(i))
                break
            skipped.append(entry)
        for entry in skipped:
            heapq.heappush(heap, entry)
