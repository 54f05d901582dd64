"""Start-up wiring, in one place: session listeners, template globals, events, providers,
background job kinds and schedules.

Nothing registers itself when imported. `wire()` runs in `create_app` (app/main.py), in the
`touchstone` command's start-up (app/cli.py) and in the test suite's conftest; it may run any
number of times. This module and the other composition roots (app/main.py, app/cli.py,
app/demo.py, app/asgi.py, app/schema.py) are the only modules of `app` that import the
packages above it (see the import-linter contracts in pyproject.toml).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

import app.db
from actions import routes as actions_routes
from app import events, providers, templating, tenancy
from app.jobs import runtime as jobs
from app.outbox import services as outbox
from app.webhooks import services as webhooks
from audits import queries as audits_queries
from audits import report_day as audits_report_day
from audits import routes as audits_routes
from audits.board import services as board_services
from audits.expenses import routes as expenses_routes
from audits.photos import services as photos_services
from recovery import report_day as recovery_report_day
from recovery import retention
from recovery import routes as recovery_routes
from recovery.alerts import routes as alerts_routes
from recovery.alerts import services as alerts
from reports import routes as reports_routes
from reports import summary as reports_summary
from reports.loop import summary as loop_summary
from reports.pdf import jobs as pdf_jobs
from reports.pdf import warm as pdf_warm
from reports.schedules import jobs as schedule_jobs
from touchpoints import library as touchpoints_library
from touchpoints import routes as touchpoints_routes
from touchpoints import services as touchpoints_services
from touchpoints.measures import routes as measures_routes

# Every ORM session's listeners, in the order they run. Tenancy comes first: it scopes each
# query to the organization and stamps org_id on new rows, which the report-day hooks read.
SESSION_LISTENERS: tuple[tuple[str, Callable[..., Any]], ...] = (
    ("do_orm_execute", tenancy.add_org_criteria),
    ("before_flush", tenancy.stamp_org),
    # report_day, score_pct and share kept right on every write
    ("before_flush", audits_report_day.before_flush),
    ("after_flush", audits_report_day.after_flush),
    # RecoveryCase.report_day kept right on every write
    ("before_flush", recovery_report_day.before_flush),
    ("after_flush", recovery_report_day.after_flush),
    # notes that a commit raised new alerts (mail and the navigation count follow)
    ("after_commit", alerts.after_commit),
    ("after_rollback", alerts.after_rollback),
    # queues the jobs of the e-mails a commit stored
    ("after_commit", outbox.after_commit),
    ("after_rollback", outbox.after_rollback),
    # queues the jobs of the webhook deliveries a commit stored
    ("after_commit", webhooks.after_commit),
    ("after_rollback", webhooks.after_rollback),
    # queues the rendering ahead that an approval recorded
    ("after_commit", pdf_warm.after_commit),
    ("after_rollback", pdf_warm.after_rollback),
)

# Background job kinds (app/jobs/runtime.py): name, body, whether it retries, what to do once
# the tries are spent.
JOBS: tuple[tuple[str, Callable[..., Any], bool, Callable[..., Any] | None], ...] = (
    # (webhook.send is registered below: it retries on a policy of its own, for a day)
    (outbox.SEND_JOB, outbox.mail_send, True, outbox.mail_give_up),
    (outbox.NOTICE_JOB, outbox.notice_send, True, outbox.notice_give_up),
    (alerts_routes.MAIL_JOB, alerts.alerts_mail_job, False, None),
    (pdf_jobs.PRINT_JOB, pdf_jobs.pack_print_job, False, None),
    (pdf_warm.WARM_JOB, pdf_warm.warm_job, False, None),
    (schedule_jobs.SEND_JOB, schedule_jobs.report_send_job, False, None),
)

# Work on a schedule of its own (cron with seconds; "tick" is the heartbeat,
# JOBS_TICK_SECONDS): overdue cases raise their alert without anybody opening a page, mail
# and packs whose job was never queued get one, and the daily clean-ups run.
SCHEDULES: tuple[tuple[str, str, Callable[..., Any]], ...] = (
    ("alerts.overdue", "tick", alerts.alerts_overdue_job),
    (outbox.SWEEP_JOB, "tick", outbox.mail_sweep),
    (webhooks.SWEEP_JOB, "tick", webhooks.webhooks_sweep),
    ("packs.sweep", "tick", pdf_jobs.packs_sweep_job),
    (schedule_jobs.DUE_JOB, "tick", schedule_jobs.schedules_due_job),
    ("retention.contacts", "0 15 3 * * *", retention.retention_job),
    ("photos.drafts", "0 20 3 * * *", photos_services.photo_drafts_job),
    # shops not started by their deadline go back to the job board (or to the owner)
    (board_services.NO_SHOW_JOB, "tick", board_services.no_shows_job),
)

# Modules whose TEMPLATE_GLOBALS / TEMPLATE_FILTERS go on the shared Jinja environment.
TEMPLATE_MODULES = (
    templating,
    touchpoints_routes,
    measures_routes,
    audits_routes,
    expenses_routes,
    recovery_routes,
    alerts_routes,
    actions_routes,
    reports_routes,
)

# Couplings that go up the layers: a lower package emits, a higher one listens.
EVENT_LISTENERS: tuple[tuple[str, Callable[..., Any]], ...] = (
    (events.SHOP_APPROVED, alerts.alerts_for_approved_shop),
    (events.SHOP_APPROVED, pdf_warm.warm_for_approved_shop),
    (events.ORG_CREATED, touchpoints_services.starter_apply),
)

# Questions that go up the layers: a lower package asks, a higher one answers.
PROVIDERS: tuple[tuple[str, Callable[..., Any]], ...] = (
    (providers.ANSWER_COUNTS, audits_queries.answer_counts),
    (providers.JOURNEY_CARDS, reports_summary.journey_cards),
    (providers.RECOVERY_RATES, loop_summary.board_rates),
    (providers.STARTER_KNOWN, touchpoints_library.starter_known),
    (providers.STARTER_CHOICES, touchpoints_library.starter_choices),
)


def wire() -> None:
    """Register everything above; running it again registers nothing twice."""
    for name, listener in SESSION_LISTENERS:
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
    env = templating.templates.env
    for module in TEMPLATE_MODULES:
        env.globals.update(getattr(module, "TEMPLATE_GLOBALS", {}))
        env.filters.update(getattr(module, "TEMPLATE_FILTERS", {}))
    for name, fn in EVENT_LISTENERS:
        events.on(name, fn)
    for name, fn in PROVIDERS:
        providers.provide(name, fn)
    for name, body, retry, give_up in JOBS:
        jobs.define(name, body, retry=retry, give_up=give_up)
    jobs.define(
        webhooks.SEND_JOB,
        webhooks.webhook_send,
        retry=True,
        give_up=webhooks.webhook_give_up,
        policy=webhooks.policy,
    )
    for name, cron, body in SCHEDULES:
        jobs.every(name, cron, body)
    app.db.mark_wired()
