"""What the translation tests hold to account, in one place (tests/app/test_i18n_*.py).

MARKED_TEMPLATE_DIRS: templates (folders under templates/, or single files) in which every
user-facing word must be marked for translation. Add a folder once its templates are marked.

SPANISH_COMPLETE: the files whose marked words must all have a Spanish translation (issue 15:
the shopper's pages, the public complaint pages, e-mails to customers and shoppers, printed
reports). Patterns are fnmatch globs on paths relative to the project root.
"""

from __future__ import annotations

MARKED_TEMPLATE_DIRS: tuple[str, ...] = (
    # Every template: the shopper's, public and printed ones complete in Spanish, the owners'
    # complete in English (issue 15). A new template is held to it from its first commit.
    "",
)

SPANISH_COMPLETE: tuple[str, ...] = (
    # what every page shows, and the shopper's pages
    "templates/base.html",
    "templates/_js_strings.html",
    "templates/macros.html",
    "templates/errors/*",
    "templates/feedback/*",
    "templates/audits/shopper_*.html",
    "templates/audits/_fill_*.html",
    "templates/orgs/home_shopper.html",
    "templates/orgs/login.html",
    "templates/orgs/login_code.html",
    "templates/orgs/invite_accept.html",
    "templates/board/jobs_shopper.html",
    "templates/board/_go.html",
    "templates/pay/mine.html",
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
    "audits/routes.py",
    "audits/board/queries.py",
    "audits/shopper_refusals.py",
    "audits/pay/queries.py",
    # the public complaint pages
    "templates/recovery/public_*.html",
    "recovery/complaints/*.py",
    # e-mails to customers: the ready-made replies, in the complaint's language
    "recovery/replies.py",
    # e-mails to shoppers: the no-show notice
    "audits/board/services.py",
    # printed reports
)
