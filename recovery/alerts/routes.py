"""The owner's alerts page (dismiss and undo with htmx), the nav count, the overview's
newest alerts, and the step that queues the e-mail of new alerts after a request."""

from __future__ import annotations

import logging
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import Response
from jinja2 import pass_context
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import DomainError
from app.jobs import runtime as jobs
from app.modelbase import utcnow
from app.outbox.queries import mails_failed_count
from app.templating import flash, redirect, render
from app.tenancy import OwnerDep, Tenant, path_loader
from recovery.alerts import services as service
from recovery.models import Alert

log = logging.getLogger("touchstone.alerts")

router = APIRouter(include_in_schema=False)
AlertDep = Annotated[Alert, Depends(path_loader(Alert))]

OVERVIEW_LIMIT = 3
ALERTS_CHANGED = "alerts-changed"  # htmx event: a response committed new alerts
DISMISSED_SHOWN = 20


def alerts_refresh(request: Request, tenant: Tenant) -> None:
    """Raise the overdue alerts of this organization now, so a deployment without the cron
    job still sees them. One indexed read when nothing is due; a short write otherwise.
    Runs once per request (the overview's header and body both ask)."""
    if getattr(request.state, "alerts_refreshed", False):
        return
    request.state.alerts_refreshed = True
    now = utcnow()
    if not service.overdue_waiting(tenant.session, now):
        return
    try:
        service.alerts_refresh_overdue(session=tenant.session, now=now)
    except Exception:  # the page is still worth showing; the next visit or cron tries again
        log.exception("overdue check failed for organization %s", tenant.org_id)


def _panel_context(request: Request, tenant: Tenant, **extra: Any) -> dict[str, Any]:
    open_alerts = service.alerts_list(tenant.session)
    return {
        "groups": service.alerts_grouped(open_alerts),
        "shown_count": len(open_alerts),
        "settled": service.cases_settled(tenant.session, open_alerts, tenant.org.timezone),
        "open_count": service.open_alert_count(tenant.session),
        "dismissed": [
            service.alert_row(a)
            for a in service.alerts_list(tenant.session, dismissed=True, limit=DISMISSED_SHOWN)
        ],
        "tz": tenant.org.timezone,
        "mail_on": request.app.state.settings.smtp_enabled,
        "mail_failed": mails_failed_count(tenant.session),
        "notice": None,
        "oob_count": False,
        **extra,
    }


def _panel(request: Request, tenant: Tenant, status_code: int = 200, **extra: Any) -> Response:
    return render(
        request,
        "recovery/alerts.html",
        _panel_context(request, tenant, **extra),
        fragment="recovery/_alerts_panel.html",
        status_code=status_code,
    )


@router.get("/alerts")
def alerts_page(request: Request, tenant: OwnerDep) -> Response:
    alerts_refresh(request, tenant)
    return _panel(request, tenant)


def _change(request: Request, tenant: Tenant, alert: Alert, *, dismiss: bool) -> Response:
    try:
        if dismiss:
            service.alert_dismiss(session=tenant.session, alert=alert, actor_id=tenant.user_id)
            done = "Dismissed. It waits under “Dismissed” if you need it back."
        else:
            service.alert_undismiss(session=tenant.session, alert=alert)
            done = "Back on the list."
    except DomainError as exc:  # a second tap, or another tab got there first: say so
        done = exc.message
    if not request.headers.get("hx-request"):
        flash(request, done)
        return redirect(request, "/alerts")
    return _panel(request, tenant, notice=done, oob_count=True)


@router.get("/alerts/count")
def alert_count(request: Request, tenant: OwnerDep) -> Response:
    """The navigation's count alone: htmx asks for it when a response says alerts changed."""
    return render(
        request,
        "recovery/_alert_count.html",
        {"n": service.open_alert_count(tenant.session), "oob_count": False},
    )


@router.post("/alerts/{alert_id}/dismiss")
def alert_dismiss(request: Request, tenant: OwnerDep, alert: AlertDep) -> Response:
    return _change(request, tenant, alert, dismiss=True)


@router.post("/alerts/{alert_id}/undismiss")
def alert_undismiss(request: Request, tenant: OwnerDep, alert: AlertDep) -> Response:
    return _change(request, tenant, alert, dismiss=False)


# --- for base.html and the owner overview ------------------------------------------------


@pass_context
def _nav_alert_count(context: Any) -> int:
    """The count beside "Alerts" in the owner's navigation (one COUNT). On the overview the
    overdue check runs first, so the header already counts what the page is about to list."""
    tenant: Tenant | None = context.get("tenant")
    if tenant is None:
        return 0
    request: Request = context["request"]
    if request.url.path == "/":
        alerts_refresh(request, tenant)
    return service.open_alert_count(tenant.session)


@pass_context
def _overview_alerts(context: Any) -> list[service.AlertRow]:
    """The newest open alerts for the owner overview, after the cheap overdue check."""
    request: Request = context["request"]
    tenant: Tenant | None = context.get("tenant")
    if tenant is None:
        return []
    alerts_refresh(request, tenant)
    return [service.alert_row(a) for a in service.alerts_list(tenant.session, limit=OVERVIEW_LIMIT)]


# Registered on the shared Jinja environment by app.wiring at start-up.
TEMPLATE_GLOBALS: dict[str, object] = {
    "nav_alert_count": _nav_alert_count,
    "overview_alerts": _overview_alerts,
}


# --- e-mail after the response -------------------------------------------------------------

MAIL_JOB = "alerts.mail"


def install(app: FastAPI) -> None:
    """Queue the e-mail of new alerts once a request has committed them (the `alerts.mail`
    job; the heartbeat catches anything missed), and tell htmx when a request raised some,
    so the navigation's count follows without a page load."""
    app.add_middleware(AlertMail)


class AlertMail:
    """The layer `install` adds, outermost. Plain ASGI rather than `@app.middleware("http")`
    (Starlette's BaseHTTPMiddleware), which runs every request's app in a task of its own
    with memory streams between: about a twentieth of an answer save's CPU
    (docs/performance.md, autosave)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raised: list[int] = []
        htmx = "hx-request" in Headers(scope=scope)

        async def send_marked(message: Message) -> None:
            if message["type"] == "http.response.start" and raised and htmx:
                # The page stays; its navigation count refreshes itself (_alert_count.html).
                headers = MutableHeaders(scope=message)
                trigger = headers.get("HX-Trigger")
                if trigger is None:
                    headers["HX-Trigger"] = ALERTS_CHANGED
                elif not trigger.lstrip().startswith("{"):
                    headers["HX-Trigger"] = f"{trigger}, {ALERTS_CHANGED}"
            await send(message)

        token = service.REQUEST_RAISED.set(raised)
        try:
            await self.app(scope, receive, send_marked)
        finally:
            service.REQUEST_RAISED.reset(token)
        if service.new_alerts_pending():
            # One job per burst is plenty: it mails every alert not mailed yet.
            jobs.enqueue(MAIL_JOB, job_id=f"alerts-mail-{uuid.uuid4().hex}")
