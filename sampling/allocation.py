"""Allocating a total sample size to strata (DESIGN.md §3.4, DOMAIN.md §5).

The real-valued allocation is the classical one bounded below by the minimum and above by the
stratum size: x_h = clamp(λ·a_h, min(m, N_h), N_h) with λ chosen so that Σ x_h = n, where a_h is
N_h (proportional, Cochran 1977 §5.5), N_h·S_h (Neyman, Cochran §5.5) or 1 (equal). This is the
fixed point of the textbook iteration "take whole every stratum whose share reaches its size, give
the minimum to those below it, re-allocate the rest", computed exactly (with fractions, so
ties are real ties) instead of iterating. Integers then come from largest-remainder rounding
(Hamilton's method), ties broken by stratum key, so the total is exactly n.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

METHODS = ("proportional", "neyman", "equal")


@dataclass(frozen=True)
class AllocationRow:
    """One line of the allocation table shown to the coordinator and stored with the draw."""

    stratum: str
    population: int
    sample: int
    inclusion_probability: float
    weight: float | None  # None when the stratum gets no unit
    certainty: bool


def _check_population(population: Mapping[str, int], n: int, minimum: int) -> None:
    if not population:
        raise ValueError("Population vide : aucune strate.")
    for stratum, size in population.items():
        if isinstance(size, bool) or not isinstance(size, int):
            raise ValueError(f"Taille de la strate « {stratum} » non entière : {size!r}.")
        if size < 0:
            raise ValueError(f"Taille négative pour la strate « {stratum} » : {size}.")
        if size == 0:
            raise ValueError(f"La strate « {stratum} » est vide (N_h = 0).")
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"Taille d'échantillon invalide : {n!r} (entier positif ou nul attendu).")
    if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 0:
        raise ValueError(f"Minimum par strate invalide : {minimum!r}.")
    total = sum(population.values())
    if n > total:
        raise ValueError(f"Échantillon de {n} sites demandé pour une base de {total} sites.")
    floor_total = sum(min(minimum, size) for size in population.values())
    if floor_total > n:
        raise ValueError(
            f"Le minimum de {minimum} par strate demande {floor_total} sites "
            f"({len(population)} strates), plus que l'échantillon de {n}."
        )


def _neyman_weights(
    population: Mapping[str, int], sd: Mapping[str, float] | None
) -> dict[str, Fraction]:
    if sd is None:
        raise ValueError("L'allocation de Neyman demande l'écart-type de chaque strate (sd).")
    missing = sorted(set(population) - set(sd))
    if missing:
        raise ValueError("Écart-type manquant pour les strates : " + ", ".join(missing) + ".")
    unknown = sorted(set(sd) - set(population))
    if unknown:
        raise ValueError("Écart-type donné pour des strates inconnues : " + ", ".join(unknown))
    weights: dict[str, Fraction] = {}
    for stratum, size in population.items():
        deviation = sd[stratum]
        if not math.isfinite(deviation) or deviation < 0:
            raise ValueError(f"Écart-type invalide pour la strate « {stratum} » : {deviation}.")
        weights[stratum] = size * Fraction(deviation)
    return weights


def _bounded_shares(
    weights: Mapping[str, Fraction], low: Mapping[str, int], high: Mapping[str, int], n: int
) -> dict[str, Fraction] | None:
    """Solve Σ clamp(λ·a_h, low_h, high_h) = n for λ; None if even λ → ∞ falls short.

    g(λ) is continuous, piecewise linear and non-decreasing, so the root lies between two
    consecutive breakpoints low_h/a_h, high_h/a_h, found by bisection over the sorted points.
    """

    def shares(lam: Fraction) -> dict[str, Fraction]:
        return {
            h: min(max(lam * a, Fraction(low[h])), Fraction(high[h])) for h, a in weights.items()
        }

    points = sorted(
        {Fraction(0)}
        | {Fraction(b, 1) / a for h, a in weights.items() if a > 0 for b in (low[h], high[h])}
    )
    totals = [sum(shares(points[-1]).values())]
    if totals[0] < n:
        return None
    lo, hi = 0, len(points) - 1  # invariant: g(points[lo]) <= n <= g(points[hi])
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if sum(shares(points[mid]).values()) <= n:
            lo = mid
        else:
            hi = mid
    g_lo = sum(shares(points[lo]).values())
    g_hi = sum(shares(points[hi]).values())
    if g_hi == g_lo or g_lo == n:
        return shares(points[lo])
    lam = points[lo] + (n - g_lo) * (points[hi] - points[lo]) / (g_hi - g_lo)
    return shares(lam)


def _round(shares: Mapping[str, Fraction], n: int) -> dict[str, int]:
    """Largest-remainder rounding; equal remainders go to the smaller stratum key."""
    result = {h: math.floor(x) for h, x in shares.items()}
    left = n - sum(result.values())
    by_remainder = sorted(shares, key=lambda h: (-(shares[h] - result[h]), h))
    for stratum in by_remainder[:left]:
        result[stratum] += 1
    return result


def allocate(
    population: Mapping[str, int],
    n: int,
    *,
    method: str = "proportional",
    minimum: int = 0,
    sd: Mapping[str, float] | None = None,
) -> dict[str, int]:
    """Split `n` among strata: exact total, each within [min(minimum, N_h), N_h].

    Neyman allocation needs `sd` for every stratum; if the strata with a positive standard
    deviation cannot absorb the sample (e.g. every sd is 0), it falls back to proportional,
    which is what Neyman's rule tends to when the deviations are equal.
    """
    if method not in METHODS:
        raise ValueError(f"Méthode d'allocation inconnue : {method!r} ({', '.join(METHODS)}).")
    _check_population(population, n, minimum)
    low = {h: min(minimum, size) for h, size in population.items()}
    high = dict(population)
    proportional = {h: Fraction(size) for h, size in population.items()}
    if method == "equal":
        weights = {h: Fraction(1) for h in population}
    elif method == "neyman":
        weights = _neyman_weights(population, sd)
    else:
        weights = proportional
    shares = _bounded_shares(weights, low, high, n)
    if shares is None:
        shares = _bounded_shares(proportional, low, high, n)
    if shares is None:  # pragma: no cover - proportional always reaches n <= Σ N_h
        raise AssertionError("allocation impossible")
    rounded = _round(shares, n)
    return {h: rounded[h] for h in population}


def allocation_table(
    population: Mapping[str, int], allocation: Mapping[str, int]
) -> list[AllocationRow]:
    """Rows (stratum, N_h, n_h, n_h/N_h, N_h/n_h, certainty) in stratum order."""
    rows: list[AllocationRow] = []
    for stratum in sorted(population):
        size = population[stratum]
        sample = allocation.get(stratum, 0)
        if not 0 <= sample <= size:
            raise ValueError(f"Allocation {sample} impossible pour la strate « {stratum} ».")
        rows.append(
            AllocationRow(
                stratum=stratum,
                population=size,
                sample=sample,
                inclusion_probability=sample / size if size else 0.0,
                weight=size / sample if sample else None,
                certainty=size > 0 and sample == size,
            )
        )
    return rows
