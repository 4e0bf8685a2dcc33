"""The cases of the access matrix, and what the database looked like around a write.

A case is one (route, role, object, way in): the object is the own or the other
investigator's when the route takes a mission, report or photo, else the one shared object.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask
from sqlalchemy import select
from werkzeug.test import TestResponse

from server.extensions import db
from server.models import Role
from tests.server.access.callers import Caller, anonymous, signed_in
from tests.server.access.routes import Route, walk
from tests.server.access.world import OWNED, World

ROLES = (Role.INVESTIGATOR, Role.ANALYST, Role.COORDINATOR, Role.ADMIN)
#: Every table's rows (as text), and every stored file with its size.
Snapshot = tuple[dict[str, list[tuple[str, ...]]], list[str]]


@dataclass(frozen=True)
class Case:
    route: Route
    whose: str
    via: str
    url: str

    def __str__(self) -> str:
        return f"{self.route.method} {self.url} ({self.whose}, {self.via})"


@dataclass
class Matrix:
    app: Flask
    world: World
    routes: list[Route]
    callers: dict[Role | None, Caller]
    #: The tables and files as the last refused write left them.
    state: Snapshot = field(default_factory=lambda: ({}, []))
    checked: int = 0
    #: Answers wrong whoever asks: a 5xx, an API refusal that is not ``{code, message, errors}``.
    broken: list[str] = field(default_factory=list)

    def cases(self, route: Route, *, handed: bool = False) -> Iterator[Case]:
        """The route's cases; ``handed`` adds the handed-over mission to routes that take one."""
        owned = OWNED.intersection(route.parameters)
        objects: tuple[str, ...] = ("own", "other") if owned else ("shared",)
        if handed and "mission_id" in owned:
            objects += ("handed",)
        for whose in objects:
            values = self.world.parameters("own" if whose == "shared" else whose)
            for via in ("token", "session") if route.api else ("session",):
                yield Case(route, whose, via, route.url(values))

    def call(self, role: Role | None, case: Case) -> TestResponse:
        self.checked += 1
        caller = self.callers[role]
        response = caller.call(case.route, case.url, case.via, self.world)
        response.get_data()  # buffered, so that a sent file is closed at once
        response.close()
        name = caller.name
        if response.status_code >= 500:
            self.broken.append(f"{name}: {case} is {response.status_code}")
        if case.route.api and response.status_code in (401, 403, 404):
            body = response.get_json(silent=True)
            if not isinstance(body, dict) or not {"code", "message", "errors"} <= set(body):
                self.broken.append(f"{name}: {case} refused without the JSON error: {body!r}")
        return response

    def leaks(self, response: TestResponse) -> list[str]:
        """Which of the other investigator's secrets the body holds (first 40 bytes of each)."""
        body = response.get_data()
        return [
            secret[:40].decode(errors="replace")
            for secret in self.world.other.secrets
            if secret in body
        ]


def build_matrix(app: Flask, world: World) -> Matrix:
    routes, unguarded = walk(app)
    assert unguarded == [], f"routes with no guard and not listed as public: {unguarded}"
    callers: dict[Role | None, Caller] = {None: anonymous(app)}
    for role, user in world.users().items():
        callers[role] = signed_in(app, user)
    return Matrix(app, world, routes, callers, snapshot(app))


def snapshot(app: Flask) -> Snapshot:
    """Every row of every table, and every stored file: what a refused write must leave."""
    tables: dict[str, list[tuple[str, ...]]] = {}
    with app.app_context(), db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            rows = connection.execute(select(table)).all()
            tables[table.name] = sorted(tuple(map(repr, row)) for row in rows)
    folder = Path(app.config["UPLOAD_FOLDER"])
    files = sorted(
        str(Path(root, name).relative_to(folder)) + f":{os.path.getsize(Path(root, name))}"
        for root, _dirs, names in os.walk(folder)
        for name in names
    )
    return tables, files


def differences(before: Snapshot, after: Snapshot) -> list[str]:
    changed = [name for name, rows in after[0].items() if rows != before[0].get(name)]
    if after[1] != before[1]:
        changed.append("files")
    return changed
