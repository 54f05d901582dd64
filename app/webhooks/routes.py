"""The owners' webhooks pages under settings: register endpoints, see each one's deliveries
and their attempts, send one again, rotate the secret, resume a paused endpoint."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from app.errors import DomainError
from app.forms import parse_form
from app.i18n.catalogs import N_
from app.i18n.message import message
from app.templating import flash, redirect, render
from app.tenancy import OwnerDep, path_loader
from app.webhooks import queries, services
from app.webhooks.models import (
    EVENT_LABELS,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEndpointCreate,
    WebhookEvent,
)

router = APIRouter(include_in_schema=False)
EndpointDep = Annotated[WebhookEndpoint, Depends(path_loader(WebhookEndpoint))]
DeliveryDep = Annotated[WebhookDelivery, Depends(path_loader(WebhookDelivery))]

MSG_RESENT = N_("Sending it again. Its attempts show below as they happen.")
MSG_RESUMED = N_("Resumed: new events are sent to this endpoint again.")
MSG_DELETED = N_("The endpoint %(url)s is removed; it receives nothing more.")
EVENT_CHOICES = [(e.value, EVENT_LABELS[e]) for e in WebhookEvent]


def _list_page(
    request: Request,
    tenant: OwnerDep,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    created: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "orgs/webhooks.html",
        {
            "endpoints": queries.endpoints(tenant.session),
            "failed": queries.failed_counts(tenant.session),
            "choices": EVENT_CHOICES,
            "form": form or {"url": "", "description": "", "events": []},
            "errors": errors or {},
            "created": created,
            "tz": tenant.org.timezone,
        },
        status_code=status_code,
    )


@router.get("/settings/webhooks")
def webhooks_page(request: Request, tenant: OwnerDep) -> Response:
    return _list_page(request, tenant)


@router.post("/settings/webhooks")
def webhook_create_page(
    request: Request,
    tenant: OwnerDep,
    url: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    events: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Register an endpoint; the answer shows its secret, once (never stored in a flash)."""
    form = {"url": url, "description": description, "events": events or []}
    data, errors = parse_form(WebhookEndpointCreate, form)
    if data is None:
        return _list_page(request, tenant, form=form, errors=errors, status_code=400)
    endpoint, secret = services.endpoint_create(
        session=tenant.session, org_id=tenant.org_id, data=data
    )
    created = {"url": endpoint.url, "secret": secret, "id": str(endpoint.id)}
    return _list_page(request, tenant, created=created)


def _endpoint_page(
    request: Request,
    tenant: OwnerDep,
    endpoint: WebhookEndpoint,
    *,
    secret: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "orgs/webhook.html",
        {
            "endpoint": endpoint,
            "deliveries": queries.deliveries(tenant.session, endpoint.id or 0),
            "labels": {e.value: label for e, label in EVENT_LABELS.items()},
            "secret": secret,
            "notice": notice,
            "grace_hours": int(services.ROTATION_GRACE.total_seconds() // 3600),
            "tz": tenant.org.timezone,
        },
        status_code=status_code,
    )


@router.get("/settings/webhooks/{webhook_endpoint_id}")
def webhook_page(request: Request, tenant: OwnerDep, endpoint: EndpointDep) -> Response:
    return _endpoint_page(request, tenant, endpoint)


@router.post("/settings/webhooks/{webhook_endpoint_id}/rotate")
def webhook_rotate_page(request: Request, tenant: OwnerDep, endpoint: EndpointDep) -> Response:
    secret = services.endpoint_rotate(session=tenant.session, endpoint=endpoint)
    return _endpoint_page(request, tenant, endpoint, secret=secret)


@router.post("/settings/webhooks/{webhook_endpoint_id}/resume")
def webhook_resume_page(request: Request, tenant: OwnerDep, endpoint: EndpointDep) -> Response:
    try:
        services.endpoint_resume(session=tenant.session, endpoint=endpoint)
        flash(request, MSG_RESUMED)
    except DomainError as exc:  # a second tap, or another tab got there first
        flash(request, exc.message, "error")
    return redirect(request, f"/settings/webhooks/{endpoint.id}")


@router.post("/settings/webhooks/{webhook_endpoint_id}/delete")
def webhook_delete_page(request: Request, tenant: OwnerDep, endpoint: EndpointDep) -> Response:
    url = endpoint.url
    services.endpoint_delete(session=tenant.session, endpoint=endpoint)
    flash(request, message(MSG_DELETED, url=url))
    return redirect(request, "/settings/webhooks")


@router.post("/settings/webhooks/deliveries/{webhook_delivery_id}/resend")
def webhook_resend_page(request: Request, tenant: OwnerDep, delivery: DeliveryDep) -> Response:
    endpoint = tenant.get(WebhookEndpoint, delivery.endpoint_id)
    try:
        services.delivery_resend(session=tenant.session, delivery=delivery, endpoint=endpoint)
        flash(request, MSG_RESENT)
    except DomainError as exc:
        flash(request, exc.message, "error")
    return redirect(request, f"/settings/webhooks/{endpoint.id}#delivery-{delivery.id}")
