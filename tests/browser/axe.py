"""Page checks for the browser tests: accessibility with axe-core, no horizontal scroll.

axe-core comes from npm (``package.json`` at the repository root, installed by ``scripts/test``);
``BAROMETRE_AXE`` may point at another copy of ``axe.min.js``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

REPO = Path(__file__).resolve().parents[2]
BLOCKING_IMPACTS = ("serious", "critical")  #: "minor" and "moderate" are reported by axe only


def axe_path() -> Path:
    """The axe-core script the checks inject: ``BAROMETRE_AXE``, else ``node_modules``'s."""
    configured = os.environ.get("BAROMETRE_AXE")
    return Path(configured) if configured else REPO / "node_modules/axe-core/axe.min.js"


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe's violations on the page as it is now (every impact)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated through the DevTools protocol, which the page's CSP does not govern: an
        # injected <script> tag (``add_script_tag``) is an inline script, which it refuses.
        page.evaluate(axe_path().read_text(encoding="utf-8"))
    results: dict[str, Any] = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']})"
    )
    violations: list[dict[str, Any]] = results["violations"]
    return violations


def describe_violations(violations: list[dict[str, Any]]) -> str:
    """One paragraph per rule: id, impact, help, then the selector of each failing node."""
    lines: list[str] = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    {target}")
            summary = " ".join((node.get("failureSummary") or "").split())
            if summary:
                cut = summary if len(summary) <= 160 else summary[:159] + "…"
                lines.append(f"      {cut}")
        lines.append(f"    {violation['helpUrl']}")
    return "\n".join(lines)


def assert_accessible(page: Page, context_note: str = "") -> None:
    """Fail listing every serious or critical axe violation of the page."""
    blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING_IMPACTS]
    if blocking:
        where = f" ({context_note})" if context_note else ""
        pytest.fail(
            f"axe : {len(blocking)} règle(s) enfreinte(s) sur {page.url}{where}\n"
            + describe_violations(blocking),
            pytrace=False,
        )


def assert_no_horizontal_scroll(page: Page, context_note: str = "") -> None:
    """The page is no wider than the screen (STYLE.md: no horizontal scroll at 360 px).

    The width is the context's viewport, not ``window.innerWidth``: a mobile browser lays out a
    page without ``<meta name="viewport">`` 980 px wide, and zooms out on content too wide.
    """
    viewport = page.viewport_size
    assert viewport is not None, "contexte sans viewport fixe"
    widths: dict[str, Any] = page.evaluate(
        """(screen) => ({
            scroll: document.documentElement.scrollWidth,
            inner: window.innerWidth,
            widest: [...document.querySelectorAll('body *')]
                .filter((el) => el.getBoundingClientRect().right > screen + 0.5)
                .slice(0, 5)
                .map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                    + (typeof el.className === 'string' && el.className.trim()
                        ? '.' + el.className.trim().split(/\\s+/).join('.') : ''))
                .join(', '),
        })""",
        viewport["width"],
    )
    laid_out = max(widths["scroll"], widths["inner"])
    if laid_out > viewport["width"]:
        where = f" ({context_note})" if context_note else ""
        pytest.fail(
            f"défilement horizontal sur {page.url}{where} : page de {laid_out} px pour un écran "
            f'de {viewport["width"]} px (contenu trop large, ou <meta name="viewport"> '
            f"absente) ; éléments qui dépassent : {widths['widest'] or '?'}",
            pytrace=False,
        )
