"""A payment run as CSV for payroll or a bank upload: one line per shop's fee and one per
approved expense (`kind` says which; docs/guide/payments.md, "The CSV")."""

from __future__ import annotations

import csv
import io

from audits.pay.models import PaymentRun
from audits.pay.queries import PayLine, decimal_text

CSV_COLUMNS = [
    "run",
    "shopper_id",
    "shopper",
    "email",
    "shop",
    "location",
    "approved_on",
    "currency",
    "amount",
    # Added with expense claims, at the end so that readers of the first nine columns go on.
    "kind",
    "what_for",
]


def _safe(text: str) -> str:
    # A cell a spreadsheet would run as a formula (=, +, -, @) is kept as text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def run_csv(run: PaymentRun, lines: list[PayLine]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for line in lines:
        writer.writerow(
            [
                run.id,
                line.shopper_id,
                _safe(line.shopper_name),
                _safe(line.shopper_email),
                line.shop_id,
                _safe(line.location_name),
                line.approved_on.isoformat(),
                line.currency,
                decimal_text(line.amount_minor, line.currency),
                line.kind,
                _safe(line.what_for),
            ]
        )
    return out.getvalue()
