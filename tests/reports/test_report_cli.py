"""`touchstone report touchpoint|pack`, as a cron job before the meeting runs them."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from app.clock import today_in
from tests.app.test_cli import database_url, env, fails, ok  # noqa: F401  (fixtures)
from tests.helpers import pdf_text

pytestmark = pytest.mark.slow  # seeds the demo year through the CLI and renders PDFs


def test_report_commands_write_pdfs_and_refuse_bad_input(env: str, tmp_path: Path) -> None:  # noqa: F811
    ok("demo", "--password", "cli-password-123")
    # The three whole quarters before this one: inside the demo's year on any date.
    today = today_in("Europe/London")
    this_quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    end = this_quarter - timedelta(days=1)
    month = this_quarter.month - 9
    start = date(this_quarter.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
    span = ["--from", start.isoformat(), "--to", end.isoformat()]
    out = tmp_path / "reports" / "bill.pdf"
    result = ok(
        "report", "touchpoint", "paying the bill", "--period", "quarter", *span,
        "--location", "High Street", "--paper", "letter", "--out", str(out),
    )  # fmt: skip
    assert "freshly printed" in result.output
    text = pdf_text(out)
    assert "Paying the bill" in text and "High Street" in text
    assert f"{end.day} {end:%b %Y}" in text and "per quarter" in text
    assert f"in Q{(end.month - 1) // 3 + 1} {end.year}" in text
    again = ok("report", "touchpoint", "Paying the bill", "--period", "quarter", *span,
               "--location", "High Street", "--paper", "letter", "--out", str(out))  # fmt: skip
    assert "from the cache" in again.output

    pack = tmp_path / "pack.pdf"
    result = ok("report", "pack", "--out", str(pack))
    assert "[0/" in result.output and "Ready" in result.output
    text = pdf_text(pack)
    assert "The journey at a glance" in text and "The customer's journey" in text

    bad = fails("report", "touchpoint", "Paying the bill", "--from", "2026-05-01",
                "--to", "2026-04-01", "--out", str(out))  # fmt: skip
    assert "ends before it starts" in bad.output
    assert "No touchpoint" in fails("report", "touchpoint", "Nope", "--out", str(out)).output
    assert (
        "week, month or quarter"
        in fails("report", "pack", "--period", "fortnight", "--out", str(pack)).output
    )
