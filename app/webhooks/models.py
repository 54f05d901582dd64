"""Webhook endpoints, their deliveries, and every attempt at a delivery."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import pydantic
from pydantic import BaseModel, ConfigDict, field_validator
from sqlalchemy import JSON, String, Text
from sqlmodel import Field

from app.i18n.catalogs import N_
from app.i18n.message import message
from app.modelbase import OrgOwned, utc_field, utcnow


class WebhookEvent(StrEnum):
    """What an endpoint can subscribe to (docs/webhooks.md; the payloads in payloads.py)."""

    shop_submitted = "shop.submitted"
    shop_approved = "shop.approved"
    alert_raised = "alert.raised"
    case_opened = "recovery_case.opened"
    case_overdue = "recovery_case.overdue"
    action_item_done = "action_item.done"


EVENT_LABELS = {
    WebhookEvent.shop_submitted: "A shopper submitted a shop",
    WebhookEvent.shop_approved: "A shop was approved (with its score)",
    WebhookEvent.alert_raised: "An alert was raised",
    WebhookEvent.case_opened: "A recovery case was opened",
    WebhookEvent.case_overdue: "A recovery case is past its 24 hours",
    WebhookEvent.action_item_done: "An action item was done",
}


class WebhookEndpoint(OrgOwned, table=True):
    """A URL of an organization's that is sent the events it chose.

    The secret signs each request; receivers verify with it, so it is kept as it is (a
    digest cannot sign). After a rotation the previous secret also signs until
    `previous_until` (docs/webhooks.md, rotation)."""

    __tablename__ = "webhook_endpoint"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(sa_type=String(2000))
    description: str = Field(default="", sa_type=String(200))
    events: list[str] = Field(default_factory=list, sa_type=JSON)
    secret: str = Field(sa_type=String(100))
    previous_secret: str = Field(default="", sa_type=String(100))
    previous_until: datetime | None = utc_field(default=None)
    # Failed attempts in a row, and since when (both cleared by a success): an endpoint
    # failing for WEBHOOK_PAUSE_SECONDS is paused.
    failures: int = 0
    failing_since: datetime | None = utc_field(default=None)
    paused_at: datetime | None = utc_field(default=None)
    paused_reason: str = Field(default="", sa_type=Text)
    created_at: datetime = utc_field(default_factory=utcnow)


class DeliveryStatus(StrEnum):
    queued = "queued"  # waiting for its job, or for its next try
    sending = "sending"  # a worker is talking to the endpoint
    delivered = "delivered"  # the endpoint answered 2xx
    failed = "failed"  # every try failed, or the endpoint was paused; may be sent again


class WebhookDelivery(OrgOwned, table=True):
    """One event for one endpoint. `body` is the exact JSON sent every time; `uuid` is the
    `Touchstone-Delivery` header, the same on every try and every resend, so a receiver can
    drop what it has already handled."""

    __tablename__ = "webhook_delivery"

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(sa_type=String(36), unique=True)
    endpoint_id: int = Field(foreign_key="webhook_endpoint.id", index=True, ondelete="CASCADE")
    event: str = Field(sa_type=String(40))
    body: str = Field(sa_type=Text)
    status: DeliveryStatus = Field(default=DeliveryStatus.queued, sa_type=String(12), index=True)
    # Raised each time an owner sends it again: each round is a job of its own.
    round: int = 0
    attempts: int = 0
    last_error: str = Field(default="", sa_type=Text)
    created_at: datetime = utc_field(default_factory=utcnow)
    delivered_at: datetime | None = utc_field(default=None)
    failed_at: datetime | None = utc_field(default=None)


class WebhookAttempt(OrgOwned, table=True):
    """One request to an endpoint: when, how long, its answer's status code or the error."""

    __tablename__ = "webhook_attempt"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhook_delivery.id", index=True, ondelete="CASCADE")
    at: datetime = utc_field(default_factory=utcnow)
    duration_ms: int = 0
    status_code: int | None = None
    ok: bool = False
    error: str = Field(default="", sa_type=String(300))


# --- shapes -------------------------------------------------------------------------------

MSG_URL = "Give the full address the events go to, starting with https:// (or http://)."
MSG_EVENTS = "Choose at least one event."
MSG_EVENT_UNKNOWN = N_("Choose among: %(events)s.")
MSG_DESCRIPTION = "Keep the description under 200 characters."


class WebhookEndpointCreate(BaseModel):
    """A new endpoint, from the page's form or `POST /api/v1/webhooks`."""

    model_config = ConfigDict(extra="forbid")

    url: str = pydantic.Field(examples=["https://hooks.example.com/touchstone"])
    description: str = ""
    events: list[WebhookEvent] = pydantic.Field(examples=[["shop.approved", "alert.raised"]])

    @field_validator("url", mode="before")
    @classmethod
    def _url(cls, v: Any) -> str:
        if not isinstance(v, str):
            raise ValueError(MSG_URL)
        v = v.strip()
        try:
            parts = urlsplit(v)
        except ValueError:
            raise ValueError(MSG_URL) from None
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or len(v) > 2000
            or any(c.isspace() for c in v)
        ):
            raise ValueError(MSG_URL)
        return v

    @field_validator("description", mode="before")
    @classmethod
    def _description(cls, v: Any) -> str:
        if v is None:
            return ""
        if not isinstance(v, str) or len(v.strip()) > 200:
            raise ValueError(MSG_DESCRIPTION)
        return v.strip()

    @field_validator("events", mode="before")
    @classmethod
    def _events(cls, v: Any) -> list[WebhookEvent]:
        if not isinstance(v, list) or not v:
            raise ValueError(MSG_EVENTS)
        known = {e.value for e in WebhookEvent}
        if any(not isinstance(e, str) or e not in known for e in v):
            raise ValueError(message(MSG_EVENT_UNKNOWN, events=", ".join(sorted(known))))
        return [WebhookEvent(e) for e in dict.fromkeys(v)]


class WebhookEndpointPublic(BaseModel):
    id: int
    url: str
    description: str
    events: list[str]
    paused: bool
    paused_reason: str
    created_at: datetime


class WebhookEndpointCreated(WebhookEndpointPublic):
    secret: str = pydantic.Field(description="Signs every request; shown only in this answer")
