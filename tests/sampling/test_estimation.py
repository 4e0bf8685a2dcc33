"""Behaviour of the design-based estimators beyond the R comparison (DESIGN.md §3.4)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from sampling.estimation import (
    BOUNDARY,
    NO_DEGREES_OF_FREEDOM,
    SMALL_SAMPLE,
    Estimate,
    estimate_difference,
    estimate_mean,
    estimate_proportion,
)

VALUES = [6.0, 7.5, 8.0, 5.0, 9.0, 7.0]
STRATA = ["a", "a", "a", "b", "b", "b"]
POPULATION = {"a": 30, "b": 12}


def test_default_weights_are_population_over_sample_size() -> None:
    result = estimate_mean(VALUES, STRATA, POPULATION)
    expected = (30 / 3 * (6 + 7.5 + 8) + 12 / 3 * (5 + 9 + 7)) / 42
    assert result.estimate == pytest.approx(expected, abs=1e-12)
    assert (result.n, result.df) == (6, 4)


def test_a_census_has_no_sampling_variance() -> None:
    result = estimate_mean(VALUES, STRATA, {"a": 3, "b": 3})
    assert (result.se, result.ci_low, result.ci_high) == (0.0, result.estimate, result.estimate)


def test_a_stratum_taken_whole_adds_no_variance() -> None:
    with_whole = estimate_mean([*VALUES, 1.0], [*STRATA, "c"], {**POPULATION, "c": 1})
    alone = estimate_mean(VALUES, STRATA, POPULATION)
    # Same variance terms for a and b; only the weights' total changes the scale.
    scale = (42 + 1) / 42
    assert with_whole.se * scale == pytest.approx(alone.se, rel=1e-12)


def test_a_stratum_with_one_unit_out_of_more_fails_like_r() -> None:
    with pytest.raises(ValueError, match="« c » n'a qu'une unité tirée sur 5"):
        estimate_mean([*VALUES, 1.0], [*STRATA, "c"], {**POPULATION, "c": 5})


def test_a_lonely_stratum_outside_the_domain_is_ignored_like_r_subset() -> None:
    domain = [True] * 6 + [False]
    result = estimate_mean([*VALUES, 1.0], [*STRATA, "c"], {**POPULATION, "c": 5}, domain=domain)
    assert result.estimate == estimate_mean(VALUES, STRATA, POPULATION).estimate


def test_domain_df_counts_units_in_the_domain_minus_strata_holding_any() -> None:
    result = estimate_mean(
        VALUES, STRATA, POPULATION, domain=[True, True, False, False, False, True]
    )
    assert (result.n, result.df) == (3, 1)


def test_small_sample_is_flagged() -> None:
    result = estimate_mean(
        VALUES, STRATA, POPULATION, domain=[True, True, False, True, True, False]
    )
    assert result.flags == (SMALL_SAMPLE,)
    assert estimate_mean(VALUES, STRATA, POPULATION, minimum_n=4).flags == ()


def test_no_degrees_of_freedom_gives_no_interval_and_a_flag() -> None:
    result = estimate_mean(
        VALUES, STRATA, POPULATION, domain=[True, False, False, True, False, False]
    )
    assert (result.df, result.se > 0) == (0, True)
    assert (result.ci_low, result.ci_high) == (None, None)
    assert NO_DEGREES_OF_FREEDOM in result.flags


ONE_UNIT = [False, True, False, False, False, False]


def test_a_one_unit_domain_has_no_interval_like_r() -> None:
    # se = 0 (the unit is its own domain mean) but df = 0: R's confint gives NaN, not (x, x).
    result = estimate_mean(VALUES, STRATA, POPULATION, domain=ONE_UNIT)
    assert (result.estimate, result.se, result.n, result.df) == (7.5, 0.0, 1, 0)
    assert (result.ci_low, result.ci_high) == (None, None)
    assert result.flags == (SMALL_SAMPLE, NO_DEGREES_OF_FREEDOM)


@pytest.mark.parametrize("value", [0, 1])
def test_a_one_unit_domain_share_has_no_interval_even_at_zero_or_one(value: int) -> None:
    values = [1 - value] * 6
    values[1] = value
    result = estimate_proportion(values, STRATA, POPULATION, domain=ONE_UNIT)
    assert (result.estimate, result.df, result.ci_low, result.ci_high) == (value, 0, None, None)
    assert result.flags == (SMALL_SAMPLE, BOUNDARY, NO_DEGREES_OF_FREEDOM)


def test_a_share_without_degrees_of_freedom_has_no_interval() -> None:
    result = estimate_proportion(
        [1, 0, 0, 0, 0, 0], STRATA, POPULATION, domain=[True, False, False, True, False, False]
    )
    assert (result.df, 0 < result.estimate < 1) == (0, True)
    assert (result.ci_low, result.ci_high) == (None, None)
    assert NO_DEGREES_OF_FREEDOM in result.flags
    assert BOUNDARY not in result.flags


def test_a_census_with_degrees_of_freedom_keeps_its_point_interval() -> None:
    result = estimate_mean(VALUES, STRATA, {"a": 3, "b": 3}, domain=[True, True, False] * 2)
    assert (result.se, result.df) == (0.0, 2)
    assert (result.ci_low, result.ci_high) == (result.estimate, result.estimate)
    assert NO_DEGREES_OF_FREEDOM not in result.flags


@pytest.mark.parametrize("p_value", [0, 1])
def test_proportion_at_zero_or_one_has_a_point_interval_and_a_flag(p_value: int) -> None:
    result = estimate_proportion([p_value] * 6, STRATA, POPULATION)
    assert (result.estimate, result.ci_low, result.ci_high) == (p_value, p_value, p_value)
    assert BOUNDARY in result.flags


def test_proportion_interval_is_the_logit_one_and_stays_in_zero_one() -> None:
    result = estimate_proportion([True, False, False, False, False, False], STRATA, POPULATION)
    assert 0 < result.ci_low < result.estimate < result.ci_high < 1
    assert result.estimate == pytest.approx(10 / 42)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"values": []}, "Aucune unité"),
        ({"values": [*VALUES[:5], float("nan")]}, "NaN"),
        ({"values": [*VALUES[:5], None]}, "NaN"),
        ({"strata": STRATA[:5]}, "strata a 5 éléments pour 6"),
        ({"weights": [1.0] * 5}, "weights a 5 éléments"),
        ({"domain": [True] * 7}, "domain a 7 éléments"),
        ({"domain": [False] * 6}, "Aucune unité dans le domaine"),
        ({"strata": ["a", "a", "a", "b", "b", "z"]}, "« z » absente"),
        ({"population": {"a": 2, "b": 12}}, "3 unités tirées pour 2"),
        ({"weights": [1.0, 2.0, 0.0, 1.0, 1.0, 1.0]}, "Poids nul"),
        ({"weights": [1.0, 2.0, float("nan"), 1.0, 1.0, 1.0]}, "Poids nul"),
        ({"level": 1.0}, "Niveau de confiance"),
        ({"level": 0.0}, "Niveau de confiance"),
    ],
)
def test_bad_estimation_inputs_raise_value_error(change: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {"values": VALUES, "strata": STRATA, "population": POPULATION}
    arguments.update(change)
    with pytest.raises(ValueError, match=message):
        estimate_mean(
            arguments.pop("values"),
            arguments.pop("strata"),
            arguments.pop("population"),
            **arguments,
        )


@pytest.mark.parametrize("value", [2, 0.5, -1, float("nan")])
def test_proportion_refuses_values_other_than_zero_and_one(value: float) -> None:
    with pytest.raises(ValueError, match="0/1"):
        estimate_proportion([1, 0, 1, 0, 1, value], STRATA, POPULATION)


CURRENT = Estimate(7.0, 0.3, 6.4, 7.6, 600, 540)
PREVIOUS = Estimate(6.7, 0.4, 5.9, 7.5, 580, 520, (SMALL_SAMPLE,))


def test_difference_uses_the_conservative_independent_variance_by_default() -> None:
    result = estimate_difference(CURRENT, PREVIOUS)
    assert result.estimate == pytest.approx(0.3)
    assert result.se == pytest.approx(0.5)  # √(0.3² + 0.4²)
    assert (result.n, result.df) == (580, 520)
    half = (result.ci_high - result.ci_low) / 2
    assert half == pytest.approx(0.5 * 1.9645365010, rel=1e-9)  # R: qt(0.975, 520)


def test_difference_with_a_covariance_from_common_sites_is_narrower() -> None:
    result = estimate_difference(CURRENT, PREVIOUS, covariance=0.06)
    assert result.se == pytest.approx(math.sqrt(0.09 + 0.16 - 0.12))
    assert result.se < estimate_difference(CURRENT, PREVIOUS).se


def test_difference_carries_the_flags_of_both_years() -> None:
    assert estimate_difference(CURRENT, PREVIOUS).flags == (SMALL_SAMPLE,)


@pytest.mark.parametrize("se", [0.0, 0.2])
def test_difference_without_degrees_of_freedom_has_no_interval(se: float) -> None:
    one_site = Estimate(8.0, se, None, None, 1, 0, (SMALL_SAMPLE, NO_DEGREES_OF_FREEDOM))
    result = estimate_difference(one_site, Estimate(7.0, 0.0, 7.0, 7.0, 1, 0), minimum_n=1)
    assert (result.estimate, result.df, result.ci_low, result.ci_high) == (1.0, 0, None, None)
    assert result.flags == (SMALL_SAMPLE, NO_DEGREES_OF_FREEDOM)


@pytest.mark.parametrize("covariance", [0.13, -0.13, float("inf")])
def test_difference_refuses_an_impossible_covariance(covariance: float) -> None:
    with pytest.raises(ValueError, match="Covariance"):
        estimate_difference(CURRENT, PREVIOUS, covariance=covariance)
