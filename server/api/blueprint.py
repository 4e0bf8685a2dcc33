"""The API's blueprint class: flask-smorest's, with a JSON parser that refuses every body
Python's ``json`` cannot read as a 400, not only the syntax errors webargs expects."""

from __future__ import annotations

import json
from typing import Any

import flask
import flask_smorest
from webargs.flaskparser import FlaskParser


class JSONParser(FlaskParser):
    """A body nested a thousand levels deep (``RecursionError``) or an integer of more than
    4,300 digits (``ValueError``) is bad input, answered like a syntax error (400)."""

    def _raw_load_json(self, req: flask.Request) -> Any:
        try:
            return super()._raw_load_json(req)
        except json.JSONDecodeError:
            raise
        except (RecursionError, ValueError) as error:
            raise json.JSONDecodeError(f"JSON illisible : {error}", "", 0) from None


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = JSONParser()
