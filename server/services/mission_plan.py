"""The time windows of a wave's missions, for one sampled site (DOMAIN.md §6, DESIGN.md §3.10).

Pure: plain data in, plain data out, no Flask and no database, so the wave service, the demo and
the tests share one planner. Every day below is a working day of the site's department (Monday to
Friday less the French public holidays of that department, ``survey_schemas.workdays``) between
the wave's first and last day, both included; every time is first reckoned in the site's local
zone, then stored in UTC (``zoneinfo`` does the daylight-saving arithmetic).

- **Visits** (``visit``) take a whole half-day of opening: the site's opening interval of that
  morning (before 13:00 local) or afternoon (from 13:00), e.g. 08:30–12:00 (the longest, if the
  half-day has two; less than ``MIN_VISIT_MINUTES`` of opening takes no visit). Never two visits
  of one site in the same half-day; as far as the hours allow, each on a different weekday, on a
  different day, balanced between mornings and afternoons, spread from the start of the wave to
  its end.
- **Calls** (``phone``) take a slot of about an hour inside an opening interval (hours from its
  start; a last remainder of at least half an hour is a shorter slot), never the same slot twice,
  and preferably a different half-day, day and weekday each time, alternating mornings and
  afternoons, spread over the wave and over the hours of the day.
- **Emails and letters** are sent on days spread over the part of the wave that leaves the site
  time to reply before its end (``plan_site`` says what happens when none does), the window
  being that whole local day; the reply is due a number of working days after the send date
  (the wave's ``reply_days``), counted in the site's department.
- **Website checks** take a whole local day spread over the wave.

When a site's opening hours are unknown, visits and calls use ``DEFAULT_OPENING_HOURS`` and are
flagged ``default_hours``. The spread is random but reproducible: it is drawn from a SHA-256 of
the wave's seed, the site's key and the channel, so the same inputs always give the same plan and
changing the count of one channel leaves the others' windows as they were.
"""

from __future__ import annotations

import hashlib
import random
import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import accumulate, chain, compress, pairwise
from operator import sub
from types import MappingProxyType
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo

from survey_schemas.model import CHANNELS
from survey_schemas.workdays import add_working_days, is_working_day

#: Department code (as written in the frame) → IANA zone; every other department is in Paris.
SITE_TIME_ZONES: Mapping[str, str] = MappingProxyType(
    {
        "971": "America/Guadeloupe",
        "972": "America/Martinique",
        "973": "America/Cayenne",
        "974": "Indian/Reunion",
        "976": "Indian/Mayotte",
    }
)
METROPOLITAN_TIME_ZONE = "Europe/Paris"

#: Hours assumed for a site whose frame gave none: Monday to Friday 09:00–12:00, 14:00–17:00.
DEFAULT_OPENING_HOURS: Mapping[str, Sequence[Sequence[str]]] = MappingProxyType(
    {str(weekday): (("09:00", "12:00"), ("14:00", "17:00")) for weekday in range(5)}
)

#: Local time at which the morning ends and the afternoon begins, in minutes after midnight.
MIDDAY = 13 * 60
#: A half-day's opening shorter than this takes no visit (e.g. 12:50–13:00 of a 09:00–13:00 day).
MIN_VISIT_MINUTES = 30
#: Length of a call slot, and the shortest slot kept (an opening of 20 minutes takes no call).
CALL_MINUTES = 60
MIN_CALL_MINUTES = 30

#: Channels whose windows follow the site's opening hours.
IN_HOURS_CHANNELS = frozenset({"visit", "phone"})
#: Channels that wait for the site's reply, and so need a reply delay.
REPLY_CHANNELS = frozenset({"email", "letter"})

_DAY_MINUTES = 24 * 60
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")
_MORNING, _AFTERNOON = 0, 1


class PlanningError(ValueError):
    """The site's missions cannot be planned as asked; the message (French) names the site."""

    def __init__(self, site_key: str, message: str) -> None:
        super().__init__(f"Site « {site_key} » : {message}")
        self.site_key = site_key


@dataclass(frozen=True)
class SiteToPlan:
    """What the planner needs to know of a sampled site."""

    #: Stable site code: it seeds the spread, so a site keeps its plan when others change.
    key: str
    #: Department as written in the frame ("35", "57", "974"…): holidays and time zone.
    department: str | None
    #: Weekday "0".."6" (0 = Monday) → ``[["HH:MM", "HH:MM"], …]``; None or empty = unknown.
    opening_hours: Mapping[str, Sequence[Sequence[str]]] | None


@dataclass(frozen=True)
class PlannedMission:
    """One mission's window, ready to be stored as a ``Mission``."""

    channel: str
    #: 1..count within the channel, in the order of the windows.
    ordinal: int
    #: Timezone-aware, in UTC.
    window_start: datetime
    window_end: datetime
    #: The site's IANA zone, in which the window is shown.
    time_zone: str
    #: The site's hours were unknown and the window follows the default hours (visits, calls).
    default_hours: bool
    #: Email and letter: the day the request goes out (local date of the window).
    send_on: date | None = None
    #: Email and letter: ``send_on`` plus the channel's reply days, in working days of the site's
    #: department.
    reply_due_on: date | None = None


def site_time_zone(department: str | None) -> str:
    """The IANA zone of a site: its overseas department's, Europe/Paris for every other one."""
    if department is None:
        return METROPOLITAN_TIME_ZONE
    return SITE_TIME_ZONES.get(department.strip(), METROPOLITAN_TIME_ZONE)


# --- opening hours ------------------------------------------------------------------------------

Interval = tuple[int, int]  # minutes after local midnight, end excluded
#: The site's opening intervals of each weekday, Monday first.
_Week = tuple[tuple[Interval, ...], ...]


@lru_cache(maxsize=4096)
def _clock(text: str) -> int | None:
    """Minutes after midnight of an "HH:MM" (perhaps past 24:00), None when unreadable."""
    match = _HHMM.match(text.strip())
    if match is None or int(match.group(2)) > 59:
        return None
    return int(match.group(1)) * 60 + int(match.group(2))


def _minutes(site_key: str, text: object) -> int:
    minutes = _clock(text) if isinstance(text, str) else None
    if minutes is None:
        raise PlanningError(site_key, f"heure illisible « {text} » dans les horaires")
    if minutes > _DAY_MINUTES:
        raise PlanningError(site_key, f"heure impossible « {text} » dans les horaires")
    return minutes


def _weekday(site_key: str, key: object) -> int:
    text = str(key).strip()
    if not text.isdigit() or not 0 <= int(text) <= 6:
        raise PlanningError(site_key, f"jour « {key} » inconnu dans les horaires (0 à 6 attendu)")
    return int(text)


def _read_hours(
    site_key: str, hours: Mapping[str, Sequence[Sequence[str]]]
) -> dict[int, list[Interval]]:
    """Weekday → sorted, merged intervals; touching or overlapping intervals become one."""
    week: dict[int, list[Interval]] = {}
    for key, intervals in hours.items():
        spans = week.setdefault(_weekday(site_key, key), [])
        for interval in intervals or ():
            if isinstance(interval, str) or len(interval) != 2:
                raise PlanningError(site_key, f"plage « {interval} » illisible dans les horaires")
            first, second = interval
            start, end = _minutes(site_key, first), _minutes(site_key, second)
            if end <= start:
                raise PlanningError(
                    site_key, f"plage « {interval[0]}-{interval[1]} » finit avant de commencer"
                )
            spans.append((start, end))
    for weekday, spans in week.items():
        merged: list[Interval] = []
        for start, end in sorted(spans):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        week[weekday] = merged
    return week


_DEFAULT_WEEK: _Week = tuple(
    tuple(_read_hours("", DEFAULT_OPENING_HOURS).get(weekday, ())) for weekday in range(7)
)


def _weekly_hours(site: SiteToPlan) -> tuple[_Week, bool]:
    """The site's week and whether it is the default one (hours unknown, or none at all given)."""
    if site.opening_hours:
        week = _read_hours(site.key, site.opening_hours)
        if any(week.values()):
            return tuple(tuple(week.get(weekday, ())) for weekday in range(7)), False
    return _DEFAULT_WEEK, True


def _half_day_portions(intervals: Sequence[Interval], half: int) -> list[Interval]:
    """The parts of a day's intervals in its morning (before 13:00) or afternoon (from 13:00).

    The intervals being inside the day (0 ≤ start < end ≤ 24:00), as ``_read_hours`` makes them.
    """
    if half == _MORNING:
        return [(start, min(end, MIDDAY)) for start, end in intervals if start < MIDDAY]
    return [(max(start, MIDDAY), end) for start, end in intervals if end > MIDDAY]


# --- candidates ---------------------------------------------------------------------------------

#: A candidate window: (day, half, start, end), the times in minutes after local midnight.
_Slot = tuple[date, int, int, int]
#: A candidate of a weekday, the same on every date of that weekday: (half, start, end).
_Shape = tuple[int, int, int]


@lru_cache(maxsize=1024)
def _visit_shapes(intervals: tuple[Interval, ...]) -> tuple[_Shape, ...]:
    """One per half-day of opening: its longest interval, if long enough for a visit."""
    shapes = []
    for half in (_MORNING, _AFTERNOON):
        portions = _half_day_portions(intervals, half)
        if portions:
            start, end = max(portions, key=lambda span: (span[1] - span[0], -span[0]))
            if end - start >= MIN_VISIT_MINUTES:
                shapes.append((half, start, end))
    return tuple(shapes)


@lru_cache(maxsize=1024)
def _call_shapes(intervals: tuple[Interval, ...]) -> tuple[_Shape, ...]:
    """Slots of an hour from the start of each opening interval of each half-day."""
    shapes = []
    for half in (_MORNING, _AFTERNOON):
        for start, end in _half_day_portions(intervals, half):
            slot_start = start
            while end - slot_start >= MIN_CALL_MINUTES:
                slot_end = min(slot_start + CALL_MINUTES, end)
                shapes.append((half, slot_start, slot_end))
                slot_start = slot_end
    return tuple(shapes)


_WHOLE_DAY: tuple[tuple[_Shape, ...], ...] = (((_MORNING, 0, _DAY_MINUTES),),) * 7


class _Candidates(NamedTuple):
    """A channel's candidate windows, day after day, as ``_spread`` reads them: ``shapes[w]``
    on each day of ``days`` whose weekday is ``w``. Cached and shared by sites: never changed.

    The candidates are numbered in that order (day after day, by start within a day: the shapes
    of a weekday go by start); ``day_starts`` holds the number of each day's first (then one more
    entry, the number of candidates), ``hours`` the hour each starts in.
    Each half-day holding candidates has an entry in ``starts`` (the number of its first
    candidate, with a last entry as above) and in ``half_days``: its spot (2 × its day's index
    in ``days`` + its half), its kind (2 × its weekday + its half) and its day's index.
    """

    days: tuple[date, ...]
    shapes: tuple[tuple[_Shape, ...], ...]
    day_starts: tuple[int, ...]
    hours: tuple[int, ...]
    starts: tuple[int, ...]
    half_days: tuple[tuple[int, int, int], ...]

    @property
    def size(self) -> int:
        """How many candidates there are."""
        return self.day_starts[-1]

    def slot(self, index: int) -> _Slot:
        at = bisect_right(self.day_starts, index) - 1
        day = self.days[at]
        half, start, end = self.shapes[day.weekday()][index - self.day_starts[at]]
        return day, half, start, end


@lru_cache(maxsize=512)
def _candidates(days: tuple[date, ...], shapes: tuple[tuple[_Shape, ...], ...]) -> _Candidates:
    """The windows ``shapes`` gives each weekday (0 = Monday), on every one of ``days``."""
    weekdays = [day.weekday() for day in days]
    open_days = tuple(compress(days, [shapes[weekday] for weekday in weekdays]))
    weekdays = [weekday for weekday in weekdays if shapes[weekday]]
    # Each weekday's half-days: (half, where its candidates begin among the day's), the shapes
    # going by half; and the hours its candidates start in.
    halves = [[half for half, _, _ in todays] for todays in shapes]
    parts = [[(half, order.index(half)) for half in (0, 1) if half in order] for order in halves]
    hours = [[start // 60 for _, start, _ in todays] for todays in shapes]
    sizes = [len(todays) for todays in shapes]
    day_starts = (0, *accumulate(map(sizes.__getitem__, weekdays)))
    starts = [
        day_starts[at] + offset
        for at, weekday in enumerate(weekdays)
        for _half, offset in parts[weekday]
    ]
    starts.append(day_starts[-1])
    return _Candidates(
        days=open_days,
        shapes=shapes,
        day_starts=day_starts,
        hours=tuple(chain.from_iterable(map(hours.__getitem__, weekdays))),
        starts=tuple(starts),
        half_days=tuple(
            [
                (2 * at + half, 2 * weekday + half, at)
                for at, weekday in enumerate(weekdays)
                for half, _offset in parts[weekday]
            ]
        ),
    )


def _visit_slots(days: tuple[date, ...], week: _Week) -> _Candidates:
    """One slot per half-day of opening: its longest interval, if long enough for a visit."""
    return _candidates(days, tuple(map(_visit_shapes, week)))


def _call_slots(days: tuple[date, ...], week: _Week) -> _Candidates:
    """Slots of an hour from the start of each opening interval of each half-day."""
    return _candidates(days, tuple(map(_call_shapes, week)))


def _whole_days(days: tuple[date, ...]) -> _Candidates:
    """Each day as one window, from midnight to midnight."""
    return _candidates(days, _WHOLE_DAY)


def _send_days(days: tuple[date, ...], reply_days: int) -> tuple[date, ...]:
    """The wave's working days from which ``reply_days`` working days still end in the wave;
    when there is none, the first half of the wave's working days (at least one).

    ``days`` being every working day of the wave, the reply to a request sent on ``days[i]`` is
    due by the wave's last day exactly when ``reply_days`` more working days follow it.
    """
    in_time = days[: max(0, len(days) - reply_days)]
    return in_time or days[: (len(days) + 1) // 2]


# --- spreading ----------------------------------------------------------------------------------

#: What a pick counts, for each candidate, among the picks made before it: those on its half-day,
#: its day, its weekday, its half (morning or afternoon); and ``distance``, how many days the
#: candidate lies from the stretch of the wave that the pick should fall in.
Criterion = Literal["half_day", "day", "weekday", "half", "distance"]
#: The criteria of a channel, most important first: the candidate least counted wins.
Cost = tuple[Criterion, ...]

_VISIT_COST: Cost = ("day", "weekday", "half", "distance")
#: Then, with ``by_hour``, the hour of the day picked least so far.
_CALL_COST: Cost = ("half_day", "day", "weekday", "half", "distance")
_DAY_COST: Cost = ("day", "weekday", "distance")


def _spread(
    candidates: _Candidates,
    count: int,
    rng: random.Random,
    cost: Cost,
    *,
    unique: bool,
    by_hour: bool = False,
) -> list[_Slot]:
    """``count`` candidates, chosen one after the other, each at the least cost.

    The days holding candidates are cut into ``count`` consecutive stretches; the i-th pick is
    drawn towards the i-th stretch (``distance`` 0 inside it), so the picks cover the wave from
    its start to its end. With ``by_hour``, ties go to the candidate whose hour of the day was
    picked the least so far. With ``unique`` a candidate is taken at most once (the caller checks
    there are enough); otherwise it may be taken again once every other costs more. Remaining
    ties go to the first in a shuffled order, which is where the randomness lies.

    How it is reckoned (the same picks as comparing tuples of criteria candidate by candidate,
    but faster): every criterion of ``cost`` is a whole number below ``base``, so the criteria
    compared one after the other rank candidates as their sum weighted by powers of ``base``
    does. Every candidate of a half-day has the same weighted sum, so each pick prices the
    half-days, not the candidates: the counts of each half-day and of its day in ``local``, of
    its weekday and half in ``shared``, the distance of its day in ``far``, the counts being
    updated as each pick falls. Without ``by_hour`` the price also settles ties (see ``first``),
    so the least price names the pick; with it, only the candidates of the cheapest half-days are
    compared, by hour then place.
    """
    days, hours, starts, half_days = (
        candidates.days,
        candidates.hours,
        candidates.starts,
        candidates.half_days,
    )
    size = candidates.size
    shuffled, rank = _shuffle(size, rng)
    taken: set[int] = set()
    left = list(map(sub, starts[1:], starts))  # candidates not taken yet, by half-day
    picked_hours = [0] * 25

    # Without ``by_hour``, a price also names the candidate that wins a tie: its weighted sum
    # times ``size``, plus the least place of the half-day's candidates not taken (``first``).
    scale = 1 if by_hour else size
    if by_hour:
        first = [0] * len(half_days)
    elif len(half_days) == size:  # one candidate per half-day
        first = rank[:]
    else:
        first = [min(rank[begin:end]) for begin, end in pairwise(starts)]
    base = count + len(days)  # above every count (at most count - 1) and every distance
    weight = {
        criterion: scale * base ** (len(cost) - 1 - order) for order, criterion in enumerate(cost)
    }
    per_half_day, per_day = weight.get("half_day", 0), weight.get("day", 0)
    per_weekday, per_half = weight.get("weekday", 0), weight.get("half", 0)
    full = scale * base ** len(cost)  # above every price: a half-day with no candidate left
    local = [0] * (2 * len(days))  # by half-day (2 × day + half)
    shared = [0] * 14  # by weekday and half (2 × weekday + half)
    ramp = [weight["distance"] * steps for steps in range(len(days) + 1)]

    chosen: list[int] = []
    for pick in range(count):
        low = pick * len(days) // count
        high = max(low, (pick + 1) * len(days) // count - 1)
        far = ramp[low:0:-1] + [0] * (high - low + 1) + ramp[1 : len(days) - high]
        if by_hour:
            prices = [local[spot] + shared[kind] + far[day] for spot, kind, day in half_days]
            least = min(prices)
            # The candidates not taken of the cheapest half-days.
            at = prices.index(least)
            cheapest = list(range(starts[at], starts[at + 1]))
            for _ in range(prices.count(least) - 1):
                at = prices.index(least, at + 1)
                cheapest.extend(range(starts[at], starts[at + 1]))
            if taken:
                cheapest = [index for index in cheapest if index not in taken]
            best = min(cheapest, key=lambda index: picked_hours[hours[index]] * size + rank[index])
            picked_hours[hours[best]] += 1
        else:
            prices = [
                local[spot] + shared[kind] + far[day] + place
                for (spot, kind, day), place in zip(half_days, first, strict=True)
            ]
            best = shuffled[min(prices) % size]
        at = bisect_right(starts, best) - 1
        spot, kind, _day = half_days[at]
        if unique:
            taken.add(best)
            left[at] -= 1
            if not left[at]:
                local[spot] = full
            elif not by_hour:
                members = range(starts[at], starts[at + 1])
                first[at] = min(rank[index] for index in members if index not in taken)
        local[spot & ~1] += per_day
        local[spot | 1] += per_day
        local[spot] += per_half_day
        shared[kind & ~1] += per_weekday
        shared[kind | 1] += per_weekday
        if per_half:
            half = kind & 1
            shared[half::2] = [counted + per_half for counted in shared[half::2]]
        chosen.append(best)
    # Numbered day after day, and by start within a day, the candidates sort as their windows.
    return [candidates.slot(index) for index in sorted(chosen)]


def _shuffle(size: int, rng: random.Random) -> tuple[list[int], list[int]]:
    """The candidates ``0..size-1`` in a shuffled order, and the place each went to.

    The order is ``rng.shuffle(list(range(size)))``'s, written out: the same draws (Fisher–Yates,
    each place from the last swapped with one drawn at or below it by rejection sampling of
    ``getrandbits``, as CPython does it) without two calls of Python methods per candidate, and
    the plans no longer depend on how a future Python implements ``random.shuffle``.
    """
    shuffled = list(range(size))
    rank = [0] * size
    getrandbits = rng.getrandbits
    for place in range(size - 1, 0, -1):
        bits = (place + 1).bit_length()
        drawn = getrandbits(bits)
        while drawn > place:
            drawn = getrandbits(bits)
        shuffled[place], shuffled[drawn] = shuffled[drawn], shuffled[place]
        rank[shuffled[place]] = place  # no later swap moves it
    if size:
        rank[shuffled[0]] = 0
    return shuffled, rank


def _rng(seed: int, site_key: str, channel: str) -> random.Random:
    digest = hashlib.sha256(f"{seed}\x1f{site_key}\x1f{channel}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


# --- the plan -----------------------------------------------------------------------------------


def _fmt(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _checked_counts(site_key: str, counts: Mapping[str, int]) -> dict[str, int]:
    checked: dict[str, int] = {}
    for channel, count in counts.items():
        if channel not in CHANNELS:
            raise PlanningError(
                site_key, f"canal inconnu « {channel} » (attendu : {', '.join(CHANNELS)})"
            )
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise PlanningError(
                site_key, f"nombre de tests « {count} » invalide pour « {channel} »"
            )
        checked[channel] = count
    return checked


def _reply_delay(site_key: str, channel: str, reply_days: Mapping[str, int]) -> int:
    delay = reply_days.get(channel)
    if isinstance(delay, bool) or not isinstance(delay, int) or delay < 0:
        raise PlanningError(site_key, f"délai de réponse « {delay} » invalide pour « {channel} »")
    return delay


def plan_site(
    site: SiteToPlan,
    counts: Mapping[str, int],
    start: date,
    end: date,
    *,
    reply_days: Mapping[str, int],
    seed: int,
) -> list[PlannedMission]:
    """Every mission of ``site`` in the wave from ``start`` to ``end`` (both included).

    ``counts`` gives the number of tests per channel (``visit``, ``phone``, ``email``, ``letter``,
    ``website``; 0 or absent = none); ``reply_days`` the working days a site has to answer an
    ``email`` or a ``letter`` (needed when the channel is planned). The result is ordered by
    channel (in that order) then ordinal, ordinals following the windows' order.

    Emails and letters go out on days spread over the part of the wave where the reply is still
    due by the wave's last day. When the wave is too short for that (fewer working days left
    than the reply delay, even from its first working day), they go out over the first half of
    the wave's working days instead, so as early as possible without all leaving on one day, and
    their deadlines fall after the wave's end. Several may go out on the same day when there are
    more requests than days.

    Raises PlanningError (French, naming the site) for an unknown channel, a negative count, a
    missing reply delay, unreadable opening hours, a wave that ends before it starts or has no
    working day, a site never open during the wave (visits, calls), fewer open half-days than
    visits, or fewer call slots than calls. Nothing is checked about the wave when every count
    is 0: the plan is then empty.
    """
    wanted = _checked_counts(site.key, counts)
    if not any(wanted.values()):
        return []
    if end < start:
        raise PlanningError(site.key, f"la vague finit ({_fmt(end)}) avant de commencer")
    days = _working_days(site.department, start, end)
    if not days:
        raise PlanningError(
            site.key, f"aucun jour ouvré dans la vague du {_fmt(start)} au {_fmt(end)}"
        )
    zone = site_time_zone(site.department)
    week, default_hours = _weekly_hours(site)
    missions: list[PlannedMission] = []
    for channel in CHANNELS:
        count = wanted.get(channel, 0)
        if not count:
            continue
        rng = _rng(seed, site.key, channel)
        delay: int | None = None
        if channel == "visit":
            candidates = _visit_slots(days, week)
            _check_capacity(site, start, end, candidates, count, "visite", "demi-journées")
            chosen = _spread(candidates, count, rng, _VISIT_COST, unique=True)
        elif channel == "phone":
            candidates = _call_slots(days, week)
            _check_capacity(site, start, end, candidates, count, "appel", "créneaux")
            chosen = _spread(candidates, count, rng, _CALL_COST, unique=True, by_hour=True)
        elif channel in REPLY_CHANNELS:
            delay = _reply_delay(site.key, channel, reply_days)
            send_days = _send_days(days, delay)
            chosen = _spread(_whole_days(send_days), count, rng, _DAY_COST, unique=False)
        else:
            chosen = _spread(_whole_days(days), count, rng, _DAY_COST, unique=False)
        missions.extend(_planned(site, zone, channel, chosen, default_hours, delay))
    return missions


def _check_capacity(
    site: SiteToPlan,
    start: date,
    end: date,
    candidates: _Candidates,
    count: int,
    noun: str,
    unit: str,
) -> None:
    available = candidates.size
    if available and available >= count:
        return
    wave = f"la vague du {_fmt(start)} au {_fmt(end)}"
    if not available:
        raise PlanningError(site.key, f"le site n’est jamais ouvert pendant {wave}")
    detail = "dans des demi-journées distinctes" if noun == "visite" else "distincts"
    raise PlanningError(
        site.key,
        f"{wave} est trop courte pour {count} {noun}s {detail} ({available} {unit} d’ouverture)",
    )


def _planned(
    site: SiteToPlan,
    zone: str,
    channel: str,
    chosen: Sequence[_Slot],
    default_hours: bool,
    delay: int | None,
) -> list[PlannedMission]:
    # Wall-clock arithmetic: midnight plus minutes is a local time, whose offset zoneinfo then
    # finds (UTC+2 in Paris after the last Sunday of March). Working days are never the days on
    # which the clocks change, so no local time here is skipped or repeated.
    flagged = default_hours and channel in IN_HOURS_CHANNELS
    return [
        PlannedMission(
            channel,
            ordinal,
            _utc(zone, day, start),
            _utc(zone, day, end),
            zone,
            flagged,
            day if delay is not None else None,
            _reply_due(day, delay, site.department) if delay is not None else None,
        )
        for ordinal, (day, _half, start, end) in enumerate(chosen, start=1)
    ]


# --- caches shared by every site (pure functions of hashable inputs) ---------------------------


@lru_cache(maxsize=256)
def _working_days(department: str | None, start: date, end: date) -> tuple[date, ...]:
    """Every working day of ``department`` from ``start`` to ``end``, both included."""
    return tuple(
        start + timedelta(days=offset)
        for offset in range((end - start).days + 1)
        if is_working_day(start + timedelta(days=offset), department=department)
    )


@lru_cache(maxsize=1 << 14)
def _utc(zone: str, day: date, minutes: int) -> datetime:
    """The UTC instant ``minutes`` after the local midnight of ``day`` in ``zone``."""
    midnight = datetime.combine(day, time(0), tzinfo=ZoneInfo(zone))
    return (midnight + timedelta(minutes=minutes)).astimezone(UTC)


@lru_cache(maxsize=1 << 14)
def _reply_due(day: date, delay: int, department: str | None) -> date:
    return add_working_days(day, delay, department=department)
