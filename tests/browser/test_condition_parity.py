"""The phone's skip logic (``server/static/js/conditions.js``) agrees with the server's.

The server sends each condition parsed (``visible_when`` in ``GET /api/v1/questionnaires/{id}``)
and the phone evaluates that tree; the server checks reports with ``survey_schemas``. Both are
run here, in a real Chromium, over seeded random answers to every shipped questionnaire (the
choices biased toward the values the conditions name, so every branch is taken), over random
expressions of the whole language, and over hand-written edge cases.
"""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flask.testing import FlaskClient

import survey_schemas
from server.models import Role
from survey_schemas import Question, Questionnaire, condition_tree, evaluate, parse_condition
from survey_schemas.conditions import Answered, Compare, Condition, In, Not

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CONDITIONS_JS = Path(__file__).resolve().parents[2] / "server/static/js/conditions.js"
SEED = 20_241_224
ANSWER_SETS = 300  #: per questionnaire: enough for every branch, a few ms in the browser
QUESTIONNAIRES = survey_schemas.shipped_questionnaires()
EMPTY_ANSWERS: tuple[Any, ...] = (None, "", [])  #: every spelling of "no answer" a draft may hold
#: the visible question ids for each answer set
VISIBLE_IDS = """(questions, sets) =>
    sets.map((answers) => BarometreConditions.visibleQuestionIds(questions, answers))"""
#: for each answer set, the truth of each condition tree
TRUTH_TABLE = """(trees, sets) =>
    sets.map((answers) => trees.map((tree) => BarometreConditions.evaluate(tree, answers)))"""

Answers = dict[str, Any]


@pytest.fixture(scope="module")
def conditions(browser: Browser) -> Iterator[Page]:
    """A blank page with ``window.BarometreConditions`` loaded."""
    page = browser.new_page()
    page.add_script_tag(path=str(CONDITIONS_JS))
    yield page
    page.close()


@pytest.fixture
def served_questions(
    client: FlaskClient, shipped_referentiels: None, token_for: Callable[..., dict[str, str]]
) -> dict[tuple[str, int], list[dict[str, Any]]]:
    """The questions of each stored questionnaire, as the API gives them to the phone."""
    headers = token_for(Role.INVESTIGATOR)
    listing = client.get("/api/v1/questionnaires?page_size=500", headers=headers)
    assert listing.status_code == 200, listing.json
    served = {}
    summaries: list[dict[str, Any]] = listing.json or []
    for summary in summaries:
        response = client.get(f"/api/v1/questionnaires/{summary['id']}", headers=headers)
        assert response.status_code == 200, response.json
        body: dict[str, Any] = response.json or {}
        served[(summary["code"], summary["version"])] = body["questions"]
    return served


def in_page(page: Page, function: str, *args: Any) -> Any:
    """``function(...args)`` in the page, the values passed as JSON text both ways: Playwright's
    own serialisation takes most of a second on a few hundred answer sets."""
    call = f"(payload) => JSON.stringify(({function})(...JSON.parse(payload)))"
    return json.loads(page.evaluate(call, json.dumps(args)))


# --- generated answers -------------------------------------------------------------------


def _literals(condition: Condition) -> Iterator[tuple[str, Any]]:
    """(question id, literal) for every comparison of the condition."""
    if isinstance(condition, Compare):
        yield condition.question, condition.value
    elif isinstance(condition, In):
        for value in condition.values:
            yield condition.question, value
    elif isinstance(condition, Not):
        yield from _literals(condition.operand)
    elif not isinstance(condition, Answered):
        for operand in condition.operands:
            yield from _literals(operand)


def named_literals(questionnaire: Questionnaire) -> dict[str, list[Any]]:
    """The values the questionnaire's conditions compare each question with."""
    named: dict[str, list[Any]] = {}
    for question in questionnaire.questions:
        if question.visible_if is not None:
            for question_id, value in _literals(question.visible_if):
                named.setdefault(question_id, []).append(value)
    return named


def _number(rng: random.Random, question: Question, hints: list[Any], *, whole: bool) -> Any:
    low = question.constraints.min
    high = question.constraints.max
    if low is None:
        low = -5 if question.type in ("integer", "decimal") else 0
    if high is None:
        high = 60
    numbers = [h for h in hints if isinstance(h, int | float) and not isinstance(h, bool)]
    if numbers and rng.random() < 0.6:  # on, just below or just above a threshold
        value = rng.choice(numbers) + rng.choice((-1, 0, 1)) * (1 if whole else 0.5)
    else:
        value = rng.uniform(low, high)
    value = min(max(value, low), high)
    return round(value) if whole else round(value, 1)


def _choices(rng: random.Random, question: Question, hints: list[Any]) -> list[str]:
    named = {h for h in hints if h in question.answer_values}
    exclusive = {choice.value for choice in question.choices if choice.exclusive}
    if exclusive and rng.random() < 0.15:
        return [rng.choice(sorted(exclusive))]
    ticked = {
        value
        for value in question.answer_values
        if value not in exclusive and rng.random() < (0.5 if value in named else 0.3)
    }
    return [value for value in question.answer_values if value in ticked]


def answer_for(rng: random.Random, question: Question, hints: list[Any]) -> Any:
    """A random canonical answer (survey_schemas/coerce.py) to one question."""
    kind = question.type
    if kind in ("yes_no", "yes_no_na", "single_choice"):
        named = [h for h in hints if h in question.answer_values]
        if named and rng.random() < 0.5:
            return rng.choice(named)
        return rng.choice(question.answer_values)
    if kind == "multiple_choice":
        return _choices(rng, question, hints)
    if kind in ("integer", "rings", "duration_minutes"):
        return _number(rng, question, hints, whole=True)
    if kind == "decimal":
        return _number(rng, question, hints, whole=False)
    day = date(2025, 1, 1) + timedelta(days=rng.randrange(400))
    clock = f"{rng.randrange(7, 20):02d}:{rng.randrange(60):02d}"
    if kind == "date":
        return day.isoformat()
    if kind == "time":
        return clock
    if kind == "datetime":
        return f"{day.isoformat()}T{clock}:00{rng.choice(('+01:00', '+02:00'))}"
    if kind == "photo":
        return [f"photo-{rng.randrange(1000)}" for _ in range(rng.randint(1, 3))]
    if kind == "position":
        latitude, longitude = round(rng.uniform(42, 51), 5), round(rng.uniform(-4, 8), 5)
        return {"latitude": latitude, "longitude": longitude}
    return rng.choice(["Accueil aimable.", "RAS", "oui", "non", "Très bien — à revoir"])


def answer_sets(questionnaire: Questionnaire, count: int = ANSWER_SETS) -> list[Answers]:
    """Seeded answer sets: each question answered, left out, or answered empty (null, "", [])."""
    rng = random.Random(f"{SEED}:{questionnaire.code}:{questionnaire.version}")
    hints = named_literals(questionnaire)
    sets = []
    for _ in range(count):
        answers: Answers = {}
        for question in questionnaire.questions:
            roll = rng.random()
            if roll < 0.12:
                continue
            if roll < 0.18:
                answers[question.id] = rng.choice(EMPTY_ANSWERS)
            else:
                answers[question.id] = answer_for(rng, question, hints.get(question.id, []))
        sets.append(answers)
    return sets


def cleaned(answers: Answers) -> Answers:
    """What ``evaluate`` is documented to read: the answers without the empty ones."""
    return {key: value for key, value in answers.items() if not survey_schemas.is_empty(value)}


def _first_differences(
    sets: list[Answers],
    expected: list[list[Any]],
    actual: list[list[Any]],
    conditions: list[str] | None = None,
    limit: int = 3,
) -> str:
    """The answer sets on which the two sides disagree, and how: the questions shown on one
    side only, or (with the ``conditions``' sources) the conditions of different truth."""
    lines = []
    for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
        if want == got:
            continue
        if conditions is None:
            how = (
                f"montrées par le serveur seul {[q for q in want if q not in got]}, "
                f"par le téléphone seul {[q for q in got if q not in want]}"
            )
        else:
            how = "; ".join(
                f"« {conditions[column]} » serveur {w}, téléphone {g}"
                for column, (w, g) in enumerate(zip(want, got, strict=True))
                if w != g
            )
        lines.append(f"jeu {index} : {how}\n    réponses {sets[index]!r}")
    return f"{len(lines)} désaccord(s) sur {len(sets)} jeux :\n" + "\n".join(lines[:limit])


# --- the shipped questionnaires ----------------------------------------------------------

by_questionnaire = pytest.mark.parametrize(
    "questionnaire", QUESTIONNAIRES, ids=[f"{q.code}-v{q.version}" for q in QUESTIONNAIRES]
)


@by_questionnaire
def test_api_sends_every_condition_as_its_parsed_tree(
    questionnaire: Questionnaire, served_questions: dict[tuple[str, int], list[dict[str, Any]]]
) -> None:
    served = served_questions[questionnaire.key]

    assert [q["id"] for q in served] == [q.id for q in questionnaire.questions]
    for question, sent in zip(questionnaire.questions, served, strict=True):
        want = None if question.visible_if is None else condition_tree(question.visible_if)
        assert sent["visible_when"] == want, question.id


@by_questionnaire
def test_phone_shows_the_questions_the_server_expects(
    questionnaire: Questionnaire,
    served_questions: dict[tuple[str, int], list[dict[str, Any]]],
    conditions: Page,
) -> None:
    sets = answer_sets(questionnaire)
    expected = [survey_schemas.visible_question_ids(questionnaire, answers) for answers in sets]

    actual = in_page(conditions, VISIBLE_IDS, served_questions[questionnaire.key], sets)

    assert actual == expected, _first_differences(sets, expected, actual)
    conditional = [q.id for q in questionnaire.questions if q.visible_if is not None]
    shown_sometimes = {qid for visible in expected for qid in visible}
    hidden_sometimes = {qid for visible in expected for qid in conditional if qid not in visible}
    assert set(conditional) <= shown_sometimes, "question conditionnelle jamais montrée"
    assert set(conditional) <= hidden_sometimes, "question conditionnelle jamais masquée"


@by_questionnaire
def test_each_condition_has_the_same_truth_on_phone_and_server(
    questionnaire: Questionnaire,
    served_questions: dict[tuple[str, int], list[dict[str, Any]]],
    conditions: Page,
) -> None:
    conditional = [(q, q.visible_if) for q in questionnaire.questions if q.visible_if is not None]
    trees = [q["visible_when"] for q in served_questions[questionnaire.key] if q["visible_when"]]
    sets = [cleaned(answers) for answers in answer_sets(questionnaire)]
    expected = [[evaluate(condition, answers) for _, condition in conditional] for answers in sets]

    actual = in_page(conditions, TRUTH_TABLE, trees, sets)

    sources = [q.visible_if_source or "" for q, _ in conditional]
    assert actual == expected, _first_differences(sets, expected, actual, sources)
    for column, (question, _) in enumerate(conditional):
        outcomes = {row[column] for row in expected}
        assert outcomes == {True, False}, (
            f"« {question.visible_if_source} » ({question.id}) vaut toujours {outcomes} : "
            "les réponses générées n’exercent pas cette condition"
        )


# --- the whole language, on random expressions --------------------------------------------

#: question id → (possible answers, literals worth comparing it with)
SYNTHETIC: dict[str, tuple[list[Any], list[Any]]] = {
    "yn": (["oui", "non", "na"], ["oui", "non", "na", 1]),
    "choix": (["a", "b", "c"], ["a", "b", "c", "z", 0]),
    "coches": ([[], ["a"], ["b"], ["a", "c"], ["a", "b", "c"]], ["a", "b", "c", 2]),
    "entier": ([0, 1, 2, 3, 5, 8, -1], [0, 2, 3, 5, 2.5, "3"]),
    "decimal": ([0.5, 1.0, 2.25, 3.5, -0.5], [1, 2.25, 3, 0.5, "1"]),
    "texte": (["", "B", "a", "abc", "b"], ["a", "b", "abc", 0]),
}
OPERATORS = ("=", "!=", "<", "<=", ">", ">=")


def _quote(value: Any) -> str:
    return (
        '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if isinstance(value, str)
        else repr(value)
    )


Pool = dict[str, tuple[list[Any], list[Any]]]


def random_expression(rng: random.Random, pool: Pool = SYNTHETIC, depth: int = 0) -> str:
    """A random ``visible_if`` over the pool's questions, of every construct of the grammar."""
    roll = rng.random()
    if depth < 3 and roll < 0.35:
        joiner = rng.choice((" and ", " or "))
        parts = [random_expression(rng, pool, depth + 1) for _ in range(rng.randint(2, 3))]
        return "(" + joiner.join(parts) + ")"
    if depth < 3 and roll < 0.45:
        return "not " + random_expression(rng, pool, depth + 1)
    question = rng.choice(sorted(pool))
    literals = pool[question][1]
    if roll < 0.55:
        return f"answered({question})"
    if roll < 0.7:
        picked = rng.sample(literals, rng.randint(1, min(3, len(literals))))
        return f"{question} in [{', '.join(_quote(v) for v in picked)}]"
    return f"{question} {rng.choice(OPERATORS)} {_quote(rng.choice(literals))}"


def random_answers(rng: random.Random, pool: Pool = SYNTHETIC, *, empties: bool = False) -> Answers:
    """Answers to most of the pool's questions; with ``empties``, some are null, "" or []."""
    answers: Answers = {}
    for question, (values, _literals) in pool.items():
        roll = rng.random()
        if roll < 0.2:
            continue
        if empties and roll < 0.3:
            answers[question] = rng.choice(EMPTY_ANSWERS)
        else:
            answers[question] = rng.choice(values)
    return answers


def random_questionnaire(rng: random.Random, follow_ups: int = 30) -> tuple[Questionnaire, Pool]:
    """SYNTHETIC's questions, then yes/no follow-ups whose random conditions read any earlier
    question (follow-ups included, so hidden questions hide others in turn)."""
    pool: Pool = dict(SYNTHETIC)
    questions = [Question(id=qid, type="text", label=qid) for qid in SYNTHETIC]
    for number in range(1, follow_ups + 1):
        source = random_expression(rng, pool)
        qid = f"suite{number}"
        questions.append(
            Question(
                id=qid,
                type="yes_no",
                label=qid,
                visible_if=parse_condition(source),
                visible_if_source=source,
            )
        )
        pool[qid] = (["oui", "non"], ["oui", "non"])
    return dataclasses.replace(QUESTIONNAIRES[0], questions=tuple(questions)), pool


def as_served(questionnaire: Questionnaire) -> list[dict[str, Any]]:
    """The part of the API's questions the phone's skip logic reads."""
    return [
        {"id": q.id, "visible_when": None if q.visible_if is None else condition_tree(q.visible_if)}
        for q in questionnaire.questions
    ]


def test_random_expressions_have_the_same_truth_on_phone_and_server(conditions: Page) -> None:
    rng = random.Random(SEED)
    sources = [random_expression(rng) for _ in range(400)]
    parsed = [parse_condition(source) for source in sources]
    sets = [random_answers(rng) for _ in range(40)]
    expected = [[evaluate(condition, answers) for condition in parsed] for answers in sets]

    actual = in_page(conditions, TRUTH_TABLE, [condition_tree(c) for c in parsed], sets)

    assert actual == expected, _first_differences(sets, expected, actual, sources)
    outcomes = [{row[column] for row in expected} for column in range(len(sources))]
    both = sum(1 for seen in outcomes if seen == {True, False})
    assert both >= len(sources) // 2, "trop d’expressions de valeur constante"


def test_random_skip_logic_shows_the_same_questions_on_phone_and_server(conditions: Page) -> None:
    rng = random.Random(SEED + 1)
    questionnaire, pool = random_questionnaire(rng)
    sets = [random_answers(rng, pool, empties=True) for _ in range(300)]
    expected = [survey_schemas.visible_question_ids(questionnaire, answers) for answers in sets]

    actual = in_page(conditions, VISIBLE_IDS, as_served(questionnaire), sets)

    assert actual == expected, _first_differences(sets, expected, actual)
    counts = [sum(qid in visible for visible in expected) for qid in pool]
    assert sum(0 < count < len(sets) for count in counts) >= len(counts) // 2


# --- edge cases --------------------------------------------------------------------------

EDGE_CASES = [
    # a comparison with an unanswered question is false, != included
    ('a != "oui"', {}, False),
    ('a != "oui"', {"a": None}, False),
    ('a != "oui"', {"a": "non"}, True),
    ('a = "oui"', {}, False),
    ("n < 3", {}, False),
    ('a in ["oui", "non"]', {}, False),
    # on a multiple-choice answer, = means ticked, != answered and not ticked, in one ticked
    ('m = "x"', {"m": ["x", "y"]}, True),
    ('m = "x"', {"m": ["y"]}, False),
    ('m != "x"', {"m": ["y"]}, True),
    ('m != "x"', {"m": ["x"]}, False),
    ('m in ["x", "z"]', {"m": ["y", "z"]}, True),
    ('m in ["x", "z"]', {"m": ["y"]}, False),
    ('m > "a"', {"m": ["y"]}, False),
    # a number never equals a text, either way, and != is false too
    ('n = "5"', {"n": 5}, False),
    ('n != "5"', {"n": 5}, False),
    ("t = 5", {"t": "5"}, False),
    ("t != 5", {"t": "5"}, False),
    ('n in ["1", "2"]', {"n": 1}, False),
    # integers and decimals are one kind of number
    ("n = 5", {"n": 5.0}, True),
    ("n in [1, 2]", {"n": 2.0}, True),
    ("n >= 5.5", {"n": 6}, True),
    ("n <= -1", {"n": -1}, True),
    ("d < 2", {"d": 1.5}, True),
    ("d > 2", {"d": 2}, False),
    ('t < "b"', {"t": "a"}, True),
    ('t < "b"', {"t": "B"}, True),
    # answered()
    ("answered(a)", {"a": "non"}, True),
    ("answered(a)", {}, False),
    ("answered(a)", {"a": None}, False),
    ("not answered(a)", {}, True),
    # not / and / or, precedence and nesting
    ('not a = "oui"', {}, True),
    ('not not a = "oui"', {"a": "oui"}, True),
    ('not (a = "oui" or b = "oui")', {"a": "non", "b": "non"}, True),
    ('not (a = "oui" or b = "oui")', {"a": "non", "b": "oui"}, False),
    ('a = "oui" or b = "oui" and c = "x"', {"a": "non", "b": "oui", "c": "y"}, False),
    ('a = "oui" or b = "oui" and c = "x"', {"a": "oui", "b": "non"}, True),
    ('(a = "oui" or b = "oui") and c = "x"', {"a": "oui", "c": "y"}, False),
    ('a = "oui" and (b != "oui" or not c in ["x"])', {"a": "oui", "b": "oui", "c": "z"}, True),
    ('a = "oui" and (b != "oui" or not c in ["x"])', {"a": "oui", "b": "oui", "c": "x"}, False),
    ('not (a = "oui" and not (b = "non" or answered(c)))', {"a": "oui", "c": 0}, True),
    ('not (a = "oui" and not (b = "non" or answered(c)))', {"a": "oui"}, False),
]


@pytest.mark.parametrize(("source", "answers", "expected"), EDGE_CASES)
def test_edge_case_has_the_same_truth_on_phone_and_server(
    conditions: Page, source: str, answers: Answers, expected: bool
) -> None:
    condition = parse_condition(source)

    on_phone = conditions.evaluate(
        "([tree, answers]) => BarometreConditions.evaluate(tree, answers)",
        [condition_tree(condition), answers],
    )

    assert (evaluate(condition, answers), on_phone) == (expected, expected)


def test_answer_to_a_hidden_question_counts_as_none_on_both_sides(conditions: Page) -> None:
    conditions_by_id = {
        "a": None,
        "b": 'a = "oui"',
        "c": 'b = "oui"',  # b is hidden: its answer does not count
        "d": "not answered(b)",
    }
    questions = tuple(
        Question(
            id=qid,
            type="yes_no",
            label=qid,
            visible_if=None if source is None else parse_condition(source),
            visible_if_source=source,
        )
        for qid, source in conditions_by_id.items()
    )
    questionnaire = dataclasses.replace(QUESTIONNAIRES[0], questions=questions)
    answers = {"a": "non", "b": "oui", "c": "oui"}

    on_phone = conditions.evaluate(
        "([questions, answers]) => BarometreConditions.visibleQuestionIds(questions, answers)",
        [as_served(questionnaire), answers],
    )

    assert survey_schemas.visible_question_ids(questionnaire, answers) == ["a", "d"]
    assert on_phone == ["a", "d"]
