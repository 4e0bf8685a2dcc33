"""French working days, for the reply-delay criteria (E09 email, E10 letter).

DESIGN.md §3.6: count the working days after ``sent`` up to and including ``received``; Monday to
Friday less the public holidays of the ``holidays`` package, with the extra days of the site's
department when it has some (Good Friday and 26 December in Alsace-Moselle, the abolition of
slavery and others overseas). ``add_working_days`` goes the other way, from a send date and a
delay to the deadline (DESIGN.md §3.10).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import holidays

#: department code as written in the site frame → subdivision code of ``holidays.France``
#: (holidays 0.108 names Moselle "57", Bas-Rhin and Haut-Rhin together "6AE" (Alsace), and the
#: overseas departments by their INSEE numbers).
DEPARTMENT_SUBDIVISIONS: dict[str, str] = {
    "57": "57",
    "67": "6AE",
    "68": "6AE",
    "971": "971",
    "972": "972",
    "973": "973",
    "974": "974",
    "976": "976",
}


def subdivision(department: str | None) -> str | None:
    """The ``holidays`` subdivision of a department, or None when it has only national days."""
    if department is None:
        return None
    return DEPARTMENT_SUBDIVISIONS.get(department.strip())


@cache
def _holidays(subdiv: str | None, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("FR", subdiv=subdiv, years=year))


def is_working_day(day: date, *, department: str | None = None) -> bool:
    """Monday to Friday and not a public holiday of France (and of the department, if any)."""
    return day.weekday() < 5 and day not in _holidays(subdivision(department), day.year)


def working_days_between(sent: date, received: date, *, department: str | None = None) -> int:
    """Working days after ``sent`` up to and including ``received``.

    A reply the next working day counts 1, the same day 0; ``received`` before ``sent`` raises
    ValueError. ``department`` is the site's department code as in the frame ("57", "974"…);
    None or an unlisted one means national holidays only.
    """
    if received < sent:
        raise ValueError(f"la réception ({received}) précède l’envoi ({sent})")
    count = 0
    day = sent + timedelta(days=1)
    while day <= received:
        if is_working_day(day, department=department):
            count += 1
        day += timedelta(days=1)
    return count


def add_working_days(day: date, count: int, *, department: str | None = None) -> date:
    """The date that is ``count`` working days after ``day``: a reply deadline.

    The inverse of ``working_days_between``: ``working_days_between(day, add_working_days(day, n))
    == n``, and for ``n >= 1`` the result is the earliest such date, hence a working day itself
    (a Friday plus one working day is the next Monday, or Tuesday after Easter Monday). ``count``
    0 returns ``day`` unchanged, even when ``day`` is not a working day; a negative ``count``
    raises ValueError. ``department`` is read as in ``working_days_between``.
    """
    if count < 0:
        raise ValueError(f"nombre de jours ouvrés négatif ({count})")
    remaining = count
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day, department=department):
            remaining -= 1
    return day
