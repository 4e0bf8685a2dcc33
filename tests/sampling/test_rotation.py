"""Panel rotation between years by permanent random numbers (DOMAIN.md §5, Ohlsson 1995)."""

from __future__ import annotations

import math
import random
from collections import Counter
from typing import Any

import pytest

from sampling.allocation import allocate
from sampling.draw import DrawResult, FrameUnit, draw_sample
from sampling.prn import stratum_start
from sampling.rotation import (
    PreviousDraw,
    rotated_start,
    rotation_shift,
    shared_arc,
    target_overlap,
)


def frame(strata: int = 40, seed: int = 11) -> list[FrameUnit]:
    """Strata of 6 to 60 units, each unit with its own PRN."""
    rng = random.Random(seed)
    units = []
    for h in range(strata):
        size = 6 + (h * 13) % 55
        units += [FrameUnit(f"H{h:02d}-{i:03d}", f"H{h:02d}", rng.random()) for i in range(size)]
    return units


def population(units: list[FrameUnit]) -> dict[str, int]:
    return dict(Counter(u.stratum for u in units))


def last_year(units: list[FrameUnit], n: int = 300) -> DrawResult:
    return draw_sample(units, allocate(population(units), n, minimum=2), seed=2023)


def stratum(prns: list[float], prefix: str = "U") -> list[FrameUnit]:
    return [FrameUnit(f"{prefix}{i}", "h", prn) for i, prn in enumerate(prns)]


# --- The shift: fixed by the overlap and the sizes ------------------------------------------


@pytest.mark.parametrize(
    ("overlap", "previous_size", "size", "shift"),
    [
        (0.5, (40, 200), (40, 200), 0.1),  # ℓ = 20/200: the window moves by half its length
        (0.0, (40, 200), (40, 200), 0.2),  # starts where last year's window ended
        (1.0, (40, 200), (40, 200), 0.0),  # same start, same sample
        (1.0, (40, 200), (60, 200), 0.0),  # ℓ = min(a, b) = last year's whole window
        (0.5, (40, 200), (40, 180), 0.2 - 20 / 180),  # deaths: ℓ = k/N
        (0.5, (40, 200), (40, 220), 0.1),  # births: ℓ = k/N'
        (0.0, (8, 10), (8, 10), 0.2),  # two windows of 0.8 share at least 0.6: ℓ = 0.6
        (0.5, (8, 10), (8, 10), 0.2),
        (1.0, (8, 10), (8, 10), 0.0),
        (0.5, (0, 10), (4, 10), 0.0),  # nothing drawn last year: no shift
    ],
)
def test_shift_follows_the_formula(
    overlap: float, previous_size: tuple[int, int], size: tuple[int, int], shift: float
) -> None:
    assert rotation_shift(overlap, previous_size, size) == pytest.approx(shift, abs=1e-15)
    a, b = previous_size[0] / previous_size[1], size[0] / size[1]
    assert max(0.0, a + b - 1) <= shared_arc(overlap, previous_size, size) <= min(a, b)


def test_rotated_start_wraps_around_the_circle() -> None:
    assert rotated_start(0.95, 0.0, (40, 200), (40, 200)) == pytest.approx(0.15)
    assert 0.0 <= rotated_start(1.0 - 2**-53, 0.0, (1, 2), (1, 2)) < 1.0


def test_starts_are_the_previous_ones_moved_by_the_shift() -> None:
    units = frame()
    previous = last_year(units)
    allocation = allocate(population(units), 300, minimum=2)
    result = draw_sample(
        units, allocation, seed=2024, previous=previous.as_previous(), overlap=0.25
    )
    assert result.overlap is not None
    sizes = population(units)
    for h, start in result.starts.items():
        assert previous.starts[h] == stratum_start(2023, h)
        expected = rotated_start(
            previous.starts[h], 0.25, previous.sizes[h], (allocation[h], sizes[h])
        )
        assert start == expected
        assert result.overlap[h][1] == target_overlap(0.25, allocation[h], previous.sizes[h][0])
    assert result.sizes == {h: (allocation[h], sizes[h]) for h in sizes}


def test_selection_never_depends_on_which_units_were_drawn_last_year() -> None:
    # The fix of the window search: the previous sample only enters through fixed numbers.
    units = frame(strata=5)
    previous = last_year(units, n=30).as_previous()
    allocation = allocate(population(units), 30, minimum=2)
    other = PreviousDraw(
        keys=[u.key for u in units[::3]], starts=previous.starts, sizes=previous.sizes
    )
    first = draw_sample(units, allocation, seed=4, previous=previous, overlap=0.5)
    second = draw_sample(units, allocation, seed=4, previous=other, overlap=0.5)
    assert first.units == second.units
    assert first.starts == second.starts
    assert first.overlap != second.overlap


# --- π = n/N holds exactly, births and deaths included --------------------------------------


def test_a_rotated_draw_rotates_from_its_own_start() -> None:
    units = frame(strata=3)
    allocation = allocate(population(units), 30, minimum=2)
    year_1 = last_year(units, n=30)
    year_2 = draw_sample(units, allocation, seed=5, previous=year_1.as_previous(), overlap=0.5)
    year_3 = draw_sample(units, allocation, seed=6, previous=year_2.as_previous(), overlap=0.5)
    for h, start in year_3.starts.items():
        size = (allocation[h], population(units)[h])
        assert start == rotated_start(year_2.starts[h], 0.5, year_2.sizes[h], size)
        assert start != stratum_start(6, h)


# Each configuration: one stratum, years as (units closed, units opened, n), overlap.
CONFIGURATIONS = {
    # The frame that showed the bias: 10 sites, 8 drawn; 2 closed, 2 opened; keep half.
    "10-8 births and deaths": (10, 8, [(2, 2, 8)], 0.5),
    # Three years, the third rotating from the second's own start; fractions 0.83 to 0.91.
    "12-10 three years": (12, 10, [(3, 1, 9), (1, 2, 10)], 0.25),
}


def selection_frequencies(
    size: int, first_n: int, years: list[tuple[int, int, int]], overlap: float, draws: int
) -> tuple[Counter[str], dict[str, float], list[str]]:
    """Counts over `draws` repeats of the whole sequence of draws, with fresh PRNs each time."""
    counts: Counter[str] = Counter()
    probabilities: dict[str, float] = {}
    keys: list[str] = []
    for replicate in range(draws):
        rng = random.Random(replicate)
        units = stratum([rng.random() for _ in range(size)])
        result = draw_sample(units, {"h": first_n}, seed=replicate)
        for year, (closed, opened, n) in enumerate(years):
            births = stratum([rng.random() for _ in range(opened)], prefix=f"B{year}-")
            units = units[closed:] + births
            result = draw_sample(
                units,
                {"h": n},
                seed=replicate + year + 1,
                previous=result.as_previous(),
                overlap=overlap,
            )
        counts.update(u.key for u in result.units)
        probabilities.update((u.key, u.inclusion_probability) for u in result.units)
        keys = [u.key for u in units]
    return counts, probabilities, keys


@pytest.mark.parametrize("name", list(CONFIGURATIONS))
def test_rotated_srs_keeps_every_units_inclusion_probability(name: str) -> None:
    size, first_n, years, overlap = CONFIGURATIONS[name]
    draws = 2_000
    counts, probabilities, keys = selection_frequencies(size, first_n, years, overlap, draws)
    pi = years[-1][2] / len(keys)
    assert all(value == pytest.approx(pi) for value in probabilities.values())
    z = {key: (counts[key] / draws - pi) / math.sqrt(pi * (1 - pi) / draws) for key in keys}
    # Old and new units alike (the window search gave new units z ≈ +50 here).
    assert max(abs(value) for value in z.values()) < 4.5, z


# --- The overlap reached: random around its target -------------------------------------------


@pytest.mark.parametrize(
    ("closed", "opened"), [(0, 0), (40, 0), (0, 40)], ids=["same", "deaths", "births"]
)
def test_mean_kept_count_is_near_the_target_on_a_large_stratum(closed: int, opened: int) -> None:
    draws, kept = 150, 0
    for replicate in range(draws):
        rng = random.Random(replicate)
        units = stratum([rng.random() for _ in range(200)])
        previous = draw_sample(units, {"h": 40}, seed=replicate).as_previous()
        units = units[closed:] + stratum([rng.random() for _ in range(opened)], prefix="B")
        result = draw_sample(units, {"h": 40}, seed=replicate, previous=previous, overlap=0.5)
        assert result.overlap is not None
        kept += result.overlap["h"][0]
        assert result.overlap["h"][1] == 20
    # One draw's count has a standard deviation of about 4; the mean of 150, about 0.35.
    assert kept / draws == pytest.approx(20, abs=1.5)


def test_overlap_one_with_the_same_frame_and_sizes_keeps_the_same_sample() -> None:
    units = frame()
    previous = last_year(units)
    allocation = allocate(population(units), 300, minimum=2)
    result = draw_sample(units, allocation, seed=7, previous=previous.as_previous(), overlap=1.0)
    assert sorted(u.key for u in result.units) == sorted(u.key for u in previous.units)
    assert result.starts == previous.starts
    assert result.overlap is not None
    assert all(kept == target == allocation[h] for h, (kept, target) in result.overlap.items())


def test_overlap_zero_starts_where_last_years_window_ended() -> None:
    draws, kept = 150, 0
    for replicate in range(draws):
        rng = random.Random(replicate)
        units = stratum([rng.random() for _ in range(200)])
        previous = draw_sample(units, {"h": 20}, seed=replicate)
        result = draw_sample(
            units, {"h": 20}, seed=replicate, previous=previous.as_previous(), overlap=0.0
        )
        assert result.starts["h"] == pytest.approx((previous.starts["h"] + 0.1) % 1.0)
        assert result.overlap is not None
        kept += result.overlap["h"][0]
    # Only the randomness of where last year's window really ended: about 1.7 of 20.
    assert kept / draws < 3


def test_overlap_zero_at_a_high_fraction_keeps_only_what_cannot_be_avoided() -> None:
    units = stratum([random.Random(1).random() for _ in range(10)])
    previous = draw_sample(units, {"h": 8}, seed=3)
    result = draw_sample(units, {"h": 8}, seed=3, previous=previous.as_previous(), overlap=0.0)
    assert result.starts["h"] == pytest.approx((previous.starts["h"] + 0.2) % 1.0)
    assert result.overlap is not None
    assert result.overlap["h"][0] >= 6  # two windows of 8 among 10 share at least 6


# --- Reports, sizes and edge cases -----------------------------------------------------------


def test_reported_overlap_counts_the_sites_really_kept() -> None:
    units = frame()
    previous = last_year(units)
    keys = {u.key for u in previous.units}
    result = draw_sample(
        units,
        allocate(population(units), 300, minimum=2),
        seed=1,
        previous=previous.as_previous(),
        overlap=0.5,
    )
    assert result.overlap is not None
    kept = Counter(u.stratum for u in result.units if u.key in keys)
    assert {h: kept.get(h, 0) for h in result.overlap} == {
        h: k for h, (k, _) in result.overlap.items()
    }


def test_rotation_keeps_exact_sizes_with_births_and_deaths() -> None:
    rng = random.Random(5)
    units = frame()
    previous = last_year(units).as_previous()
    survivors = [u for u in units if rng.random() > 0.15]
    births = [
        FrameUnit(f"{u.stratum}-new{i}", u.stratum, rng.random())
        for i, u in enumerate(units)
        if rng.random() < 0.15
    ]
    next_frame = survivors + births
    allocation = allocate(population(next_frame), 300, minimum=2)
    result = draw_sample(next_frame, allocation, seed=2024, previous=previous, overlap=0.5)
    assert Counter(u.stratum for u in result.units) == Counter(
        {h: n for h, n in allocation.items() if n}
    )
    sizes = population(next_frame)
    assert all(
        u.inclusion_probability == allocation[u.stratum] / sizes[u.stratum] for u in result.units
    )


def test_previous_sites_that_left_the_frame_are_simply_absent() -> None:
    units = frame(strata=3)
    last = last_year(units, n=20).as_previous()
    previous = PreviousDraw([*last.keys, "closed-site"], last.starts, last.sizes)
    result = draw_sample(
        units, allocate(population(units), 20, minimum=2), seed=3, previous=previous, overlap=0.5
    )
    assert "closed-site" not in {u.key for u in result.units}


def test_a_stratum_absent_from_the_previous_draw_is_drawn_from_the_seeded_start() -> None:
    units = frame(strata=2)
    allocation = {"H00": 2, "H01": 4}
    previous = PreviousDraw(keys=["elsewhere"], starts={"Autre": 0.5}, sizes={"Autre": (2, 9)})
    result = draw_sample(units, allocation, seed=9, previous=previous, overlap=0.5)
    assert result.overlap == {"H00": (0, 0), "H01": (0, 0)}
    assert result.starts == draw_sample(units, allocation, seed=9).starts


def test_rotation_is_deterministic() -> None:
    units = frame(strata=5)
    previous = last_year(units, n=30).as_previous()
    allocation = allocate(population(units), 30, minimum=2)
    first = draw_sample(units, allocation, seed=4, previous=previous, overlap=0.5)
    second = draw_sample(units, allocation, seed=4, previous=previous, overlap=0.5)
    assert first == second
    # The seed plays no part in a rotated stratum: its start comes from last year's.
    assert draw_sample(units, allocation, seed=5, previous=previous, overlap=0.5) == first


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"starts": {"h": 0.5}, "sizes": {}}, "départ ou tailles manquants pour les strates « h »"),
        ({"starts": {"h": 1.0}, "sizes": {"h": (2, 5)}}, "Départ du tirage précédent invalide"),
        ({"starts": {"h": math.nan}, "sizes": {"h": (2, 5)}}, "Départ du tirage précédent"),
        ({"starts": {"h": 0.5}, "sizes": {"h": (6, 5)}}, "Tailles du tirage précédent"),
        ({"starts": {"h": 0.5}, "sizes": {"h": (2, 0)}}, "Tailles du tirage précédent"),
        ({"starts": {"h": 0.5}, "sizes": {"h": (2.0, 5)}}, "Tailles du tirage précédent"),
    ],
)
def test_an_inconsistent_previous_draw_is_refused(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PreviousDraw(keys=[], **arguments)


def test_previous_must_be_a_previous_draw() -> None:
    with pytest.raises(ValueError, match="PreviousDraw"):
        draw_sample(frame(strata=1), {"H00": 2}, seed=1, previous=["H00-001"], overlap=0.5)  # type: ignore[arg-type]
