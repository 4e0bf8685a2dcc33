"""Semantic checks of a questionnaire document that a JSON Schema cannot express.

They run after the structural check, on the plain document, and return every problem found
(not just the first) so that a coordinator fixes an uploaded file in one pass.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from survey_schemas.conditions import (
    KEYWORDS,
    Answered,
    Compare,
    Condition,
    In,
    Not,
    parse_condition,
    references,
)
from survey_schemas.errors import ConditionSyntaxError
from survey_schemas.model import (
    CHOICE_TYPES,
    NOT_APPLICABLE,
    NUMERIC_TYPES,
    YES_NO_NA_VALUES,
    YES_NO_VALUES,
    Referentiel,
)
from survey_schemas.schema_check import locate

#: which constraint applies to which question types
_CONSTRAINT_TYPES: dict[str, frozenset[str]] = {
    "min": NUMERIC_TYPES,
    "max": NUMERIC_TYPES,
    "min_length": frozenset({"text"}),
    "max_length": frozenset({"text"}),
    "pattern": frozenset({"text"}),
    "max_photos": frozenset({"photo"}),
    "not_after_today": frozenset({"date", "datetime"}),
    "not_before": frozenset({"date", "time", "datetime"}),
}
#: which scoring rule applies to which question types
_RULE_TYPES: dict[str, frozenset[str]] = {
    "points": CHOICE_TYPES,
    "thresholds": NUMERIC_TYPES,
    "delay": frozenset({"date"}),
}


def _values(question: Mapping[str, Any]) -> list[str]:
    if question["type"] == "yes_no":
        return list(YES_NO_VALUES)
    if question["type"] == "yes_no_na":
        return list(YES_NO_NA_VALUES)
    return [choice["value"] for choice in question.get("choices", [])]


class _QuestionnaireChecker:
    """Walks the questions in order, knowing which ids came before the current one."""

    def __init__(self, document: Mapping[str, Any], referentiel: Referentiel) -> None:
        self.document = document
        self.referentiel = referentiel
        self.questions: list[Mapping[str, Any]] = list(document["questions"])
        self.index_of: dict[str, int] = {}
        for index, question in enumerate(self.questions):
            self.index_of.setdefault(question["id"], index)
        self.errors: list[str] = []
        self.graph: dict[str, list[str]] = {}

    def error(self, path: list[str | int], message: str) -> None:
        self.errors.append(f"{locate(self.document, path)} : {message}")

    def run(self) -> list[str]:
        self.check_header()
        self.check_sections()
        self.graph = self.dependency_graph()
        for index, question in enumerate(self.questions):
            self.check_question(index, question)
        return self.errors

    def check_header(self) -> None:
        wanted = self.document["referentiel"]
        if (wanted["code"], wanted["version"]) != self.referentiel.key:
            code, version = self.referentiel.key
            self.error(
                ["referentiel"],
                f"le questionnaire vise le référentiel {wanted['code']} v{wanted['version']}, "
                f"mais il est chargé avec {code} v{version}",
            )

    def check_sections(self) -> None:
        sections = self.document.get("sections", [])
        seen: set[str] = set()
        for index, section in enumerate(sections):
            if section["id"] in seen:
                self.error(["sections", index], "identifiant de section en double")
            if section["id"] in self.index_of:
                self.error(["sections", index], "une question porte déjà cet identifiant")
            seen.add(section["id"])
        closed: set[str] = set()
        current: str | None = None
        for index, question in enumerate(self.questions):
            section = question.get("section")
            if section is not None and section not in seen:
                self.error(["questions", index, "section"], f"section « {section} » inconnue")
            if section != current:
                if section in closed:
                    self.error(
                        ["questions", index, "section"],
                        f"les questions de la section « {section} » doivent se suivre",
                    )
                if current is not None:
                    closed.add(current)
                current = section

    def dependency_graph(self) -> dict[str, list[str]]:
        graph: dict[str, list[str]] = {}
        for question in self.questions:
            source = question.get("visible_if")
            if source is None:
                continue
            try:
                graph[question["id"]] = references(parse_condition(source))
            except ConditionSyntaxError:
                continue
        return graph

    def reaches(self, start: str, target: str) -> list[str] | None:
        """A dependency path from ``start`` to ``target`` through conditions, if one exists."""
        stack: list[tuple[str, list[str]]] = [(start, [start])]
        seen: set[str] = set()
        while stack:
            node, path = stack.pop()
            if node == target:
                return path
            if node in seen:
                continue
            seen.add(node)
            stack.extend((nxt, [*path, nxt]) for nxt in self.graph.get(node, []))
        return None

    def check_question(self, index: int, question: Mapping[str, Any]) -> None:
        qid = question["id"]
        if self.index_of[qid] != index:
            self.error(
                ["questions", index],
                f"identifiant en double : déjà utilisé par questions[{self.index_of[qid]}]",
            )
        if qid in KEYWORDS:
            self.error(["questions", index, "id"], f"« {qid} » est un mot réservé des conditions")
        self.check_choices(index, question)
        self.check_constraints(index, question)
        self.check_engagement(index, question)
        if "scoring" in question:
            self.check_scoring(index, question)
        if "visible_if" in question:
            self.check_condition(index, question)

    def check_choices(self, index: int, question: Mapping[str, Any]) -> None:
        kind = question["type"]
        choices = question.get("choices")
        if kind in ("single_choice", "multiple_choice"):
            if not choices:
                self.error(["questions", index], f"une question « {kind} » doit avoir des choix")
                return
            values = [choice["value"] for choice in choices]
            for value in sorted({v for v in values if values.count(v) > 1}):
                self.error(["questions", index, "choices"], f"choix « {value} » en double")
            if kind == "single_choice" and any(c.get("exclusive") for c in choices):
                message = "« exclusive » ne vaut que pour un choix multiple"
                self.error(["questions", index, "choices"], message)
        elif choices is not None:
            self.error(["questions", index, "choices"], f"pas de choix pour le type « {kind} »")

    def check_constraints(self, index: int, question: Mapping[str, Any]) -> None:
        constraints = question.get("constraints", {})
        path: list[str | int] = ["questions", index, "constraints"]
        for name in constraints:
            if question["type"] not in _CONSTRAINT_TYPES[name]:
                self.error(
                    path,
                    f"la contrainte « {name} » ne s’applique pas au type « {question['type']} »",
                )
        low, high = constraints.get("min"), constraints.get("max")
        if low is not None and high is not None and low > high:
            self.error(path, f"min ({low}) supérieur à max ({high})")
        low, high = constraints.get("min_length"), constraints.get("max_length")
        if low is not None and high is not None and low > high:
            self.error(path, f"min_length ({low}) supérieur à max_length ({high})")
        if "pattern" in constraints:
            try:
                re.compile(constraints["pattern"])
            except re.error as exc:
                self.error(path, f"expression régulière invalide : {exc}")
        if "not_before" in constraints:
            self.check_earlier(index, question, constraints["not_before"], [*path, "not_before"])

    def check_earlier(
        self, index: int, question: Mapping[str, Any], other: str, path: list[str | int]
    ) -> None:
        """``other`` must be an earlier question of the same type (a date before a date)."""
        position = self.index_of.get(other)
        if position is None:
            self.error(path, f"question « {other} » inconnue")
        elif position >= index:
            self.error(path, f"la question « {other} » doit venir avant celle-ci")
        elif self.questions[position]["type"] != question["type"]:
            self.error(path, f"« {other} » n’est pas du type « {question['type']} »")

    def check_engagement(self, index: int, question: Mapping[str, Any]) -> None:
        code = question.get("engagement")
        if code is None:
            if "scoring" in question:
                self.error(["questions", index], "une question notée doit indiquer son engagement")
            return
        known = [engagement.code for engagement in self.referentiel.engagements]
        if code not in known:
            self.error(
                ["questions", index, "engagement"],
                f"engagement « {code} » inconnu du référentiel {self.referentiel.code} "
                f"v{self.referentiel.version} (connus : {', '.join(known)})",
            )

    def check_scoring(self, index: int, question: Mapping[str, Any]) -> None:
        rule = question["scoring"]
        path: list[str | int] = ["questions", index, "scoring"]
        kind = question["type"]
        if kind not in _RULE_TYPES[rule["rule"]]:
            allowed = [name for name, types in _RULE_TYPES.items() if kind in types]
            if not allowed:
                self.error(path, f"une question de type « {kind} » ne peut pas être notée")
            else:
                self.error(
                    path,
                    f"règle « {rule['rule']} » impossible pour le type « {kind} » "
                    f"(règle permise : {allowed[0]})",
                )
            return
        if rule["rule"] == "points":
            self.check_points(index, question, rule["points"], path)
            return
        bands = rule["bands"]
        maxima = [band["max"] for band in bands]
        if maxima != sorted(set(maxima)):
            self.error([*path, "bands"], "les seuils « max » doivent être strictement croissants")
        best = max([band["points"] for band in bands] + [rule.get("otherwise", 0)])
        if best <= 0:
            self.error(path, "la règle ne donne aucun point possible")
        if rule["rule"] == "delay":
            self.check_earlier(index, question, rule["sent"], [*path, "sent"])

    def check_points(
        self, index: int, question: Mapping[str, Any], points: Mapping[str, Any], path: list[Any]
    ) -> None:
        values = _values(question)
        scored = [v for v in values if not (question["type"] == "yes_no_na" and v == "na")]
        for value in scored:
            if value not in points:
                self.error([*path, "points"], f"choix « {value} » absent de la règle de notation")
        for value, given in points.items():
            if value not in values:
                self.error([*path, "points"], f"valeur « {value} » inconnue de la question")
            elif value == NOT_APPLICABLE and question["type"] == "yes_no_na" and given is not None:
                self.error([*path, "points"], "« na » est toujours sans objet : null attendu")
        numbers = [given for given in points.values() if given is not None]
        multiple = question["type"] == "multiple_choice"
        possible = sum(numbers) if multiple else max(numbers, default=0)
        if possible <= 0:
            self.error(path, "la règle ne donne aucun point possible")

    def check_condition(self, index: int, question: Mapping[str, Any]) -> None:
        path: list[str | int] = ["questions", index, "visible_if"]
        try:
            condition = parse_condition(question["visible_if"])
        except ConditionSyntaxError as exc:
            self.error(path, f"condition invalide, {exc}")
            return
        qid = question["id"]
        for name in references(condition):
            position = self.index_of.get(name)
            if position is None:
                self.error(path, f"question « {name} » inconnue")
            elif name == qid:
                self.error(path, "dépendance circulaire : la question dépend d’elle-même")
            elif position > index:
                cycle = self.reaches(name, qid)
                if cycle:
                    self.error(path, "dépendance circulaire : " + " → ".join([qid, *cycle]))
                else:
                    self.error(
                        path, f"la condition porte sur « {name} », qui vient après cette question"
                    )
        self.check_literals(path, condition)

    def check_literals(self, path: list[str | int], condition: Condition) -> None:
        """Each comparison must suit the type of the question it reads."""
        if isinstance(condition, Answered):
            return
        if isinstance(condition, Not):
            self.check_literals(path, condition.operand)
            return
        if not isinstance(condition, Compare | In):
            for operand in condition.operands:
                self.check_literals(path, operand)
            return
        position = self.index_of.get(condition.question)
        if position is None:
            return
        target = self.questions[position]
        kind = target["type"]
        literals = [condition.value] if isinstance(condition, Compare) else list(condition.values)
        name = condition.question
        if kind in CHOICE_TYPES:
            if isinstance(condition, Compare) and condition.op not in ("=", "!="):
                self.error(path, f"« {name} » est une question à choix : seuls =, != et in")
            for literal in literals:
                if literal not in _values(target):
                    self.error(path, f"{literal!r} n’est pas une réponse possible de « {name} »")
        elif kind in NUMERIC_TYPES:
            if any(isinstance(literal, str) for literal in literals):
                self.error(path, f"« {name} » est numérique : comparer à un nombre")
        else:
            self.error(path, f"sur « {name} » (type {kind}), seul answered() est permis")


def questionnaire_errors(document: Mapping[str, Any], referentiel: Referentiel) -> list[str]:
    """Every semantic problem of a structurally valid questionnaire document, in French."""
    return _QuestionnaireChecker(document, referentiel).run()


def referentiel_errors(document: Mapping[str, Any]) -> list[str]:
    """Every semantic problem of a structurally valid référentiel document, in French."""
    errors: list[str] = []
    seen: set[str] = set()
    for index, engagement in enumerate(document["engagements"]):
        if engagement["code"] in seen:
            errors.append(f"{locate(document, ['engagements', index])} : code en double")
        seen.add(engagement["code"])
    if document.get("excellence", 9) < document.get("required_level", 7):
        errors.append("excellence : doit être supérieur ou égal à required_level")
    if not any(engagement.get("weight", 1) > 0 for engagement in document["engagements"]):
        errors.append("engagements : au moins un engagement doit avoir un poids positif")
    return errors
