"""Hostile frame and investigator files through the real upload paths (API, page, CLI): each
is refused whole with a French message that says what to do, and nothing is stored."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sampling import file_guards
from server.models import Site, User
from tests.server.hostile import files
from tests.server.hostile.conftest import (
    Login,
    count,
    nothing_stored,
    page_text,
    post_file,
    post_page_form,
)

GIGABYTE = 1 << 30
NOT_A_WORKBOOK = "n'est pas un classeur Excel (.xlsx) valide"
INVESTIGATORS_HEADER = "courriel;nom;commune;latitude;longitude;capacite"


def _many_members() -> bytes:
    members = files.members_of(files.frame_workbook())
    members.update({f"xl/media/image{n}.png": b"" for n in range(1_500)})
    return files.zip_archive(members)


def _declared_huge() -> bytes:
    """A small honest workbook whose central directory declares its sheet at 3.9 GB."""
    members = files.members_of(files.frame_workbook())
    return files.zip_archive(members, declared={"xl/worksheets/sheet1.xml": 3_900_000_000})


#: (file, status, what the message says): every one refused before anything is inflated.
HOSTILE_WORKBOOKS = [
    pytest.param(
        lambda: files.sheet_bomb(GIGABYTE),
        413,
        "se décompresse en 1024 Mo, au-delà de la limite de 200 Mo",
        id="sheet-inflating-to-1-GB",
    ),
    pytest.param(_declared_huge, 413, "se décompresse en 3719 Mo", id="declared-3.9-GB"),
    pytest.param(_many_members, 413, "contient 1\u202f509 éléments", id="1509-members"),
    pytest.param(
        lambda: files.xml_bomb_workbook(files.billion_laughs(), "xl/worksheets/sheet1.xml"),
        422,
        "déclarations XML interdites (DTD ou entités, dans « xl/worksheets/sheet1.xml »)",
        id="billion-laughs",
    ),
    pytest.param(
        lambda: files.xml_bomb_workbook(
            files.external_entity(Path("/etc/passwd")), "xl/workbook.xml"
        ),
        422,
        "déclarations XML interdites",
        id="external-entity",
    ),
    pytest.param(
        # The DTD pushed past the guard's first 4 KB: defusedxml, under openpyxl, refuses it.
        lambda: files.xml_bomb_workbook(
            files.billion_laughs(padding=8_000), "xl/worksheets/sheet1.xml"
        ),
        422,
        NOT_A_WORKBOOK,
        id="billion-laughs-behind-a-comment",
    ),
]


def _url(campaign_id: int) -> str:
    return f"/api/v1/campaigns/{campaign_id}/sites/import"


@pytest.mark.parametrize(("build", "status", "message"), HOSTILE_WORKBOOKS)
def test_a_hostile_workbook_is_refused_through_the_api(
    app: Flask,
    client: FlaskClient,
    coordinator: dict[str, str],
    campaign_id: int,
    build: Callable[[], bytes],
    status: int,
    message: str,
) -> None:
    response = post_file(client, _url(campaign_id), build(), "base.xlsx", coordinator)
    assert response.status_code == status, response.json
    assert message in response.json["message"]
    assert nothing_stored(app)


@pytest.mark.parametrize(("build", "status", "message"), HOSTILE_WORKBOOKS[:4])
def test_a_hostile_workbook_is_refused_on_the_frame_page(
    app: Flask,
    login_as: Login,
    campaign_id: int,
    build: Callable[[], bytes],
    status: int,
    message: str,
) -> None:
    browser, _ = login_as("coordinator")
    url = f"/coordination/campagnes/{campaign_id}/base"
    response = post_page_form(browser, url, "file", build(), "base.xlsx")
    assert response.status_code == status
    assert message in page_text(response)
    assert nothing_stored(app)


def test_a_nested_archive_is_never_opened_and_the_sites_are_read(
    app: Flask, client: FlaskClient, coordinator: dict[str, str], campaign_id: int
) -> None:
    """An embedded object that is itself a bomb (150 MB declared) is carried, never inflated:
    the workbook's own sites are imported."""
    inner = files.zip_archive({}, {"bomb.xml": files.deflate_bomb(b"", 150 << 20, b"")})
    members = files.members_of(files.frame_workbook())
    members["xl/embeddings/oleObject1.bin"] = inner
    response = post_file(
        client, _url(campaign_id), files.zip_archive(members), "base.xlsx", coordinator
    )
    assert response.status_code == 200, response.json
    assert response.json["imported"] == 2
    assert count(app, Site) == 2


def test_a_member_inflating_beyond_its_declared_size_is_refused_as_damaged(
    app: Flask, client: FlaskClient, coordinator: dict[str, str], campaign_id: int
) -> None:
    """A liar declaring its 200 MB sheet at 2 KB: zipfile stops at the declared size, so the
    read fails on the checksum instead of inflating."""
    members = files.members_of(files.frame_workbook())
    sheet = members.pop("xl/worksheets/sheet1.xml")
    head, _, tail = sheet.partition(b"Site 1</t>")
    bomb = files.deflate_bomb(head, 200 << 20, b"</t>" + tail)
    hostile = files.zip_archive(
        members, {"xl/worksheets/sheet1.xml": bomb}, declared={"xl/worksheets/sheet1.xml": 2048}
    )
    response = post_file(client, _url(campaign_id), hostile, "base.xlsx", coordinator)
    assert response.status_code == 422, response.json
    assert NOT_A_WORKBOOK in response.json["message"]
    assert nothing_stored(app)


def test_a_csv_of_a_million_lines_is_refused_naming_the_limit(
    app: Flask, client: FlaskClient, coordinator: dict[str, str], campaign_id: int, tmp_path: Path
) -> None:
    data = files.csv_lines(tmp_path / "base.csv", 1_000_000).read_bytes()
    assert len(data) < app.config["MAX_CONTENT_LENGTH"]  # refused for its lines, not its bytes
    response = post_file(client, _url(campaign_id), data, "base.csv", coordinator)
    assert response.status_code == 413, response.json
    assert response.json["message"].startswith("Le fichier compte plus de 200\u202f000 lignes")
    assert "découpez-le" in response.json["message"]
    assert nothing_stored(app)


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_a_file_at_the_line_limit_is_imported_and_one_line_more_is_refused(
    app: Flask,
    client: FlaskClient,
    coordinator: dict[str, str],
    campaign_id: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    extension: str,
) -> None:
    """The limit counts the header: ``MAX_LINES`` lines pass, one more is refused whole (the
    limit is lowered to 50 here, so as not to import 200,000 sites)."""
    monkeypatch.setattr(file_guards, "MAX_LINES", 50)

    def frame(lines: int) -> bytes:
        if extension == "xlsx":
            return files.frame_workbook(rows=lines - 1)
        return files.csv_lines(tmp_path / "base.csv", lines).read_bytes()

    over = post_file(client, _url(campaign_id), frame(51), f"base.{extension}", coordinator)
    assert over.status_code == 413, over.json
    assert over.json["message"].startswith("Le fichier compte plus de 50 lignes")
    assert nothing_stored(app)
    at = post_file(client, _url(campaign_id), frame(50), f"base.{extension}", coordinator)
    assert at.status_code == 200, at.json
    assert at.json["imported"] == 49


def test_a_csv_with_a_10_mb_field_names_its_line_and_column(
    app: Flask, client: FlaskClient, coordinator: dict[str, str], campaign_id: int
) -> None:
    response = post_file(
        client, _url(campaign_id), files.csv_long_field(10 << 20), "base.csv", coordinator
    )
    assert response.status_code == 422, response.json
    assert response.json["message"].startswith(
        "Ligne 3, colonne 2 (« name ») : le champ dépasse 131\u202f072 caractères."
    )
    assert nothing_stored(app)


def test_the_frame_page_refuses_a_million_lines_and_a_long_field(
    app: Flask, login_as: Login, campaign_id: int, tmp_path: Path
) -> None:
    browser, _ = login_as("coordinator")
    url = f"/coordination/campagnes/{campaign_id}/base"
    lines = post_page_form(
        browser, url, "file", files.csv_lines(tmp_path / "b.csv", 1_000_000).read_bytes(), "b.csv"
    )
    assert lines.status_code == 413
    assert "Le fichier compte plus de 200\u202f000 lignes" in page_text(lines)
    field = post_page_form(browser, url, "file", files.csv_long_field(10 << 20), "b.csv")
    assert field.status_code == 422
    assert "Ligne 3, colonne 2 (« name ») : le champ dépasse" in page_text(field)
    assert nothing_stored(app)


def _investigators_long_field() -> bytes:
    return (
        f"{INVESTIGATORS_HEADER}\nlea@example.fr;Léa;Rennes;48,1;-1,6;5\n"
        f'marc@example.fr;"{"m" * (10 << 20)}";Rennes;48,1;-1,6;5\n'
    ).encode()


@pytest.mark.parametrize(
    ("build", "name", "status", "message"),
    [
        pytest.param(
            lambda: files.sheet_bomb(GIGABYTE),
            "e.xlsx",
            413,
            "se décompresse en 1024 Mo",
            id="zip-bomb",
        ),
        pytest.param(
            lambda: files.xml_bomb_workbook(files.billion_laughs(), "xl/worksheets/sheet1.xml"),
            "e.xlsx",
            422,
            "déclarations XML interdites",
            id="billion-laughs",
        ),
        pytest.param(
            _investigators_long_field,
            "e.csv",
            422,
            "Ligne 3, colonne 2 (« nom ») : le champ dépasse",
            id="long-field",
        ),
    ],
)
def test_the_investigators_import_refuses_hostile_files_through_api_and_page(
    app: Flask,
    client: FlaskClient,
    coordinator: dict[str, str],
    login_as: Login,
    build: Callable[[], bytes],
    name: str,
    status: int,
    message: str,
) -> None:
    users_before = count(app, User)  # the coordinator
    response = post_file(client, "/api/v1/investigators/import", build(), name, coordinator)
    assert response.status_code == status, response.json
    assert message in response.json["message"]
    browser, _ = login_as("coordinator")
    page = post_page_form(browser, "/coordination/enqueteurs/import", "file", build(), name)
    assert page.status_code == status
    assert message in page_text(page)
    assert nothing_stored(app)
    assert count(app, User) == users_before + 1  # 2nd login


def test_the_investigators_import_refuses_a_million_lines(
    app: Flask, client: FlaskClient, coordinator: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "e.csv"
    with path.open("w", encoding="utf-8") as stream:
        stream.write(INVESTIGATORS_HEADER + "\n")
        stream.writelines(f"e{n};;;;;\n" for n in range(999_999))
    response = post_file(
        client, "/api/v1/investigators/import", path.read_bytes(), "e.csv", coordinator
    )
    assert response.status_code == 413, response.json
    assert "Le fichier compte plus de 200\u202f000 lignes" in response.json["message"]
    assert nothing_stored(app)


def test_the_cli_refuses_a_zip_bomb(
    app: Flask, runner: Any, campaign_id: int, tmp_path: Path
) -> None:
    path = tmp_path / "base.xlsx"
    path.write_bytes(files.sheet_bomb(GIGABYTE))
    result = runner.invoke(args=["frame", "import", str(path), "--campaign", str(campaign_id)])
    assert result.exit_code == 1
    assert "se décompresse en 1024 Mo, au-delà de la limite de 200 Mo" in result.output
    assert nothing_stored(app)


def test_the_cli_refuses_a_million_lines_and_a_long_field(
    app: Flask, runner: Any, campaign_id: int, tmp_path: Path
) -> None:
    lines = files.csv_lines(tmp_path / "lines.csv", 1_000_000)
    result = runner.invoke(args=["frame", "import", str(lines), "--campaign", str(campaign_id)])
    assert result.exit_code == 1
    assert "Le fichier compte plus de 200\u202f000 lignes" in result.output
    field = tmp_path / "field.csv"
    field.write_bytes(files.csv_long_field(10 << 20))
    result = runner.invoke(args=["frame", "import", str(field), "--campaign", str(campaign_id)])
    assert result.exit_code == 1
    assert "Ligne 3, colonne 2 (« name »)" in result.output
    assert nothing_stored(app)


def test_the_zip_bombs_are_real() -> None:
    """The 1 GB bomb is about 1 MB on disk and declares its true size; the same construction
    at 64 MB is inflated here (in 16 MB pieces, never whole) and gives all it declares. (Not
    the 1 GB one itself: 15 s of CPU, shared by the whole suite.)"""
    bomb = files.sheet_bomb(GIGABYTE)
    assert len(bomb) < 1_100_000
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        assert archive.getinfo("xl/worksheets/sheet1.xml").file_size > GIGABYTE
    small = files.sheet_bomb(64 << 20)
    with (
        zipfile.ZipFile(io.BytesIO(small)) as archive,
        archive.open("xl/worksheets/sheet1.xml") as sheet,
    ):
        declared = archive.getinfo("xl/worksheets/sheet1.xml").file_size
        inflated, last = 0, b""
        while piece := sheet.read(16 << 20):
            inflated, last = inflated + len(piece), piece
    assert inflated == declared > 64 << 20
    assert last.endswith(b"</worksheet>")


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["frame", "import", "/dev/zero", "--campaign"], id="frame"),
        pytest.param(["investigators", "import", "/dev/zero"], id="investigators"),
    ],
)
def test_the_cli_reads_no_more_than_the_limit_of_an_endless_file(
    app: Flask, runner: Any, campaign_id: int, command: list[str]
) -> None:
    """``/dev/zero`` says it holds 0 bytes and never ends: it is read up to the limit only."""
    args = [*command, str(campaign_id)] if command[0] == "frame" else command
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    assert "au-delà de la limite de 20,0 Mo" in result.output
    assert nothing_stored(app)
