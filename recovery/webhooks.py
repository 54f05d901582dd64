"""What recovery's webhook events say about a case: never the customer's name or contact."""

from __future__ import annotations

from sqlmodel import Session

from app.modelbase import ident
from app.webhooks.models import WebhookEvent
from app.webhooks.payloads import CaseData, CasePayload
from app.webhooks.services import webhook_emit
from recovery.models import RecoveryCase
from recovery.window import WINDOW


def case_data(case: RecoveryCase) -> CaseData:
    return CaseData(
        id=ident(case),
        reference=case.reference,
        source=str(case.source),
        summary=case.summary,
        reported_at=case.reported_at,
        due_at=case.reported_at + WINDOW,
        touchpoint_id=case.touchpoint_id,
        location_id=case.location_id,
        shop_id=case.shop_id,
    )


def case_webhook(session: Session, case: RecoveryCase, event: WebhookEvent) -> None:
    """Record the event's deliveries in the caller's transaction."""
    webhook_emit(
        session=session,
        org_id=case.org_id,
        event=event,
        data=CasePayload(recovery_case=case_data(case)),
    )
