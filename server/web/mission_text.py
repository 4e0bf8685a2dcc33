"""A mission's times as people read them, in the site's own time zone (DESIGN.md §3.10):
shared by the coordinator's pages and the investigator's phone."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from server.models import Mission
from server.web.coordinator.labels import WEEKDAY_ABBREVIATIONS


def _day(moment: datetime) -> str:
    return f"{WEEKDAY_ABBREVIATIONS[moment.weekday()]} {moment:%d/%m/%Y}"


def window_text(mission: Mission) -> str:
    """The window in the site's zone, in French: « mar. 03/03/2026 08:30–12:00 », a whole
    day « mar. 03/03/2026, toute la journée »."""
    zone = ZoneInfo(mission.time_zone)
    start = mission.window_start.astimezone(zone)
    end = mission.window_end.astimezone(zone)
    if (
        start.time() == time(0)
        and end.time() == time(0)
        and end.date() == start.date() + timedelta(days=1)
    ):
        return f"{_day(start)}, toute la journée"
    if start.date() == end.date():
        return f"{_day(start)} {start:%H:%M}–{end:%H:%M}"
    return f"{_day(start)} {start:%H:%M} – {_day(end)} {end:%H:%M}"


def local_text(moment: datetime | None, zone: str) -> str:
    """« 04/03/2026 à 10:15 » in ``zone``; empty for no moment."""
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{_day(local)} à {local:%H:%M}"
