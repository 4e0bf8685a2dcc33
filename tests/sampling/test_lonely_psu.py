"""A stratum left with one unit out of more: R's ``survey.lonely.psu`` "fail" (the default)
and "adjust" (``lonely_psu="adjust"``), by hand and against R's survey package live."""

from __future__ import annotations

import math
import random
import subprocess
from pathlib import Path
from typing import Any

import pytest

from sampling.estimation import (
    LONELY_STRATUM,
    estimate_difference,
    estimate_mean,
    estimate_proportion,
)
from tests.sampling.test_estimation_r_live import (
    TOLERANCE,
    _r_with_survey,
    matched_with_r,
    run_r,
)

#: Stratum a (N = 10) has two units, stratum b (N = 5) one: b is lonely.
VALUES = [5.0, 6.0, 7.0]
STRATA = ["a", "a", "b"]
POPULATION = {"a": 10, "b": 5}

live = pytest.mark.skipif(not _r_with_survey(), reason="Rscript with the survey package not found")


def test_the_default_still_fails_as_r_does() -> None:
    with pytest.raises(ValueError, match="n'a qu'une unité"):
        estimate_mean(VALUES, STRATA, POPULATION)
    with pytest.raises(ValueError, match="n'a qu'une unité"):
        estimate_proportion([1, 0, 1], STRATA, POPULATION, lonely_psu="fail")


def test_an_unknown_option_is_refused() -> None:
    with pytest.raises(ValueError, match="lonely_psu inconnu"):
        estimate_mean(VALUES, STRATA, POPULATION, lonely_psu="remove")  # type: ignore[arg-type]


def test_adjust_adds_the_lonely_score_squared_by_hand() -> None:
    """ȳ = 6; z = (−1/3, 0 | 1/3); a: 0.8 · 2 · (1/36 + 1/36); b: 0.8 · (1/3)², uncentred.
    R 4.x, survey 4.1: svymean gives se 0.42163702135578390 on df 1."""
    result = estimate_mean(VALUES, STRATA, POPULATION, lonely_psu="adjust")
    assert result.estimate == pytest.approx(6.0, abs=1e-12)
    assert result.se == pytest.approx(math.sqrt(0.8 * 2 / 18 + 0.8 / 9), abs=1e-12)
    assert result.se == pytest.approx(0.42163702135578390, abs=TOLERANCE)
    assert (result.n, result.df) == (3, 1)
    assert LONELY_STRATUM in result.flags


def test_a_domain_touching_the_lonely_stratum_is_adjusted_and_flagged() -> None:
    """R: subset(design, y > 5.5) gives 6.5, se 0.31622776601683794, degf 0."""
    result = estimate_mean(
        VALUES, STRATA, POPULATION, domain=[False, True, True], lonely_psu="adjust"
    )
    assert result.estimate == pytest.approx(6.5, abs=1e-12)
    assert result.se == pytest.approx(0.31622776601683794, abs=TOLERANCE)
    assert result.df == 0
    assert LONELY_STRATUM in result.flags


def test_a_domain_missing_the_lonely_stratum_is_neither_changed_nor_flagged() -> None:
    adjusted = estimate_mean(
        VALUES, STRATA, POPULATION, domain=[True, True, False], lonely_psu="adjust"
    )
    plain = estimate_mean(VALUES, STRATA, POPULATION, domain=[True, True, False])
    assert adjusted == plain
    assert LONELY_STRATUM not in adjusted.flags


def test_a_stratum_taken_whole_is_not_lonely() -> None:
    result = estimate_mean([5.0, 6.0, 7.0], STRATA, {"a": 10, "b": 1}, lonely_psu="adjust")
    strict = estimate_mean([5.0, 6.0, 7.0], STRATA, {"a": 10, "b": 1})
    assert result == strict
    assert LONELY_STRATUM not in result.flags


def test_without_a_lonely_stratum_adjust_changes_nothing() -> None:
    values, strata = [5.0, 6.0, 7.0, 9.0], ["a", "a", "b", "b"]
    assert estimate_mean(values, strata, POPULATION, lonely_psu="adjust") == estimate_mean(
        values, strata, POPULATION
    )


def test_the_flag_is_carried_into_a_difference() -> None:
    current = estimate_mean(VALUES, STRATA, POPULATION, lonely_psu="adjust")
    previous = estimate_mean([5.0, 6.0, 7.0, 8.0], ["a", "a", "b", "b"], POPULATION)
    assert LONELY_STRATUM in estimate_difference(current, previous).flags


def lonely_design(seed: int) -> dict[str, Any]:
    """Several strata, one to three of them left with a single unit out of more, one taken
    whole, a domain cutting across, given weights one time in three."""
    rng = random.Random(seed)
    population: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    weighted = seed % 3 == 0
    strata = 3 + rng.randrange(5)
    lonely = set(rng.sample(range(strata), 1 + rng.randrange(min(3, strata - 1))))
    for h in range(strata):
        stratum = f"strate {h}"
        size = 2 + rng.randrange(60)
        if h in lonely:
            n = 1
        elif h == strata - 1:
            n = size  # taken whole
        else:
            n = 2 + rng.randrange(min(size, 12) - 1)
        population[stratum] = size
        for _ in range(n):
            y = round(rng.uniform(2, 10), 3)
            rows.append(
                {
                    "y": y,
                    "b": int(y >= 7),
                    "h": stratum,
                    "N": size,
                    "dom": rng.random() < 0.6,
                    "w": size / n * rng.uniform(0.8, 1.25) if weighted else "",
                }
            )
    rows[0]["dom"] = True
    rows[0]["b"], rows[-1]["b"] = 1, 0
    return {"population": population, "rows": rows, "weighted": weighted}


@pytest.mark.r
@live
@pytest.mark.parametrize("seed", range(10))
def test_adjust_matches_r_survey_lonely_psu_adjust(seed: int, tmp_path: Path) -> None:
    design = lonely_design(seed)
    for expected, mean, _share in matched_with_r(design, tmp_path, 0.95, lonely="adjust"):
        if expected["domain"] != "domain":  # the whole sample meets the lonely stratum
            assert LONELY_STRATUM in mean.flags


@pytest.mark.r
@live
def test_r_fails_on_the_same_design_without_adjust(tmp_path: Path) -> None:
    with pytest.raises(subprocess.CalledProcessError) as failure:
        run_r(lonely_design(1), tmp_path, 0.95)
    assert b"has only one PSU" in failure.value.stderr
