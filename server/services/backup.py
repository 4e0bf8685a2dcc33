"""Backups: one archive holding the database and every uploaded file (photos, reply scans).

The archive is a tar file (gzip-compressed when its name ends in ``.gz`` or ``.tgz``):

- ``database.sqlite3`` or ``database.pgdump``: the engine's own consistent copy
  (``server.services.backup_database``);
- ``uploads/…``: the upload folder as it was;
- ``manifest.json``: format, engine, schema revision, date, rows per table, and the size and
  SHA-256 of every other member, so a restore can check the whole archive before it touches
  anything.

The database is copied first and the files after, so every photo row in the copy finds its file
(files are only ever added while the server runs). A restore checks the manifest and every
checksum, unpacks the files beside the upload folder, replaces the database all or nothing, then
swaps the folders; the previous upload folder is kept aside, never deleted, and its path is
returned.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from server.services import backup_database
from server.services.errors import Invalid

FORMAT = "barometre-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
UPLOADS = "uploads"
DATABASE_MEMBER = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Manifest:
    engine: str
    revision: str | None
    created_at: str
    tables: dict[str, int]
    #: Member name → (size in bytes, SHA-256), the database and every uploaded file.
    members: dict[str, tuple[int, str]]

    @property
    def upload_files(self) -> int:
        return sum(1 for name in self.members if name.startswith(UPLOADS + "/"))

    def as_json(self) -> bytes:
        body: dict[str, Any] = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "engine": self.engine,
            "revision": self.revision,
            "created_at": self.created_at,
            "tables": self.tables,
            "members": {name: {"size": s, "sha256": h} for name, (s, h) in self.members.items()},
        }
        return json.dumps(body, ensure_ascii=False, indent=1, sort_keys=True).encode()


@dataclass(frozen=True)
class Restored:
    manifest: Manifest
    #: Where the upload folder that was replaced now lives (None when there was none).
    previous_uploads: Path | None


def create_backup(engine: Engine, uploads: Path, target: Path, *, now: datetime) -> Manifest:
    """Write the archive to ``target`` through a temporary name (never half a file)."""
    engine_name = backup_database.engine_name(engine)
    partial = target.with_name(target.name + ".partiel")
    with tempfile.TemporaryDirectory(prefix="barometre-backup-") as work:
        database = Path(work) / DATABASE_MEMBER[engine_name]
        copy = backup_database.dump(engine, database)
        members: dict[str, tuple[int, str]] = {}
        try:
            with tarfile.open(partial, _write_mode(target)) as archive:
                members[database.name] = _add(archive, database, database.name)
                for path, name in _upload_files(uploads):
                    members[name] = _add(archive, path, name)
                manifest = Manifest(
                    engine=engine_name,
                    revision=copy.revision,
                    created_at=now.isoformat(),
                    tables=copy.tables,
                    members=members,
                )
                info = tarfile.TarInfo(MANIFEST)
                body = manifest.as_json()
                info.size = len(body)
                info.mtime = int(now.timestamp())
                archive.addfile(info, io.BytesIO(body))
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
    return manifest


def read_manifest(source: Path) -> Manifest:
    """The archive's manifest, or a clear refusal if the file is not one of our backups."""
    try:
        with tarfile.open(source, "r:*") as archive:
            member = archive.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            body = json.loads(member.read())
    except (tarfile.TarError, KeyError, json.JSONDecodeError, OSError):
        raise Invalid(f"« {source} » n’est pas une sauvegarde du Baromètre lisible.") from None
    if body.get("format") != FORMAT or not isinstance(body.get("members"), dict):
        raise Invalid(f"« {source} » n’est pas une sauvegarde du Baromètre.")
    if body.get("version") != FORMAT_VERSION:
        raise Invalid(
            f"Sauvegarde au format {body.get('version')} : cette version du Baromètre lit le "
            f"format {FORMAT_VERSION}."
        )
    return Manifest(
        engine=body["engine"],
        revision=body.get("revision"),
        created_at=body["created_at"],
        tables={str(k): int(v) for k, v in body["tables"].items()},
        members={n: (int(m["size"]), str(m["sha256"])) for n, m in body["members"].items()},
    )


def restore_backup(engine: Engine, uploads: Path, source: Path) -> Restored:
    """Replace the database and the upload folder by the archive's, after checking it all."""
    manifest = read_manifest(source)
    engine_name = backup_database.engine_name(engine)
    if manifest.engine != engine_name:
        raise Invalid(
            f"Cette sauvegarde vient d’une base {manifest.engine} : elle ne se restaure que "
            f"dans une base {manifest.engine} (la base configurée est {engine_name})."
        )
    uploads.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{uploads.name}.restauration-", dir=uploads.parent))
    try:
        _unpack_checked(source, manifest, staging)
        backup_database.load(engine, staging / DATABASE_MEMBER[engine_name])
        previous = _swap_uploads(uploads, staging / UPLOADS)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    counts = backup_database.row_counts(engine)
    differing = sorted(t for t, n in manifest.tables.items() if counts.get(t) != n)
    if differing:
        raise Invalid(
            "La base restaurée ne compte pas les lignes attendues (tables : "
            + ", ".join(differing)
            + ")."
        )
    return Restored(manifest=manifest, previous_uploads=previous)


def _write_mode(target: Path) -> str:
    return "w:gz" if target.name.endswith((".gz", ".tgz")) else "w"


def _upload_files(uploads: Path) -> Iterator[tuple[Path, str]]:
    if not uploads.is_dir():
        return
    for path in sorted(uploads.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path, f"{UPLOADS}/{path.relative_to(uploads).as_posix()}"


def _add(archive: tarfile.TarFile, path: Path, name: str) -> tuple[int, str]:
    checked = _digest(path)
    info = archive.gettarinfo(str(path), arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    with path.open("rb") as stream:
        archive.addfile(info, stream)
    return checked


def _unpack_checked(source: Path, manifest: Manifest, staging: Path) -> None:
    """Extract every member to ``staging`` and check it against the manifest, or refuse."""
    seen: set[str] = set()
    with tarfile.open(source, "r:*") as archive:
        for member in archive:
            if member.name == MANIFEST:
                continue
            expected = manifest.members.get(member.name)
            if expected is None or not member.isfile():
                raise Invalid(f"Sauvegarde altérée : « {member.name} » n’est pas au manifeste.")
            # The "data" filter refuses absolute paths, "..", links and device files.
            archive.extract(member, staging, filter="data")
            if _digest(staging / member.name) != expected:
                raise Invalid(f"Sauvegarde altérée : « {member.name} » ne correspond pas.")
            seen.add(member.name)
    missing = sorted(set(manifest.members) - seen)
    if missing:
        raise Invalid(f"Sauvegarde incomplète : il manque « {missing[0]} ».")


def _digest(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(_CHUNK), b""):
            digest.update(chunk)
    return path.stat().st_size, digest.hexdigest()


def _swap_uploads(uploads: Path, restored: Path) -> Path | None:
    previous = None
    if uploads.exists():
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        previous = uploads.with_name(f"{uploads.name}.avant-restauration-{stamp}")
        uploads.rename(previous)
    if restored.is_dir():
        restored.rename(uploads)
    else:
        uploads.mkdir(parents=True)
    return previous
