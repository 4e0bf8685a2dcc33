"""Send a page's form as a browser would: its fields with the values shown (checked boxes,
selected options, hidden fields and the CSRF token), some of them changed by the test."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse


class _Forms(HTMLParser):
    """Every ``<form method="post">``: its action and what a browser would send by default."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, list[str]], list[str]]] = []
        self._current: tuple[str, dict[str, list[str]], list[str]] | None = None
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "").lower() == "post":
            self._current = (a.get("action", ""), {}, [])
            self.forms.append(self._current)
            return
        if self._current is None:
            return
        fields, buttons = self._current[1], self._current[2]
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind == "submit":
                buttons.append(name)
            elif kind in ("checkbox", "radio"):
                if "checked" in a:
                    fields.setdefault(name, []).append(a.get("value", "on"))
            elif kind != "file":
                fields.setdefault(name, []).append(a.get("value", ""))
        elif tag == "button" and name:
            buttons.append(name)
        elif tag == "select" and name:
            self._select, self._select_first, self._select_chosen = name, None, False
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in a:
                fields[self._select] = [value]
                self._select_chosen = True
        elif tag == "textarea" and name:
            self._textarea = name
            fields[name] = [""]

    def handle_data(self, data: str) -> None:
        if self._textarea and self._current is not None:
            self._current[1][self._textarea][0] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None
        elif tag == "select" and self._select and self._current is not None:
            if not self._select_chosen and self._select_first is not None:
                self._current[1][self._select] = [self._select_first]
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def submit_form(
    browser: FlaskClient,
    page: str,
    action: str,
    changes: dict[str, Any],
    *,
    button: str | None = None,
) -> TestResponse:
    """GET ``page``, find its POST form whose action is ``action``, change ``changes`` (a
    value of None removes the field) and send it, multipart as our upload forms are."""
    shown = browser.get(page)
    assert shown.status_code == 200, (page, shown.status_code)
    parser = _Forms()
    parser.feed(shown.get_data(as_text=True))
    # A form with no action posts to the page's own address.
    matching = [f for f in parser.forms if (f[0].split("#")[0] or page) == action]
    assert matching, f"{page} n’a pas de formulaire vers {action}"
    _, fields, buttons = matching[0]
    data: dict[str, Any] = {k: (v if len(v) > 1 else v[0]) for k, v in fields.items()}
    if button is not None:
        assert button in buttons, (action, buttons)
        data[button] = "1"
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return browser.post(action, data=data, content_type="multipart/form-data")
