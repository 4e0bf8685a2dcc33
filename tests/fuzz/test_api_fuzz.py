"""The whole API fuzzed by schemathesis, once per role, on a seeded world (issue 12).

Every operation of ``/api/v1/openapi.json`` gets generated requests, valid ones and invalid
ones, sent in-process (WSGI) with a bearer token of the role; path ids are drawn from the
seeded objects (or an unknown one, or one schemathesis generates), so requests reach real
campaigns, missions and reports, not only 404s.
Each answer must be:

- no 5xx;
- a status the operation documents explicitly (``default`` does not count), a content type
  it documents, a body and headers matching the documented schema;
- a 4xx for a request that breaks the schema (schemathesis's ``negative_data_rejection``).

The run is bounded and derandomized (same cases on every run and on both engines):
``FUZZ_EXAMPLES`` valid and half as many invalid cases per operation and role (default 4, about
1,600 cases in all). The figures (operations, cases, statuses, failures per role) are printed
even without ``-s``, for the closing notes. A long run, locally::

    FUZZ_EXAMPLES=200 .venv/bin/python -m pytest -p no:cacheprovider -q -s tests/fuzz

Writes made by the generated requests change the world as the run goes (a wave closed, a
draw replaced), always in the same order; each role's test starts from the seeded world again
(the suite empties the tables after each test).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session

from server.models import Role
from tests.factories import Factory
from tests.fuzz.world import UNKNOWN_ID, World, build_world

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
#: Signing out revokes the token the run uses: that operation gets a token of its own.
SIGN_OUT = "DELETE /api/v1/auth/token"


@dataclass
class Tally:
    """What a role's run saw, printed for the closing note."""

    operations: int = 0
    cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def summary(self, role: Role) -> str:
        server_errors = sum(n for status, n in self.statuses.items() if status >= 500)
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items()))
        return (
            f"fuzz {role.value}: {self.operations} operations, {self.cases} cases, "
            f"{server_errors} 5xx, "
            f"{len(self.failures)} failures; statuses {statuses}"
        )


@pytest.fixture
def world(app: Flask, factory: Factory, session: Session) -> World:
    return build_world(factory, session, Path(app.config["UPLOAD_FOLDER"]))


def _operations(schema: Any) -> Iterator[Any]:
    for result in schema.get_all_operations():
        yield result.ok()


def _path_ids(operation: Any, world: World) -> st.SearchStrategy[dict[str, int]]:
    """Seeded ids, one unknown id, or (``None``, dropped) one schemathesis generates, for
    each path parameter of the operation."""
    names = [p.name for p in operation.path_parameters]
    choices = st.fixed_dictionaries(
        {name: st.sampled_from([*world.ids.get(name, []), UNKNOWN_ID, None]) for name in names}
    )
    return choices.map(lambda ids: {k: v for k, v in ids.items() if v is not None})


def _strategy(operation: Any, world: World, mode: GenerationMode) -> st.SearchStrategy[Case]:
    return _path_ids(operation, world).flatmap(
        lambda ids: operation.as_strategy(mode, path_parameters=ids or None)
    )


def _explicitly_documented(case: Case, status: int) -> str | None:
    """The status is one the operation lists, not only its catch-all ``default``."""
    responses = case.operation.definition.raw.get("responses", {})
    if str(status) in responses or f"{str(status)[0]}XX" in responses:
        return None
    return f"{status} not documented (documented: {sorted(responses)})"


def _only_tolerated_negations(case: Case) -> bool:
    """The case breaks the schema only by adding unknown query parameters, which the API
    ignores on purpose (a cache-busting ``?_=…`` must not break a list), or by dropping the
    ``Authorization`` header, whose 401 is checked by the other checks and by
    ``tests/server/api/test_authorise_first.py``."""
    mutations = getattr(case.meta.phase.data, "mutations", ()) if case.meta else ()
    return bool(mutations) and all(
        (
            m.parameter_location is ParameterLocation.QUERY
            and m.keywords == ("additionalProperties",)
        )
        or (m.parameter_location is ParameterLocation.HEADER and m.parameter == "Authorization")
        for m in mutations
    )


def _headline(failure: BaseException) -> str:
    """The failure's title and first lines, enough to find the cause."""
    lines = [line.strip() for line in str(failure).splitlines() if line.strip()]
    return f"{type(failure).__name__}: {' | '.join(lines[:8])}"[:700]


def _fuzz_operation(
    operation: Any, world: World, session: Session, role: Role, tally: Tally
) -> None:
    token = world.token(session, role)
    session.commit()

    def send(case: Case, mode: GenerationMode) -> None:
        bearer = token
        if operation.label == SIGN_OUT:
            bearer = world.token(session, role)
            session.commit()
        tally.cases += 1
        try:
            response = case.call(headers={"Authorization": f"Bearer {bearer}"}, buffered=True)
        except Exception as error:  # TESTING propagates what would be a 500
            tally.statuses[500] += 1
            tally.failures.append(
                f"{role.value} {mode.value} {case.method} {case.formatted_path} -> 500: "
                f"{_headline(error)} | {case.as_curl_command()}"
            )
            session.rollback()
            return
        tally.statuses[response.status_code] += 1
        problems = []
        checks = CHECKS
        if mode is GenerationMode.NEGATIVE and not _only_tolerated_negations(case):
            checks = [*CHECKS, negative_data_rejection]
        try:
            case.validate_response(response, checks=checks)
        except AssertionError as failure:
            problems.append(_headline(failure))
        except BaseExceptionGroup as group:  # several checks failed on one answer
            problems.extend(_headline(failure) for failure in group.exceptions)
        undocumented = _explicitly_documented(case, response.status_code)
        if undocumented:
            problems.append(undocumented)
        for problem in problems:
            tally.failures.append(
                f"{role.value} {mode.value} {case.method} {case.formatted_path} "
                f"-> {response.status_code}: {problem}"
            )

    for mode, count in (
        (GenerationMode.POSITIVE, EXAMPLES),
        (GenerationMode.NEGATIVE, EXAMPLES // 2),
    ):
        if count:
            _run(_strategy(operation, world, mode), count, lambda case, mode=mode: send(case, mode))
        session.rollback()


def _run(strategy: st.SearchStrategy[Case], count: int, send: Callable[[Case], None]) -> None:
    """``count`` derandomized cases of ``strategy``; no shrinking (failures are collected, not
    raised, so there is nothing to shrink) and no example database (same cases every run)."""

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Case) -> None:
        send(case)

    run()


@pytest.mark.parametrize("role", [Role.ADMIN, Role.COORDINATOR, Role.ANALYST, Role.INVESTIGATOR])
def test_fuzz_every_operation_as(
    role: Role, app: Flask, world: World, session: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    tally = Tally()
    for operation in _operations(schema):
        tally.operations += 1
        _fuzz_operation(operation, world, session, role, tally)
    with capsys.disabled():
        print(f"\n{tally.summary(role)}")
    assert tally.failures == [], "\n".join(tally.failures[:40])
    # The run reached the views, not only the token check: every role reads something.
    assert sum(n for status, n in tally.statuses.items() if status < 300) > tally.operations / 2
