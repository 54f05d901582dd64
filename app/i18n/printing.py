"""Which language an organization's printed matter is in: its reports (touchpoint PDFs, the
meeting pack, visit reports, scheduled reports' attachments) and its complaint posters.

One function, so every print path asks the same question (reports.language re-exports it for
the reports package; recovery's posters, a lower layer, ask here directly).
"""

from __future__ import annotations

from typing import Any

from app.i18n.languages import DEFAULT_LANGUAGE, supported


def report_language(org: Any) -> str:
    """The organization's report language when the interface ships in it, else English.

    `Organization.report_language` is being added on another branch (`langs`); until it is
    merged, an organization without the attribute prints in English, and tests set the
    attribute on the organization object. The integrator wires this to the column.
    """
    return supported(getattr(org, "report_language", None)) or DEFAULT_LANGUAGE
