"""Screenshots of the investigator's phone pages, on the demo data: ``docs/screenshots/*.png``.

Run: ``scripts/screenshots`` (or ``.venv/bin/python scripts/screenshots.py [--out DIR]``).
Builds the demo into a throwaway SQLite database (``scripts/phone_site.py``), serves it on
127.0.0.1, signs in as the demo's investigator in Debian's Chromium on a 390 × 844 touch
screen (scale factor 1, so the PNGs stay small) and takes, each of the first screen only:

- ``phone-missions.png``: the agenda (``/missions``);
- ``phone-report.png``: a visit with a draft report, its mission card first;
- ``phone-report-questions.png``: the same form, scrolled to its first questions;
- ``phone-returned.png``: the report a reviewer returned, scrolled to the reviewer's comment.

The demo's wave is spring 2026 and the agenda groups missions by today's date, so the
pictures change with the day they are made. What the pages wrote to the console (errors and
warnings), uncaught errors and answers of 400 or more are printed at the end; the exit status
is 1 when a page raised an uncaught error, so a broken page does not go unnoticed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

# Standalone run: make the repository importable (ruff allows imports after sys.path edits).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.phone_site import (
    PhoneSite,
    console_problems,
    demo_site,
    launch,
    phone_context,
    sign_in,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
#: CSS pixels left above an element scrolled to, so the reader sees what comes before it.
ABOVE = 12


def _ready(page: Page) -> None:
    """The page script has opened the report (local copy, then the server's) and drawn it."""
    page.wait_for_function("window.BarometreReport && window.BarometreReport.current()")
    page.evaluate("window.BarometreReport.ready")


def _scroll_to(page: Page, selector: str) -> None:
    page.evaluate(
        "([selector, above]) => { const box = document.querySelector(selector)"
        ".getBoundingClientRect(); window.scrollTo(0, window.scrollY + box.top - above); }",
        [selector, ABOVE],
    )


def _shoot(page: Page, path: Path) -> None:
    page.evaluate("document.fonts.ready.then(() => new Promise(requestAnimationFrame))")
    page.screenshot(path=str(path), animations="disabled", caret="hide")
    print(f"  {path.relative_to(path.parents[2])} ({path.stat().st_size // 1024} Ko)")


def take(site: PhoneSite, out: Path) -> tuple[list[str], int]:
    """Take the screenshots into ``out``; returns the problems the pages showed, and how many
    of them were uncaught errors."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    uncaught: list[object] = []
    missions = site.missions
    report = missions.draft_visit or missions.fresh_visit
    assert report is not None, "la démo n’a pas de visite à montrer"
    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = phone_context(browser, site)
        page = context.new_page()
        console_problems(page, problems)
        page.on("pageerror", lambda error: uncaught.append(error))
        sign_in(page, site)

        page.goto("/missions", wait_until="load")
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.locator("h1").filter(has_text="Mes missions").wait_for()
        _shoot(page, out / "phone-missions.png")

        page.goto(f"/missions/{report}", wait_until="load")
        _ready(page)
        _shoot(page, out / "phone-report.png")
        _scroll_to(page, "[data-section]")
        _shoot(page, out / "phone-report-questions.png")

        page.goto(f"/missions/{missions.returned}", wait_until="load")
        _ready(page)
        page.locator("#returned-comment").wait_for(state="visible")
        _scroll_to(page, ".mission-card h3")  # the scenario, then the comment
        _shoot(page, out / "phone-returned.png")
        context.close()
        browser.close()
    return problems, len(uncaught)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"dossier (défaut : {OUT})")
    options = parser.parse_args(argv)
    with demo_site(progress=print) as site:
        print(f"Captures d’écran ({site.investigator}, {site.missions.total} missions) :")
        problems, uncaught = take(site, options.out.resolve())
    if not problems:
        print("Aucune erreur dans la console des pages.")
    else:
        print("\nProblèmes vus sur les pages :")
        for problem in problems:
            print("  " + problem)
    return 1 if uncaught else 0


if __name__ == "__main__":
    sys.exit(main())
