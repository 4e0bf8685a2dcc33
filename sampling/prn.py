"""Permanent random numbers and seeded uniforms that are the same on every machine.

Only `random.Random(int).random()` (Mersenne Twister, unchanged since Python 2.3, documented as
reproducible) and SHA-256 are used: `random.sample`, `shuffle`, `choice` and `randrange` changed
algorithm between Python versions and would break the promise that a draw is reproducible from
its seed.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable

_SCALE = float(1 << 53)


def new_permanent_random_number(source: random.Random | int) -> float:
    """A fresh PRN in [0, 1), given once to a site when it first enters the frame.

    The server keeps it for ever (a re-import never changes it): sample coordination across
    years relies on each site's PRN staying put (Ohlsson 1995).
    """
    rng = source if isinstance(source, random.Random) else random.Random(source)
    return rng.random()


def hashed_uniform(*parts: object) -> float:
    """A uniform number in [0, 1) derived from SHA-256 of the parts (53 bits, exact in a float)."""
    text = "\x1f".join(str(part) for part in parts)
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return (int.from_bytes(digest[:8], "big") >> 11) / _SCALE


def permanent_random_numbers(keys: Iterable[str], seed: int) -> dict[str, float]:
    """PRNs for many sites at once, each depending only on (seed, key), not on file order."""
    return {key: hashed_uniform("prn", seed, key) for key in keys}


def stratum_start(seed: int, stratum: str, purpose: str = "start") -> float:
    """The seeded starting point in [0, 1) for one stratum of one draw."""
    return hashed_uniform(purpose, seed, stratum)
