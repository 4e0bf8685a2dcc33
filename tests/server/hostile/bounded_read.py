"""Read one hostile file under an address-space limit and say what happened, as JSON.

Run by ``test_hostile_memory.py`` in a child process: ``python -m
tests.server.hostile.bounded_read READER PATH LIMIT_MB``. The limit is set before anything is
imported, so a reader that tries to hold a bomb in memory fails with MemoryError (reported as
such) instead of taking the machine down. The readers are imported before the clock starts;
the time is measured, never asserted.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable


def _peak_rss_mb() -> float:
    """This process's own peak resident memory (VmHWM: unlike ``ru_maxrss``, it does not
    carry over the parent's across ``exec``)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def _frame_reader() -> Callable[[bytes, str], int]:
    from sampling import read_frame

    return lambda data, name: len(read_frame(data, name).sites)


def _image_reader() -> Callable[[bytes, str], int]:
    from server.services.photos import clean_image

    def pixels(data: bytes, _name: str) -> int:
        clean = clean_image(data)
        return clean.width * clean.height

    return pixels


def main() -> None:
    reader, path, limit_mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
    limit = limit_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from pathlib import Path

    read = _frame_reader() if reader == "frame" else _image_reader()
    data = Path(path).read_bytes()
    started = time.perf_counter()
    outcome: dict[str, object]
    try:
        outcome = {"outcome": "read", "count": read(data, Path(path).name)}
    except MemoryError:
        outcome = {"outcome": "MemoryError"}
    except Exception as error:
        outcome = {"outcome": type(error).__name__, "message": str(error)}
    outcome["seconds"] = round(time.perf_counter() - started, 3)
    outcome["peak_rss_mb"] = _peak_rss_mb()
    print(json.dumps(outcome, ensure_ascii=False))


if __name__ == "__main__":
    main()
