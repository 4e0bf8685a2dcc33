"""Each hostile file is refused within fixed memory: read in a child process limited to 1 GB of
address space, where a reader that tried to hold the bomb would die of MemoryError.

Peak memory and time are printed for the record (``-s`` shows them), never asserted: the
machine is shared. The 60 s timeout is a safety net, not a speed test.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.server.hostile import files
from tests.server.services.test_photos import noisy

LIMIT_MB = 1024
ROOT = Path(__file__).resolve().parents[3]


def _photo() -> bytes:
    buffer = io.BytesIO()
    noisy((1600, 1200), seed=2).save(buffer, "PNG")
    return buffer.getvalue()


def _lines(tmp_path: Path) -> bytes:
    return files.csv_lines(tmp_path / "lines.csv", 1_000_000).read_bytes()


CASES = [
    pytest.param(
        "frame", "ok.xlsx", lambda _: files.frame_workbook(), "read", id="reference-workbook"
    ),
    pytest.param("image", "ok.png", lambda _: _photo(), "read", id="reference-png"),
    pytest.param(
        "image",
        "hollow.png",
        lambda _: files.png_header_bomb(7_000, 7_000),
        "Invalid",
        id="png-107-bytes-49Mpx",
    ),
    pytest.param(
        "frame",
        "bomb.xlsx",
        lambda _: files.sheet_bomb(1 << 30),
        "FrameTooLargeError",
        id="zip-bomb-1GB",
    ),
    pytest.param(
        "frame",
        "laughs.xlsx",
        lambda _: files.xml_bomb_workbook(files.billion_laughs(), "xl/worksheets/sheet1.xml"),
        "FrameFormatError",
        id="billion-laughs",
    ),
    pytest.param(
        "frame",
        "laughs.xlsx",
        lambda _: files.xml_bomb_workbook(
            files.billion_laughs(padding=8_000), "xl/worksheets/sheet1.xml"
        ),
        "FrameFormatError",
        id="billion-laughs-behind-a-comment",
    ),
    pytest.param("frame", "lines.csv", _lines, "FrameTooLargeError", id="csv-1M-lines"),
    pytest.param(
        "frame",
        "field.csv",
        lambda _: files.csv_long_field(10 << 20),
        "FrameFormatError",
        id="csv-10MB-field",
    ),
    pytest.param(
        "image", "bomb.png", lambda _: files.png_header_bomb(), "Invalid", id="png-50000x50000"
    ),
]


@pytest.mark.parametrize(("reader", "name", "build", "expected"), CASES)
def test_a_hostile_file_is_refused_within_1_gb(
    tmp_path: Path, reader: str, name: str, build: Callable[[Path], bytes], expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(build(tmp_path))
    child = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.server.hostile.bounded_read",
            reader,
            str(path),
            str(LIMIT_MB),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert child.returncode == 0, child.stderr
    report = json.loads(child.stdout.strip().splitlines()[-1])
    print(
        f"\n{name} ({path.stat().st_size / 1_048_576:.2f} MB): {report['outcome']}, "
        f"{report['peak_rss_mb']} MB peak, {report['seconds']} s"
    )
    assert report["outcome"] == expected, report


def test_the_limit_is_real(tmp_path: Path) -> None:
    """The same child, given a reader that does hold a bomb (the 1 GB sheet inflated whole),
    does die of MemoryError: the test above could fail."""
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(files.sheet_bomb(1 << 30))
    script = (
        "import resource, zipfile, sys; "
        f"resource.setrlimit(resource.RLIMIT_AS, ({LIMIT_MB << 20}, {LIMIT_MB << 20}))\n"
        "try:\n"
        f"    zipfile.ZipFile({str(path)!r}).read('xl/worksheets/sheet1.xml')\n"
        "except MemoryError:\n"
        "    print('MemoryError')\n"
    )
    child = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert child.stdout.strip() == "MemoryError", child.stderr
