"""Panel rotation between years by permanent random numbers (DOMAIN.md §5)."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from sampling.allocation import allocate
from sampling.draw import FrameUnit, draw_sample
from sampling.rotation import target_overlap


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


def last_year(units: list[FrameUnit], n: int = 300) -> list[str]:
    result = draw_sample(units, allocate(population(units), n, minimum=2), seed=2023)
    return [u.key for u in result.units]


@pytest.mark.parametrize("overlap", [0.0, 0.25, 0.5, 0.75, 1.0])
def test_achieved_overlap_is_within_one_site_of_target_in_every_stratum(overlap: float) -> None:
    units = frame()
    previous = last_year(units)
    allocation = allocate(population(units), 300, minimum=2)
    result = draw_sample(units, allocation, seed=2024, previous=previous, overlap=overlap)
    assert result.overlap is not None
    for stratum, (kept, target) in result.overlap.items():
        in_stratum = sum(key.startswith(stratum) for key in previous)
        if allocation[stratum] < population(units)[stratum]:
            assert target == target_overlap(overlap, allocation[stratum], in_stratum)
            assert abs(kept - target) <= 1, stratum


def test_reported_overlap_counts_the_sites_really_kept() -> None:
    units = frame()
    previous = set(last_year(units))
    result = draw_sample(
        units, allocate(population(units), 300, minimum=2), seed=1, previous=previous, overlap=0.5
    )
    assert result.overlap is not None
    kept = Counter(u.stratum for u in result.units if u.key in previous)
    assert {h: kept.get(h, 0) for h in result.overlap} == {
        h: k for h, (k, _) in result.overlap.items()
    }


def test_rotation_keeps_exact_sizes_with_births_and_deaths() -> None:
    rng = random.Random(5)
    units = frame()
    previous = last_year(units)
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
    assert result.overlap is not None
    assert all(abs(kept - target) <= 1 for kept, target in result.overlap.values())


def test_previous_sites_that_left_the_frame_are_simply_absent() -> None:
    units = frame(strata=3)
    previous = [*last_year(units, n=20), "closed-site"]
    result = draw_sample(
        units, allocate(population(units), 20, minimum=2), seed=3, previous=previous, overlap=0.5
    )
    assert "closed-site" not in {u.key for u in result.units}


def test_a_stratum_with_no_previous_site_is_drawn_from_the_seeded_start() -> None:
    units = frame(strata=2)
    result = draw_sample(units, {"H00": 2, "H01": 4}, seed=9, previous=["elsewhere"], overlap=0.5)
    assert result.overlap == {"H00": (0, 0), "H01": (0, 0)}
    assert result.starts == draw_sample(units, {"H00": 2, "H01": 4}, seed=9).starts


def test_rotation_is_deterministic() -> None:
    units = frame(strata=5)
    previous = last_year(units, n=30)
    allocation = allocate(population(units), 30, minimum=2)
    first = draw_sample(units, allocation, seed=4, previous=previous, overlap=0.5)
    second = draw_sample(units, allocation, seed=4, previous=previous, overlap=0.5)
    assert first == second


@pytest.mark.parametrize("births", [False, True])
def test_rotated_sample_keeps_inclusion_probability_n_over_N(births: bool) -> None:
    # One stratum of 10 units (12 with births, 2 deaths), n = 4 both years, half kept.
    draws = 8_000
    counts: Counter[str] = Counter()
    for replicate in range(draws):
        rng = random.Random(replicate)
        old = [FrameUnit(f"U{i}", "h", rng.random()) for i in range(10)]
        previous = [u.key for u in draw_sample(old, {"h": 4}, seed=replicate).units]
        new = old[2:] + [FrameUnit(f"B{i}", "h", rng.random()) for i in range(4)] if births else old
        result = draw_sample(new, {"h": 4}, seed=replicate + 1, previous=previous, overlap=0.5)
        counts.update(u.key for u in result.units)
    pi = 4 / (12 if births else 10)
    tolerance = 4.5 * (pi * (1 - pi) / draws) ** 0.5 + (0.005 if births else 0.0)
    for key, count in counts.items():
        assert abs(count / draws - pi) <= tolerance, key
