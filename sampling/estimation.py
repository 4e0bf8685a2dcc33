"""Design-based estimates: stratified SRSWOR with finite-population correction.

Exactly what R's survey package computes (Lumley 2004; `svydesign(ids=~1, strata=~h,
fpc=~N)`, `svymean`, `confint(..., df=degf(design))`), so published figures can be reproduced:

- weights w_i = N_h/n_h unless given (R's `weights=`; the fpc still comes from N_h and n_h);
- mean ȳ = Σ_d w_i y_i / Σ_d w_i over the domain d (all units when there is none);
- linearised variance (Särndal et al. 1992, §5.6; R's `svyrecvar`): with z_i = w_i (y_i − ȳ) /
  Σ_d w_i for units in the domain and 0 for the others,
  V = Σ_h (1 − n_h/N_h) · n_h/(n_h − 1) · Σ_{i∈h} (z_i − z̄_h)², z̄_h over all n_h units of h.
  Like `subset(design, ...)`, a domain keeps every sampled unit of a stratum it touches for
  the variance (domain estimation as a ratio), and strata it does not touch add nothing;
- t interval on df = (units in the domain) − (strata holding any), R's `degf()` of the subset.
  With df = 0 (e.g. a domain of one unit, or one unit per stratum it touches) there is no t
  quantile: R's `confint` gives NaN even when se = 0, and here the interval is None and the
  figure is flagged "no_degrees_of_freedom", whatever the se or the proportion.

A stratum taken whole ((N_h − n_h)/N_h < 1e-7, R's test) adds no variance. A stratum with one
sampled unit out of more (a "lonely PSU", e.g. left by non-response) raises ValueError, as R's
default `lonely.psu = "fail"` does, unless `lonely_psu="adjust"` is asked: then, as R's
`options(survey.lonely.psu = "adjust")` ("center the stratum at the population mean rather
than the stratum mean", R's `?surveyoptions`; code in `survey:::onestrat`, survey 4.1), that
stratum adds (1 − 1/N_h) · z_i²: its single score deviated from the grand mean of the scores,
which is 0 because the linearised scores of a mean sum to zero over the sample (R uses z_i as
it is), and no n_h/(n_h − 1) factor. The figure is then flagged "lonely_stratum"; the df are
unchanged (units − strata, R's `degf`). As in R (`survey.adjust.domain.lonely` off), a domain
meeting one unit of a stratum that has more is not a lonely stratum: those get the usual
formula over every unit of the stratum.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from sampling.student_t import t_quantile

SMALL_SAMPLE = "small_sample"
BOUNDARY = "boundary_proportion"
NO_DEGREES_OF_FREEDOM = "no_degrees_of_freedom"
LONELY_STRATUM = "lonely_stratum"
DEFAULT_MINIMUM_N = 5

#: What to do with a stratum left with one sampled unit out of more (R's `survey.lonely.psu`).
LonelyPSU = Literal["fail", "adjust"]


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its standard error, confidence interval, unit count and df.

    `flags`: "small_sample" (fewer than `minimum_n` units), "boundary_proportion" (p = 0 or 1,
    interval (p, p) when there are degrees of freedom), "no_degrees_of_freedom" (df < 1: no
    interval, `ci_low` and `ci_high` are None, where R gives NaN), "lonely_stratum" (with
    `lonely_psu="adjust"`, a stratum the estimate touches has one unit out of more).
    """

    estimate: float
    se: float
    ci_low: float | None
    ci_high: float | None
    n: int
    df: int
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Core:
    mean: float
    se: float
    n: int
    df: int
    #: A stratum with one unit out of more was adjusted (lonely_psu="adjust").
    lonely: bool = False


def _checked(
    values: Sequence[float],
    strata: Sequence[str],
    population: Mapping[str, int],
    weights: Sequence[float] | None,
    domain: Sequence[bool] | None,
    level: float,
) -> tuple[list[float], list[bool]]:
    count = len(values)
    if count == 0:
        raise ValueError("Aucune unité : estimation impossible.")
    lengths = {"strata": len(strata)}
    if weights is not None:
        lengths["weights"] = len(weights)
    if domain is not None:
        lengths["domain"] = len(domain)
    for name, length in lengths.items():
        if length != count:
            raise ValueError(f"{name} a {length} éléments pour {count} valeurs.")
    if not 0.0 < level < 1.0:
        raise ValueError(f"Niveau de confiance hors de ]0, 1[ : {level}.")
    if any(v is None or not math.isfinite(v) for v in values):
        raise ValueError("Valeur manquante, infinie ou NaN : estimation impossible.")
    sampled: dict[str, int] = defaultdict(int)
    for stratum in strata:
        sampled[stratum] += 1
    for stratum, n_h in sampled.items():
        if stratum not in population:
            raise ValueError(f"Strate « {stratum} » absente de la population.")
        if n_h > population[stratum]:
            raise ValueError(
                f"Strate « {stratum} » : {n_h} unités tirées pour {population[stratum]} en tout."
            )
    if weights is None:
        w = [population[h] / sampled[h] for h in strata]
    else:
        w = [float(x) for x in weights]
        if any(not (math.isfinite(x) and x > 0) for x in w):
            raise ValueError("Poids nul, négatif ou manquant.")
    inside = [True] * count if domain is None else [bool(flag) for flag in domain]
    if not any(inside):
        raise ValueError("Aucune unité dans le domaine : estimation impossible.")
    return w, inside


def _stratified_mean(
    values: Sequence[float],
    strata: Sequence[str],
    population: Mapping[str, int],
    weights: Sequence[float] | None,
    domain: Sequence[bool] | None,
    level: float,
    lonely_psu: LonelyPSU = "fail",
) -> _Core:
    if lonely_psu not in get_args(LonelyPSU):
        raise ValueError(
            f"lonely_psu inconnu : {lonely_psu!r} (attendu : {', '.join(get_args(LonelyPSU))})."
        )
    w, inside = _checked(values, strata, population, weights, domain, level)
    total_weight = math.fsum(wi for wi, d in zip(w, inside, strict=True) if d)
    mean = (
        math.fsum(wi * float(y) for wi, y, d in zip(w, values, inside, strict=True) if d)
        / total_weight
    )
    scores: dict[str, list[float]] = defaultdict(list)
    touched: set[str] = set()
    for wi, y, h, d in zip(w, values, strata, inside, strict=True):
        scores[h].append(wi * (float(y) - mean) / total_weight if d else 0.0)
        if d:
            touched.add(h)
    variance_terms: list[float] = []
    lonely = False
    for h in sorted(touched):
        z = scores[h]
        n_h, big_n = len(z), population[h]
        fraction_left = (big_n - n_h) / big_n
        if fraction_left < 1e-7:
            continue  # taken whole: no sampling variance
        if n_h == 1 and lonely_psu == "adjust":
            # R's onestrat: not centred (the scores' grand mean is 0), scale f_h alone.
            variance_terms.append(fraction_left * z[0] ** 2)
            lonely = True
            continue
        if n_h == 1:
            raise ValueError(
                f"La strate « {h} » n'a qu'une unité tirée sur {big_n} : variance non estimable "
                "(tirez au moins 2 unités par strate)."
            )
        z_bar = math.fsum(z) / n_h
        variance_terms.append(
            fraction_left * n_h / (n_h - 1) * math.fsum((zi - z_bar) ** 2 for zi in z)
        )
    n = sum(inside)
    return _Core(mean, math.sqrt(math.fsum(variance_terms)), n, n - len(touched), lonely)


def _flags(core: _Core, minimum_n: int) -> list[str]:
    flags = [SMALL_SAMPLE] if core.n < minimum_n else []
    if core.lonely:
        flags.append(LONELY_STRATUM)
    return flags


def _half_width(se: float, df: int, level: float) -> float | None:
    """t(df, (1 + level)/2) · se; None without degrees of freedom (R: NaN, even for se = 0)."""
    if df < 1:
        return None
    if se == 0.0:
        return 0.0
    return t_quantile((1.0 + level) / 2.0, df) * se


def estimate_mean(
    values: Sequence[float],
    strata: Sequence[str],
    population: Mapping[str, int],
    *,
    weights: Sequence[float] | None = None,
    domain: Sequence[bool] | None = None,
    level: float = 0.95,
    minimum_n: int = DEFAULT_MINIMUM_N,
    lonely_psu: LonelyPSU = "fail",
) -> Estimate:
    """Weighted mean with its stratified-SRSWOR standard error and t interval (see module)."""
    core = _stratified_mean(values, strata, population, weights, domain, level, lonely_psu)
    flags = _flags(core, minimum_n)
    half = _half_width(core.se, core.df, level)
    if half is None:
        flags.append(NO_DEGREES_OF_FREEDOM)
        return Estimate(core.mean, core.se, None, None, core.n, core.df, tuple(flags))
    return Estimate(
        core.mean, core.se, core.mean - half, core.mean + half, core.n, core.df, tuple(flags)
    )


def _expit(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def estimate_proportion(
    values: Sequence[bool | int | float],
    strata: Sequence[str],
    population: Mapping[str, int],
    *,
    weights: Sequence[float] | None = None,
    domain: Sequence[bool] | None = None,
    level: float = 0.95,
    minimum_n: int = DEFAULT_MINIMUM_N,
    lonely_psu: LonelyPSU = "fail",
) -> Estimate:
    """Weighted share of units with value 1 (or True), with the logit interval.

    The interval is R's `svyciprop(method = "logit")` in closed form: the Wald interval on the
    logit scale, se_logit = se / (p(1 − p)) by the delta method, mapped back with expit:
    expit(logit(p) ∓ t(df, (1 + level)/2) · se/(p(1 − p))). It stays inside [0, 1]. At p = 0 or
    1 the logit is infinite: the interval is (p, p) and the estimate is flagged. Without degrees
    of freedom there is no interval at all (None, flagged), at p = 0 or 1 too.
    """
    numbers: list[float] = []
    for value in values:
        if value not in (0, 1) or (isinstance(value, float) and math.isnan(value)):
            raise ValueError(f"Valeur {value!r} : une proportion attend 0/1 ou vrai/faux.")
        numbers.append(float(value))
    core = _stratified_mean(numbers, strata, population, weights, domain, level, lonely_psu)
    p, se = core.mean, core.se
    flags = _flags(core, minimum_n)
    boundary = p <= 0.0 or p >= 1.0
    if boundary:
        flags.append(BOUNDARY)
    if core.df < 1:
        flags.append(NO_DEGREES_OF_FREEDOM)
        return Estimate(p, se, None, None, core.n, core.df, tuple(flags))
    if boundary:
        return Estimate(p, se, p, p, core.n, core.df, tuple(flags))
    half = t_quantile((1.0 + level) / 2.0, core.df) * se / (p * (1.0 - p))
    logit = math.log(p / (1.0 - p))
    return Estimate(
        p, se, _expit(logit - half), _expit(logit + half), core.n, core.df, tuple(flags)
    )


def estimate_difference(
    current: Estimate,
    previous: Estimate,
    *,
    covariance: float = 0.0,
    level: float = 0.95,
    minimum_n: int = DEFAULT_MINIMUM_N,
) -> Estimate:
    """Year-on-year change current − previous with a t interval.

    Variance: se₁² + se₂² − 2·cov. By default cov = 0, the independent-samples variance. With
    a rotating panel the two samples share sites, and sites that score well one year tend to
    score well the next, so the true covariance is positive and the default over-states the
    variance: the interval is conservative (too wide, never too narrow) and needs no site-level
    matching across years. A caller who has estimated the covariance from the common sites
    passes it; it must satisfy |cov| ≤ se₁·se₂.
    df = min(df₁, df₂), the conservative choice between the two designs' degrees of freedom
    (a Welch-Satterthwaite value would lie between min and sum). n = min(n₁, n₂), the count
    that limits precision; flags of both estimates are carried over.
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"Niveau de confiance hors de ]0, 1[ : {level}.")
    if not math.isfinite(covariance) or abs(covariance) > current.se * previous.se * (1 + 1e-12):
        raise ValueError(
            f"Covariance {covariance} incompatible avec les écarts-types "
            f"{current.se} et {previous.se} (|cov| ≤ se₁·se₂)."
        )
    variance = max(current.se**2 + previous.se**2 - 2.0 * covariance, 0.0)
    se = math.sqrt(variance)
    df = min(current.df, previous.df)
    n = min(current.n, previous.n)
    difference = current.estimate - previous.estimate
    flags = [flag for flag in (*current.flags, *previous.flags) if flag != BOUNDARY]
    if n < minimum_n:
        flags.append(SMALL_SAMPLE)
    half = _half_width(se, df, level)
    if half is None:
        flags.append(NO_DEGREES_OF_FREEDOM)
        return Estimate(difference, se, None, None, n, df, tuple(dict.fromkeys(flags)))
    unique = tuple(dict.fromkeys(flags))
    return Estimate(difference, se, difference - half, difference + half, n, df, unique)
