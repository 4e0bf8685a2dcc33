"""The frame's ``horaires`` column: what a coordinator may type, and what is refused."""

from __future__ import annotations

import pytest

from sampling.opening_hours import OpeningHoursError, parse_opening_hours

WEEKDAYS = {str(day): [["08:30", "12:00"], ["13:30", "16:30"]] for day in range(5)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lun-ven 08:30-12:00,13:30-16:30", WEEKDAYS),
        (
            "lun-ven 08:30-12:00,13:30-16:30; sam 09:00-12:00",
            {**WEEKDAYS, "5": [["09:00", "12:00"]]},
        ),
        ("  MER,ven 09:00-24:00 ", {"2": [["09:00", "24:00"]], "4": [["09:00", "24:00"]]}),
        (
            "dim 10:00-12:00 | lun 10:00-12:00",
            {"0": [["10:00", "12:00"]], "6": [["10:00", "12:00"]]},
        ),
        ("lun 8h30-12h", {"0": [["08:30", "12:00"]]}),
        ("lundi 08:00-12:00", {"0": [["08:00", "12:00"]]}),
        # A later group may add hours to a day already listed, as long as they do not overlap.
        (
            "lun-ven 09:00-12:00; mer 14:00-17:00",
            {
                **{str(d): [["09:00", "12:00"]] for d in range(5)},
                "2": [["09:00", "12:00"], ["14:00", "17:00"]],
            },
        ),
    ],
)
def test_accepted_forms(text: str, expected: dict[str, list[list[str]]]) -> None:
    assert parse_opening_hours(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "horaires vides"),
        ("   ;  ", "horaires vides"),
        ("lun", "aucune plage horaire"),
        ("08:00-12:00", "aucune plage horaire"),
        ("lun 08:00", "sans « - »"),
        ("xyz 08:00-12:00", "jour illisible « xyz »"),
        ("lun 12:00-08:00", "finit avant de commencer"),
        ("lun 08:00-08:00", "finit avant de commencer"),
        ("lun 08:00-12:00,11:00-14:00", "chevauchent le lun"),
        ("lun,lun 08:00-12:00", "chevauchent le lun"),
        ("lun 25:00-26:00", "heure impossible « 25:00 »"),
        ("lun 08:60-09:00", "heure impossible « 08:60 »"),
        ("lun 24:00-24:30", "heure impossible « 24:30 »"),
        ("ven-lun 08:00-12:00", "plage de jours à l’envers"),
        ("lun-mar-mer 08:00-12:00", "jour illisible"),
        ("lun, mar 08:00-12:00", "jour illisible"),
        ("lun 08:00-12:00 14:00-16:00", "heure illisible"),
    ],
)
def test_malformed_hours_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(OpeningHoursError, match=message):
        parse_opening_hours(text)
