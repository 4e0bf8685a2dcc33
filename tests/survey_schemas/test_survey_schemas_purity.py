"""The pure package imports no web framework nor database layer (STYLE.md, DESIGN.md §1)."""

from __future__ import annotations

import subprocess
import sys

FORBIDDEN = ("flask", "sqlalchemy", "marshmallow", "werkzeug")


def test_importing_survey_schemas_loads_no_web_or_database_module() -> None:
    code = (
        "import sys, survey_schemas\n"
        "survey_schemas.shipped_questionnaires()\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""
