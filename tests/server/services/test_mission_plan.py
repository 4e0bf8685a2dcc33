"""The planner of mission windows (server.services.mission_plan): pure, no app needed.

The property test recomputes from scratch, minute by minute, what the site's opening hours
allow, and checks every plan against it: windows inside the wave's working days and the site's
hours, in its zone, never two visits in one half-day, reply deadlines, determinism, and a
PlanningError exactly when the plan is impossible.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from server.services.mission_plan import (
    DEFAULT_OPENING_HOURS,
    PlannedMission,
    PlanningError,
    SiteToPlan,
    plan_site,
    site_time_zone,
)
from survey_schemas import add_working_days, is_working_day

REPLY_DAYS = {"email": 5, "letter": 15}
FULL_PLAN = {"visit": 2, "phone": 9, "email": 10, "letter": 3, "website": 1}
MIDDAY = 13 * 60

# Mon–Fri 08:30–12:00 and 13:30–16:30, Thursday afternoon closed.
TYPICAL_HOURS: dict[str, list[list[str]]] = {
    "0": [["08:30", "12:00"], ["13:30", "16:30"]],
    "1": [["08:30", "12:00"], ["13:30", "16:30"]],
    "2": [["08:30", "12:00"], ["13:30", "16:30"]],
    "3": [["08:30", "12:00"]],
    "4": [["08:30", "12:00"], ["13:30", "16:30"]],
}
TUESDAY_THURSDAY_MORNINGS = {"1": [["09:00", "12:00"]], "3": [["09:00", "12:00"]]}


def _site(
    hours: Mapping[str, Sequence[Sequence[str]]] | None = None,
    department: str | None = "35",
    key: str = "SITE-1",
) -> SiteToPlan:
    return SiteToPlan(key=key, department=department, opening_hours=hours)


def _plan(
    site: SiteToPlan,
    counts: Mapping[str, int],
    start: date,
    end: date,
    seed: int = 7,
) -> list[PlannedMission]:
    return plan_site(site, counts, start, end, reply_days=REPLY_DAYS, seed=seed)


def _local(mission: PlannedMission) -> tuple[datetime, datetime]:
    zone = ZoneInfo(mission.time_zone)
    return mission.window_start.astimezone(zone), mission.window_end.astimezone(zone)


def _minute(moment: datetime, day: date) -> int:
    """Minutes after the local midnight of ``day`` (1440 for the next midnight)."""
    return (moment.date() - day).days * 1440 + moment.hour * 60 + moment.minute


def _span(mission: PlannedMission) -> tuple[date, int, int]:
    start, end = _local(mission)
    return start.date(), _minute(start, start.date()), _minute(end, start.date())


def _of(plan: Sequence[PlannedMission], channel: str) -> list[PlannedMission]:
    return [m for m in plan if m.channel == channel]


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# --- an independent reading of opening hours: the set of open minutes -----------------------------


def _open_minutes(hours: Mapping[str, Sequence[Sequence[str]]] | None) -> dict[int, set[int]]:
    if not hours or not any(hours.values()):
        hours = DEFAULT_OPENING_HOURS
    week: dict[int, set[int]] = {day: set() for day in range(7)}
    for key, intervals in hours.items():
        for start, end in intervals:
            low = int(start[:2]) * 60 + int(start[3:])
            high = int(end[:2]) * 60 + int(end[3:])
            week[int(key)].update(range(low, high))
    return week


def _runs(minutes: set[int], half: int) -> list[tuple[int, int]]:
    """Maximal runs of open minutes in the morning (0) or the afternoon (1)."""
    low, high = (0, MIDDAY) if half == 0 else (MIDDAY, 1440)
    runs: list[tuple[int, int]] = []
    for minute in range(low, high):
        if minute in minutes:
            if runs and runs[-1][1] == minute:
                runs[-1] = (runs[-1][0], minute + 1)
            else:
                runs.append((minute, minute + 1))
    return runs


def _visit_window(minutes: set[int], half: int) -> tuple[int, int] | None:
    runs = [run for run in _runs(minutes, half) if run[1] - run[0] >= 30]
    return max(runs, key=lambda run: (run[1] - run[0], -run[0])) if runs else None


def _call_slots(minutes: set[int], half: int) -> int:
    return sum(
        (end - start) // 60 + ((end - start) % 60 >= 30) for start, end in _runs(minutes, half)
    )


def _working_days(start: date, end: date, department: str | None) -> list[date]:
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    return [day for day in days if is_working_day(day, department=department)]


# --- time zones -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("department", "zone"),
    [
        ("971", "America/Guadeloupe"),
        ("972", "America/Martinique"),
        ("973", "America/Cayenne"),
        ("974", "Indian/Reunion"),
        ("976", "Indian/Mayotte"),
        (" 974 ", "Indian/Reunion"),
        ("35", "Europe/Paris"),
        ("2A", "Europe/Paris"),
        ("57", "Europe/Paris"),
        (None, "Europe/Paris"),
    ],
)
def test_site_time_zone(department: str | None, zone: str) -> None:
    assert site_time_zone(department) == zone


def test_default_hours_are_weekday_office_hours() -> None:
    assert dict(DEFAULT_OPENING_HOURS) == {
        str(day): (("09:00", "12:00"), ("14:00", "17:00")) for day in range(5)
    }


# --- the property test ----------------------------------------------------------------------------

DEPARTMENTS = [None, "35", "57", "67", "971", "972", "973", "974", "976"]


@st.composite
def _day_hours(draw: st.DrawFn) -> list[list[str]]:
    points = sorted(draw(st.lists(st.integers(24, 80), max_size=6, unique=True)))
    return [[_hhmm(a * 15), _hhmm(b * 15)] for a, b in zip(points[::2], points[1::2], strict=False)]


_hours: st.SearchStrategy[dict[str, list[list[str]]] | None] = st.one_of(
    st.none(),
    st.just({}),
    st.dictionaries(st.sampled_from([str(day) for day in range(7)]), _day_hours(), max_size=7),
)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    hours=_hours,
    department=st.sampled_from(DEPARTMENTS),
    start=st.dates(date(2024, 1, 1), date(2027, 12, 31)),
    length=st.integers(0, 35),
    counts=st.fixed_dictionaries(
        {
            "visit": st.integers(0, 5),
            "phone": st.integers(0, 12),
            "email": st.integers(0, 10),
            "letter": st.integers(0, 3),
            "website": st.integers(0, 2),
        }
    ),
    seed=st.integers(0, 2**32),
)
def test_every_plan_keeps_the_rules(
    hours: dict[str, list[list[str]]] | None,
    department: str | None,
    start: date,
    length: int,
    counts: dict[str, int],
    seed: int,
) -> None:
    end = start + timedelta(days=length)
    site = _site(hours, department)
    days = _working_days(start, end, department)
    week = _open_minutes(hours)
    windows = {(wd, half): _visit_window(week[wd], half) for wd in range(7) for half in (0, 1)}
    slots = {(wd, half): _call_slots(week[wd], half) for wd in range(7) for half in (0, 1)}
    half_days = {
        (day, half): window
        for day in days
        for half in (0, 1)
        if (window := windows[day.weekday(), half]) is not None
    }
    call_capacity = {(day, half): slots[day.weekday(), half] for day in days for half in (0, 1)}
    impossible = any(counts.values()) and (
        not days
        or counts["visit"] > len(half_days)
        or counts["phone"] > sum(call_capacity.values())
    )
    event("impossible" if impossible else "planned")
    if impossible:
        with pytest.raises(PlanningError, match="SITE-1"):
            _plan(site, counts, start, end, seed)
        return
    plan = _plan(site, counts, start, end, seed)
    assert plan == _plan(site, counts, start, end, seed)  # deterministic
    assert Counter(m.channel for m in plan) == +Counter(counts)
    unknown = not hours or not any(hours.values())
    zone = site_time_zone(department)
    for channel in counts:
        missions = _of(plan, channel)
        assert [m.ordinal for m in missions] == list(range(1, len(missions) + 1))
        assert [m.window_start for m in missions] == sorted(m.window_start for m in missions)
    for mission in plan:
        assert mission.window_start.utcoffset() == timedelta(0)
        assert mission.window_end.utcoffset() == timedelta(0)
        assert mission.time_zone == zone
        assert mission.default_hours == (unknown and mission.channel in {"visit", "phone"})
        day, low, high = _span(mission)
        assert day in days
        if mission.channel in {"visit", "phone"}:
            assert set(range(low, high)) <= week[day.weekday()]
            assert high <= MIDDAY or low >= MIDDAY
        else:
            assert (low, high) == (0, 1440)
        if mission.channel in {"email", "letter"}:
            assert mission.send_on == day
            assert mission.reply_due_on == add_working_days(
                day, REPLY_DAYS[mission.channel], department=department
            )
        else:
            assert mission.send_on is None
            assert mission.reply_due_on is None

    visits = [_span(m) for m in _of(plan, "visit")]
    visit_half_days = [(day, low >= MIDDAY) for day, low, _ in visits]
    assert len(set(visit_half_days)) == len(visits)  # never two visits in one half-day
    for (_, low, high), key in zip(visits, visit_half_days, strict=True):
        assert half_days[key] == (low, high)  # the half-day's (longest) opening interval
    if len({day.weekday() for day, _ in half_days}) >= len(visits):
        assert len({day.weekday() for day, _, _ in visits}) == len(visits)

    calls = [_span(m) for m in _of(plan, "phone")]
    assert len(set(calls)) == len(calls)  # distinct slots
    assert all(30 <= high - low <= 60 for _, low, high in calls)
    if len(calls) <= sum(1 for slots in call_capacity.values() if slots):
        assert len({(day, low >= MIDDAY) for day, low, _ in calls}) == len(calls)

    in_time = [day for day in days if add_working_days(day, 5, department=department) <= end]
    for mission in _of(plan, "email"):
        assert mission.reply_due_on is not None
        if in_time:
            assert mission.reply_due_on <= end
        else:
            assert mission.send_on in days[: (len(days) + 1) // 2]


# --- windows in opening hours, half-days ----------------------------------------------------------


def test_visit_windows_are_the_opening_interval_of_their_half_day() -> None:
    plan = _plan(_site(TYPICAL_HOURS), {"visit": 5}, date(2026, 6, 1), date(2026, 6, 12))
    for mission in plan:
        day, low, high = _span(mission)
        assert (low, high) == ((810, 990) if low >= MIDDAY else (510, 720))
        assert not (day.weekday() == 3 and low >= MIDDAY)  # Thursday afternoon is closed
        assert not mission.default_hours


def test_continuous_day_is_split_at_one_pm() -> None:
    hours = {str(day): [["08:30", "17:00"]] for day in range(5)}
    plan = _plan(_site(hours), {"visit": 10}, date(2026, 6, 1), date(2026, 6, 5))
    windows = sorted((day, low, high) for day, low, high in map(_span, plan))
    assert len(windows) == 10
    assert {(low, high) for _, low, high in windows} == {(510, 780), (780, 1020)}


def test_a_half_day_with_two_intervals_takes_the_longest() -> None:
    hours = {"0": [["08:00", "09:00"], ["09:30", "12:00"]]}
    (visit,) = _plan(_site(hours), {"visit": 1}, date(2026, 6, 1), date(2026, 6, 1))
    assert _span(visit) == (date(2026, 6, 1), 570, 720)


def test_touching_intervals_are_one_window() -> None:
    hours = {"0": [["10:00", "12:00"], ["08:00", "10:00"]]}
    (visit,) = _plan(_site(hours), {"visit": 1}, date(2026, 6, 1), date(2026, 6, 1))
    assert _span(visit) == (date(2026, 6, 1), 480, 720)


def test_one_visit_per_half_day_fills_a_week_exactly() -> None:
    plan = _plan(_site(), {"visit": 10}, date(2026, 6, 1), date(2026, 6, 5))
    keys = {(day, low >= MIDDAY) for day, low, _ in map(_span, plan)}
    assert len(keys) == 10


def test_site_open_only_tuesday_and_thursday_mornings() -> None:
    site = _site(TUESDAY_THURSDAY_MORNINGS)
    plan = _plan(site, {"visit": 4, "phone": 6}, date(2026, 6, 1), date(2026, 6, 12))
    for mission in plan:
        day, low, high = _span(mission)
        assert day.weekday() in {1, 3}
        assert 540 <= low < high <= 720
    assert len({_span(m)[0] for m in _of(plan, "visit")}) == 4
    with pytest.raises(PlanningError, match=r"SITE-1.*trop courte pour 5 visites"):
        _plan(site, {"visit": 5}, date(2026, 6, 1), date(2026, 6, 12))


def test_call_windows_are_about_an_hour_inside_opening_hours() -> None:
    plan = _plan(_site(TYPICAL_HOURS), {"phone": 30}, date(2026, 6, 1), date(2026, 6, 12))
    for day, low, high in map(_span, plan):
        assert 30 <= high - low <= 60
        assert any(
            int(a[:2]) * 60 + int(a[3:]) <= low and high <= int(b[:2]) * 60 + int(b[3:])
            for a, b in TYPICAL_HOURS[str(day.weekday())]
        )


# --- working days and holidays --------------------------------------------------------------------


def test_no_mission_on_may_day_or_victory_day() -> None:
    # 1 May and 8 May 2026 are Fridays; the wave runs 27 April – 13 May
    plan = _plan(
        _site(TYPICAL_HOURS),
        {"visit": 4, "phone": 20, "email": 10, "letter": 3, "website": 2},
        date(2026, 4, 27),
        date(2026, 5, 13),
    )
    days = {_span(m)[0] for m in plan}
    assert date(2026, 5, 1) not in days
    assert date(2026, 5, 8) not in days
    assert all(day.weekday() < 5 for day in days)


def test_good_friday_is_off_in_moselle_only() -> None:
    good_friday = date(2026, 4, 3)
    with pytest.raises(PlanningError, match="aucun jour ouvré"):
        _plan(_site(department="57"), {"website": 1}, good_friday, good_friday)
    (check,) = _plan(_site(department="35"), {"website": 1}, good_friday, good_friday)
    assert _span(check)[0] == good_friday
    plan = _plan(_site(department="57"), {"phone": 18}, date(2026, 3, 30), date(2026, 4, 10))
    assert good_friday not in {_span(m)[0] for m in plan}


def test_abolition_day_in_guadeloupe() -> None:
    day = date(2026, 5, 27)  # a Wednesday, off in Guadeloupe (Martinique's is 22 May)
    with pytest.raises(PlanningError, match="aucun jour ouvré"):
        _plan(_site(department="971"), {"visit": 1}, day, day)
    (visit,) = _plan(_site(department="972"), {"visit": 1}, day, day)
    assert _span(visit)[0] == day
    plan = _plan(_site(department="971"), {"phone": 12}, date(2026, 5, 26), date(2026, 5, 29))
    assert day not in {_span(m)[0] for m in plan}


# --- default hours --------------------------------------------------------------------------------


@pytest.mark.parametrize("hours", [None, {}, {"0": [], "3": []}])
def test_unknown_hours_use_default_hours_and_say_so(
    hours: dict[str, list[list[str]]] | None,
) -> None:
    plan = _plan(_site(hours), FULL_PLAN, date(2026, 6, 1), date(2026, 6, 26))
    for mission in plan:
        assert mission.default_hours == (mission.channel in {"visit", "phone"})
    for mission in _of(plan, "visit"):
        assert _span(mission)[1:] in {(540, 720), (840, 1020)}


def test_known_hours_are_not_flagged() -> None:
    plan = _plan(_site(TYPICAL_HOURS), FULL_PLAN, date(2026, 6, 1), date(2026, 6, 26))
    assert not any(m.default_hours for m in plan)


# --- emails and letters ---------------------------------------------------------------------------


@pytest.mark.parametrize("department", ["35", "57", "974"])
def test_reply_deadlines_count_working_days_of_the_department(department: str) -> None:
    start, end = date(2026, 12, 1), date(2027, 1, 29)
    plan = _plan(_site(department=department), FULL_PLAN, start, end)
    for mission in _of(plan, "email") + _of(plan, "letter"):
        assert mission.send_on is not None
        days = REPLY_DAYS[mission.channel]
        assert mission.reply_due_on == add_working_days(
            mission.send_on, days, department=department
        )
        assert mission.reply_due_on <= end  # the wave is long enough
        assert is_working_day(mission.send_on, department=department)
        local_start, local_end = _local(mission)
        assert local_start.date() == mission.send_on
        assert (local_start.hour, local_start.minute, local_end - local_start) == (
            0,
            0,
            timedelta(days=1),
        )


def test_sends_spread_over_the_part_of_the_wave_that_leaves_time_to_reply() -> None:
    start, end = date(2026, 9, 7), date(2026, 10, 2)  # 20 working days
    plan = _plan(_site(), {"email": 10, "letter": 3}, start, end)
    emails = [m.send_on for m in _of(plan, "email")]
    assert len(set(emails)) == 10  # one a day when there are days enough
    latest = max(day for day in _working_days(start, end, "35") if add_working_days(day, 5) <= end)
    assert max(d for d in emails if d) >= latest - timedelta(days=7)  # reaches the latest weeks
    assert min(d for d in emails if d) <= start + timedelta(days=7)
    assert all(m.reply_due_on and m.reply_due_on <= end for m in plan)


def test_a_wave_too_short_for_the_reply_sends_early() -> None:
    start, end = date(2026, 6, 1), date(2026, 6, 12)  # 10 working days, letters need 15
    plan = _plan(_site(), {"letter": 3}, start, end)
    for mission in plan:
        assert mission.send_on is not None
        assert mission.send_on <= date(2026, 6, 5)  # the first half of the wave
        assert mission.reply_due_on is not None
        assert mission.reply_due_on > end


def test_more_emails_than_days_share_days() -> None:
    plan = _plan(_site(), {"email": 6}, date(2026, 6, 1), date(2026, 6, 3))
    per_day = Counter(m.send_on for m in plan)
    # no day leaves 5 working days before the end: the first half of the wave (1 and 2 June)
    assert per_day == {date(2026, 6, 1): 3, date(2026, 6, 2): 3}


# --- time zones and daylight saving ---------------------------------------------------------------


def test_reunion_window_in_its_zone() -> None:
    site = _site({"0": [["08:00", "12:00"]]}, department="974")
    (visit,) = _plan(site, {"visit": 1}, date(2026, 6, 1), date(2026, 6, 1))
    assert visit.time_zone == "Indian/Reunion"
    assert visit.window_start == datetime(2026, 6, 1, 4, 0, tzinfo=UTC)
    assert visit.window_end == datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def test_guadeloupe_window_in_its_zone() -> None:
    site = _site({"0": [["08:00", "12:00"]]}, department="971")
    (visit,) = _plan(site, {"visit": 1}, date(2026, 6, 1), date(2026, 6, 1))
    assert visit.time_zone == "America/Guadeloupe"
    assert visit.window_start == datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [
        (date(2026, 3, 27), 8),  # Friday before the change: UTC+1
        (date(2026, 3, 30), 7),  # Monday after: UTC+2
        (date(2026, 10, 23), 7),  # still summer time
        (date(2026, 10, 26), 8),  # back to UTC+1
    ],
)
def test_paris_windows_follow_daylight_saving(day: date, utc_hour: int) -> None:
    hours = {str(weekday): [["09:00", "12:00"]] for weekday in range(5)}
    (visit,) = _plan(_site(hours), {"visit": 1}, day, day)
    assert visit.time_zone == "Europe/Paris"
    assert visit.window_start == datetime(day.year, day.month, day.day, utc_hour, tzinfo=UTC)
    assert visit.window_end - visit.window_start == timedelta(hours=3)


def test_whole_day_window_in_paris_summer() -> None:
    day = date(2026, 6, 2)
    (check,) = _plan(_site(), {"website": 1}, day, day)
    assert check.window_start == datetime(2026, 6, 1, 22, tzinfo=UTC)
    assert check.window_end == datetime(2026, 6, 2, 22, tzinfo=UTC)


# --- determinism and spread -----------------------------------------------------------------------


def test_same_inputs_same_plan_and_the_seed_matters() -> None:
    site = _site(TYPICAL_HOURS)
    plans = [_plan(site, FULL_PLAN, date(2026, 6, 1), date(2026, 6, 26), seed) for seed in (1, 2)]
    assert plans[0] == _plan(site, FULL_PLAN, date(2026, 6, 1), date(2026, 6, 26), 1)
    assert plans[0] != plans[1]
    other = _plan(
        _site(TYPICAL_HOURS, key="SITE-2"), FULL_PLAN, date(2026, 6, 1), date(2026, 6, 26)
    )
    assert other != _plan(site, FULL_PLAN, date(2026, 6, 1), date(2026, 6, 26))


def test_channels_are_drawn_independently() -> None:
    site = _site(TYPICAL_HOURS)
    wave = (date(2026, 6, 1), date(2026, 6, 26))
    full = _plan(site, FULL_PLAN, *wave)
    fewer_emails = _plan(site, {**FULL_PLAN, "email": 3}, *wave)
    assert _of(full, "visit") == _of(fewer_emails, "visit")
    assert _of(full, "phone") == _of(fewer_emails, "phone")


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("visits", [2, 3, 5])
def test_visits_on_different_weekdays_alternating_halves(seed: int, visits: int) -> None:
    start, end = date(2026, 6, 1), date(2026, 6, 26)
    plan = _plan(_site(), {"visit": visits}, start, end, seed)
    spans = [_span(m) for m in plan]
    assert len({day.weekday() for day, _, _ in spans}) == visits
    afternoons = sum(low >= MIDDAY for _, low, _ in spans)
    assert abs(visits - 2 * afternoons) <= 1
    if visits == 2:  # one in each half of the wave
        assert spans[0][0] < date(2026, 6, 15) <= spans[1][0]


@pytest.mark.parametrize("seed", range(12))
def test_calls_cover_mornings_afternoons_weekdays_and_the_wave(seed: int) -> None:
    start, end = date(2026, 6, 1), date(2026, 6, 26)
    spans = [_span(m) for m in _plan(_site(TYPICAL_HOURS), {"phone": 9}, start, end, seed)]
    afternoons = sum(low >= MIDDAY for _, low, _ in spans)
    assert 3 <= afternoons <= 6
    assert len({day.weekday() for day, _, _ in spans}) == 5
    assert len({day for day, _, _ in spans}) == 9
    weeks = Counter((day - start).days // 7 for day, _, _ in spans)
    assert set(weeks) == {0, 1, 2, 3}
    assert len({low for _, low, _ in spans}) >= 4  # different hours of the day


# --- what cannot be planned -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "hours", "start", "end", "message"),
    [
        ({"fax": 1}, None, date(2026, 6, 1), date(2026, 6, 5), "canal inconnu « fax »"),
        ({"fax": 0}, None, date(2026, 6, 1), date(2026, 6, 5), "canal inconnu"),
        ({"visit": -1}, None, date(2026, 6, 1), date(2026, 6, 5), "invalide pour « visit »"),
        ({"visit": 1}, None, date(2026, 6, 6), date(2026, 6, 7), "aucun jour ouvré"),
        ({"visit": 1}, None, date(2026, 6, 5), date(2026, 6, 1), "finit"),
        (
            {"visit": 1},
            {"5": [["09:00", "12:00"]]},
            date(2026, 6, 1),
            date(2026, 6, 12),
            "jamais ouvert",
        ),
        (
            {"phone": 1},
            {"5": [["09:00", "12:00"]]},
            date(2026, 6, 1),
            date(2026, 6, 12),
            "jamais ouvert",
        ),
        (
            {"visit": 3},
            None,
            date(2026, 6, 1),
            date(2026, 6, 1),
            "trop courte pour 3 visites dans des demi-journées distinctes",
        ),
        (
            {"phone": 4},
            {"0": [["09:00", "12:00"]]},
            date(2026, 6, 1),
            date(2026, 6, 5),
            "trop courte pour 4 appels",
        ),
        ({"visit": 1}, {"0": [["9h", "12:00"]]}, date(2026, 6, 1), date(2026, 6, 5), "illisible"),
        (
            {"visit": 1},
            {"0": [["12:00", "09:00"]]},
            date(2026, 6, 1),
            date(2026, 6, 5),
            "finit avant",
        ),
        ({"visit": 1}, {"8": [["09:00", "12:00"]]}, date(2026, 6, 1), date(2026, 6, 5), "jour"),
    ],
)
def test_impossible_plans_raise_a_french_error_naming_the_site(
    counts: dict[str, int],
    hours: dict[str, list[list[str]]] | None,
    start: date,
    end: date,
    message: str,
) -> None:
    with pytest.raises(PlanningError, match=r"Site « SITE-1 » : ") as caught:
        _plan(_site(hours), counts, start, end)
    assert message in str(caught.value)
    assert caught.value.site_key == "SITE-1"
    assert isinstance(caught.value, ValueError)


def test_missing_reply_delay_is_an_error() -> None:
    with pytest.raises(PlanningError, match="délai de réponse"):
        plan_site(
            _site(), {"letter": 1}, date(2026, 6, 1), date(2026, 6, 30), reply_days={}, seed=1
        )


def test_zero_counts_plan_nothing() -> None:
    assert _plan(_site(), {"visit": 0, "phone": 0}, date(2026, 6, 6), date(2026, 6, 7)) == []
    assert _plan(_site(), {}, date(2026, 6, 1), date(2026, 6, 5)) == []
    plan = _plan(_site(), {"visit": 0, "website": 1}, date(2026, 6, 1), date(2026, 6, 5))
    assert [m.channel for m in plan] == ["website"]


def test_result_is_ordered_by_channel_then_ordinal() -> None:
    counts = {"website": 1, "letter": 3, "email": 10, "phone": 9, "visit": 2}
    plan = _plan(_site(TYPICAL_HOURS), counts, date(2026, 6, 1), date(2026, 6, 26))
    order = ["visit", "phone", "email", "letter", "website"]
    assert [(m.channel, m.ordinal) for m in plan] == [
        (channel, n) for channel in order for n in range(1, counts[channel] + 1)
    ]
