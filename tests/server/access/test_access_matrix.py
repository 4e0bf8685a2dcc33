"""The access matrix (issue 12): every route of the URL map, API and pages, for every role,
on the caller's own object and on another investigator's.

- anonymous: 401 on the API, sent to the login page on pages;
- a role the route's guard does not let in: 403;
- an investigator on another investigator's mission, report or photo: 404, never 403;
- the right role on its objects: neither 401, 403 nor 404;
- no answer is a 5xx, and every API refusal is the JSON error ``{code, message, errors}``;
- a refused write changes no row of any table and no stored file, and no response to the
  first investigator holds a byte of the other's report, reply, photo, name or email.

Each test prints how many cases it checked (``pytest -s`` shows them).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from server.models import Role
from tests.factories import Factory
from tests.server.access.matrix import ROLES, Case, Matrix, build_matrix, differences, snapshot
from tests.server.access.routes import PUBLIC, Route, is_public, public_routes, walk
from tests.server.access.world import OWNED, SHARED, build

#: Parameters the matrix knows how to fill (world.World.parameters); any other fails.
KNOWN = OWNED | SHARED
#: Routes that end the caller's credentials: run last, so they cannot hide later cases.
ENDS_CREDENTIALS = {("DELETE", "/api/v1/auth/token")}


@pytest.fixture
def matrix(app: Flask, factory: Factory, session: Session) -> Iterator[Matrix]:
    world = build(factory, session, Path(app.config["UPLOAD_FOLDER"]))
    built = build_matrix(app, world)
    yield built
    print(f"\naccess matrix: {built.checked} cases checked")


def test_every_route_is_guarded_or_public_and_its_parameters_are_known(app: Flask) -> None:
    routes, unguarded = walk(app)
    assert unguarded == [], "add a guard (api_roles / page_roles) or list the route in PUBLIC"
    unparsed = [r.rule for r in routes if r.rule.count("<") != len(r.parameters)]
    assert unparsed == [], "teach routes.PARAMETER these converters"
    unknown = sorted({(r.rule, p) for r in routes for p in r.parameters if p not in KNOWN})
    assert unknown == [], "teach the matrix these parameters (world.World.parameters)"
    public = public_routes(app)
    guarded_public = [(r.method, r.rule) for r in routes if is_public(r.method, r.rule)]
    assert guarded_public == [], "a guarded route is listed as public"
    stale = sorted(
        (method, rule)
        for method, rule in PUBLIC
        if not any(rule == r and method in ("*", m) for m, r in public)
    )
    assert stale == [], "these public routes are gone: take them out of PUBLIC"
    print(f"\naccess matrix: {len(routes)} guarded routes, {len(public)} public")


def _refused(matrix: Matrix, role: Role | None, case: Case, failures: list[str]) -> TestResponse:
    """Call a refused ``case``; the investigator's answer must hold nothing of another's."""
    response = matrix.call(role, case)
    if role == Role.INVESTIGATOR and (leaked := matrix.leaks(response)):
        failures.append(f"{role}: {case} leaked {leaked}")
    return response


def _unchanged(matrix: Matrix, role: Role | None, route: Route, failures: list[str]) -> None:
    """After every refused call of a writing ``route``: every table and file as it was
    (compared with the state after the previous route, taken again only when it changed).
    Once per route rather than per call: a snapshot reads every row of every table."""
    if not route.writes:
        return
    after = snapshot(matrix.app)
    changed = differences(matrix.state, after)
    if changed:
        failures.append(f"{role}: {route.method} {route.rule} changed {changed}")
        matrix.state = after


def test_anonymous_is_401_on_the_api_and_sent_to_login_on_pages(matrix: Matrix) -> None:
    failures: list[str] = []
    for route in matrix.routes:
        for case in matrix.cases(route):
            response = _refused(matrix, None, case, failures)
            status = response.status_code
            if route.api and status != 401:
                failures.append(f"anonymous: {case} is {status}, not 401")
            location = response.headers.get("Location", "")
            if not route.api and (status != 302 or not location.startswith("/login")):
                failures.append(f"anonymous: {case} is {status} to {location!r}")
        _unchanged(matrix, None, route, failures)
    assert not failures + matrix.broken, "\n".join(failures + matrix.broken)


def test_a_role_the_guard_does_not_let_in_gets_403_and_changes_nothing(matrix: Matrix) -> None:
    failures: list[str] = []
    for role in ROLES:
        for route in matrix.routes:
            if route.lets_in(role):
                continue
            for case in matrix.cases(route):
                status = _refused(matrix, role, case, failures).status_code
                if status != 403:
                    failures.append(f"{role.value}: {case} is {status}, not 403")
            _unchanged(matrix, role, route, failures)
    assert not failures + matrix.broken, "\n".join(failures + matrix.broken)


def _owner_only(route: Route) -> bool:
    """An act only the mission's investigator may do (write their report, send its photos):
    the guard lets admins in, but for them too the mission is not theirs."""
    return (
        route.writes
        and route.roles == (Role.INVESTIGATOR,)
        and bool(OWNED.intersection(route.parameters))
    )


def test_another_investigators_mission_report_or_photo_is_404_and_nothing_of_it_leaks(
    matrix: Matrix,
) -> None:
    """The investigator on the other's objects; an admin on the investigator's own acts."""
    failures: list[str] = []
    for role, route in [(Role.INVESTIGATOR, r) for r in matrix.routes] + [
        (Role.ADMIN, r) for r in matrix.routes if _owner_only(r)
    ]:
        if not route.lets_in(role):
            continue
        for case in matrix.cases(route):
            if role == Role.INVESTIGATOR and case.whose != "other":
                continue
            status = _refused(matrix, role, case, failures).status_code
            if status != 404:
                failures.append(f"{role.value}: {case} is {status}, not 404")
        _unchanged(matrix, role, route, failures)
    assert not failures + matrix.broken, "\n".join(failures + matrix.broken)


def test_the_right_role_reaches_its_own_objects(matrix: Matrix) -> None:
    """Reads first, then writes (investigator first: a coordinator's writes close the wave),
    and the routes that end a credential last; the investigator never gets the other's data,
    not even on the mission the other began and handed over."""
    failures: list[str] = []
    plan = [
        (role, case)
        for stage in ("reads", "writes", "ends")
        for role in ROLES
        for route in matrix.routes
        if route.lets_in(role)
        and _stage(route.method, route.rule, route.writes) == stage
        and not (role == Role.ADMIN and _owner_only(route))
        for case in matrix.cases(route, handed=True)
        if not (role == Role.INVESTIGATOR and case.whose == "other")
    ]
    for role, case in plan:
        response = matrix.call(role, case)
        if response.status_code in (401, 403) or (
            response.status_code == 404 and not _absent_part(case)
        ):
            message = (response.get_json(silent=True) or {}).get("message", "")
            failures.append(f"{role.value}: {case} is {response.status_code} {message}")
        if role == Role.INVESTIGATOR and (leaked := matrix.leaks(response)):
            failures.append(f"investigator: {case} leaked {leaked}")
    assert not failures + matrix.broken, "\n".join(failures + matrix.broken)


def _absent_part(case: Case) -> bool:
    """The handed-over mission has no report or reply scan of its new investigator yet: a 404
    on those is "nothing here", not a refusal (the mission itself must answer)."""
    return case.whose == "handed" and not case.route.rule.endswith("mission_id>")


def _stage(method: str, rule: str, writes: bool) -> str:
    if (method, rule) in ENDS_CREDENTIALS:
        return "ends"
    return "writes" if writes else "reads"
