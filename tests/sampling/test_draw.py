"""Drawing the sample within strata (DESIGN.md §3.4, DOMAIN.md §5)."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest

from sampling.draw import DrawResult, FrameUnit, draw_sample, stratum_key
from sampling.prn import new_permanent_random_number, permanent_random_numbers
from sampling.rotation import PreviousDraw


def small_frame(prn_seed: int = 7) -> list[FrameUnit]:
    rng = random.Random(prn_seed)
    return [
        FrameUnit(
            key=f"S{i:02d}",
            stratum="Nord" if i < 8 else "Sud",
            prn=rng.random(),
            size=float(1 + i % 5),
            order=f"{(i * 7) % 12:02d}",
        )
        for i in range(12)
    ]


ALLOCATION = {"Nord": 3, "Sud": 2}
PREVIOUS = PreviousDraw(keys=["S01"], starts={"Nord": 0.5}, sizes={"Nord": (3, 8)})


def keys(result: DrawResult) -> list[str]:
    return [unit.key for unit in result.units]


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("srs", ["S01", "S03", "S06", "S08", "S09"]),
        ("systematic", ["S02", "S05", "S06", "S08", "S09"]),
        ("pps", ["S02", "S03", "S06", "S08", "S09"]),
    ],
)
def test_draw_is_reproducible_from_its_seed(method: Any, expected: list[str]) -> None:
    # Fixed expected keys: a change of algorithm must be noticed (and documented).
    assert (
        sorted(keys(draw_sample(small_frame(), ALLOCATION, method=method, seed=2024))) == expected
    )


def test_permanent_random_numbers_are_fixed_by_seed_and_key() -> None:
    assert new_permanent_random_number(42) == pytest.approx(0.6394267984578837, abs=0)
    prns = permanent_random_numbers(["S1", "S2"], seed=1)
    assert prns == permanent_random_numbers(["S2", "S1"], seed=1)
    assert all(0.0 <= value < 1.0 for value in prns.values())


@pytest.mark.parametrize("method", ["srs", "systematic", "pps"])
def test_draw_takes_exactly_the_allocated_number_per_stratum(method: Any) -> None:
    result = draw_sample(small_frame(), ALLOCATION, method=method, seed=5)
    assert Counter(unit.stratum for unit in result.units) == Counter(ALLOCATION)
    assert len(set(keys(result))) == 5


@pytest.mark.parametrize("method", ["srs", "systematic"])
def test_equal_probability_draws_carry_n_over_N_and_its_inverse(method: Any) -> None:
    result = draw_sample(small_frame(), ALLOCATION, method=method, seed=5)
    by_stratum = {u.stratum: (u.inclusion_probability, u.weight) for u in result.units}
    assert by_stratum == {"Nord": (3 / 8, 8 / 3), "Sud": (0.5, 2.0)}


def test_pps_weights_are_the_inverse_of_inclusion_probabilities() -> None:
    result = draw_sample(small_frame(), ALLOCATION, method="pps", seed=5)
    assert all(u.weight == pytest.approx(1 / u.inclusion_probability) for u in result.units)


def test_pps_takes_units_reaching_probability_one_with_certainty() -> None:
    units = [
        FrameUnit(f"U{i}", "h", (i + 0.5) / 6, size=s) for i, s in enumerate([100, 1, 1, 1, 1, 1])
    ]
    result = draw_sample(units, {"h": 3}, method="pps", seed=3)
    big = next(u for u in result.units if u.key == "U0")
    assert (big.inclusion_probability, big.certainty) == (1.0, True)
    others = [u.inclusion_probability for u in result.units if u.key != "U0"]
    assert others == pytest.approx([0.4, 0.4])


def test_a_stratum_taken_whole_is_flagged_certainty() -> None:
    result = draw_sample(small_frame(), {"Nord": 8, "Sud": 0}, method="systematic", seed=1)
    assert len(result.units) == 8
    assert all(u.certainty and u.weight == 1.0 for u in result.units)


@pytest.mark.parametrize("size", [None, 0.0, -2.0, float("nan")])
def test_pps_refuses_missing_or_zero_size(size: float | None) -> None:
    units = [*small_frame()[:7], FrameUnit("X", "Nord", 0.5, size=size)]
    with pytest.raises(ValueError, match="taille manquante, nulle ou invalide pour « X »"):
        draw_sample(units + small_frame()[8:], ALLOCATION, method="pps", seed=1)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"units": [*small_frame(), small_frame()[0]]}, "en double"),
        ({"units": [*small_frame(), FrameUnit("Z", "Sud", 1.0)]}, "aléatoire permanent invalide"),
        ({"allocation": {"Nord": 3, "Sud": 2, "Est": 1}}, "absentes de la base : Est"),
        ({"allocation": {"Nord": 3}}, "Aucune allocation pour les strates : Sud"),
        ({"allocation": {"Nord": 9, "Sud": 2}}, "Allocation 9 impossible"),
        ({"allocation": {"Nord": -1, "Sud": 2}}, "Allocation -1 impossible"),
        ({"method": "cluster"}, "Méthode de tirage inconnue"),
        ({"previous": PREVIOUS}, "à la fois"),
        ({"overlap": 0.5}, "à la fois"),
        ({"previous": PREVIOUS, "overlap": 1.5}, "Recouvrement invalide"),
        ({"previous": PREVIOUS, "overlap": 0.5, "method": "pps"}, "tirage aléatoire simple"),
        ({"previous": ["S01"], "overlap": 0.5}, "PreviousDraw"),
    ],
)
def test_bad_draw_requests_raise_value_error(change: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {"units": small_frame(), "allocation": ALLOCATION, "seed": 1}
    arguments.update(change)
    with pytest.raises(ValueError, match=message):
        draw_sample(arguments.pop("units"), arguments.pop("allocation"), **arguments)


@pytest.mark.parametrize(
    ("values", "label"),
    [
        (["Préfecture", "Bretagne"], "Préfecture × Bretagne"),
        ([" France services ", "Île-de-France"], "France services × Île-de-France"),
        (["SIP", ""], "SIP × (non renseigné)"),
        ([], "Ensemble"),
    ],
)
def test_stratum_key_joins_the_chosen_columns(values: list[str], label: str) -> None:
    assert stratum_key(values) == label


def frequencies(method: Any, draws: int) -> tuple[Counter[str], dict[str, float]]:
    """Selection counts over `draws` independent draws, and each unit's π."""
    counts: Counter[str] = Counter()
    probabilities: dict[str, float] = {}
    for replicate in range(draws):
        rng = random.Random(replicate)
        # For srs the design's randomness is the PRNs themselves: fresh ones per replicate.
        units = [
            FrameUnit(u.key, u.stratum, rng.random() if method == "srs" else u.prn, u.size, u.order)
            for u in small_frame()
        ]
        for unit in draw_sample(units, ALLOCATION, method=method, seed=replicate).units:
            counts[unit.key] += 1
            probabilities[unit.key] = unit.inclusion_probability
    return counts, probabilities


@pytest.mark.parametrize("method", ["srs", "systematic", "pps"])
def test_selection_frequencies_match_inclusion_probabilities(method: Any) -> None:
    draws = 20_000
    counts, probabilities = frequencies(method, draws)
    for key, pi in probabilities.items():
        # 4.5 binomial standard deviations: false alarm below 1e-5 per unit.
        tolerance = 4.5 * (pi * (1 - pi) / draws) ** 0.5 + 1e-9
        assert abs(counts[key] / draws - pi) <= tolerance, key
