"""Drawing the sample within strata: SRS by permanent random numbers, systematic, or πps.

Every draw is a pure function of the frame (keys, strata, PRNs, sizes, order), the allocation
and an integer seed: seeded numbers come from SHA-256 (see `sampling.prn`), so the same inputs
give the same sample on any machine and Python version.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from sampling.pps import inclusion_probabilities, systematic_selection
from sampling.prn import stratum_start
from sampling.rotation import PreviousDraw, rotated_start, target_overlap

DrawMethod = Literal["srs", "systematic", "pps"]
METHODS: tuple[DrawMethod, ...] = ("srs", "systematic", "pps")


@dataclass(frozen=True)
class FrameUnit:
    """A frame unit as the draw sees it: key, stratum label, PRN, and optional size and order."""

    key: str
    stratum: str
    prn: float
    size: float | None = None
    order: str | float | None = None


@dataclass(frozen=True)
class SampledUnit:
    """A selected unit with what estimation needs: its stratum, π and weight 1/π."""

    key: str
    stratum: str
    inclusion_probability: float
    weight: float
    certainty: bool


@dataclass
class DrawResult:
    """The sample; `overlap` maps stratum → (units kept from last year, target) under rotation;
    `starts` the start used per stratum (PRN start for srs, random start for the others), to be
    recorded so that a later srs draw can rotate from it; `sizes` stratum → (n_h, N_h)."""

    units: list[SampledUnit]
    overlap: dict[str, tuple[int, int]] | None
    starts: dict[str, float]
    sizes: dict[str, tuple[int, int]] = field(default_factory=dict)

    def as_previous(self) -> PreviousDraw:
        """This draw as the previous one of a later rotated srs draw."""
        return PreviousDraw(
            keys=[unit.key for unit in self.units], starts=self.starts, sizes=self.sizes
        )


def stratum_key(values: Sequence[str]) -> str:
    """Label of the stratum formed by the chosen frame columns, e.g. "Préfecture × Bretagne".

    Values are trimmed and kept as written (DESIGN.md §3.3: strata come from the values as
    written); a blank value reads "(non renseigné)", and no column at all gives "Ensemble".
    """
    if not values:
        return "Ensemble"
    return " × ".join(value.strip() or "(non renseigné)" for value in values)


def _order_key(unit: FrameUnit) -> tuple[int, float, str]:
    if unit.order is None:
        return (2, 0.0, "")
    if isinstance(unit.order, str):
        return (1, 0.0, unit.order)
    return (0, float(unit.order), "")


def _group(units: Sequence[FrameUnit], allocation: Mapping[str, int]) -> dict[str, list[FrameUnit]]:
    groups: dict[str, list[FrameUnit]] = defaultdict(list)
    seen: set[str] = set()
    for unit in units:
        if unit.key in seen:
            raise ValueError(f"Unité en double dans la base : « {unit.key} ».")
        seen.add(unit.key)
        if not (isinstance(unit.prn, float) and 0.0 <= unit.prn < 1.0):
            raise ValueError(
                f"Nombre aléatoire permanent invalide pour « {unit.key} » : {unit.prn!r}."
            )
        groups[unit.stratum].append(unit)
    unknown = sorted(set(allocation) - set(groups))
    if unknown:
        raise ValueError("Allocation pour des strates absentes de la base : " + ", ".join(unknown))
    missing = sorted(set(groups) - set(allocation))
    if missing:
        raise ValueError("Aucune allocation pour les strates : " + ", ".join(missing))
    for stratum, members in groups.items():
        n = allocation[stratum]
        if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= len(members):
            raise ValueError(
                f"Allocation {n!r} impossible pour la strate « {stratum} » ({len(members)} unités)."
            )
    return groups


def _prn_window(members: list[FrameUnit], n: int, first: int) -> list[FrameUnit]:
    return [members[(first + k) % len(members)] for k in range(n)]


def _srs(
    stratum: str,
    members: list[FrameUnit],
    n: int,
    seed: int,
    previous: PreviousDraw | None,
    overlap: float | None,
) -> tuple[list[FrameUnit], float, tuple[int, int] | None]:
    """The n units met first on the PRN circle from the start (ties in PRN by key).

    The start is the stratum's seeded one, or under rotation the previous draw's start moved
    by a shift fixed by the overlap and the sizes alone (`sampling.rotation`): never by the
    PRNs, so the sample stays an exact SRSWOR.
    """
    members = sorted(members, key=lambda u: (u.prn, u.key))
    prns = [u.prn for u in members]
    start = stratum_start(seed, stratum)
    target = 0
    if previous is not None and overlap is not None and stratum in previous.starts:
        previous_size = previous.sizes[stratum]
        start = rotated_start(previous.starts[stratum], overlap, previous_size, (n, len(members)))
        target = target_overlap(overlap, n, previous_size[0])
    first = bisect.bisect_left(prns, start) % len(members)
    chosen = _prn_window(members, n, first)
    report = None
    if previous is not None:
        report = (sum(u.key in previous.keys for u in chosen), target)
    return chosen, start, report


def _systematic(
    members: list[FrameUnit], n: int, start: float, sizes: bool
) -> list[tuple[FrameUnit, float]]:
    members = sorted(members, key=lambda u: (_order_key(u), u.prn, u.key))
    if not sizes:
        selected = systematic_selection([n / len(members)] * len(members), start)
        return [(members[i], n / len(members)) for i in selected]
    for unit in members:
        if unit.size is None or not math.isfinite(unit.size) or unit.size <= 0:
            raise ValueError(
                f"Tirage proportionnel à la taille impossible : taille manquante, nulle ou "
                f"invalide pour « {unit.key} » ({unit.size!r})."
            )
    probabilities = inclusion_probabilities([float(u.size or 0.0) for u in members], n)
    certain = [i for i, p in enumerate(probabilities) if p >= 1.0]
    rest = [i for i, p in enumerate(probabilities) if p < 1.0]
    hits = systematic_selection([probabilities[i] for i in rest], start)
    indices = sorted(certain + [rest[i] for i in hits])
    return [(members[i], min(probabilities[i], 1.0)) for i in indices]


def _check_rotation(method: str, previous: PreviousDraw | None, overlap: float | None) -> None:
    if method not in METHODS:
        raise ValueError(f"Méthode de tirage inconnue : {method!r} ({', '.join(METHODS)}).")
    if (previous is None) != (overlap is None):
        raise ValueError(
            "La rotation demande à la fois l'échantillon précédent et le recouvrement."
        )
    if previous is not None and not isinstance(previous, PreviousDraw):
        raise ValueError(
            "L'échantillon précédent doit être un PreviousDraw (unités, départs et tailles "
            "par strate), par exemple DrawResult.as_previous()."
        )
    if overlap is not None:
        if method != "srs":
            raise ValueError(
                "La rotation de panel n'est possible qu'avec le tirage aléatoire simple."
            )
        if not (math.isfinite(overlap) and 0.0 <= overlap <= 1.0):
            raise ValueError(f"Recouvrement invalide : {overlap!r} (entre 0 et 1).")


def draw_sample(
    units: Sequence[FrameUnit],
    allocation: Mapping[str, int],
    *,
    method: DrawMethod = "srs",
    seed: int,
    previous: PreviousDraw | None = None,
    overlap: float | None = None,
) -> DrawResult:
    """Draw allocation[h] units in each stratum h.

    - srs: sequential PRN selection from a start, an exact SRSWOR; with `previous` (the draw
      rotated from: its units, and per stratum its PRN start and (n, N)) and `overlap` the
      start of each stratum it covers is its previous start moved by a shift set by `overlap`
      and the sizes, keeping on average about overlap × min(n, n') of its units (see
      `sampling.rotation`); `DrawResult.overlap` reports (kept, target) per stratum, the target
      being 0 in a stratum the previous draw did not have. π = n_h/N_h, exactly.
    - systematic: units ordered by `order` (then PRN, key), seeded random start, interval
      N_h/n_h (Madow's systematic sampling with a real interval). π = n_h/N_h.
    - pps: systematic πps on `size` in the same order, units with π ≥ 1 taken with certainty.
    Weights are 1/π; a stratum taken whole is flagged certainty.
    """
    _check_rotation(method, previous, overlap)
    groups = _group(units, allocation)
    sampled: list[SampledUnit] = []
    starts: dict[str, float] = {}
    sizes: dict[str, tuple[int, int]] = {}
    overlaps: dict[str, tuple[int, int]] = {}
    for stratum in sorted(groups):
        members, n = groups[stratum], allocation[stratum]
        start = stratum_start(seed, stratum)
        if method == "srs":
            chosen, start, report = _srs(stratum, members, n, seed, previous, overlap)
            if report is not None:
                overlaps[stratum] = report
            picks = [(unit, n / len(members)) for unit in chosen]
        elif n == len(members):
            picks = [(unit, 1.0) for unit in sorted(members, key=lambda u: u.key)]
        else:
            picks = _systematic(members, n, start, sizes=method == "pps")
        starts[stratum] = start
        sizes[stratum] = (n, len(members))
        whole = n == len(members)
        sampled.extend(
            SampledUnit(
                key=unit.key,
                stratum=stratum,
                inclusion_probability=1.0 if whole else probability,
                weight=1.0 if whole else 1.0 / probability,
                certainty=whole or probability >= 1.0,
            )
            for unit, probability in picks
        )
    return DrawResult(
        units=sampled,
        overlap=overlaps if overlap is not None else None,
        starts=starts,
        sizes=sizes,
    )
