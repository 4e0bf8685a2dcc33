"""A flow network built in Python lists and solved by OR-Tools (C++).

``SimpleMinCostFlow.solve_max_flow_with_min_cost`` first pushes as much flow as the network
allows from the source to the sink (as many tasks assigned as possible), then, among those
flows, finds one of least total cost. Costs and capacities are integers. ``SimpleMaxFlow``
answers the first question alone, an order of magnitude faster.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import max_flow, min_cost_flow  # type: ignore[import-untyped]

SOURCE = 0
SINK = 1


class Network:
    def __init__(self) -> None:
        self.nodes = 2
        self.tails: list[int] = []
        self.heads: list[int] = []
        self.capacities: list[int] = []
        self.costs: list[int] = []

    def node(self) -> int:
        self.nodes += 1
        return self.nodes - 1

    def arc(self, tail: int, head: int, capacity: int, cost: int = 0) -> int:
        self.tails.append(tail)
        self.heads.append(head)
        self.capacities.append(capacity)
        self.costs.append(cost)
        return len(self.tails) - 1

    def arcs(
        self, tail: int, heads: Sequence[int], capacities: Sequence[int], costs: Sequence[int]
    ) -> range:
        """Arcs from one node to several; returns their indices."""
        first = len(self.tails)
        self.tails.extend([tail] * len(heads))
        self.heads.extend(heads)
        self.capacities.extend(capacities)
        self.costs.extend(costs)
        return range(first, len(self.tails))

    def solve(self) -> NDArray[np.int64]:
        """Max flow from SOURCE to SINK at least cost; the flow on each arc, in order."""
        if not self.tails:
            return np.zeros(0, dtype=np.int64)
        solver = min_cost_flow.SimpleMinCostFlow()
        solver.add_arcs_with_capacity_and_unit_cost(
            np.asarray(self.tails, dtype=np.int32),
            np.asarray(self.heads, dtype=np.int32),
            np.asarray(self.capacities, dtype=np.int64),
            np.asarray(self.costs, dtype=np.int64),
        )
        total = sum(c for t, c in zip(self.tails, self.capacities, strict=True) if t == SOURCE)
        solver.set_node_supply(SOURCE, total)
        solver.set_node_supply(SINK, -total)
        status = solver.solve_max_flow_with_min_cost()
        if status != solver.OPTIMAL:
            raise RuntimeError(f"Flot à coût minimal non résolu (statut {status}).")
        return np.asarray(solver.flows(np.arange(len(self.tails))), dtype=np.int64)

    def max_flow(self) -> NDArray[np.int64]:
        """Max flow from SOURCE to SINK, costs ignored (push-relabel, much faster)."""
        if not self.tails:
            return np.zeros(0, dtype=np.int64)
        solver = max_flow.SimpleMaxFlow()
        solver.add_arcs_with_capacity(
            np.asarray(self.tails, dtype=np.int32),
            np.asarray(self.heads, dtype=np.int32),
            np.asarray(self.capacities, dtype=np.int64),
        )
        status = solver.solve(SOURCE, SINK)
        if status != solver.OPTIMAL:
            raise RuntimeError(f"Flot maximal non résolu (statut {status}).")
        return np.asarray(solver.flows(np.arange(len(self.tails))), dtype=np.int64)

    @property
    def size(self) -> int:
        return len(self.tails)


def used(blocks: Sequence[range], flows: NDArray[np.int64]) -> Iterator[tuple[int, int, int]]:
    """(block number, position in the block, flow) of each arc carrying flow in ``blocks``
    (ranges of arc ids, in increasing order), by arc id."""
    if not blocks:
        return
    starts = np.fromiter((b.start for b in blocks), dtype=np.int64, count=len(blocks))
    carrying = np.flatnonzero(flows)
    owners = np.searchsorted(starts, carrying, side="right") - 1
    for arc, owner in zip(carrying.tolist(), owners.tolist(), strict=True):
        if owner >= 0 and arc < blocks[owner].stop:
            yield owner, arc - blocks[owner].start, int(flows[arc])
