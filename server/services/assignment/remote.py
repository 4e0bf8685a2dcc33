"""Stage 2: remote tests (phone, email, letter, website), balanced by flows.

Remote tests have no travel cost; what matters is a fair load. Balance is a convex cost: each
person reaches the sink through parallel arcs of increasing unit cost, the k-th in proportion
to the load / capacity it brings them to (visits of stage 1 and locked tasks included), so the
least-cost flow equalises load / capacity as far as skills, days and capacities allow.

1. Quotas: a min-cost max-flow on a small network, tests grouped by (channel, day) → persons
   with that skill free that day → sink through the convex arcs. Without ``remote_per_site``
   this is the whole problem and its flow is the answer.
2. With a per-site limit, the tests are grouped by (site, channel, day) → (site, person) node
   of capacity ``remote_per_site`` → person → sink with capacity the person's quota, and a
   plain max-flow places them. If it places them all, each person has exactly their quota:
   the optimum of a relaxation that is feasible, hence optimal.
3. What is left (the limit or the pruning got in the way) goes through the same detailed
   network with convex costs from the current loads, linked to every eligible person.

Pruning in 2: each site links to a window of ``candidates`` persons (at least twice the number
its tests need), taken round the list of persons at an offset that moves from site to site, so
every person is offered about as many sites.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterator, Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from server.services.assignment.flow import SINK, SOURCE, Network, used
from server.services.assignment.model import Task
from server.services.assignment.wave import Mask, Wave

#: At most this many parallel arcs per person for the convex load cost.
PIECES = 2048
#: Unit cost of a load reaching the full capacity.
SCALE = 1_000_000

Groups = dict[Hashable, list[Task]]


def solve_remote(wave: Wave, *, candidates: int | None) -> dict[str, float]:
    """Give out the open remote tasks of ``wave``; returns figures about the run."""
    if not wave.remote or not wave.persons:
        return {"remote_arcs": 0.0}
    by_day: Groups = defaultdict(list)
    for task in wave.remote:
        by_day[task.channel, task.day].append(task)
    chosen, quotas, arcs = _balance(wave, by_day)
    if wave.rules.remote_per_site is None:
        _give(wave, chosen)
        return {"remote_arcs": float(arcs)}
    groups: Groups = defaultdict(list)
    for task in wave.remote:
        groups[task.site, task.channel, task.day].append(task)
    eligible = _eligible(wave, groups)
    windows = _windows(groups, eligible, wave.rules.remote_per_site, candidates)
    chosen, placed_arcs = _place(wave, groups, eligible, windows, quotas)
    _give(wave, chosen)
    left: Groups = {}
    for key, tasks in groups.items():
        rest = [t for t in tasks if t.id not in chosen]
        if rest:
            left[key] = rest
    left_arcs = 0
    if left:
        eligible = _eligible(wave, left)
        windows = _windows(left, eligible, wave.rules.remote_per_site, None)
        chosen, left_arcs = _place(wave, left, eligible, windows, None)
        _give(wave, chosen)
    return {
        "remote_arcs": float(arcs + placed_arcs + left_arcs),
        "remote_left_after_quotas": float(sum(len(t) for t in left.values())),
    }


def _give(wave: Wave, chosen: Mapping[int, int]) -> None:
    for task in wave.remote:
        if task.id in chosen:
            wave.give(task, chosen[task.id])


def _open(wave: Wave) -> Mask:
    ledger = wave.ledger
    return np.array([ledger.capacity_left(i) > 0 for i in range(len(wave.persons))], dtype=bool)


def _balance(wave: Wave, groups: Groups) -> tuple[dict[int, int], dict[int, int], int]:
    """Step 1: tests by (channel, day) to persons at least convex cost; the assignment, each
    person's quota and the arc count."""
    net = Network()
    person_node = {i: net.node() for i in range(len(wave.persons))}
    sinks = _convex_arcs(wave, net, person_node, len(wave.remote))
    open_person = _open(wave)
    decode = []
    for key, tasks in groups.items():
        node = net.node()
        net.arc(SOURCE, node, len(tasks))
        people = np.flatnonzero(wave.masks.allowed(tasks[0]) & open_person).tolist()
        heads = [person_node[i] for i in people]
        decode.append(
            (key, net.arcs(node, heads, [len(tasks)] * len(people), [0] * len(people)), people)
        )
    flows = net.solve()
    quotas = {i: int(sum(flows[a] for a in arcs)) for i, arcs in sinks.items()}
    return _decode(groups, decode, flows), quotas, net.size


def _eligible(wave: Wave, groups: Groups) -> dict[Hashable, Mask]:
    """Persons each group may go to given the loads: rules, room, per-site limit."""
    ledger = wave.ledger
    open_person = _open(wave)
    full: dict[str, list[int]] = defaultdict(list)
    for site, i in ledger.site_remote:
        if ledger.site_remote_left(site, i) == 0:
            full[site].append(i)
    eligible = {}
    for key, tasks in groups.items():
        mask = wave.masks.allowed(tasks[0]) & open_person
        mask[full.get(tasks[0].site, [])] = False
        eligible[key] = mask
    return eligible


def _windows(
    groups: Groups, eligible: Mapping[Hashable, Mask], limit: int, candidates: int | None
) -> dict[str, list[int]]:
    """The persons each site is linked to: consecutive windows round its eligible ones."""
    by_site: dict[str, list[Hashable]] = defaultdict(list)
    for key, tasks in groups.items():
        by_site[tasks[0].site].append(key)
    windows: dict[str, list[int]] = {}
    offset = 0
    for site in sorted(by_site):
        keys = by_site[site]
        pool = np.flatnonzero(np.logical_or.reduce([eligible[k] for k in keys])).tolist()
        tests = sum(len(groups[k]) for k in keys)
        size = max(candidates or 0, 2 * -(-tests // max(1, limit)))
        if candidates is None or size >= len(pool):
            windows[site] = pool
            continue
        start = offset % len(pool)
        windows[site] = sorted((pool[start:] + pool[:start])[:size])
        offset += size
    return windows


def _place(
    wave: Wave,
    groups: Groups,
    eligible: Mapping[Hashable, Mask],
    windows: Mapping[str, list[int]],
    quotas: Mapping[int, int] | None,
) -> tuple[dict[int, int], int]:
    """Steps 2 (``quotas``: max-flow up to each quota) and 3 (``None``: convex costs)."""
    ledger = wave.ledger
    limit = wave.rules.remote_per_site or 0
    net = Network()
    person_node = {i: net.node() for i in range(len(wave.persons))}
    if quotas is None:
        _convex_arcs(wave, net, person_node, sum(len(t) for t in groups.values()))
    else:
        for i, node in person_node.items():
            net.arc(node, SINK, quotas.get(i, 0))
    hubs: dict[str, dict[int, int]] = {}
    rooms: dict[str, dict[int, int]] = {}
    for site, window in windows.items():
        hub, room = hubs[site], rooms[site] = {}, {}
        for i in window:
            hub[i] = net.node()
            room[i] = limit - ledger.site_remote.get((site, i), 0)
            net.arc(hub[i], person_node[i], room[i])
    arrays = {site: np.asarray(members, dtype=np.int64) for site, members in windows.items()}
    decode = []
    for key, tasks in groups.items():
        size, site = len(tasks), tasks[0].site
        node = net.node()
        net.arc(SOURCE, node, size)
        members = arrays[site]
        people: list[int] = members[eligible[key][members]].tolist()
        hub, room = hubs[site], rooms[site]
        capacities = [1] * len(people) if size == 1 else [min(size, room[i]) for i in people]
        arcs = net.arcs(node, [hub[i] for i in people], capacities, [0] * len(people))
        decode.append((key, arcs, people))
    flows = net.solve() if quotas is None else net.max_flow()
    return _decode(groups, decode, flows), net.size


def _decode(
    groups: Groups, decode: Sequence[tuple[Hashable, range, list[int]]], flows: NDArray[np.int64]
) -> dict[int, int]:
    """Task id → person index: each group's tasks, in id order, to the persons its arcs feed."""
    chosen: dict[int, int] = {}
    pending: dict[int, Iterator[Task]] = {}
    for number, position, flow in used([arcs for _, arcs, _ in decode], flows):
        key, _, people = decode[number]
        tasks = pending.setdefault(number, iter(groups[key]))
        for _ in range(flow):
            chosen[next(tasks).id] = people[position]
    return chosen


def _convex_arcs(
    wave: Wave, net: Network, person_node: Mapping[int, int], tasks: int
) -> dict[int, list[int]]:
    """Person → sink arcs whose unit cost grows with the load / capacity reached; their ids."""
    ledger = wave.ledger
    room = {i: min(ledger.capacity_left(i), tasks) for i in person_node}
    weight = {i: max(1, wave.persons[i].capacity) for i in person_node}
    highest = max((ledger.load[i] + room[i]) / weight[i] for i in person_node)
    scale = max(1, min(SCALE, int(100 * SCALE / max(1.0, highest))))  # no int64 overflow
    sinks: dict[int, list[int]] = {}
    for i, node in person_node.items():
        sinks[i] = []
        step = max(1, math.ceil(room[i] / PIECES))
        for start in range(0, room[i], step):
            width = min(step, room[i] - start)
            middle = ledger.load[i] + start + (width + 1) / 2
            sinks[i].append(net.arc(node, SINK, width, round(scale * middle / weight[i])))
    return sinks
