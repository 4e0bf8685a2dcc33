"""Importing investigators from a CSV or XLSX file: lines checked, good ones written together."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import AuditEvent, MissionStatus, Role, User
from server.services import accounts, investigators
from server.services.errors import AuthenticationFailed, Invalid
from server.services.investigator_import import import_investigators
from tests.factories import PASSWORD, Factory

MAX = 20 * 1024 * 1024
HEADER = (
    "Courriel;Nom;Commune;Code INSEE;Latitude;Longitude;Capacité;Visites max;Canaux;"
    "Indisponibilités;Actif"
)


def csv_file(*lines: str, encoding: str = "cp1252") -> bytes:
    return "\r\n".join([HEADER, *lines]).encode(encoding)


def run(session: Session, data: bytes, filename: str = "enqueteurs.csv") -> Any:
    return import_investigators(session, data, filename, actor=None, max_bytes=MAX)


def people(session: Session) -> dict[str, User]:
    return {u.email: u for u in investigators.list_investigators(session)}


def test_good_lines_become_investigators_with_french_channels_and_date_ranges(
    session: Session,
) -> None:
    outcome = run(
        session,
        csv_file(
            "ines@example.fr;Inès Moreau;Rennes;35238;48,1113;-1,68;30;10;Visite, appel;"
            "2026-03-02..2026-03-04, 2026-04-01;oui",
            "Paul@Example.fr;Paul Lefèvre;Bastia;2B033;42,70;9,45;12;0;phone;;",
        ),
    )
    assert (outcome.imported, outcome.updated, outcome.rejected) == (2, 0, [])
    found = people(session)
    ines = found["ines@example.fr"].investigator_profile
    assert (ines.home_commune, ines.home_insee, ines.home_latitude) == ("Rennes", "35238", 48.1113)
    assert (ines.capacity, ines.visit_capacity, ines.channels) == (30, 10, ["visit", "phone"])
    assert ines.unavailable_dates == ["2026-03-02", "2026-03-03", "2026-03-04", "2026-04-01"]
    paul = found["paul@example.fr"].investigator_profile
    assert (paul.home_insee, paul.visit_capacity, paul.channels) == ("2B033", 0, ["phone"])
    assert paul.unavailable_dates == []
    assert (outcome.encoding, outcome.delimiter) == ("cp1252", ";")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("visit;phone", ["visit", "phone"]),
        ("Site internet | Courriel", ["email", "website"]),
        ("COURRIER, visite, Téléphone", ["visit", "phone", "letter"]),
        ("e-mail; web", ["email", "website"]),
    ],
)
def test_channels_are_read_from_french_labels_or_codes(
    session: Session, text: str, expected: list[str]
) -> None:
    # Quoted: a channel list with commas inside a ;-separated file.
    run(session, csv_file(f'a@example.fr;A;Rennes;;48;-1;5;;"{text}";;'))
    assert people(session)["a@example.fr"].investigator_profile.channels == expected


#: Bad lines, and the French words their reason must hold (line 1 is the header).
BAD_LINES = [
    ("pas-une-adresse;A;Rennes;;48;-1;5;;;;", "Adresse électronique invalide"),
    (";A;Rennes;;48;-1;5;;;;", "Adresse électronique (courriel) vide"),
    ("b@example.fr;B;Rennes;;;-1;5;;;;", "Coordonnées du domicile obligatoires"),
    ("c@example.fr;C;Rennes;;91;-1;5;;;;", "Latitude hors de l’intervalle [-90, 90]"),
    ("d@example.fr;D;Rennes;;48;-181;5;;;;", "Longitude hors de l’intervalle"),
    ("e@example.fr;E;Rennes;;48;-1;0;;;;", "Capacité nulle refusée"),
    ("f@example.fr;F;Rennes;;48;-1;beaucoup;;;;", "Capacité invalide"),
    ("g@example.fr;G;Rennes;;48;-1;2,5;;;;", "n’est pas un nombre entier positif"),
    ("h@example.fr;H;Rennes;;48;-1;5;;visite, pigeon;;", "Canal inconnu : « pigeon »"),
    ("i@example.fr;I;Rennes;;48;-1;5;9;;;", "Le maximum de visites par vague (9) dépasse"),
    ("j@example.fr;J;Rennes;3X001;48;-1;5;;;;", "Code INSEE invalide"),
    ("k@example.fr;K;Rennes;;48;-1;5;;;2026-03-06..2026-03-02;", "à l’envers"),
    ("l@example.fr;L;Rennes;;48;-1;5;;;02/03/2026;", "Date d’indisponibilité invalide"),
    ("m@example.fr;M;Rennes;;48;-1;5;;;;peut-être", "oui ou non attendu"),
    ("n@example.fr;;Rennes;;48;-1;5;;;;", "Nom vide"),
    ("o@example.fr;O;;;48;-1;5;;;;", "Commune de résidence obligatoire"),
    ("p@example.fr;P;Rennes;;48;-1;5;;;;;en trop", "Nombre de champs incorrect"),
]


@pytest.mark.parametrize(("line", "reason"), BAD_LINES)
def test_a_bad_line_is_rejected_with_its_number_and_a_french_reason(
    session: Session, line: str, reason: str
) -> None:
    outcome = run(session, csv_file("ok@example.fr;Bon;Rennes;;48;-1;5;;;;", line))
    assert outcome.imported == 1
    assert [r.line for r in outcome.rejected] == [3]
    assert reason in outcome.rejected[0].reason
    assert set(people(session)) == {"ok@example.fr"}


def test_a_repeated_email_names_the_earlier_line(session: Session) -> None:
    outcome = run(
        session,
        csv_file(
            "a@example.fr;A;Rennes;;48;-1;5;;;;",
            "b@example.fr;B;Rennes;;48;-1;5;;;;",
            "A@EXAMPLE.FR;A bis;Rennes;;48;-1;5;;;;",
        ),
    )
    assert [(r.line, r.reason) for r in outcome.rejected] == [
        (4, "Adresse « a@example.fr » déjà présente ligne 2.")
    ]


def test_line_numbers_are_physical_lines(session: Session) -> None:
    outcome = run(
        session,
        csv_file(
            '"a@example.fr";"Anne\nsur deux lignes";Rennes;;48;-1;5;;;;',  # lines 2-3
            "",  # line 4, blank: skipped
            "b@example.fr;B;Rennes;;48;-1;0;;;;",  # line 5
        ),
    )
    assert [r.line for r in outcome.rejected] == [5]


def test_new_accounts_have_no_usable_password_and_are_listed(session: Session) -> None:
    outcome = run(session, csv_file("new@example.fr;Nouvelle;Rennes;;48;-1;5;;;;"))
    assert outcome.password_reset_needed == ["new@example.fr"]
    user = people(session)["new@example.fr"]
    assert user.role is Role.INVESTIGATOR
    for guess in ("", PASSWORD, user.password_hash):
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate(
                session, "new@example.fr", guess, policy=accounts.ThrottlePolicy()
            )


def test_a_known_email_updates_its_investigator_and_keeps_the_password(
    session: Session, factory: Factory
) -> None:
    known = factory.investigator(email="ines@example.fr", capacity=30, visit_capacity=10)
    hashed = known.password_hash
    outcome = run(session, csv_file("INES@example.fr;Inès Moreau;Brest;;48,39;-4,49;40;;;;"))
    assert (outcome.imported, outcome.updated, outcome.password_reset_needed) == (0, 1, [])
    profile = known.investigator_profile
    assert (known.name, profile.home_commune, profile.capacity) == ("Inès Moreau", "Brest", 40)
    assert profile.visit_capacity == 10  # an empty visites_max cell leaves it as it was
    assert known.password_hash == hashed
    update = session.scalar(select(AuditEvent).where(AuditEvent.action == "investigator.update"))
    assert update is not None
    assert update.details["before"]["home_commune"] == "Vitré"
    assert update.details["after"]["home_commune"] == "Brest"


def test_an_email_of_another_role_is_a_rejected_line(session: Session, factory: Factory) -> None:
    factory.user("coordinator", email="chef@example.fr")
    outcome = run(session, csv_file("chef@example.fr;Chef;Rennes;;48;-1;5;;;;"))
    assert outcome.imported == outcome.updated == 0
    assert "appartient à un compte « Coordination »" in outcome.rejected[0].reason
    assert (
        session.scalar(select(User).where(User.email == "chef@example.fr")).role is Role.COORDINATOR
    )


def test_actif_non_deactivates_and_releases_open_missions(
    session: Session, factory: Factory
) -> None:
    person = factory.investigator(email="ines@example.fr")
    mission = factory.mission(assignee_id=person.id, status=MissionStatus.ASSIGNED)
    outcome = run(session, csv_file("ines@example.fr;Inès;Vitré;;48,12;-1,21;100;20;;;non"))
    assert outcome.released_missions == [mission]
    assert (person.active, person.investigator_profile.active) == (False, False)
    assert (mission.status, mission.assignee_id) == (MissionStatus.UNASSIGNED, None)
    assert mission.reason == "Enquêteur désactivé : mission à réattribuer."


def test_reads_an_xlsx_with_numbers_and_date_cells(session: Session) -> None:
    from datetime import date

    book = Workbook()
    sheet: Any = book.active
    sheet.append(
        [
            "email",
            "name",
            "home_commune",
            "home_latitude",
            "home_longitude",
            "capacity",
            "unavailable",
            "code_insee",
        ]
    )
    sheet.append(["a@example.fr", "Anne", "Rennes", 48.11, -1.68, 25, date(2026, 3, 2), 1053])
    sheet.append([])
    sheet.append(["b@example.fr", "Bruno", "Lyon", 45.76, 4.83, 0])
    buffer = io.BytesIO()
    book.save(buffer)
    outcome = run(session, buffer.getvalue(), "enqueteurs.xlsx")
    assert outcome.imported == 1
    assert [r.line for r in outcome.rejected] == [4]
    profile = people(session)["a@example.fr"].investigator_profile
    assert (profile.capacity, profile.unavailable_dates) == (25, ["2026-03-02"])
    assert profile.home_insee == "01053"  # the leading zero a number cell lost
    assert (outcome.encoding, outcome.delimiter) == (None, None)


def user_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(User)) or 0)


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (
            b"email;nom;commune\r\na@example.fr;A;Rennes\r\n",
            "e.csv",
            "Colonnes obligatoires absentes",
        ),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20, "photo.png", "Impossible de lire"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "e.xls", "Excel 97-2003"),
        (b"pas un classeur", "e.xlsx", "n'est pas un classeur Excel"),
        (b"", "e.csv", "Le fichier est vide"),
        (HEADER.encode(), "e.csv", "que l’en-tête"),
    ],
)
def test_a_file_refused_whole_writes_nothing(
    session: Session, data: bytes, filename: str, message: str
) -> None:
    with pytest.raises(Invalid) as refused:
        run(session, data, filename)
    assert message in refused.value.message
    assert user_count(session) == 0


def test_missing_columns_are_named(session: Session) -> None:
    with pytest.raises(Invalid) as refused:
        run(session, b"courriel,nom,commune,capacite\na@example.fr,A,Rennes,5\n")
    assert "latitude (ou home_latitude), longitude (ou home_longitude)" in refused.value.message


def test_an_import_is_audited_with_its_counts(session: Session) -> None:
    run(session, csv_file("a@example.fr;A;Rennes;;48;-1;5;;;;", "b;B;Rennes;;48;-1;5;;;;"))
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "investigator.import"))
    assert event is not None
    assert (event.details["imported"], event.details["rejected"]) == (1, 1)


def test_a_line_with_several_problems_lists_them_all(session: Session) -> None:
    outcome = run(session, csv_file("pas-une-adresse;B;Brest;;;-4;0;;pigeon;;"))
    reason = outcome.rejected[0].reason
    for words in (
        "Adresse électronique invalide",
        "Canal inconnu : « pigeon »",
        "Coordonnées du domicile obligatoires",
        "Capacité nulle refusée",
    ):
        assert words in reason
    assert "au moins un canal" not in reason  # the unknown channel already says it
