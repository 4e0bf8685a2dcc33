"""What the Content-Security-Policy would refuse, caught before any browser runs: inline event
handlers, ``style=`` attributes, ``<style>`` blocks, ``javascript:`` URLs and inline
``<script>`` code in our templates (JSON data blocks are fine: CSP does not execute them).
tests/browser/ checks the rendered pages in Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

SERVER = Path(__file__).resolve().parents[3] / "server"
TEMPLATES = sorted(
    path for path in SERVER.rglob("*.html") if "static" not in path.relative_to(SERVER).parts
)

#: (what, pattern); each would be blocked by ``script-src 'self'`` or ``style-src 'self'``.
REFUSED = [
    ("gestionnaire d’événement en ligne", re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I | re.S)),
    ("attribut style", re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I | re.S)),
    ("bloc <style>", re.compile(r"<style\b", re.I)),
    ("URL javascript:", re.compile(r"javascript:", re.I)),
]
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.I | re.S)


def inline_scripts(html: str) -> list[str]:
    """The ``<script>`` blocks that hold code: neither ``src=`` nor a JSON data type."""
    found = []
    for attributes, body in SCRIPT.findall(html):
        if "src=" in attributes or 'type="application/json"' in attributes:
            continue
        if body.strip():
            found.append(body.strip()[:60])
    return found


def test_there_are_templates_to_check() -> None:
    assert len(TEMPLATES) > 30


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: str(path.relative_to(SERVER)))
def test_the_template_has_no_inline_code(template: Path) -> None:
    source = template.read_text(encoding="utf-8")
    for what, pattern in REFUSED:
        match = pattern.search(source)
        assert match is None, f"{what} : {match.group(0)[:80]!r}"  # type: ignore[union-attr]
    assert inline_scripts(source) == []


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<script src="/static/js/a.js" defer></script>', []),
        ('<script type="application/json" id="d">{"a": 1}</script>', []),
        ("<script>alert(1)</script>", ["alert(1)"]),
        ('<script type="module">go()</script>', ["go()"]),
    ],
)
def test_inline_scripts_are_told_from_data_and_files(html: str, expected: list[str]) -> None:
    assert inline_scripts(html) == expected


def test_the_api_docs_page_runs_no_inline_script(client: FlaskClient) -> None:
    """Ours (templates/swagger_ui.html), not flask-smorest's, which has one."""
    response = client.get("/api/v1/docs")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert inline_scripts(html) == []
    assert "/static/js/swagger-init.js" in html
    assert '"url": "/api/v1/openapi.json"' in html or '"url":"/api/v1/openapi.json"' in html
