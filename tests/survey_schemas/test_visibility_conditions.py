"""The visible_if language: parsing, errors with positions, evaluation."""

from __future__ import annotations

import pytest

from survey_schemas import ConditionSyntaxError, evaluate, parse_condition, references
from survey_schemas.conditions import And, Answered, Compare, In, Not, Or


def test_parses_comparison_and_conjunction() -> None:
    condition = parse_condition('e08_decroche = "oui" and e08_sonneries <= 5')
    assert condition == And(
        (Compare("e08_decroche", "=", "oui"), Compare("e08_sonneries", "<=", 5))
    )


def test_and_binds_tighter_than_or() -> None:
    condition = parse_condition("a = 1 or b = 2 and c = 3")
    assert condition == Or(
        (Compare("a", "=", 1), And((Compare("b", "=", 2), Compare("c", "=", 3))))
    )


def test_parses_not_in_answered_and_parentheses() -> None:
    condition = parse_condition("not (a in ['x', 'y'] or answered(b))")
    assert condition == Not(Or((In("a", ("x", "y")), Answered("b"))))


def test_parses_decimal_and_negative_numbers() -> None:
    assert parse_condition("a > -2.5") == Compare("a", ">", -2.5)


def test_string_escapes_are_read() -> None:
    assert parse_condition(r'a = "dit \"oui\""') == Compare("a", "=", 'dit "oui"')


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("", 1, "expression vide"),
        ('a = "oui" and', 14, "fin de l’expression"),
        ("a == 1", 4, "valeur"),
        ("a 1", 3, "opérateur de comparaison"),
        ('a = "oui', 5, "non terminé"),
        ("a = 1 b = 2", 7, "« and » ou « or » attendu"),
        ("(a = 1", 7, "« ) »"),
        ("a = 1 ; drop", 7, "caractère inattendu « ; »"),
        ("a in [1,", 9, "valeur"),
        ("answered a", 10, "« ( » après answered"),
        ("a = b", 5, "valeur"),
        ("__import__('os') = 1", 11, "opérateur de comparaison"),
    ],
)
def test_malformed_condition_points_at_position(text: str, position: int, fragment: str) -> None:
    with pytest.raises(ConditionSyntaxError) as info:
        parse_condition(text)
    assert info.value.position == position
    assert fragment in str(info.value)


def test_too_deep_nesting_is_refused() -> None:
    with pytest.raises(ConditionSyntaxError, match="imbriquée"):
        parse_condition("(" * 60 + "a = 1" + ")" * 60)


def test_too_long_expression_is_refused() -> None:
    with pytest.raises(ConditionSyntaxError, match="trop longue"):
        parse_condition(" or ".join(["a = 1"] * 300))


def test_references_are_listed_once_in_order() -> None:
    assert references(parse_condition("b = 1 or (a = 2 and not answered(b))")) == ["b", "a"]


@pytest.mark.parametrize(
    ("text", "answers", "expected"),
    [
        ('a = "oui"', {"a": "oui"}, True),
        ('a = "oui"', {"a": "non"}, False),
        ('a = "oui"', {}, False),
        ('a != "oui"', {"a": "non"}, True),
        ('a != "oui"', {}, False),
        ('not a = "oui"', {}, True),
        ("n <= 5", {"n": 5}, True),
        ("n < 5", {"n": 5}, False),
        ("n >= 2.5", {"n": 3}, True),
        ('n = "5"', {"n": 5}, False),
        ('a in ["x", "y"]', {"a": "y"}, True),
        ('a in ["x", "y"]', {"a": "z"}, False),
        ('m = "x"', {"m": ["x", "z"]}, True),
        ('m != "x"', {"m": ["z"]}, True),
        ('m in ["y", "z"]', {"m": ["x", "z"]}, True),
        ("answered(a)", {"a": "non"}, True),
        ("answered(a)", {}, False),
        ('a = "oui" or n > 3', {"n": 4}, True),
    ],
)
def test_evaluate(text: str, answers: dict[str, object], expected: bool) -> None:
    assert evaluate(parse_condition(text), answers) is expected
