"""What the translation tests hold to account, in one place (tests/app/test_i18n_*.py).

MARKED_TEMPLATE_DIRS: templates (folders under templates/, or single files) in which every
user-facing word must be marked for translation. Add a folder once its templates are marked.

SPANISH_COMPLETE: the files whose marked words must all have a Spanish translation (issue 15:
the shopper's pages, the public complaint pages, e-mails to customers and shoppers, printed
reports). Patterns are fnmatch globs on paths relative to the project root.
"""

from __future__ import annotations

MARKED_TEMPLATE_DIRS: tuple[str, ...] = (
    "base.html",
    "macros.html",
    # Printed reports and the complaint poster (printed for customers).
    "reports/pdf",
    "recovery/poster.html",
)

SPANISH_COMPLETE: tuple[str, ...] = (
    "templates/base.html",
    "templates/macros.html",
    "app/orgs/models.py",
    "app/accounts/services.py",
    # Printed reports: their templates, the poster, and the Python that writes their words.
    "templates/reports/pdf/*",
    "templates/recovery/poster.html",
    "app/status.py",
    "reports/language.py",
    "reports/periods.py",
    "reports/filters.py",
    "reports/stats.py",
    "reports/charts.py",
    "reports/summary.py",
    "reports/loop/summary.py",
    "reports/pdf/documents.py",
    "reports/visit/queries.py",
    "reports/visit/services.py",
)
