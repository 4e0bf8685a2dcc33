"""Weekly opening hours as written in a frame's ``horaires`` column.

The format is what a coordinator would type in a spreadsheet cell, e.g.
``lun-ven 08:30-12:00,13:30-16:30; sam 09:00-12:00``: groups separated by ``;`` (or ``|``),
each a day list (``lun``…``dim``, ranges ``lun-ven``, lists ``lun,mer``) then one or more
``HH:MM-HH:MM`` intervals separated by ``,``. ``8h30`` is read as ``08:30``. Visits are
planned inside these hours and reports outside them are flagged, so a cell we cannot read is
refused rather than guessed.
"""

from __future__ import annotations

import re
from itertools import pairwise

DAYS = ("lun", "mar", "mer", "jeu", "ven", "sam", "dim")
_TIME = re.compile(r"^(\d{1,2})[:hH](\d{2})?$")


class OpeningHoursError(ValueError):
    """The text is not in the opening-hours format; the message says where."""


def _minutes(text: str, group: str) -> int:
    match = _TIME.match(text.strip())
    if not match:
        raise OpeningHoursError(f"heure illisible « {text.strip()} » dans « {group} »")
    hours, minutes = int(match.group(1)), int(match.group(2) or 0)
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        raise OpeningHoursError(f"heure impossible « {text.strip()} » dans « {group} »")
    return hours * 60 + minutes


def _days(spec: str, group: str) -> list[int]:
    days: list[int] = []
    for part in spec.lower().split(","):
        bounds = [b.strip().rstrip(".")[:3] for b in part.split("-")]
        if len(bounds) > 2 or any(b not in DAYS for b in bounds):
            raise OpeningHoursError(f"jour illisible « {part.strip()} » dans « {group} »")
        first, last = DAYS.index(bounds[0]), DAYS.index(bounds[-1])
        if last < first:
            raise OpeningHoursError(f"plage de jours à l’envers « {part.strip()} »")
        days.extend(range(first, last + 1))
    return days


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_opening_hours(text: str) -> dict[str, list[list[str]]]:
    """Weekday (``"0"`` = Monday, as JSON keys) → sorted ``[start, end]`` intervals."""
    week: dict[int, list[tuple[int, int]]] = {}
    groups = [g.strip() for g in re.split(r"[;|]", text) if g.strip()]
    if not groups:
        raise OpeningHoursError("horaires vides")
    for group in groups:
        spec, _, intervals = group.partition(" ")
        if not intervals.strip():
            raise OpeningHoursError(f"aucune plage horaire dans « {group} »")
        for day in _days(spec, group):
            for interval in intervals.split(","):
                start_text, sep, end_text = interval.partition("-")
                if not sep:
                    raise OpeningHoursError(f"plage « {interval.strip()} » sans « - »")
                start, end = _minutes(start_text, group), _minutes(end_text, group)
                if end <= start:
                    raise OpeningHoursError(
                        f"plage « {interval.strip()} » finit avant de commencer"
                    )
                week.setdefault(day, []).append((start, end))
    result: dict[str, list[list[str]]] = {}
    for day in sorted(week):
        spans = sorted(week[day])
        for (_, previous_end), (next_start, _) in pairwise(spans):
            if next_start < previous_end:
                raise OpeningHoursError(f"plages qui se chevauchent le {DAYS[day]}")
        result[str(day)] = [[_hhmm(s), _hhmm(e)] for s, e in spans]
    return result
