"""What each event's request carries: the shapes of its `data`, and the envelope around it.

These models are also the OpenAPI document's `webhooks` section (`document` below, called by
create_app). A payload carries what an owner may see and no more, and never who the shopper
was: no shopper id or name, and no customer contact details of a recovery case.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Literal

from fastapi import Body, FastAPI
from pydantic import BaseModel, Field, create_model

from app.webhooks.models import EVENT_LABELS, WebhookEvent


class ShopData(BaseModel):
    id: int
    status: str
    location_id: int | None
    location: str = Field(description="The location's name")
    scenario: str
    visited_at: datetime | None
    submitted_at: datetime | None
    approved_at: datetime | None = None
    score: float | None = Field(
        description="Percent, 0-100: the snapshot taken at submission, refreshed on approval"
    )


class AlertData(BaseModel):
    id: int
    kind: Literal["critical_fail", "below_target", "case_overdue"]
    message: str
    shop_id: int | None
    recovery_case_id: int | None
    touchpoint_id: int | None
    location_id: int | None
    created_at: datetime


class CaseData(BaseModel):
    """A recovery case, without the customer's name or contact details."""

    id: int
    reference: str
    source: str
    summary: str
    reported_at: datetime
    due_at: datetime = Field(description="The end of its 24-hour window")
    touchpoint_id: int | None
    location_id: int | None
    shop_id: int | None


class ActionItemData(BaseModel):
    id: int
    title: str
    touchpoint_id: int
    team: str = Field(description="The team that does it (never a person)")
    source: str
    shop_id: int | None
    recovery_case_id: int | None
    due_on: date | None
    done_at: datetime | None


class ShopPayload(BaseModel):
    shop: ShopData


class AlertPayload(BaseModel):
    alert: AlertData


class CasePayload(BaseModel):
    recovery_case: CaseData


class ActionItemPayload(BaseModel):
    action_item: ActionItemData


DATA_MODELS: dict[WebhookEvent, type[BaseModel]] = {
    WebhookEvent.shop_submitted: ShopPayload,
    WebhookEvent.shop_approved: ShopPayload,
    WebhookEvent.alert_raised: AlertPayload,
    WebhookEvent.case_opened: CasePayload,
    WebhookEvent.case_overdue: CasePayload,
    WebhookEvent.action_item_done: ActionItemPayload,
}


class Organization(BaseModel):
    id: int


def envelope(
    *, delivery: str, event: WebhookEvent, created_at: datetime, org_id: int, data: BaseModel
) -> dict[str, Any]:
    """The request body: the same for every try of a delivery."""
    return {
        "id": delivery,
        "type": event.value,
        "created_at": created_at.isoformat().replace("+00:00", "Z"),
        "organization": {"id": org_id},
        "data": data.model_dump(mode="json"),
    }


def _envelope_model(event: WebhookEvent) -> type[BaseModel]:
    name = "".join(part.title() for part in event.value.replace(".", "_").split("_"))
    return create_model(
        f"{name}Event",
        id=(str, Field(description="The delivery id, also in the Touchstone-Delivery header")),
        type=(Literal[event.value], event.value),  # type: ignore[arg-type]
        created_at=(datetime, ...),
        organization=(Organization, ...),
        data=(DATA_MODELS[event], ...),
    )


def document(app: FastAPI) -> None:
    """Describe every event under the OpenAPI document's `webhooks`."""
    for event in WebhookEvent:
        app.webhooks.post(
            event.value,
            summary=EVENT_LABELS[event],
            response_description="Any 2xx: received",
            operation_id=f"webhook_{event.value.replace('.', '_')}",
        )(_receiver(event))


def _receiver(event: WebhookEvent) -> Callable[..., None]:
    model = _envelope_model(event)

    def receiver(body: Any = Body()) -> None:
        pass

    receiver.__annotations__ = {"body": model, "return": None}
    receiver.__doc__ = (
        f"Sent to endpoints that chose `{event.value}`, signed in the Touchstone-Signature "
        "header (docs/webhooks.md). Answer with any 2xx within 5 seconds; anything else is "
        "tried again for a day."
    )
    receiver.__name__ = event.value.replace(".", "_")
    return receiver
