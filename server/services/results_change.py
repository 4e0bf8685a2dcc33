"""The national grade's change on the previous campaign, and the covariance of the two years.

Pure functions of plain values (no database), so the simulation test can run them on
thousands of synthetic samples.

The change is ȳ₂ − ȳ₁ with variance se₁² + se₂² − 2·cov(ȳ₁, ȳ₂) (DESIGN.md §3.12). A
rotating panel makes the two samples share sites, and a site's grades of two years are
correlated, so the covariance is positive and leaving it out over-states the variance.

Estimator of the covariance (Tam 1984, "On covariances from overlapping samples", *The
American Statistician* 38(4), 288–289). For two simple random samples without replacement of
sizes n₁, n₂ from one population of size N that share m units, in any joint design that
treats the units alike (exchangeable: the PRN rotation of ``sampling.rotation`` is one, the
PRNs being independent uniforms),

    cov(ȳ₁, ȳ₂ | m) = (m / (n₁n₂) − 1/N) · S₁₂,

S₁₂ the population covariance of the two years' values. (Check: P(i ∈ s₁, i ∈ s₂) = m/N and,
by symmetry, P(i ∈ s₁, j ∈ s₂) = (n₁n₂ − m)/(N(N − 1)) for i ≠ j; summing the joint-inclusion
terms of the two means gives the line above.) Given m, the common units are a simple random
sample of m, so their sample covariance estimates S₁₂ without bias. Applied in each stratum h to the
linearised scores z = w (y − ȳ) / Σw of each year's stratified mean (the ones whose squares
make the variance of ``sampling.estimation``), this gives

    cov = Σ_h (1 − n₁ₕ n₂ₕ / (N_h m_h)) · m_h / (m_h − 1) · Σ_{i∈C_h} (z₁ᵢ − z̄₁)(z₂ᵢ − z̄₂),

z̄ the means over the m_h common sites C_h of stratum h. With the same sample and values in
both years it equals the variance itself, so the change then has variance 0, as it should.

Assumptions, all said in the methodology sheet: the strata are those of the current draw, and
a site counts as common only when it responded in both years in the same stratum (a site whose
stratum changed is left out; with positive correlation that errs towards a wider interval);
a stratum needs m_h ≥ 2 common sites to estimate S₁₂ (else it adds nothing); non-response is
treated as in the estimates, the responding sites standing for the sample; when the stratum's
size changed between frames, N_h = max(N₁ₕ, N₂ₕ), the smaller frame being taken to lie within
the larger (births only, or deaths only), which keeps n₁ₕn₂ₕ/N_h the overlap two independent
draws would expect. The estimate is kept within ±se₁·se₂ (a correlation within [−1, 1]).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sampling import Estimate, estimate_difference

COVARIANCE_BOUNDED = "covariance_bounded"


@dataclass(frozen=True)
class DesignUnit:
    """One responding site as a year's estimator sees it."""

    code: str
    stratum: str
    value: float
    weight: float


@dataclass(frozen=True)
class SharedCovariance:
    """The estimated cov(ȳ₁, ȳ₂), the sites shared, and the strata it could be estimated in."""

    value: float
    shared_sites: int
    strata_used: int


def linearised_scores(units: Sequence[DesignUnit]) -> dict[str, float]:
    """Site code → z = w (y − ȳ) / Σw, the linearised score of the weighted mean."""
    total = math.fsum(unit.weight for unit in units)
    if total <= 0:
        return {}
    average = math.fsum(unit.weight * unit.value for unit in units) / total
    return {unit.code: unit.weight * (unit.value - average) / total for unit in units}


def _by_stratum(units: Sequence[DesignUnit]) -> dict[str, list[DesignUnit]]:
    groups: dict[str, list[DesignUnit]] = defaultdict(list)
    for unit in units:
        groups[unit.stratum].append(unit)
    return groups


def shared_covariance(
    current: Sequence[DesignUnit],
    current_population: Mapping[str, int],
    previous: Sequence[DesignUnit],
    previous_population: Mapping[str, int],
) -> SharedCovariance:
    """cov(ȳ₁, ȳ₂) estimated from the sites both samples share (see the module)."""
    z_now, z_before = linearised_scores(current), linearised_scores(previous)
    before = {unit.code: unit for unit in previous}
    shared = [unit for unit in current if unit.code in before]
    now_groups, before_groups = _by_stratum(current), _by_stratum(previous)
    terms: list[float] = []
    for stratum, units in sorted(_by_stratum(shared).items()):
        common = [u.code for u in units if before[u.code].stratum == stratum]
        m = len(common)
        if m < 2 or stratum not in previous_population:
            continue
        n_now, n_before = len(now_groups[stratum]), len(before_groups[stratum])
        big_n = max(current_population[stratum], previous_population[stratum])
        mean_now = math.fsum(z_now[c] for c in common) / m
        mean_before = math.fsum(z_before[c] for c in common) / m
        products = math.fsum((z_now[c] - mean_now) * (z_before[c] - mean_before) for c in common)
        terms.append((1.0 - n_now * n_before / (big_n * m)) * m / (m - 1) * products)
    return SharedCovariance(math.fsum(terms), len(shared), len(terms))


def change_estimate(
    current: Estimate,
    previous: Estimate,
    covariance: float,
    *,
    level: float,
    minimum_n: int,
) -> Estimate:
    """ȳ₂ − ȳ₁ with ``sampling.estimate_difference``, the covariance kept within ±se₁·se₂
    (then flagged "covariance_bounded")."""
    bound = current.se * previous.se
    bounded = min(max(covariance, -bound), bound)
    result = estimate_difference(
        current, previous, covariance=bounded, level=level, minimum_n=minimum_n
    )
    if bounded != covariance:
        return Estimate(
            result.estimate,
            result.se,
            result.ci_low,
            result.ci_high,
            result.n,
            result.df,
            (*result.flags, COVARIANCE_BOUNDED),
        )
    return result
