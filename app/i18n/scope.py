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
    # Owner pages: marked, complete in English (issue 15).
    "touchpoints",
)

SPANISH_COMPLETE: tuple[str, ...] = (
    "templates/base.html",
    "templates/macros.html",
    "app/orgs/models.py",
    "app/accounts/services.py",
)
