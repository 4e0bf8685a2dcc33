"""Fresh random designs estimated by us and by R's survey package (needs Rscript + survey).

Python draws the designs with a seeded generator, writes them to a CSV and runs
tests/sampling/r/live.R on it. Mean, se, interval, df and the closed-form logit interval must
agree to 1e-9; R's own svyciprop interval comes from an IRLS fit stopped at a relative
deviance change of 1e-8, so it is compared at 1e-6.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from sampling.estimation import Estimate, estimate_mean, estimate_proportion

LIVE_R = Path(__file__).parent / "r" / "live.R"
TOLERANCE = 1e-9
FIT_TOLERANCE = 1e-6


def _r_with_survey() -> bool:
    rscript = shutil.which("Rscript")
    if rscript is None:
        return False
    check = subprocess.run(
        [rscript, "-e", 'quit(status = !requireNamespace("survey", quietly = TRUE))'],
        capture_output=True,
        check=False,
    )
    return check.returncode == 0


pytestmark = [
    pytest.mark.r,
    pytest.mark.skipif(not _r_with_survey(), reason="Rscript with the survey package not found"),
]


def random_design(seed: int) -> dict[str, Any]:
    """Unequal strata, some taken whole (one of size 1), a domain cutting across, maybe weights."""
    rng = random.Random(seed)
    population: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    weighted = rng.random() < 0.4
    for h in range(2 + int(rng.random() * 6)):
        stratum = f"strate {h}"
        size = 1 if h == 0 and rng.random() < 0.5 else 3 + int(rng.random() * 200)
        n = size if size == 1 or rng.random() < 0.2 else 2 + int(rng.random() * (min(size, 15) - 1))
        population[stratum] = size
        for _ in range(n):
            y = round(rng.random() * 10, 2)
            rows.append(
                {
                    "y": y,
                    "b": int(y >= 4),
                    "h": stratum,
                    "N": size,
                    "dom": rng.random() < 0.6,
                    "w": size / n * (0.8 + 0.4 * rng.random()) if weighted else "",
                }
            )
    rows[0]["dom"] = True
    rows[0]["b"], rows[-1]["b"] = 1, 0
    return {"population": population, "rows": rows, "weighted": weighted}


def run_r(
    design: dict[str, Any], directory: Path, level: float, lonely: str = "fail"
) -> list[dict[str, Any]]:
    """R survey's rows for the design, with ``options(survey.lonely.psu = lonely)``."""
    data, output = directory / "design.csv", directory / "results.json"
    with data.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["y", "b", "h", "N", "dom", "w"])
        writer.writeheader()
        for row in design["rows"]:
            writer.writerow(
                {
                    **row,
                    "y": repr(row["y"]),
                    "w": repr(row["w"]) if row["w"] else "NA",
                    "dom": "TRUE" if row["dom"] else "FALSE",
                }
            )
    subprocess.run(
        ["Rscript", str(LIVE_R), str(data), str(output), repr(level), lonely],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return list(json.loads(output.read_text(encoding="utf-8")))


def matched_with_r(
    design: dict[str, Any], directory: Path, level: float, *, lonely: str = "fail"
) -> list[tuple[dict[str, Any], Estimate, Estimate]]:
    """Our mean and share of ``design`` (whole and domain), checked against R's: the same n
    and df, and estimate, se and interval within TOLERANCE (the share's against the closed-form
    logit interval). Returns (R's results, our mean, our share) for further checks."""
    rows = design["rows"]
    common: dict[str, Any] = {
        "strata": [r["h"] for r in rows],
        "population": design["population"],
        "weights": [r["w"] for r in rows] if design["weighted"] else None,
        "level": level,
        "lonely_psu": lonely,
    }
    matched = []
    for expected in run_r(design, directory, level, lonely=lonely):
        domain = [r["dom"] for r in rows] if expected["domain"] == "domain" else None
        mean = estimate_mean([r["y"] for r in rows], domain=domain, **common)
        share = estimate_proportion([r["b"] for r in rows], domain=domain, **common)
        assert (mean.n, mean.df) == (expected["n"], expected["df"])
        assert [mean.estimate, mean.se, mean.ci_low, mean.ci_high] == pytest.approx(
            [expected["mean"], expected["se"], expected["ci_low"], expected["ci_high"]],
            abs=TOLERANCE,
            rel=0,
        )
        assert [share.estimate, share.se, share.ci_low, share.ci_high] == pytest.approx(
            [expected["p"], expected["p_se"], expected["closed_low"], expected["closed_high"]],
            abs=TOLERANCE,
            rel=0,
        )
        matched.append((expected, mean, share))
    return matched


@pytest.mark.parametrize("seed", range(8))
def test_random_design_matches_r_survey(seed: int, tmp_path: Path) -> None:
    design = random_design(seed)
    level = 0.95 if seed % 2 else 0.9
    for expected, _mean, share in matched_with_r(design, tmp_path, level):
        if expected["svyciprop_low"] is not None and expected["svyciprop_high"] is not None:
            assert [share.ci_low, share.ci_high] == pytest.approx(
                [expected["svyciprop_low"], expected["svyciprop_high"]], abs=FIT_TOLERANCE
            )


def test_one_unit_domain_has_no_interval_in_r_as_in_python(tmp_path: Path) -> None:
    rows = [
        {"y": 5.0, "b": 1, "h": "a", "N": 10, "dom": True, "w": ""},
        {"y": 6.0, "b": 0, "h": "a", "N": 10, "dom": False, "w": ""},
        {"y": 7.0, "b": 1, "h": "b", "N": 5, "dom": False, "w": ""},
        {"y": 8.0, "b": 0, "h": "b", "N": 5, "dom": False, "w": ""},
    ]
    design = {"population": {"a": 10, "b": 5}, "rows": rows, "weighted": False}
    (expected,) = [r for r in run_r(design, tmp_path, 0.95) if r["domain"] == "domain"]
    assert (expected["df"], expected["se"], expected["ci_low"], expected["ci_high"]) == (
        0,
        0,
        None,  # R: NaN
        None,
    )
    assert (expected["svyciprop_low"], expected["svyciprop_high"]) == (None, None)
    arguments: dict[str, Any] = {
        "strata": [r["h"] for r in rows],
        "population": design["population"],
        "domain": [r["dom"] for r in rows],
    }
    mean = estimate_mean([r["y"] for r in rows], **arguments)
    share = estimate_proportion([r["b"] for r in rows], **arguments)
    assert (mean.estimate, mean.se, mean.df, mean.ci_low, mean.ci_high) == (5.0, 0.0, 0, None, None)
    assert (share.estimate, share.ci_low, share.ci_high) == (1.0, None, None)


def test_single_unit_stratum_fails_in_r_as_in_python(tmp_path: Path) -> None:
    design = {
        "population": {"a": 10, "b": 5},
        "rows": [
            {"y": 5.0, "b": 1, "h": "a", "N": 10, "dom": True, "w": ""},
            {"y": 6.0, "b": 0, "h": "a", "N": 10, "dom": True, "w": ""},
            {"y": 7.0, "b": 1, "h": "b", "N": 5, "dom": True, "w": ""},
        ],
        "weighted": False,
    }
    with pytest.raises(subprocess.CalledProcessError) as failure:
        run_r(design, tmp_path, 0.95)
    assert b"has only one PSU" in failure.value.stderr
    with pytest.raises(ValueError, match="n'a qu'une unité"):
        estimate_mean([5.0, 6.0, 7.0], ["a", "a", "b"], {"a": 10, "b": 5})
