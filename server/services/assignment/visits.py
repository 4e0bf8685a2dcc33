"""Stage 1: visits, as a min-cost max-flow over geodesic metres.

Network: source → group of visits of one site on one day (capacity: how many) → (site,
person) node, one per candidate person (arc cost: metres from their home to the site) → person
→ sink (capacity: visits the person may still take, i.e. min of visit capacity and capacity
left). The (site, person) node has capacity 1 when ``same_site_in_wave`` holds, so nobody
visits a site twice. An arc exists only where the load-independent rules allow (skill,
availability, lockout, home commune).

Pruning: each site is linked to its ``nearest`` closest eligible persons, plus the person the
greedy baseline picked for each of its visits, so the greedy assignment is a feasible flow of
the network and the result never assigns fewer visits than greedy, nor, for as many, more
metres. Sites left with unassigned visits are then linked to every eligible person and the
whole stage solved again (up to ``ROUNDS`` times), which recovers what the pruning cost.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from datetime import date

import numpy as np

from server.services.assignment.flow import SINK, SOURCE, Network, used
from server.services.assignment.model import Task
from server.services.assignment.wave import Mask, Wave

ROUNDS = 3
GroupKey = tuple[str, date, int, str | None, str | None]


def solve_visits(wave: Wave, *, nearest: int | None, seed: Mapping[int, int]) -> dict[str, float]:
    """Give out the open visits of ``wave``; returns figures about the run."""
    groups: dict[GroupKey, list[Task]] = defaultdict(list)
    for task in wave.visits:
        groups[task.site, task.day, wave.place[task.id], task.commune, task.insee].append(task)
    if not groups or not wave.persons:
        return {"visit_arcs": 0.0, "visit_rounds": 0.0}
    eligible = _eligible(wave, groups)
    by_site: dict[str, list[GroupKey]] = defaultdict(list)
    for key in groups:
        by_site[key[0]].append(key)
    union = {
        site: np.logical_or.reduce([eligible[k] for k in keys]) for site, keys in by_site.items()
    }
    candidates = {
        site: _nearest(wave, by_site[site], union[site], groups, seed, nearest) for site in by_site
    }
    rounds, arcs = 0, 0
    while True:
        rounds += 1
        chosen, size = _solve(wave, groups, by_site, eligible, candidates)
        arcs += size
        short = [
            site
            for site, keys in by_site.items()
            if any(t.id not in chosen for k in keys for t in groups[k])
            and len(candidates[site]) < int(union[site].sum())
        ]
        if not short or rounds >= ROUNDS:
            break
        for site in short:
            candidates[site] = [int(i) for i in np.flatnonzero(union[site])]
    for task in wave.visits:
        if task.id in chosen:
            wave.give(task, chosen[task.id])
    return {"visit_arcs": float(arcs), "visit_rounds": float(rounds)}


def _eligible(wave: Wave, groups: Mapping[GroupKey, list[Task]]) -> dict[GroupKey, Mask]:
    """Persons each group's visits may go to, given the locked tasks (rules and loads)."""
    ledger = wave.ledger
    n = len(wave.persons)
    open_person = np.array([ledger.visits_left(i) > 0 for i in range(n)], dtype=bool)
    visited: dict[str, list[int]] = defaultdict(list)
    if wave.rules.same_site_in_wave:
        for (site, i), count in ledger.site_visits.items():
            if count >= 1:
                visited[site].append(i)
    eligible = {}
    for key, tasks in groups.items():
        mask = wave.masks.allowed(tasks[0]) & open_person
        mask[visited.get(key[0], [])] = False
        eligible[key] = mask
    return eligible


def _nearest(
    wave: Wave,
    keys: list[GroupKey],
    union: Mask,
    groups: Mapping[GroupKey, list[Task]],
    seed: Mapping[int, int],
    nearest: int | None,
) -> list[int]:
    """The ``nearest`` eligible persons closest to the site, plus greedy's picks, by index."""
    pool = np.flatnonzero(union)
    if nearest is None or len(pool) <= nearest:
        return [int(i) for i in pool]
    row = wave.metres[keys[0][2]]
    order = pool[np.argsort(row[pool], kind="stable")][:nearest]
    picked = {int(i) for i in order}
    picked.update(seed[t.id] for k in keys for t in groups[k] if t.id in seed)
    return sorted(picked)


def _solve(
    wave: Wave,
    groups: Mapping[GroupKey, list[Task]],
    by_site: Mapping[str, list[GroupKey]],
    eligible: Mapping[GroupKey, Mask],
    candidates: Mapping[str, list[int]],
) -> tuple[dict[int, int], int]:
    """One min-cost max-flow over the candidate arcs: task id → person index, and arc count."""
    ledger, rules = wave.ledger, wave.rules
    net = Network()
    person_node: dict[int, int] = {}

    def person(i: int) -> int:
        if i not in person_node:
            person_node[i] = net.node()
            net.arc(person_node[i], SINK, min(ledger.visits_left(i), len(wave.visits)))
        return person_node[i]

    decode: list[tuple[GroupKey, range, list[int]]] = []
    for site, keys in by_site.items():
        total = sum(len(groups[k]) for k in keys)
        per_site = 1 if rules.same_site_in_wave else total
        hub: dict[int, int] = {}
        if rules.same_site_in_wave:
            for i in candidates[site]:
                hub[i] = net.node()
                net.arc(hub[i], person(i), per_site)
        for key in keys:
            size = len(groups[key])
            node = net.node()
            net.arc(SOURCE, node, size)
            mask = eligible[key]
            people = [i for i in candidates[site] if mask[i]]
            row = wave.metres[key[2]]
            heads = [hub[i] if rules.same_site_in_wave else person(i) for i in people]
            arcs = net.arcs(
                node, heads, [min(size, per_site)] * len(people), [int(row[i]) for i in people]
            )
            decode.append((key, arcs, people))
    flows = net.solve()
    chosen: dict[int, int] = {}
    pending: dict[int, Iterator[Task]] = {}
    for number, position, flow in used([arcs for _, arcs, _ in decode], flows):
        key, _, people = decode[number]
        tasks = pending.setdefault(number, iter(groups[key]))
        for _ in range(flow):
            chosen[next(tasks).id] = people[position]
    return chosen, net.size
