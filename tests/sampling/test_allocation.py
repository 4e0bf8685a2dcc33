"""Allocation of the sample to strata (DESIGN.md §3.4)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sampling.allocation import allocate, allocation_table

POPULATION = {"Préfecture": 100, "SIP": 300, "Tribunal": 50, "Rectorat": 8}


def test_proportional_allocation_rounds_by_largest_remainder() -> None:
    # shares 21.8, 65.5, 10.9, 1.7: floors 21+65+10+1 = 97, three more by remainder.
    assert allocate(POPULATION, 100) == {"Préfecture": 22, "SIP": 65, "Tribunal": 11, "Rectorat": 2}


def test_equal_remainders_go_to_the_first_stratum_key() -> None:
    assert allocate({"b": 10, "a": 10, "c": 10}, 4) == {"b": 1, "a": 2, "c": 1}


def test_minimum_per_stratum_is_met_and_others_pay_for_it() -> None:
    result = allocate({"grand": 1000, "petit": 10, "moyen": 100}, 20, minimum=3)
    assert result == {"grand": 14, "petit": 3, "moyen": 3}  # petit 0.2 and moyen 1.8 → 3


def test_minimum_is_capped_at_the_stratum_size() -> None:
    assert allocate({"a": 1, "b": 50}, 10, minimum=2) == {"a": 1, "b": 9}


def test_strata_whose_share_exceeds_their_size_are_taken_whole() -> None:
    # Neyman: c's share N·S is 30 of 31 parts; capped at 10, the rest re-allocated.
    result = allocate(
        {"a": 100, "b": 100, "c": 10}, 30, method="neyman", sd={"a": 0.1, "b": 0.1, "c": 300}
    )
    assert result == {"a": 10, "b": 10, "c": 10}


def test_certainty_cascades_iteratively() -> None:
    # N·S = (50, 48, 50): a's share 20.3 > 5 is capped; then b's 26.9 > 12; c takes the rest.
    result = allocate(
        {"a": 5, "b": 12, "c": 100}, 60, method="neyman", sd={"a": 10, "b": 4, "c": 0.5}
    )
    assert result == {"a": 5, "b": 12, "c": 43}


def test_neyman_allocates_in_proportion_to_size_times_sd() -> None:
    assert allocate({"a": 100, "b": 100}, 20, method="neyman", sd={"a": 1.0, "b": 3.0}) == {
        "a": 5,
        "b": 15,
    }


def test_neyman_with_all_sd_zero_falls_back_to_proportional() -> None:
    assert allocate({"a": 100, "b": 300}, 8, method="neyman", sd={"a": 0.0, "b": 0.0}) == {
        "a": 2,
        "b": 6,
    }


def test_equal_allocation_caps_small_strata() -> None:
    assert allocate({"a": 3, "b": 100, "c": 100}, 21, method="equal") == {"a": 3, "b": 9, "c": 9}


def test_whole_population_is_a_census() -> None:
    assert allocate({"a": 3, "b": 4}, 7, minimum=2) == {"a": 3, "b": 4}


@pytest.mark.parametrize(
    ("population", "n", "options", "message"),
    [
        ({}, 1, {}, "Population vide"),
        ({"a": 0, "b": 5}, 1, {}, "est vide"),
        ({"a": -1}, 0, {}, "négative"),
        ({"a": 2.5}, 1, {}, "non entière"),
        ({"a": 10}, -1, {}, "Taille d'échantillon invalide"),
        ({"a": 10, "b": 5}, 16, {}, "base de 15 sites"),
        ({"a": 10, "b": 5, "c": 5}, 5, {"minimum": 2}, "demande 6 sites"),
        ({"a": 10}, 5, {"minimum": -1}, "Minimum"),
        ({"a": 10}, 5, {"method": "optimal"}, "Méthode d'allocation inconnue"),
        ({"a": 10}, 5, {"method": "neyman"}, "écart-type de chaque strate"),
        ({"a": 10, "b": 3}, 5, {"method": "neyman", "sd": {"a": 1.0}}, "manquant .* b"),
        ({"a": 10}, 5, {"method": "neyman", "sd": {"a": 1.0, "z": 1.0}}, "inconnues : z"),
        ({"a": 10}, 5, {"method": "neyman", "sd": {"a": -1.0}}, "Écart-type invalide"),
        ({"a": 10}, 5, {"method": "neyman", "sd": {"a": float("nan")}}, "Écart-type invalide"),
    ],
)
def test_impossible_requests_raise_value_error(
    population: Mapping[str, Any], n: int, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        allocate(population, n, **options)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 500), min_size=1, max_size=12),
    fraction=st.floats(0, 1),
    minimum=st.integers(0, 4),
    method=st.sampled_from(["proportional", "equal", "neyman"]),
    sds=st.lists(st.floats(0, 5), min_size=12, max_size=12),
)
def test_allocation_is_exact_and_within_bounds(
    sizes: list[int], fraction: float, minimum: int, method: str, sds: list[float]
) -> None:
    population = {f"h{i:02d}": size for i, size in enumerate(sizes)}
    floor = sum(min(minimum, size) for size in sizes)
    n = floor + round(fraction * (sum(sizes) - floor))
    sd = {h: sds[i] for i, h in enumerate(population)}
    result = allocate(population, n, method=method, minimum=minimum, sd=sd)
    assert sum(result.values()) == n
    assert all(min(minimum, population[h]) <= result[h] <= population[h] for h in population)


def test_allocation_table_gives_probabilities_weights_and_certainty() -> None:
    rows = allocation_table({"b": 40, "a": 4, "c": 10}, {"a": 4, "b": 10, "c": 0})
    assert [(r.stratum, r.population, r.sample) for r in rows] == [
        ("a", 4, 4),
        ("b", 40, 10),
        ("c", 10, 0),
    ]
    assert [(r.inclusion_probability, r.weight, r.certainty) for r in rows] == [
        (1.0, 1.0, True),
        (0.25, 4.0, False),
        (0.0, None, False),
    ]
