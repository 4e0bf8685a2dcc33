"""The ``visible_if`` language: a small, safe expression language for skip logic.

Grammar (keywords are lower case; a question reference is a question id)::

    expr     := and_expr ("or" and_expr)*
    and_expr := not_expr ("and" not_expr)*
    not_expr := "not" not_expr | primary
    primary  := "(" expr ")" | "answered" "(" ID ")" | ID op literal
              | ID "in" "[" literal ("," literal)* "]"
    op       := "=" | "!=" | "<" | "<=" | ">" | ">="
    literal  := "text in double or single quotes" | number

It is parsed by hand rather than with ``eval`` or ``ast`` so that a coordinator's expression can
never run code, and so that errors point at a position in French. Meaning, chosen to match what
XLSForm's ``relevant`` does with an empty answer: a comparison with an unanswered (or hidden)
question is false, ``!=`` included; on a multiple-choice question ``=`` means "this choice is
ticked" and ``in`` "one of these is ticked".
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from survey_schemas.errors import ConditionSyntaxError

Literal_: TypeAlias = str | int | float
COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
KEYWORDS = frozenset({"and", "or", "not", "in", "answered"})
MAX_LENGTH = 1000  #: longer expressions are refused outright: skip logic is never that long
MAX_DEPTH = 40  #: nesting limit, so a hostile expression cannot exhaust the stack


@dataclass(frozen=True)
class Compare:
    """``question op literal``."""

    question: str
    op: str
    value: Literal_


@dataclass(frozen=True)
class In:
    """``question in [literal, …]``."""

    question: str
    values: tuple[Literal_, ...]


@dataclass(frozen=True)
class Answered:
    """``answered(question)``: the question has a (non-empty) answer."""

    question: str


@dataclass(frozen=True)
class Not:
    operand: Condition


@dataclass(frozen=True)
class And:
    operands: tuple[Condition, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Condition, ...]


Condition: TypeAlias = Compare | In | Answered | Not | And | Or


@dataclass(frozen=True)
class Token:
    kind: str  # "id", "kw", "str", "num", "op", "(", ")", "[", "]", ",", "end"
    value: Any
    position: int  # 1-based


_TOKEN_RE = re.compile(
    r"""
    (?P<space>\s+)
    |(?P<num>-?\d+(?:\.\d+)?)
    |(?P<id>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<op><=|>=|!=|=|<|>)
    |(?P<punct>[()\[\],])
    |(?P<quote>["'])
    """,
    re.VERBOSE,
)


def _read_string(text: str, start: int) -> tuple[str, int]:
    """Read a quoted string starting at ``text[start]``; backslash escapes the next character."""
    quote = text[start]
    chars: list[str] = []
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            chars.append(text[index + 1])
            index += 2
            continue
        if char == quote:
            return "".join(chars), index + 1
        chars.append(char)
        index += 1
    raise ConditionSyntaxError("texte entre guillemets non terminé", start + 1)


def tokenize(text: str) -> Iterator[Token]:
    """Split an expression into tokens; an unexpected character raises with its position."""
    index = 0
    while index < len(text):
        match = _TOKEN_RE.match(text, index)
        if match is None:
            raise ConditionSyntaxError(f"caractère inattendu « {text[index]} »", index + 1)
        kind = match.lastgroup
        position = index + 1
        if kind == "quote":
            value, index = _read_string(text, index)
            yield Token("str", value, position)
            continue
        index = match.end()
        lexeme = match.group()
        if kind == "num":
            yield Token("num", float(lexeme) if "." in lexeme else int(lexeme), position)
        elif kind == "id":
            yield Token("kw" if lexeme in KEYWORDS else "id", lexeme, position)
        elif kind == "op":
            yield Token("op", lexeme, position)
        elif kind == "punct":
            yield Token(lexeme, lexeme, position)
    yield Token("end", None, len(text) + 1)


def _describe(token: Token) -> str:
    if token.kind == "end":
        return "la fin de l’expression"
    if token.kind == "str":
        return f"le texte « {token.value} »"
    return f"« {token.value} »"


class _Parser:
    """Recursive-descent parser over the token list (one method per grammar rule)."""

    def __init__(self, text: str) -> None:
        self.tokens = list(tokenize(text))
        self.index = 0
        self.depth = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def expect(self, kind: str, what: str) -> Token:
        token = self.current
        if token.kind != kind:
            raise ConditionSyntaxError(f"{what} attendu, trouvé {_describe(token)}", token.position)
        return self.advance()

    def is_keyword(self, word: str) -> bool:
        return self.current.kind == "kw" and self.current.value == word

    def parse(self) -> Condition:
        if self.current.kind == "end":
            raise ConditionSyntaxError("expression vide", 1)
        node = self.expr()
        if self.current.kind != "end":
            raise ConditionSyntaxError(
                f"« and » ou « or » attendu, trouvé {_describe(self.current)}",
                self.current.position,
            )
        return node

    def expr(self) -> Condition:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ConditionSyntaxError("expression trop imbriquée", self.current.position)
        operands = [self.and_expr()]
        while self.is_keyword("or"):
            self.advance()
            operands.append(self.and_expr())
        self.depth -= 1
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def and_expr(self) -> Condition:
        operands = [self.not_expr()]
        while self.is_keyword("and"):
            self.advance()
            operands.append(self.not_expr())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def not_expr(self) -> Condition:
        if self.is_keyword("not"):
            self.advance()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise ConditionSyntaxError("expression trop imbriquée", self.current.position)
            operand = self.not_expr()
            self.depth -= 1
            return Not(operand)
        return self.primary()

    def primary(self) -> Condition:
        token = self.current
        if token.kind == "(":
            self.advance()
            node = self.expr()
            self.expect(")", "« ) »")
            return node
        if self.is_keyword("answered"):
            self.advance()
            self.expect("(", "« ( » après answered")
            name = self.expect("id", "un identifiant de question")
            self.expect(")", "« ) »")
            return Answered(name.value)
        if token.kind != "id":
            raise ConditionSyntaxError(
                f"identifiant de question, « not » ou « ( » attendu, trouvé {_describe(token)}",
                token.position,
            )
        self.advance()
        if self.is_keyword("in"):
            self.advance()
            return In(token.value, self.literal_list())
        if self.current.kind != "op":
            raise ConditionSyntaxError(
                f"opérateur de comparaison ou « in » attendu après « {token.value} », "
                f"trouvé {_describe(self.current)}",
                self.current.position,
            )
        op = self.advance().value
        return Compare(token.value, op, self.literal())

    def literal(self) -> Literal_:
        token = self.current
        if token.kind not in ("str", "num"):
            raise ConditionSyntaxError(
                f"valeur (texte entre guillemets ou nombre) attendue, trouvé {_describe(token)}",
                token.position,
            )
        self.advance()
        value: Literal_ = token.value
        return value

    def literal_list(self) -> tuple[Literal_, ...]:
        self.expect("[", "« [ » après in")
        values = [self.literal()]
        while self.current.kind == ",":
            self.advance()
            values.append(self.literal())
        self.expect("]", "« , » ou « ] »")
        return tuple(values)


def parse_condition(text: str) -> Condition:
    """Parse a ``visible_if`` expression; raise ConditionSyntaxError pointing at the fault."""
    if len(text) > MAX_LENGTH:
        raise ConditionSyntaxError(f"expression trop longue (plus de {MAX_LENGTH} caractères)", 1)
    return _Parser(text).parse()


def references(condition: Condition) -> list[str]:
    """Question ids the condition reads, in order of appearance, without repeats."""
    found: dict[str, None] = {}

    def walk(node: Condition) -> None:
        if isinstance(node, Compare | In | Answered):
            found[node.question] = None
        elif isinstance(node, Not):
            walk(node.operand)
        else:
            for operand in node.operands:
                walk(operand)

    walk(condition)
    return list(found)


def condition_tree(condition: Condition) -> dict[str, Any]:
    """The parsed condition as JSON, for the phone's evaluator (``server/static/js/conditions.js``).

    Node shapes: ``{"op": "compare", "question", "cmp", "value"}``, ``{"op": "in", "question",
    "values"}``, ``{"op": "answered", "question"}``, ``{"op": "not", "operand"}`` and ``{"op":
    "and" | "or", "operands"}``. The phone evaluates this tree rather than the source text, so
    the language is parsed in one place only (here).
    """
    if isinstance(condition, Compare):
        return {
            "op": "compare",
            "question": condition.question,
            "cmp": condition.op,
            "value": condition.value,
        }
    if isinstance(condition, In):
        return {"op": "in", "question": condition.question, "values": list(condition.values)}
    if isinstance(condition, Answered):
        return {"op": "answered", "question": condition.question}
    if isinstance(condition, Not):
        return {"op": "not", "operand": condition_tree(condition.operand)}
    kind = "and" if isinstance(condition, And) else "or"
    return {"op": kind, "operands": [condition_tree(operand) for operand in condition.operands]}


def _compare(answer: Any, op: str, value: Literal_) -> bool:
    if isinstance(answer, list):  # multiple choice: = ticked, != answered and not ticked
        if op == "=":
            return value in answer
        if op == "!=":
            return value not in answer
        return False
    if isinstance(value, str) != isinstance(answer, str):
        return False
    ordered: dict[str, bool] = {
        "=": answer == value,
        "!=": answer != value,
        "<": answer < value,
        "<=": answer <= value,
        ">": answer > value,
        ">=": answer >= value,
    }
    return ordered[op]


def evaluate(condition: Condition, answers: Mapping[str, Any]) -> bool:
    """Truth of the condition on cleaned answers (see :func:`survey_schemas.clean_answers`).

    A question absent from ``answers`` is unanswered: every comparison on it is false.
    """
    if isinstance(condition, Answered):
        return answers.get(condition.question) is not None
    if isinstance(condition, Compare | In):
        answer = answers.get(condition.question)
        if answer is None:
            return False
        if isinstance(condition, In):
            if isinstance(answer, list):
                return any(value in answer for value in condition.values)
            return answer in condition.values
        return _compare(answer, condition.op, condition.value)
    if isinstance(condition, Not):
        return not evaluate(condition.operand, answers)
    if isinstance(condition, And):
        return all(evaluate(operand, answers) for operand in condition.operands)
    return any(evaluate(operand, answers) for operand in condition.operands)
