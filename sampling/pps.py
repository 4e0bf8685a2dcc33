"""Probability-proportional-to-size inclusion probabilities and systematic πps selection."""

from __future__ import annotations

import math
from collections.abc import Sequence


def inclusion_probabilities(sizes: Sequence[float], n: int) -> list[float]:
    """π_i = n·x_i / Σx, units reaching 1 taken with certainty and the rest recomputed.

    The standard iteration (Särndal, Swensson & Wretman 1992, §3.6; Tillé 2006, §2.10): after
    setting π = 1 for units with n·x_i/Σx ≥ 1, the remaining n − k units are spread in
    proportion to size over the rest, until no new unit reaches 1.
    """
    if not 0 <= n <= len(sizes):
        raise ValueError(f"Impossible de tirer {n} unités parmi {len(sizes)}.")
    certain = [False] * len(sizes)
    while True:
        left = n - sum(certain)
        total = math.fsum(x for x, c in zip(sizes, certain, strict=True) if not c)
        probabilities = [
            1.0 if c else (left * x / total if total > 0 else 0.0)
            for x, c in zip(sizes, certain, strict=True)
        ]
        newly = [i for i, p in enumerate(probabilities) if p >= 1.0 and not certain[i]]
        if not newly:
            return probabilities
        for index in newly:
            certain[index] = True


def systematic_selection(probabilities: Sequence[float], start: float) -> list[int]:
    """Indices hit by the points start, start+1, … on the cumulated π (Madow 1949).

    Each unit's interval has length π_i < 1 (certainty units are handled by the caller, or
    have length 1 and are always hit), so it is selected with probability exactly π_i.
    Cumulated sums are rescaled to their exact integer total to avoid losing the last point
    to rounding.
    """
    total = math.fsum(probabilities)
    count = round(total)
    if count == 0:
        return []
    scale = count / total
    selected: list[int] = []
    cumulated = 0.0
    point = start
    for index, probability in enumerate(probabilities):
        cumulated += probability * scale
        if point < cumulated and len(selected) < count:
            selected.append(index)
            point += 1.0
    if len(selected) < count:  # only floating-point residue can leave the last point unused
        chosen = set(selected)
        selected.append(max(i for i in range(len(probabilities)) if i not in chosen))
    return sorted(selected)
