"""Panel rotation between years by a fixed shift of the PRN start (Ohlsson's sequential SRS).

Method. With permanent random numbers (PRN) u_i, a simple random sample of n units out of N is
the n units met first when walking the circle [0, 1) from a start s: the n smallest (u_i − s) mod 1
(sequential simple random sampling, Ohlsson 1995, "Coordination of samples using permanent
random numbers", in Cox et al. (eds.), *Business Survey Methods*, Wiley, ch. 9; the
Swedish SAMU system, Atmer, Thulin & Bäcklund 1975). The u_i are independent uniforms given once
at birth, so for any start s fixed in advance the walk order is a uniformly random permutation of
the stratum and the sample is an exact SRSWOR: π_i = n/N for every unit, old or new.

Coordination. Last year's sample in a stratum was the window of n' units walked from its start
s' among N' units; it covers about a = n'/N' of the circle, [s', s' + a). This year's window of
n units among N covers about b = n/N. Both years' units being spread uniformly on the circle,
starting this year's window inside last year's, where the two arcs share a length ℓ, keeps the
units of last year's sample lying on that shared arc (the end of last year's window, i.e. the
units that entered the panel most recently), and the rest of the window is new. Ohlsson's
rotation is a shift of the start by a number fixed before looking at the PRNs; here it is

    k = overlap × min(n, n')             (units to keep, on average)
    ℓ = clamp(k / min(N, N'), max(0, a + b − 1), min(a, b))
    s = (s' + a − ℓ) mod 1

- Why min(N, N'): every unit of last year's frame lying on last year's arc was drawn, so last
  year's sampled units still in the frame lie there with the density of the survivors of last
  year's frame, N' − D for D deaths (births are spread over the whole circle and are never
  "kept"). Without births that density is N, without deaths it is N': ℓ = k / min(N, N')
  keeps about k units in both cases. With births and deaths together the density is lower
  than both, and about k·(N' − D)/min(N, N') are kept on average.
- ℓ ≤ min(a, b): the shared arc cannot exceed either window; overlap 1 with unchanged sizes and
  frame gives ℓ = a, s = s', the same sample.
- ℓ ≥ a + b − 1: two arcs longer than the circle together always share at least that much;
  overlap 0 otherwise gives ℓ = 0, s = s' + a: this year's window starts where last year's ended.

The shift a − ℓ depends only on the target overlap and the stratum sizes (n', N' from last
year's allocation, n, N from this year's), never on the realised PRNs, and s' is a number
recorded with last year's draw (its seeded start, or its own rotated start). So s is fixed in
advance and π_i = n/N holds exactly, with births and deaths alike. The price is that the number
of units kept is random around its target (a binomial-like count, and never below 0 or above
the units available); it is reported as it is, next to the target round(k).

A stratum without a previous draw (new, or relabelled by other stratum columns) is drawn from
its own seeded start, as an unrotated draw.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class PreviousDraw:
    """What a rotated srs draw needs from the draw it rotates from.

    - `keys`: the units it selected (only to count those kept);
    - `starts`: stratum → the PRN start it used there (`DrawResult.starts`);
    - `sizes`: stratum → (n, N), its sample size and stratum size there.
    `starts` and `sizes` must name the same strata.
    """

    keys: Collection[str]
    starts: Mapping[str, float]
    sizes: Mapping[str, tuple[int, int]]

    def __post_init__(self) -> None:
        # Own copies, so that the caller's later changes cannot alter a recorded draw.
        object.__setattr__(self, "keys", frozenset(self.keys))
        object.__setattr__(self, "starts", dict(self.starts))
        object.__setattr__(self, "sizes", {h: tuple(size) for h, size in self.sizes.items()})
        self._check()
        object.__setattr__(self, "starts", {h: float(v) for h, v in self.starts.items()})

    def _check(self) -> None:
        if set(self.starts) != set(self.sizes):
            different = sorted(set(self.starts) ^ set(self.sizes))
            raise ValueError(
                "Tirage précédent incomplet : départ ou tailles manquants pour les strates "
                + ", ".join(f"« {h} »" for h in different)
                + "."
            )
        for stratum, start in self.starts.items():
            number = isinstance(start, (int, float)) and not isinstance(start, bool)
            if not (number and 0.0 <= start < 1.0):
                raise ValueError(
                    f"Départ du tirage précédent invalide pour la strate « {stratum} » : "
                    f"{start!r} (entre 0 et 1)."
                )
        for stratum, size in self.sizes.items():
            integers = len(size) == 2 and all(
                isinstance(value, int) and not isinstance(value, bool) for value in size
            )
            if not (integers and 0 <= size[0] <= size[1] and size[1] >= 1):
                raise ValueError(
                    f"Tailles du tirage précédent invalides pour la strate « {stratum} » : "
                    f"{size!r} (échantillon, population) attendu."
                )


def target_overlap(overlap: float, n: int, previous_n: int) -> int:
    """round(overlap × min(n, n')), halves rounded up (not Python's banker's rounding)."""
    return math.floor(overlap * min(n, previous_n) + 0.5)


def shared_arc(overlap: float, previous_size: tuple[int, int], size: tuple[int, int]) -> float:
    """ℓ, the length of circle this year's window shares with last year's (see module)."""
    previous_n, previous_big_n = previous_size
    n, big_n = size
    a, b = previous_n / previous_big_n, n / big_n
    wanted = overlap * min(n, previous_n) / min(big_n, previous_big_n)
    return min(max(wanted, a + b - 1.0, 0.0), a, b)


def rotation_shift(overlap: float, previous_size: tuple[int, int], size: tuple[int, int]) -> float:
    """a − ℓ: how far this year's PRN start lies after last year's (in [0, 1])."""
    previous_n, previous_big_n = previous_size
    return previous_n / previous_big_n - shared_arc(overlap, previous_size, size)


def rotated_start(
    previous_start: float, overlap: float, previous_size: tuple[int, int], size: tuple[int, int]
) -> float:
    """s = (s' + a − ℓ) mod 1, this year's PRN start in the stratum."""
    start = (previous_start + rotation_shift(overlap, previous_size, size)) % 1.0
    return start if start < 1.0 else 0.0
