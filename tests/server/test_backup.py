"""``barometre backup FILE`` and ``barometre restore FILE``, on the suite's engine (SQLite, then
PostgreSQL in the second pass): the same rows and the same files after a round trip, and a
damaged or foreign archive refused before anything is touched."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from server.app import create_app
from server.extensions import db
from server.models import Mission, Role
from server.services import mission_lifecycle, photos, reports
from tests.factories import Factory
from tests.server.services.test_results import Fieldwork


def _jpeg(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def world(
    app: Flask, factory: Factory, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A campaign with submitted and approved reports, two stored photos and a reply scan, in
    an upload folder of this test's own."""
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "instance" / "uploads"))
    fieldwork = Fieldwork(factory, session)
    campaign = fieldwork.campaign(2026, [("Préfecture", "Bretagne", 3), ("SIP", "Bretagne", 2)])
    wave = fieldwork.wave(campaign, {"visit": 1})
    missions = fieldwork.missions(wave)
    drafts = {m.id for m in missions[:2]}  # photos go to reports still being written

    def outcome(mission: Mission) -> str:
        if mission.id in drafts:
            return "skip"
        return "approve" if mission.id % 2 else "submit"

    fieldwork.play(wave, outcome, lambda m: 0.8)
    uploads = Path(app.config["UPLOAD_FOLDER"])
    for index, mission in enumerate(missions[:2]):
        mission_lifecycle.assign(session, mission, fieldwork.investigator, actor=None)
        draft = reports.ReportPayload(client_id=str(uuid.uuid4()), answers={})
        reports.save_draft(session, mission, draft, actor=fieldwork.investigator)
        photos.store_photo(
            session,
            mission,
            _jpeg((40 * index, 90, 200)),
            folder=uploads,
            actor=fieldwork.investigator,
            question_id="photo_accueil",
        )
    (uploads / "replies").mkdir(parents=True, exist_ok=True)
    (uploads / "replies" / "courrier-1.pdf").write_bytes(b"%PDF-1.4 reply scan\n")
    session.commit()
    return uploads


def _rows() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order, as plain tuples."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            query = select(table).order_by(*table.primary_key.columns)
            rows[table.name] = [tuple(r) for r in connection.execute(query)]
        rows["alembic_version"] = [
            tuple(r) for r in connection.execute(text("SELECT version_num FROM alembic_version"))
        ]
    return rows


def _files(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _backup(runner: Any, target: Path, *extra: str) -> Any:
    db.session.remove()  # the CLI must not wait on a transaction this test left open
    return runner.invoke(args=["backup", str(target), *extra])


def _restore(runner: Any, source: Path) -> Any:
    db.session.remove()
    return runner.invoke(args=["restore", str(source), "--yes"])


@pytest.mark.parametrize("name", ["barometre.tar", "barometre.tar.gz"])
def test_round_trip_gives_back_the_same_rows_and_files(
    runner: Any, world: Path, tmp_path: Path, factory: Factory, name: str
) -> None:
    rows, files = _rows(), _files(world)
    assert rows["photos"]
    assert len(files) == 3
    target = tmp_path / name

    made = _backup(runner, target)
    assert made.exit_code == 0, made.output
    assert "Sauvegarde écrite" in made.output
    assert "3 fichiers déposés" in made.output

    # What happens after the backup, and must be undone by the restore.
    factory.user(Role.ANALYST, email="arrivee-apres@exemple.fr")
    db.session.execute(text("DELETE FROM review_comments"))
    db.session.execute(
        text("UPDATE missions SET status = 'cancelled' WHERE id = :id"),
        {"id": db.session.scalars(select(Mission.id)).first()},
    )
    db.session.commit()
    (world / "replies" / "courrier-1.pdf").write_bytes(b"changed")
    (world / "stray.txt").write_text("added later")
    next(p for p in world.rglob("*.jpg")).unlink()
    assert _rows() != rows
    assert _files(world) != files

    done = _restore(runner, target)
    assert done.exit_code == 0, done.output
    assert "Restauration terminée" in done.output
    assert _rows() == rows
    assert _files(world) == files
    kept_aside = [p for p in world.parent.iterdir() if ".avant-restauration-" in p.name]
    assert any((p / "stray.txt").exists() for p in kept_aside), "the replaced files are kept"


def test_the_manifest_counts_the_rows_and_checks_every_file(
    runner: Any, world: Path, tmp_path: Path
) -> None:
    target = tmp_path / "b.tar"
    assert _backup(runner, target).exit_code == 0
    with tarfile.open(target) as archive:
        names = archive.getnames()
        manifest = json.loads(archive.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert manifest["format"] == "barometre-backup"
    assert manifest["engine"] == db.engine.url.get_backend_name()
    assert manifest["tables"]["reports"] == len(_rows()["reports"]) > 0
    assert manifest["revision"] == _rows()["alembic_version"][0][0]
    uploaded = sorted(n for n in names if n.startswith("uploads/"))
    assert uploaded == sorted(f"uploads/{p}" for p in _files(world))
    for name in uploaded:
        digest = hashlib.sha256((world / name.removeprefix("uploads/")).read_bytes()).hexdigest()
        assert manifest["members"][name]["sha256"] == digest


def test_an_existing_file_is_kept_unless_forced(runner: Any, world: Path, tmp_path: Path) -> None:
    target = tmp_path / "b.tar"
    target.write_bytes(b"precious")
    refused = _backup(runner, target)
    assert refused.exit_code != 0
    assert "existe déjà" in refused.output
    assert target.read_bytes() == b"precious"
    assert _backup(runner, target, "--force").exit_code == 0
    assert tarfile.is_tarfile(target)


def _rewrite(source: Path, target: Path, change: Any) -> None:
    """Copy the archive member by member, letting ``change(name, data)`` alter each one."""
    with tarfile.open(source) as old, tarfile.open(target, "w") as new:
        for member in old:
            data = old.extractfile(member).read()  # type: ignore[union-attr]
            data = change(member.name, data)
            if data is None:
                continue
            member.size = len(data)
            new.addfile(member, io.BytesIO(data))


def _tamper_photo(name: str, data: bytes) -> bytes:
    return data[:-4] + b"XXXX" if name.endswith(".jpg") else data


def _foreign_engine(name: str, data: bytes) -> bytes:
    if name != "manifest.json":
        return data
    manifest = json.loads(data)
    manifest["engine"] = "postgresql" if manifest["engine"] == "sqlite" else "sqlite"
    return json.dumps(manifest).encode()


def _drop_photo(name: str, data: bytes) -> bytes | None:
    return None if name.endswith(".jpg") else data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_tamper_photo, "ne correspond pas"),
        (_foreign_engine, "ne se restaure que dans une base"),
        (_drop_photo, "Sauvegarde incomplète"),
    ],
)
def test_a_damaged_or_foreign_archive_changes_nothing(
    runner: Any, world: Path, tmp_path: Path, change: Any, message: str
) -> None:
    good = tmp_path / "good.tar"
    assert _backup(runner, good).exit_code == 0
    bad = tmp_path / "bad.tar"
    _rewrite(good, bad, change)
    rows, files = _rows(), _files(world)

    refused = _restore(runner, bad)
    assert refused.exit_code != 0
    assert message in refused.output
    assert _rows() == rows
    assert _files(world) == files
    assert not [p for p in world.parent.iterdir() if ".restauration-" in p.name]


@pytest.mark.parametrize("content", [b"not a tar at all", b""])
def test_a_file_that_is_no_backup_is_refused(
    runner: Any, world: Path, tmp_path: Path, content: bytes
) -> None:
    source = tmp_path / "photo.jpg"
    source.write_bytes(content)
    rows = _rows()
    refused = _restore(runner, source)
    assert refused.exit_code != 0
    assert "n’est pas une sauvegarde du Baromètre" in refused.output
    assert _rows() == rows


def test_an_archive_reaching_outside_is_refused(runner: Any, world: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.tar"
    assert _backup(runner, good).exit_code == 0

    def escape(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["members"]["../evil.txt"] = {
            "size": 4,
            "sha256": hashlib.sha256(b"evil").hexdigest(),
        }
        return json.dumps(manifest).encode()

    bad = tmp_path / "bad.tar"
    _rewrite(good, bad, escape)
    with tarfile.open(bad, "a") as archive:
        info = tarfile.TarInfo("../evil.txt")
        info.size = 4
        archive.addfile(info, io.BytesIO(b"evil"))
    rows = _rows()
    refused = _restore(runner, bad)
    assert refused.exit_code != 0
    assert not (world.parent / "evil.txt").exists()
    assert _rows() == rows


def test_restore_asks_before_replacing(runner: Any, world: Path, tmp_path: Path) -> None:
    target = tmp_path / "b.tar"
    assert _backup(runner, target).exit_code == 0
    db.session.remove()
    refused = runner.invoke(args=["restore", str(target)], input="")
    assert refused.exit_code != 0
    assert "--yes" in refused.output


@pytest.fixture
def empty_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A brand-new, empty database on the suite's engine: the machine a backup is restored to."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'new-machine.sqlite3'}"
        return
    name = f"barometre_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_a_backup_restores_onto_a_new_machine(
    runner: Any, world: Path, tmp_path: Path, empty_database: str
) -> None:
    rows, files = _rows(), _files(world)
    target = tmp_path / "b.tar.gz"
    assert _backup(runner, target).exit_code == 0

    fresh = create_app(
        {
            "ENV_PROFILE": "testing",
            "SQLALCHEMY_DATABASE_URI": empty_database,
            "UPLOAD_FOLDER": str(tmp_path / "new-machine" / "uploads"),
        }
    )
    # The CLI runs in the current app context: this test's own is the old machine's.
    with fresh.app_context():
        done = fresh.test_cli_runner().invoke(args=["restore", str(target), "--yes"])
        assert done.exit_code == 0, done.output
        assert _rows() == rows
        db.engine.dispose()
    assert _files(tmp_path / "new-machine" / "uploads") == files
