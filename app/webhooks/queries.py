"""Reads for the owners' webhooks pages and the API."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEndpointPublic,
)

# The endpoint page lists this many deliveries, newest first.
PAGE_LIMIT = 50


def endpoints(session: Session) -> list[WebhookEndpoint]:
    return list(session.exec(select(WebhookEndpoint).order_by(col(WebhookEndpoint.id))).all())


def endpoint_public(endpoint: WebhookEndpoint) -> WebhookEndpointPublic:
    return WebhookEndpointPublic(
        id=endpoint.id or 0,
        url=endpoint.url,
        description=endpoint.description,
        events=endpoint.events,
        paused=endpoint.paused_at is not None,
        paused_reason=endpoint.paused_reason,
        created_at=endpoint.created_at,
    )


def failed_counts(session: Session) -> dict[int, int]:
    """Deliveries that gave up, per endpoint (one GROUP BY, for the list)."""
    rows = session.exec(
        select(WebhookDelivery.endpoint_id, func.count())
        .where(WebhookDelivery.status == DeliveryStatus.failed)
        .group_by(col(WebhookDelivery.endpoint_id))
    ).all()
    return {endpoint_id: int(n) for endpoint_id, n in rows}


def deliveries(
    session: Session, endpoint_id: int, *, limit: int = PAGE_LIMIT
) -> list[tuple[WebhookDelivery, list[WebhookAttempt]]]:
    """The endpoint's latest deliveries, each with its attempts, oldest attempt first."""
    rows = list(
        session.exec(
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint_id)
            .order_by(col(WebhookDelivery.id).desc())
            .limit(limit)
        ).all()
    )
    attempts: dict[int, list[WebhookAttempt]] = defaultdict(list)
    if rows:
        for attempt in session.exec(
            select(WebhookAttempt)
            .where(col(WebhookAttempt.delivery_id).in_([d.id for d in rows]))
            .order_by(col(WebhookAttempt.id))
        ).all():
            attempts[attempt.delivery_id].append(attempt)
    return [(d, attempts[d.id or 0]) for d in rows]
