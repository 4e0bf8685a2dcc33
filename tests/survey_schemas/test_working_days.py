"""French working days between a send date and a reply date (DESIGN.md §3.6), and the deadline
a number of working days after a send date (DESIGN.md §3.10)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey_schemas import add_working_days, is_working_day, subdivision, working_days_between


@pytest.mark.parametrize(
    ("sent", "received", "department", "expected"),
    [
        # same day counts 0; the next working day counts 1
        (date(2024, 6, 12), date(2024, 6, 12), None, 0),
        (date(2024, 6, 12), date(2024, 6, 13), None, 1),
        # Friday → Monday: the weekend does not count
        (date(2024, 6, 14), date(2024, 6, 17), None, 1),
        # Friday → Sunday: nothing counts yet
        (date(2024, 6, 14), date(2024, 6, 16), None, 0),
        # Tue 24 Dec 2024 → Fri 27: 25 holiday; 26 and 27 count nationally (2) ...
        (date(2024, 12, 24), date(2024, 12, 27), None, 2),
        # ... but 26 December is a holiday in Moselle and Alsace (1)
        (date(2024, 12, 24), date(2024, 12, 27), "57", 1),
        (date(2024, 12, 24), date(2024, 12, 27), "67", 1),
        (date(2024, 12, 24), date(2024, 12, 27), "68", 1),
        # a letter across Christmas: Mon 16 Dec 2024 → Mon 6 Jan 2025
        # 17-20 (4), 23-24 (6), 25 off, 26 (7), 27 (8), 30-31 (10), 1 Jan off, 2-3 (12), 6 (13)
        (date(2024, 12, 16), date(2025, 1, 6), None, 13),
        # in Moselle 26 December is off too: 12
        (date(2024, 12, 16), date(2025, 1, 6), "57", 12),
        # Thu 28 Mar 2024 → Tue 2 Apr: Good Friday 29 counts nationally, Easter Monday off (2)
        (date(2024, 3, 28), date(2024, 4, 2), None, 2),
        # Good Friday is a holiday in Alsace-Moselle (1)
        (date(2024, 3, 28), date(2024, 4, 2), "68", 1),
        (date(2024, 3, 28), date(2024, 4, 2), "57", 1),
        # La Réunion: 20 December 2024 (abolition of slavery) is off there only
        (date(2024, 12, 19), date(2024, 12, 20), None, 1),
        (date(2024, 12, 19), date(2024, 12, 20), "974", 0),
        # Guadeloupe: Good Friday off
        (date(2024, 3, 28), date(2024, 3, 29), "971", 0),
        # an ordinary department has national days only; surrounding spaces are ignored
        (date(2024, 12, 24), date(2024, 12, 27), "75", 2),
        (date(2024, 12, 24), date(2024, 12, 27), " 57 ", 1),
    ],
)
def test_working_days_between(
    sent: date, received: date, department: str | None, expected: int
) -> None:
    assert working_days_between(sent, received, department=department) == expected


def test_received_before_sent_raises() -> None:
    with pytest.raises(ValueError, match="précède"):
        working_days_between(date(2024, 6, 12), date(2024, 6, 11))


@pytest.mark.parametrize(
    ("department", "expected"),
    [
        ("57", "57"),
        ("67", "6AE"),
        ("68", "6AE"),
        ("971", "971"),
        ("972", "972"),
        ("973", "973"),
        ("974", "974"),
        ("976", "976"),
        ("75", None),
        (None, None),
    ],
)
def test_department_maps_to_holidays_subdivision(department: str | None, expected: str) -> None:
    assert subdivision(department) == expected


def test_saturday_is_not_a_working_day() -> None:
    assert not is_working_day(date(2024, 6, 15))


@pytest.mark.parametrize(
    ("day", "count", "department", "expected"),
    [
        # count 0 is the day itself, even a Saturday or a holiday
        (date(2024, 6, 12), 0, None, date(2024, 6, 12)),
        (date(2024, 6, 15), 0, None, date(2024, 6, 15)),
        (date(2024, 12, 25), 0, None, date(2024, 12, 25)),
        # the next working day: Wednesday → Thursday; Friday and Saturday → Monday
        (date(2024, 6, 12), 1, None, date(2024, 6, 13)),
        (date(2024, 6, 14), 1, None, date(2024, 6, 17)),
        (date(2024, 6, 15), 1, None, date(2024, 6, 17)),
        # over a holiday: Tue 24 Dec 2024 + 1 is the 26th, the 27th in Alsace-Moselle
        (date(2024, 12, 24), 1, None, date(2024, 12, 26)),
        (date(2024, 12, 24), 1, "57", date(2024, 12, 27)),
        (date(2024, 12, 24), 1, "67", date(2024, 12, 27)),
        # Thu 28 Mar 2024 + 1: Good Friday nationally, Tuesday after Easter in Moselle
        (date(2024, 3, 28), 1, None, date(2024, 3, 29)),
        (date(2024, 3, 28), 1, "57", date(2024, 4, 2)),
        # Guadeloupe's abolition day, Wed 27 May 2026, is an ordinary day in Martinique
        (date(2026, 5, 26), 1, "971", date(2026, 5, 28)),
        (date(2026, 5, 26), 1, "972", date(2026, 5, 27)),
        # an email's 5 and a letter's 15 working days over 1 and 8 May 2026 (Fridays)
        (date(2026, 4, 28), 5, None, date(2026, 5, 6)),
        (date(2026, 4, 27), 15, None, date(2026, 5, 21)),  # Ascension 14 May too
        # the letter across Christmas of the counting test above
        (date(2024, 12, 16), 13, None, date(2025, 1, 6)),
        (date(2024, 12, 16), 12, "57", date(2025, 1, 6)),
    ],
)
def test_add_working_days(day: date, count: int, department: str | None, expected: date) -> None:
    assert add_working_days(day, count, department=department) == expected


def test_add_negative_working_days_raises() -> None:
    with pytest.raises(ValueError, match="négatif"):
        add_working_days(date(2024, 6, 12), -1)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    day=st.dates(date(2023, 1, 1), date(2028, 12, 31)),
    count=st.integers(0, 40),
    department=st.sampled_from([None, "35", "57", "67", "68", "971", "972", "973", "974", "976"]),
)
def test_add_working_days_inverts_working_days_between(
    day: date, count: int, department: str | None
) -> None:
    due = add_working_days(day, count, department=department)
    assert working_days_between(day, due, department=department) == count
    if count:  # the earliest such date, so a working day
        assert is_working_day(due, department=department)
        before = due - timedelta(days=1)
        assert working_days_between(day, before, department=department) == count - 1


def test_add_working_days_over_every_day_of_a_year() -> None:
    for offset in range(366):
        day = date(2026, 1, 1) + timedelta(days=offset)
        for count in (1, 5, 15):
            due = add_working_days(day, count, department="57")
            assert working_days_between(day, due, department="57") == count
