"""Benchmark of the barometer workbook and the open data against a bare openpyxl write.

Run: .venv/bin/python benchmarks/export.py [--quick]
Generates (seeded) the demo-sized campaign (600 sites, about 15,000 approved tests) and a
6,000-site one (about 150,000), as synthetic ``BarometerData``. For each: the workbook's time
as a ratio to a bare write-only openpyxl workbook of the same cells in the same run (plain
values: no styles, charts, filters or page settings; their rows built before the clock
starts), its peak memory (tracemalloc) as a ratio to the bare write's, and the open-data
zip's time. Targets: time ratio ≤ 1.5, memory ratio ≤ 2. Times are CPU seconds of this
process (other work on the machine does not count), the best of 3 alternated runs at the
demo size, of one at the large size. Both write to a file on disk, so the file itself is not
counted in memory. Timings and ratios only: nothing is asserted.
``--quick`` runs the demo size only.
"""

from __future__ import annotations

import gc
import math
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

# Standalone run: make the repository importable (ruff allows imports after sys.path edits).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from openpyxl import Workbook, load_workbook

from exports.barometer import write_barometer
from exports.barometer_data import BarometerData
from exports.opendata import write_opendata
from exports.workbook_labels import METHODOLOGY, SHEET_NAMES, SUMMARY
from exports.workbook_style import utc_naive
from exports.workbook_tables import (
    approved_test_values,
    figure_values,
    question_ids,
    site_channels,
    site_values,
)
from tests.exports.barometer_fixtures import make_barometer

Rows = dict[str, list[list[Any]]]


def naive(value: Any) -> Any:
    """What a bare write must do too: Excel has no time zones."""
    return utc_naive(value) if isinstance(value, datetime) else value


def plain_rows(data: BarometerData, workbook: Path) -> Rows:
    """The cells of our workbook as plain values, sheet by sheet: the big sheets from the
    same row functions, the two reading sheets read back from the written file."""
    engagements = [code for code, _ in data.engagements]
    channels = site_channels(data.sites)
    questions = question_ids(data.tests)
    rows: Rows = {name: [] for name in SHEET_NAMES}
    for name, figures in zip(
        SHEET_NAMES[1:5],
        (data.by_engagement, data.by_network, data.by_region, data.by_channel),
        strict=True,
    ):
        rows[name] = [["en-tête"] * 10] + [figure_values(f) for f in figures]
    rows["Sites"] = [["en-tête"]] + [site_values(s, engagements, channels) for s in data.sites]
    rows["Tests"] = [["en-tête"]] + [
        [naive(v) for v in approved_test_values(t, engagements, questions)] for t in data.tests
    ]
    rows["Évolution"] = [["en-tête"] * 14] + [
        [y.year, y.campaign_id, y.national.estimate, y.national.se] for y in data.evolution
    ]
    book = load_workbook(workbook, read_only=True)
    for name in (SUMMARY, METHODOLOGY):
        rows[name] = [list(row) for row in book[name].iter_rows(values_only=True)]
    book.close()
    return rows


def bare_write(rows: Rows, target: Path) -> None:
    workbook = Workbook(write_only=True)
    for name, sheet_rows in rows.items():
        sheet = workbook.create_sheet(name)
        for row in sheet_rows:
            sheet.append(row)
    workbook.save(target)


def timed(action: Callable[[], None]) -> float:
    """CPU seconds of this process: other work on the machine does not count."""
    gc.collect()
    start = time.process_time()
    action()
    return time.process_time() - start


def peak(action: Callable[[], None]) -> int:
    gc.collect()
    tracemalloc.start()
    action()
    _, high = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return high


def row(label: str, sites: int, repeat: int) -> str:
    start = time.perf_counter()
    data = make_barometer(sites, seed=sites)
    made = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as folder:
        ours_file, bare_file, zip_file = (Path(folder) / n for n in ("a.xlsx", "b.xlsx", "c.zip"))
        write_barometer(data, ours_file)  # warm-up, and the file the reading sheets come from
        rows = plain_rows(data, ours_file)
        cells = sum(sum(v is not None for v in r) for sheet in rows.values() for r in sheet)
        bare_seconds = ours_seconds = math.inf
        for _ in range(repeat):  # alternate, keep the best of each
            bare_seconds = min(bare_seconds, timed(lambda: bare_write(rows, bare_file)))
            ours_seconds = min(ours_seconds, timed(lambda: write_barometer(data, ours_file)))
        bare_peak = peak(lambda: bare_write(rows, bare_file))
        ours_peak = peak(lambda: write_barometer(data, ours_file))
        open_seconds = timed(lambda: write_opendata(data, zip_file))
        size = ours_file.stat().st_size / 2**20
        zip_size = zip_file.stat().st_size / 2**20
    return (
        f"{label:<7} {sites:>6} {len(data.tests):>7} {cells / 1e6:>6.2f} {made:>6.1f} "
        f"{bare_seconds:>7.1f} {ours_seconds:>7.1f} {ours_seconds / bare_seconds:>6.2f} "
        f"{bare_peak / 2**20:>7.1f} {ours_peak / 2**20:>7.1f} {ours_peak / bare_peak:>6.2f} "
        f"{size:>6.1f} {open_seconds:>6.1f} {zip_size:>6.1f}"
    )


def main() -> None:
    quick = "--quick" in sys.argv
    sizes = [("demo", 600, 3)] + ([] if quick else [("large", 6000, 1)])
    print(
        f"{'case':<7} {'sites':>6} {'tests':>7} {'Mcells':>6} {'data s':>6} {'bare s':>7} "
        f"{'ours s':>7} {'time×':>6} {'bare MB':>7} {'ours MB':>7} {'mem×':>6} {'xlsxMB':>6} "
        f"{'open s':>6} {'zip MB':>6}"
    )
    for label, sites, repeat in sizes:
        print(row(label, sites, repeat), flush=True)


if __name__ == "__main__":
    main()
