"""Panel rotation between years by shifting the PRN selection window (SAMU-style).

Method. With permanent random numbers (PRN) u_i, a simple random sample of n units out of N is
the n units met first when walking the circle [0, 1) from a start s: the n smallest (u_i − s) mod 1.
Because the u_i are independent uniforms given once at birth, the walk order is a uniformly
random permutation and the sample is an exact SRSWOR (Ohlsson 1995, "Coordination of samples
using permanent random numbers", in Cox et al., *Business Survey Methods*, Wiley, ch. 9; the
Swedish SAMU system, Atmer, Thulin & Bäcklund 1975). Last year's sample is then a block of
consecutive units on that circle; sliding the window forward by a number of units keeps the
last units of that block and adds the next ones, which rotates the panel: a site stays for
about 1/(1 − overlap) years.

This module finds, per stratum, the window of n units whose count of last year's units is the
target k = round(overlap × min(n, P)), P being last year's units still in the stratum. The
search starts at the beginning of last year's block (the unit after the widest gap between
last year's PRNs) and moves forward, so the kept sites are the most recently entered ones.

Why π_i stays n/N. In a frame without births the shift is a fixed number of ranks from last
year's start: the new sample is the set of units holding ranks r+1..r+n in a uniformly random
permutation, hence still an SRSWOR, exactly as SAMU's fixed start shifts. Births and deaths
make the shift depend on where they fall, so n/N is then the design probability only to first
order; the simulation test in tests/sampling checks the frequencies stay within tolerance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def target_overlap(overlap: float, n: int, previous_count: int) -> int:
    """round(overlap × min(n, P)), halves rounded up (not Python's banker's rounding)."""
    return math.floor(overlap * min(n, previous_count) + 0.5)


def _block_origin(prns: Sequence[float], flags: Sequence[bool]) -> int:
    """Index of the previous unit that follows the widest circular gap between previous units."""
    marked = [i for i, flag in enumerate(flags) if flag]
    best_gap = -1.0
    origin = marked[0]
    for position, index in enumerate(marked):
        following = marked[(position + 1) % len(marked)]
        gap = (prns[following] - prns[index]) % 1.0 if following != index else 1.0
        if gap > best_gap:
            best_gap = gap
            origin = following
    return origin


def rotated_window(prns: Sequence[float], flags: Sequence[bool], n: int, target: int) -> int:
    """Index (into units sorted by PRN) of the first unit of the chosen window of `n` units.

    `flags[i]` says whether unit i was in last year's sample; at least one must be. Window
    counts change by at most one from one start to the next, so every count between the
    smallest and largest is reachable: the target is met exactly whenever some window holds
    that many previous units, and otherwise the closest count is taken.
    """
    size = len(prns)
    if not any(flags):
        raise ValueError("Aucune unité de l'échantillon précédent dans la strate.")
    if not 0 < n < size:
        raise ValueError(f"Fenêtre de {n} unités impossible parmi {size}.")
    origin = _block_origin(prns, flags)
    count = sum(flags[(origin + k) % size] for k in range(n))
    best_start, best_distance = origin, abs(count - target)
    for step in range(1, size if best_distance else 1):
        leaving = (origin + step - 1) % size
        entering = (origin + step - 1 + n) % size
        count += flags[entering] - flags[leaving]
        distance = abs(count - target)
        if distance < best_distance:
            best_start, best_distance = (origin + step) % size, distance
            if distance == 0:
                break
    return best_start
