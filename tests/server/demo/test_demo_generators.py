"""The demo generators: deterministic, realistic in shape, readable by the frame importer.

Pure tests (no Flask app): the frame and the investigators are plain data built from
``geography.json`` and a seed.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter
from pathlib import Path

import pytest

from sampling.opening_hours import parse_opening_hours
from server.demo.frame import (
    FRAME_COLUMNS,
    NETWORKS,
    OVERSEAS,
    DemoRandom,
    generate_demo_frame,
    load_departments,
    load_geography,
    slug,
    write_frame_csv,
)
from server.demo.people import ALL_CHANNELS, DEMO_STAFF, generate_demo_investigators

REGIONS = {
    "Auvergne-Rhône-Alpes",
    "Bourgogne-Franche-Comté",
    "Bretagne",
    "Centre-Val de Loire",
    "Corse",
    "Grand Est",
    "Hauts-de-France",
    "Île-de-France",
    "Normandie",
    "Nouvelle-Aquitaine",
    "Occitanie",
    "Pays de la Loire",
    "Provence-Alpes-Côte d’Azur",
    "Guadeloupe",
    "Martinique",
    "Guyane",
    "La Réunion",
    "Mayotte",
}
# (lat min, lat max, lon min, lon max)
BOXES = {
    "metropolitan": (41.0, 51.2, -5.2, 9.6),
    "971": (15.8, 16.6, -61.9, -61.0),
    "972": (14.35, 14.9, -61.3, -60.75),
    "973": (2.0, 5.9, -54.7, -51.5),
    "974": (-21.45, -20.85, 55.2, 55.9),
    "976": (-13.05, -12.6, 44.95, 45.35),
}
SIZE_RANGES = {
    "Préfecture": (40_000, 250_000),
    "Sous-préfecture": (5_000, 40_000),
    "Service des impôts des particuliers": (10_000, 80_000),
    "Tribunal judiciaire": (5_000, 60_000),
    "DSDEN / Rectorat": (2_000, 15_000),
    "Bibliothèque universitaire": (50_000, 600_000),
    "France services": (1_000, 8_000),
}


@pytest.fixture(scope="module")
def frame() -> list[dict[str, str]]:
    return generate_demo_frame()


def in_box(code: str, lat: float, lon: float) -> bool:
    lat_min, lat_max, lon_min, lon_max = BOXES[code if code in OVERSEAS else "metropolitan"]
    return lat_min <= lat <= lat_max and lon_min <= lon <= lon_max


def test_same_seed_same_output_and_other_seed_differs(frame: list[dict[str, str]]) -> None:
    assert generate_demo_frame(2026) == frame
    assert generate_demo_frame(7) != frame
    assert generate_demo_investigators(2026) == generate_demo_investigators(2026)
    assert generate_demo_investigators(2026) != generate_demo_investigators(7)


def test_demo_random_helpers_stay_in_range() -> None:
    rng = DemoRandom(1)
    assert {rng.randint(1, 3) for _ in range(200)} == {1, 2, 3}
    assert all(0.5 <= rng.uniform(0.5, 0.6) < 0.6 for _ in range(100))
    picked = rng.sample(range(10), 4)
    assert len(set(picked)) == 4
    assert picked == sorted(picked)
    heavy = rng.weighted_sample(["a", "b"], [1000.0, 0.001], 1)
    assert heavy == ["a"]
    with pytest.raises(IndexError):
        rng.choice([])


def test_frame_size_columns_and_unique_codes(frame: list[dict[str, str]]) -> None:
    assert 640 <= len(frame) <= 660
    assert all(tuple(row) == FRAME_COLUMNS for row in frame)
    codes = [row["code_site"] for row in frame]
    assert len(set(codes)) == len(codes)
    emails = [row["courriel"] for row in frame]
    assert len(set(emails)) == len(emails)
    assert all(code and code == code.upper() and " " not in code for code in codes)


def test_networks_counts_and_regions(frame: list[dict[str, str]]) -> None:
    networks = Counter(row["reseau"] for row in frame)
    assert set(networks) == set(NETWORKS)
    assert networks["Préfecture"] == 101
    assert 140 <= networks["Sous-préfecture"] <= 190
    assert 90 <= networks["France services"] <= 140
    assert {row["region"] for row in frame} == REGIONS
    assert {row["departement"] for row in frame} >= set(OVERSEAS)


def test_courts_sit_in_real_court_towns(frame: list[dict[str, str]]) -> None:
    court_towns = {
        (d.code, t.name)
        for d in load_departments()
        for t in (d.prefecture, *d.sous_prefectures)
        if t.tribunal
    }
    courts = [row for row in frame if row["reseau"] == "Tribunal judiciaire"]
    assert courts
    assert all((row["departement"], row["commune"]) in court_towns for row in courts)


def test_every_department_has_its_prefecture(frame: list[dict[str, str]]) -> None:
    departments = load_departments()
    assert len(departments) == 101
    assert len({d.code for d in departments if d.code not in OVERSEAS}) == 96
    prefectures = {row["departement"]: row for row in frame if row["reseau"] == "Préfecture"}
    for d in departments:
        assert prefectures[d.code]["commune"] == d.prefecture.name
        assert prefectures[d.code]["region"] == d.region
        assert prefectures[d.code]["code_site"] == f"PREF-{d.code.zfill(3)}"


def test_geography_document_is_consistent() -> None:
    geography = load_geography()
    assert {r["name"] for r in geography["regions"]} == REGIONS
    codes = {d["code"] for d in geography["departments"]}
    assert {"2A", "2B", "75", *OVERSEAS} <= codes
    for region in geography["regions"]:
        assert region["chef_lieu"]["department"] in codes
        assert region["universities"]
    academy_departments = [c for a in geography["academies"] for c in a["departments"]]
    assert sorted(academy_departments) == sorted(codes)
    for d in load_departments():
        assert d.code == "75" or d.sous_prefectures or d.code in ("90", "976")
        assert len(d.sous_prefectures) <= 4
        for town in (d.prefecture, *d.sous_prefectures, *d.small_towns):
            assert in_box(d.code, town.latitude, town.longitude), town
            assert len(town.postcode) == 5
            assert town.postcode.isdigit()
            prefix = d.code if d.code in OVERSEAS else "20" if d.code in ("2A", "2B") else d.code
            assert town.postcode.startswith(prefix), town


def test_coordinates_in_france_and_close_to_their_town(frame: list[dict[str, str]]) -> None:
    geography = load_geography()
    places: dict[str, list[tuple[float, float]]] = {}
    for d in load_departments(geography):
        for t in (d.prefecture, *d.sous_prefectures, *d.small_towns):
            places.setdefault(t.name, []).append((t.latitude, t.longitude))
    seats = [a["seat"] for a in geography["academies"]]
    universities = [u for r in geography["regions"] for u in r["universities"]]
    for place in seats + universities:
        places.setdefault(place["name"], []).append((place["latitude"], place["longitude"]))
    for row in frame:
        lat, lon = float(row["latitude"]), float(row["longitude"])
        assert in_box(row["departement"], lat, lon), row
        distance = min(
            math.hypot(
                (lat - town_lat) * 111.32,
                (lon - town_lon) * 111.32 * math.cos(math.radians(lat)),
            )
            for town_lat, town_lon in places[row["commune"]]
        )
        assert distance < 1.5, row


def test_sizes_in_range_and_a_few_missing(frame: list[dict[str, str]]) -> None:
    missing = 0
    for row in frame:
        if row["frequentation"] == "":
            missing += 1
            continue
        low, high = SIZE_RANGES[row["reseau"]]
        assert low <= int(row["frequentation"]) <= high, row
    assert 5 <= missing <= 40


def test_contacts_look_french(frame: list[dict[str, str]]) -> None:
    for row in frame:
        email = row["courriel"]
        assert re.fullmatch(r"[a-z0-9.\-]+@[a-z0-9\-]+(\.[a-z0-9\-]+)+", email), email
        assert re.fullmatch(r"0\d( \d\d){4}|0\d{3}( \d\d){3}", row["telephone"]), row
        if row["departement"] in OVERSEAS:
            assert row["telephone"][:4] in {"0590", "0596", "0594", "0262", "0269"}
        else:
            assert row["telephone"][:2] in {"01", "02", "03", "04", "05"}
        assert row["adresse"]
        assert row["nom"]
        assert len(row["code_postal"]) == 5


def test_every_generated_horaires_parses(frame: list[dict[str, str]]) -> None:
    for row in frame:
        week = parse_opening_hours(row["horaires"])
        assert week
        assert set(week) <= {str(day) for day in range(7)}
        if row["reseau"] == "France services":
            assert "5" in week  # Saturday morning
        if row["reseau"] == "Préfecture":
            assert any(len(ranges) == 1 for ranges in week.values())  # mornings only some days


def test_utf8_csv_round_trips(frame: list[dict[str, str]], tmp_path: Path) -> None:
    path = tmp_path / "frame.csv"
    write_frame_csv(frame, path)
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows == frame


def test_french_excel_csv(frame: list[dict[str, str]], tmp_path: Path) -> None:
    path = tmp_path / "frame-excel.csv"
    write_frame_csv(frame, path, french_excel=True)
    raw = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # accents are single cp1252 bytes, not UTF-8
    text = raw.decode("cp1252")
    assert text.splitlines()[0] == ";".join(FRAME_COLUMNS)
    assert "\r\n" in text
    assert "Préfecture" in text
    assert "’" in text
    with path.open(encoding="cp1252", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    assert len(rows) == len(frame)
    for written, original in zip(rows, frame, strict=True):
        assert "," in written["latitude"]
        assert "." not in written["latitude"]
        assert "," in written["longitude"]
        restored = {
            key: value.replace(",", ".") if key in ("latitude", "longitude") else value
            for key, value in written.items()
        }
        assert restored == original


def test_slug_is_ascii_and_readable() -> None:
    assert slug("Côte-d’Or") == "cote-dor"
    assert slug("L’Haÿ-les-Roses") == "lhay-les-roses"
    assert slug("Schœlcher") == "schoelcher"
    assert slug("Château-Chinon (Ville)") == "chateau-chinon-ville"


def test_investigators() -> None:
    people = generate_demo_investigators()
    assert len(people) == 40
    emails = [p["email"] for p in people]
    assert len(set(emails)) == 40
    assert emails[0] == "enqueteur01@demo.barometre.fr"
    assert len({p["name"] for p in people}) == 40
    assert sum(bool(p["active"]) for p in people) == 37
    overseas = 0
    for p in people:
        lat, lon = p["home_latitude"], p["home_longitude"]
        assert isinstance(lat, float)
        assert isinstance(lon, float)
        boxes = [code for code in BOXES if code != "metropolitan" and in_box(code, lat, lon)]
        overseas += bool(boxes)
        assert boxes or in_box("75", lat, lon), p
        assert isinstance(p["capacity"], int)
        assert 300 <= p["capacity"] <= 480
        assert (
            p["visit_capacity"] == 0
            if "visit" not in p["channels"]
            else 25 <= p["visit_capacity"] <= 50
        )
        channels = p["channels"]
        assert isinstance(channels, list)
        assert channels
        assert set(channels) <= set(ALL_CHANNELS)
        assert isinstance(p["home_commune"], str)
        assert p["home_commune"]
    assert overseas >= 2
    full = sum(p["channels"] == list(ALL_CHANNELS) for p in people)
    remote_only = sum("visit" not in p["channels"] for p in people)  # type: ignore[operator]
    assert full >= 30
    assert remote_only >= 3
    assert len(generate_demo_investigators(count=5)) == 5


def test_demo_staff() -> None:
    roles = {member["role"]: member for member in DEMO_STAFF}
    assert set(roles) == {"coordinator", "analyst", "admin"}
    assert roles["coordinator"] == {
        "email": "coordination@demo.barometre.fr",
        "name": "Claire Martin",
        "role": "coordinator",
    }
    assert roles["analyst"]["email"] == "analyse@demo.barometre.fr"
    assert roles["admin"]["email"] == "admin@demo.barometre.fr"
    assert all(member["name"] for member in DEMO_STAFF)
