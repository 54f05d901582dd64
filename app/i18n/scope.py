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
    "orgs/_api_tokens.html",
    "orgs/_location_edit_row.html",
    "orgs/_location_row.html",
    "orgs/_locations_panel.html",
    "orgs/_logo.html",
    "orgs/_mail_panel.html",
    "orgs/_password_meter.html",
    "orgs/_people_invites.html",
    "orgs/_two_step.html",
    "orgs/account.html",
    "orgs/home_owner.html",
    "orgs/location_edit.html",
    "orgs/locations.html",
    "orgs/logo.html",
    "orgs/mail.html",
    "orgs/people.html",
    "orgs/settings.html",
    "orgs/webhook.html",
    "orgs/webhooks.html",
    "recovery/_alert_card.html",
    "recovery/_alert_count.html",
    "recovery/_alerts_panel.html",
    "recovery/_board.html",
    "recovery/_case.html",
    "recovery/_case_close.html",
    "recovery/_case_details.html",
    "recovery/_case_replies.html",
    "recovery/_case_steps.html",
    "recovery/_case_triage.html",
    "recovery/alerts.html",
    "recovery/board.html",
    "recovery/case.html",
    "recovery/case_new.html",
    "recovery/poster.html",
    "recovery/posters.html",
    "reports/_filters.html",
    "reports/_home_body.html",
    "reports/_home_results.html",
    "reports/_loop_actions.html",
    "reports/_loop_measures.html",
    "reports/_loop_recovery.html",
    "reports/_macros.html",
    "reports/_print_job.html",
    "reports/_touchpoint_results.html",
    "reports/home.html",
    "reports/print_job.html",
    "reports/schedules.html",
    "reports/touchpoint.html",
    "audits/shops.html",
    "audits/shop.html",
    "audits/review.html",
    "audits/_shop_detail.html",
    "audits/_shop_table.html",
    "audits/_shops_panel.html",
    "board/jobs_owner.html",
    "board/records.html",
    "board/visit_rules.html",
    "board/wave_post.html",
    "board/_post_form.html",
    "pay/payments.html",
    "pay/run.html",
    "_status.html",
)

SPANISH_COMPLETE: tuple[str, ...] = (
    "templates/base.html",
    "templates/macros.html",
    "app/orgs/models.py",
    "app/accounts/services.py",
)
