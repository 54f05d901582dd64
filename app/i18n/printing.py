"""Which language an organization's printed matter is in: its reports (touchpoint PDFs, the
meeting pack, visit reports, scheduled reports' attachments) and its complaint posters.

One function, so every print path asks the same question (reports.language re-exports it for
the reports package; recovery's posters, a lower layer, ask here directly).
"""

from __future__ import annotations

from typing import Any

from app.i18n.languages import DEFAULT_LANGUAGE, supported


def report_language(org: Any) -> str:
    """The organization's report language (`Organization.report_language`, chosen on the
    settings page) when the interface ships in it, else English: a report in German prints
    its checklist wording in German and its fixed words in English until a German catalog
    ships. `Any`, not Organization: app.i18n sits below app.orgs."""
    return supported(getattr(org, "report_language", None)) or DEFAULT_LANGUAGE
