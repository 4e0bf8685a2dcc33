"""Rules of assignment: commune comparison, rule codes and labels, distances, masks."""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from geopy.distance import geodesic

from server.services.assignment import (
    PRIORITY,
    RULE_FIELDS,
    RULE_LABELS,
    Ledger,
    Person,
    Rules,
    Task,
    lift,
    normalise_commune,
    reason,
    same_commune,
)
from server.services.assignment.distance import distance_matrix
from server.services.assignment.wave import Masks

DESIGN_CODES = {
    "no_channel",
    "capacity",
    "visit_capacity",
    "availability",
    "same_site_in_wave",
    "lockout",
    "home_commune",
    "remote_per_site",
    "no_coordinates",
}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Saint-Étienne", "saint etienne"),
        ("SAINT ETIENNE", "saint etienne"),
        ("saint  étienne", "saint etienne"),
        ("Saint - Étienne", "saint etienne"),
        ("L’Haÿ-les-Roses", "l hay les roses"),
        ("L'HAY LES ROSES", "l hay les roses"),
        ("Évry–Courcouronnes", "evry courcouronnes"),
        ("Bourg-en-Bresse ", "bourg en bresse"),
        ("Cœuvres-et-Valsery", "coeuvres et valsery"),
        ("Châlons-en-Champagne", "chalons en champagne"),
        ("Saint\u00a0Denis", "saint denis"),
        ("ÎLE-D’YEU", "ile d yeu"),
        ("Straße", "strasse"),
        ("", ""),
    ],
)
def test_normalise_commune(name: str, expected: str) -> None:
    assert normalise_commune(name) == expected


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (("Saint-Étienne", None), ("SAINT ETIENNE", None), True),
        (("Saint-Étienne", "42218"), ("saint etienne", None), True),
        (("Saint-Étienne", "42218"), ("Ailleurs", "42218"), True),
        (("Saint-Denis", "93066"), ("Saint-Denis", "97411"), False),
        (("Lyon", None), ("Lyon 3e", None), False),
        ((None, None), ("Lyon", None), False),
        (("Lyon", " 69123 "), ("Villeurbanne", "69123"), True),
    ],
)
def test_same_commune(
    a: tuple[str | None, str | None], b: tuple[str | None, str | None], same: bool
) -> None:
    assert same_commune(a[0], a[1], b[0], b[1]) is same
    assert same_commune(b[0], b[1], a[0], a[1]) is same


def test_every_design_code_has_a_label_a_priority_and_a_switch() -> None:
    assert set(PRIORITY) == DESIGN_CODES == set(RULE_LABELS)
    assert set(RULE_FIELDS) == DESIGN_CODES - {"no_coordinates"}
    for code, field in RULE_FIELDS.items():
        assert getattr(lift(Rules(), code), field) in (False, None)
    assert lift(Rules(), "no_coordinates") == Rules()


@pytest.mark.parametrize(
    ("channel", "code", "expected"),
    [
        ("phone", "no_channel", "Aucun enquêteur disponible n’a la compétence « Appel »"),
        ("website", "no_channel", "Aucun enquêteur disponible n’a la compétence « Site internet »"),
        ("email", "capacity", "Capacité de tous les enquêteurs possibles atteinte"),
        ("visit", "visit_capacity", "Quota de visites de tous les enquêteurs possibles atteint"),
        ("visit", "availability", "Aucun enquêteur possible n’est disponible le 04/03/2025"),
        ("visit", "home_commune", "Les enquêteurs possibles habitent la commune du site (Vienne)"),
        (
            "letter",
            "remote_per_site",
            "Les enquêteurs possibles ont déjà 2 tests à distance de ce site dans la vague",
        ),
    ],
)
def test_reason_in_french(channel: str, code: str, expected: str) -> None:
    task = Task(1, "S", channel, date(2025, 3, 4), commune="Vienne")
    assert reason(task, code) == expected


def test_every_code_has_a_sentence() -> None:
    task = Task(1, "S", "visit", date(2025, 3, 4))
    sentences = {reason(task, code) for code in PRIORITY}
    assert len(sentences) == len(PRIORITY)
    assert all(s[0].isupper() for s in sentences)


def test_distance_matrix_agrees_with_geopy() -> None:
    rng = random.Random(3)
    sites = [(rng.uniform(41.3, 51.1), rng.uniform(-5.1, 9.6)) for _ in range(40)]
    homes = [(rng.uniform(41.3, 51.1), rng.uniform(-5.1, 9.6)) for _ in range(15)]
    homes.append(sites[0])  # zero distance
    matrix = distance_matrix(
        [s[0] for s in sites], [s[1] for s in sites], [h[0] for h in homes], [h[1] for h in homes]
    )
    expected = np.array([[geodesic(s, h).meters for h in homes] for s in sites])
    assert np.abs(matrix - expected).max() < 0.001
    assert matrix[0, -1] == 0


def test_nearly_antipodal_points_fall_back_to_geopy() -> None:
    matrix = distance_matrix([0.0], [0.0], [0.5], [179.7])
    assert matrix[0, 0] == pytest.approx(geodesic((0, 0), (0.5, 179.7)).meters, abs=0.001)


def test_masks_agree_with_the_ledger() -> None:
    """The vectorised load-independent checks say what ``Ledger.static_failures`` says."""
    rng = random.Random(11)
    days = [date(2025, 3, d) for d in range(3, 8)]
    names = [("Saint-Étienne", "42218"), ("SAINT ETIENNE", None), ("Vienne", "38544")]
    names += [("vienne", None), ("Lyon", None)]
    persons = [
        Person(
            i,
            45.0,
            4.0,
            *rng.choice(names),
            channels=frozenset(rng.sample(["visit", "phone", "email"], rng.randint(1, 3))),
            unavailable=frozenset(rng.sample(days, 2)),
            recent_sites=frozenset(rng.sample(["A", "B", "C"], 1)),
        )
        for i in range(30)
    ]
    for rules in (Rules(), Rules(channels=False, availability=False, lockout=False)):
        ledger, masks = Ledger(persons, rules), Masks(persons, rules)
        for _ in range(200):
            commune, insee = rng.choice([*names, ("Ailleurs", None), (None, None)])
            coordinates = rng.choice([(45.1, 4.1), (None, None)])
            task = Task(
                1,
                rng.choice("ABCD"),
                rng.choice(["visit", "phone"]),
                rng.choice(days),
                *coordinates,
                commune,
                insee,
            )
            expected = [not ledger.static_failures(task, i) for i in range(len(persons))]
            assert masks.allowed(task).tolist() == expected


def test_package_imports_no_web_or_database_module() -> None:
    code = (
        "import sys\n"
        "import server.services.assignment\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'flask', 'sqlalchemy', 'marshmallow', 'werkzeug', 'flask_sqlalchemy'})\n"
        "print(','.join(bad))\n"
    )
    root = Path(__file__).resolve().parents[3]
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert result.stdout.strip() == ""
