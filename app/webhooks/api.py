"""Webhook endpoints in the JSON API (owners only): list, register, remove. The pages under
/settings/webhooks do the same and show the deliveries."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from app.tenancy import OwnerDep, path_loader
from app.webhooks import queries, services
from app.webhooks.models import (
    WebhookEndpoint,
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointPublic,
)

router = APIRouter(tags=["webhooks"])
EndpointDep = Annotated[WebhookEndpoint, Depends(path_loader(WebhookEndpoint))]


@router.get("/webhooks", response_model=list[WebhookEndpointPublic])
def webhook_list(tenant: OwnerDep) -> list[WebhookEndpointPublic]:
    """The organization's endpoints (their secrets are never shown again)."""
    return [queries.endpoint_public(e) for e in queries.endpoints(tenant.session)]


@router.post("/webhooks", response_model=WebhookEndpointCreated, status_code=201)
def webhook_create(tenant: OwnerDep, data: WebhookEndpointCreate) -> WebhookEndpointCreated:
    """Register an endpoint for the events named; the answer carries its signing secret,
    shown only here. A URL that is not http(s) or an empty event list is a 422 naming the
    field."""
    endpoint, secret = services.endpoint_create(
        session=tenant.session, org_id=tenant.org_id, data=data
    )
    public = queries.endpoint_public(endpoint)
    return WebhookEndpointCreated(**public.model_dump(), secret=secret)


@router.delete("/webhooks/{webhook_endpoint_id}", status_code=204)
def webhook_delete(tenant: OwnerDep, endpoint: EndpointDep) -> Response:
    """Remove an endpoint with its deliveries; it receives nothing more."""
    services.endpoint_delete(session=tenant.session, endpoint=endpoint)
    return Response(status_code=204)
