"""The flags' rules that read several reports at once (``server.services.review_flags``
states them and words what they find): two visits too close in time, a free text found
again, an investigator whose grades differ from the others'. Pure functions."""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from server.services.assignment.distance import geodesic_m

if TYPE_CHECKING:
    from server.services.review_flags import FlagSettings, ReportFacts

#: Statuses whose grades measure an investigator (a returned or rejected report may be wrong).
GRADED_STATUSES = frozenset({"submitted", "approved"})


@dataclass(frozen=True)
class Closeness:
    """Another visit of the same investigator that this one is too close to."""

    other_id: int
    other_site: str
    #: Whether the other visit comes after this one.
    later: bool
    #: From the end of the first visit to the start of the second (negative: they overlap).
    gap: timedelta
    #: Between the two sites, as the crow flies (None: a site without coordinates).
    metres: float | None
    #: Driving time that distance needs at the settings' speed.
    need: timedelta


def too_close_in_time(
    context: Iterable[ReportFacts], settings: FlagSettings
) -> dict[int, list[Closeness]]:
    """Report id → the visits of its investigator it is too close to (consecutive visits in
    time: with the triangle inequality, a visit that fits with its neighbours fits with all)."""
    visits: dict[int, list[ReportFacts]] = defaultdict(list)
    for facts in context:
        if facts.channel == "visit" and facts.started_at and facts.ended_at:
            visits[facts.investigator_id].append(facts)
    found: dict[int, list[Closeness]] = defaultdict(list)
    speed = settings.travel_speed_kmh * 1000 / 3600  # metres per second
    for rows in visits.values():
        rows.sort(key=lambda f: (f.started_at, f.report_id))
        for before, after in itertools.pairwise(rows):
            gap = after.started_at - before.ended_at  # type: ignore[operator]
            metres = _site_distance(before, after)
            need = timedelta(seconds=(metres or 0.0) / speed)
            if gap >= need and gap >= timedelta(0):
                continue
            found[before.report_id].append(
                Closeness(after.report_id, after.site_name, True, gap, metres, need)
            )
            found[after.report_id].append(
                Closeness(before.report_id, before.site_name, False, gap, metres, need)
            )
    return found


def _site_distance(one: ReportFacts, other: ReportFacts) -> float | None:
    if one.site_id == other.site_id:
        return 0.0
    points = (one.site_latitude, one.site_longitude, other.site_latitude, other.site_longitude)
    if any(value is None for value in points):
        return None
    return _between_sites(*points)  # type: ignore[arg-type]


#: The same pairs of sites come back each time the flags are read again (geopy's geodesic
#: costs ~0.2 ms a pair): sites' coordinates are few, their distances kept.
_between_sites = lru_cache(maxsize=65_536)(geodesic_m)


def normalise_text(text: str) -> str:
    """Lower case, without accents, punctuation or repeated spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = re.sub(r"[\W_]+", " ", letters)
    return " ".join(words.split())


def duplicate_texts(
    context: Iterable[ReportFacts], settings: FlagSettings
) -> dict[int, list[tuple[str, list[int]]]]:
    """Report id → ``(text, other report ids)`` for each free text found in other reports."""
    owners: dict[str, set[int]] = defaultdict(set)
    originals: dict[tuple[int, str], str] = {}
    for facts in context:
        for text in facts.free_texts:
            key = normalise_text(text)
            if len(key) >= settings.min_text_length:
                owners[key].add(facts.report_id)
                originals.setdefault((facts.report_id, key), text)
    found: dict[int, list[tuple[str, list[int]]]] = defaultdict(list)
    for key, reports in owners.items():
        if len(reports) < 2:
            continue
        for report_id in reports:
            found[report_id].append((originals[(report_id, key)], sorted(reports - {report_id})))
    return found


def investigator_gaps(
    context: Iterable[ReportFacts], settings: FlagSettings
) -> dict[int, tuple[float, int]]:
    """Investigator id → (mean gap, shared sites and channels) when the gap breaks the rule:
    on each site and channel the investigator shares with others, their mean test grade minus
    the others' mean test grade there; the mean of those differences over the shared ones."""
    grades: dict[tuple[int, str], dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for facts in context:
        if facts.grade is not None and facts.status in GRADED_STATUSES:
            grades[(facts.site_id, facts.channel)][facts.investigator_id].append(facts.grade)
    gaps: dict[int, list[float]] = defaultdict(list)
    for by_person in grades.values():
        if len(by_person) < 2:
            continue
        for person, own in by_person.items():
            others = [g for other, values in by_person.items() if other != person for g in values]
            gaps[person].append(sum(own) / len(own) - sum(others) / len(others))
    found = {}
    for person, values in gaps.items():
        mean = sum(values) / len(values)
        if len(values) >= settings.effect_min_units and abs(mean) > settings.effect_max_gap:
            found[person] = (mean, len(values))
    return found


@dataclass(frozen=True)
class ContextFindings:
    """What the rules reading several reports found in a campaign's reports, once for all
    the targets: visits too close, texts found again, investigators' grade gaps."""

    close: Mapping[int, Sequence[Closeness]]
    texts: Mapping[int, Sequence[tuple[str, list[int]]]]
    gaps: Mapping[int, tuple[float, int]]


def context_findings(context: Iterable[ReportFacts], settings: FlagSettings) -> ContextFindings:
    """The three rules above over ``context``."""
    context = list(context)
    return ContextFindings(
        too_close_in_time(context, settings),
        duplicate_texts(context, settings),
        investigator_gaps(context, settings),
    )
