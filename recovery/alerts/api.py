"""JSON API for alerts: list them, dismiss one, take a dismissal back (owners only)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from app.modelbase import MAX_ID, ident
from app.paging import PAGE_HEADERS_DOC, page_headers
from app.tenancy import OwnerDep
from recovery.alerts import services as service
from recovery.alerts.routes import AlertDep, alerts_refresh
from recovery.models import Alert, AlertKind

router = APIRouter(tags=["alerts"])


class AlertState(StrEnum):
    open = "open"
    dismissed = "dismissed"


class AlertPublic(BaseModel):
    id: int
    kind: AlertKind
    label: str
    message: str
    next_step: str
    created_at: datetime
    emailed_at: datetime | None
    dismissed_at: datetime | None
    shop_id: int | None
    touchpoint_id: int | None
    recovery_case_id: int | None
    location_id: int | None
    links: list[str]  # paths of the pages behind the alert, the most useful first


def _public(alert: Alert) -> AlertPublic:
    row = service.alert_row(alert)
    return AlertPublic(
        id=ident(alert),
        kind=AlertKind(alert.kind),
        label=row.label,
        message=alert.message,
        next_step=row.next_step,
        created_at=alert.created_at,
        emailed_at=alert.emailed_at,
        dismissed_at=alert.dismissed_at,
        shop_id=alert.shop_id,
        touchpoint_id=alert.touchpoint_id,
        recovery_case_id=alert.recovery_case_id,
        location_id=alert.location_id,
        links=[path for _, path in row.links],
    )


@router.get(
    "/alerts",
    response_model=list[AlertPublic],
    responses={
        200: {
            "description": "The alerts.",
            "headers": PAGE_HEADERS_DOC,
        }
    },
)
def alerts(
    request: Request,
    response: Response,
    tenant: OwnerDep,
    state: Annotated[AlertState, Query(description="open (default) or dismissed")] = (
        AlertState.open
    ),
    limit: Annotated[int, Query(ge=1, le=500)] = service.PAGE_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> list[AlertPublic]:
    """Alerts, newest first: open ones, or the dismissed ones (most recently dismissed first),
    `limit` at a time from `offset`; `X-Total-Count` and a `Link` header with `rel="next"`
    tell whether more follow. Recovery cases past their 24 hours get their alert before the
    list is read."""
    alerts_refresh(request, tenant)
    dismissed = state == AlertState.dismissed
    found = service.alerts_list(tenant.session, dismissed=dismissed, limit=limit, offset=offset)
    total = service.open_alert_count(tenant.session, dismissed=dismissed)
    page_headers(
        request, response.headers, offset=offset, limit=limit, shown=len(found), total=total
    )
    return [_public(a) for a in found]


@router.post(
    "/alerts/{alert_id}/dismiss",
    response_model=AlertPublic,
    responses={409: {"description": "Already dismissed."}},
)
def alert_dismiss(tenant: OwnerDep, alert: AlertDep) -> AlertPublic:
    """Take an alert off the open list (it can be brought back)."""
    return _public(
        service.alert_dismiss(session=tenant.session, alert=alert, actor_id=tenant.user_id)
    )


@router.post(
    "/alerts/{alert_id}/undismiss",
    response_model=AlertPublic,
    responses={409: {"description": "Not dismissed."}},
)
def alert_undismiss(tenant: OwnerDep, alert: AlertDep) -> AlertPublic:
    """Put a dismissed alert back on the open list."""
    return _public(service.alert_undismiss(session=tenant.session, alert=alert))
