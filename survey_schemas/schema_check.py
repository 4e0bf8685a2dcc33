"""Structural check of a document against the package's JSON Schemas, with French messages.

jsonschema's own messages are English and name the failing keyword; a coordinator needs to know
which question is wrong and why, in French, so each error is located (``questions[12] (id
"e07_attente_minutes").scoring``) and reworded here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from importlib.resources import files
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

_JSON_TYPES = {
    "object": "objet",
    "array": "liste",
    "string": "texte",
    "number": "nombre",
    "integer": "entier",
    "boolean": "booléen",
    "null": "null",
}
#: list fields whose items are named by one of their keys in messages
_ITEM_NAMES = {"questions": "id", "sections": "id", "engagements": "code", "choices": "value"}


@cache
def validator(name: str) -> Draft202012Validator:
    """The validator for ``data/schema/<name>.schema.json`` (read once)."""
    text = files("survey_schemas").joinpath(f"data/schema/{name}.schema.json").read_text("utf-8")
    schema = json.loads(text)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "booléen"
    if isinstance(value, int | float):
        return "nombre"
    if isinstance(value, str):
        return "texte"
    if isinstance(value, list):
        return "liste"
    return "objet"


def locate(document: Any, path: Sequence[str | int]) -> str:
    """Human location of ``path`` in ``document``, naming list items by their id or code."""
    text = ""
    node = document
    parent_key: str | int | None = None
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            name_key = _ITEM_NAMES.get(parent_key) if isinstance(parent_key, str) else None
            if name_key and isinstance(node, Mapping) and isinstance(node.get(name_key), str):
                text += f' ({name_key} "{node[name_key]}")'
        else:
            text += f".{part}" if text else part
            node = node.get(part) if isinstance(node, Mapping) else None
        parent_key = part
    return text or "document"


def _message(error: ValidationError) -> str:
    keyword = error.validator
    value: Any = error.validator_value
    instance = error.instance
    if keyword == "required" and isinstance(instance, Mapping):
        missing = [name for name in value if name not in instance]
        return "champ obligatoire manquant : " + ", ".join(f"« {name} »" for name in missing)
    if keyword == "additionalProperties" and isinstance(instance, Mapping):
        known = error.schema.get("properties", {}) if isinstance(error.schema, Mapping) else {}
        extra = [name for name in instance if name not in known]
        if extra:
            return "champ inconnu : " + ", ".join(f"« {name} »" for name in extra)
        return f"valeur de type {_json_type(instance)} non permise ici"
    if keyword == "type":
        wanted = [value] if isinstance(value, str) else list(value)
        names = " ou ".join(_JSON_TYPES.get(name, name) for name in wanted)
        return f"{names} attendu, trouvé {_json_type(instance)}"
    if keyword == "enum":
        allowed = ", ".join(json.dumps(item, ensure_ascii=False) for item in value)
        shown = json.dumps(instance, ensure_ascii=False)
        return f"valeur {shown} non permise ; valeurs permises : {allowed}"
    if keyword == "pattern":
        return f"« {instance} » ne respecte pas le format attendu (expression {value})"
    if keyword == "minimum":
        return f"doit être supérieur ou égal à {value}, trouvé {instance}"
    if keyword == "maximum":
        return f"doit être inférieur ou égal à {value}, trouvé {instance}"
    if keyword == "minItems":
        return f"doit contenir au moins {value} élément(s)"
    if keyword == "minProperties":
        return f"doit contenir au moins {value} entrée(s)"
    if keyword == "minLength":
        return "ne doit pas être vide" if value == 1 else f"au moins {value} caractères attendus"
    if keyword == "maxLength":
        return f"au plus {value} caractères permis"
    return f"valeur invalide ({error.message})"


def schema_errors(document: Any, name: str) -> list[str]:
    """French messages for every way ``document`` breaks the ``name`` JSON Schema."""
    errors = sorted(
        validator(name).iter_errors(document), key=lambda error: list(map(str, error.path))
    )
    return [f"{locate(document, list(error.path))} : {_message(error)}" for error in errors]
