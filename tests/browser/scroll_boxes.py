"""A check axe lacks: every box that may scroll is a named region reachable with the keyboard.

axe's ``scrollable-region-focusable`` only flags a box that overflows at the width tested, so a
table fitting at 1280 px, which scrolls at 1024 px or zoomed in, would escape it; this flags
the box whether it overflows now or not (WCAG 2.1.1; components/_tables.html scroll_region).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Page

#: The selectors of the boxes that may scroll (``overflow: auto`` or ``scroll``) but are not
#: a focusable, named region (form controls scroll by themselves and are left out).
_UNREACHABLE_SCROLL_BOXES = """() => [...document.querySelectorAll('body *')]
    .filter((el) => !['TEXTAREA', 'SELECT'].includes(el.tagName))
    .filter((el) => {
        const style = getComputedStyle(el);
        return [style.overflowX, style.overflowY].some((v) => v === 'auto' || v === 'scroll');
    })
    .filter((el) => el.tabIndex < 0 || el.getAttribute('role') !== 'region'
        || !(el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')))
    .map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
        + (typeof el.className === 'string' && el.className.trim()
            ? '.' + el.className.trim().split(/\\s+/).join('.') : ''))"""


def unreachable_scroll_boxes(page: Page) -> list[dict[str, Any]]:
    """The unreachable scroll boxes, as one violation in axe's shape (impact: serious)."""
    boxes: list[str] = page.evaluate(_UNREACHABLE_SCROLL_BOXES)
    if not boxes:
        return []
    return [
        {
            "id": "scroll-box-keyboard",
            "impact": "serious",
            "help": "Une boîte qui défile doit être une région nommée atteignable au clavier "
            "(components/_tables.html scroll_region)",
            "helpUrl": "https://dequeuniversity.com/rules/axe/4.10/scrollable-region-focusable",
            "nodes": [{"target": [box], "failureSummary": ""} for box in boxes],
        }
    ]
