"""`touchstone report touchpoint|pack`, as a cron job before the meeting runs them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app.test_cli import database_url, env, fails, ok  # noqa: F401  (fixtures)
from tests.helpers import pdf_text

pytestmark = pytest.mark.slow  # seeds the demo year through the CLI and renders PDFs


def test_report_commands_write_pdfs_and_refuse_bad_input(env: str, tmp_path: Path) -> None:  # noqa: F811
    ok("demo", "--password", "cli-password-123")
    out = tmp_path / "reports" / "bill.pdf"
    result = ok(
        "report", "touchpoint", "paying the bill", "--period", "quarter",
        "--from", "2026-01-01", "--to", "2026-09-30", "--location", "High Street",
        "--paper", "letter", "--out", str(out),
    )  # fmt: skip
    assert "freshly printed" in result.output
    text = pdf_text(out)
    assert "Paying the bill" in text and "High Street" in text
    assert "1 Jan – 30 Sep 2026" in text and "per quarter" in text
    assert "in Q3 2026" in text
    again = ok("report", "touchpoint", "Paying the bill", "--period", "quarter",
               "--from", "2026-01-01", "--to", "2026-09-30", "--location", "High Street",
               "--paper", "letter", "--out", str(out))  # fmt: skip
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
