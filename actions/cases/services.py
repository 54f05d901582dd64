"""Turning a recovery case's "what we will do differently" into an action item.

It lives here, above recovery, because an action item points at the case it came from; the
case page links to it through `recovery.services.case_action_item`, a read of the item's row.
"""

from __future__ import annotations

from sqlmodel import Session, select

from actions.services import MSG_TOUCHPOINT_UNKNOWN, ActionItemFields, action_item_create
from app.errors import DomainError
from app.i18n.catalogs import N_
from app.modelbase import ident, utcnow
from recovery.models import RecoveryCase
from recovery.services import case_action_item
from touchpoints.models import ActionItem, ActionSource, Touchpoint

MSG_ACTION_NO_TOUCHPOINT = N_("File the case under a touchpoint first: action items belong to one.")
MSG_ACTION_NO_TEXT = N_("Write what we will do differently first.")


def case_action_item_make(
    *, session: Session, case: RecoveryCase, actor_id: int | None
) -> tuple[ActionItem, bool]:
    """Turn "what we will do differently" into an action item of the case's touchpoint.

    Returns the item and whether it was made now; pressing the button twice finds the
    first item instead of making a second one.
    """
    # Take the case's row lock first so that two presses at once make one item (PostgreSQL;
    # SQLite writers already take turns).
    session.exec(
        select(RecoveryCase.id).where(RecoveryCase.id == ident(case)).with_for_update()
    ).first()
    existing = case_action_item(session, case)
    if existing is not None:
        return existing, False
    if case.touchpoint_id is None:
        raise DomainError(MSG_ACTION_NO_TOUCHPOINT, field="touchpoint_id")
    if not case.triage_change:
        raise DomainError(MSG_ACTION_NO_TEXT, field="triage_change")
    touchpoint = session.get(Touchpoint, case.touchpoint_id)
    if touchpoint is None or touchpoint.org_id != case.org_id:
        raise DomainError(MSG_TOUCHPOINT_UNKNOWN, field="touchpoint_id")
    text = case.triage_change
    title = text if len(text) <= 300 else text[:299].rstrip() + "…"
    details = f"From recovery case {case.reference}."
    if title != text:  # the whole text is kept in the details (their limit is 4,000 too)
        details = f"{text[:3900]}\n\n{details}"
    item = action_item_create(
        session=session,
        org_id=case.org_id,
        touchpoint_id=touchpoint.id,  # type: ignore[arg-type]
        data=ActionItemFields(
            title=title,
            details=details,
            team=touchpoint.team or "",
            source=ActionSource.recovery_case,
            recovery_case_id=ident(case),
        ),
        actor_id=actor_id,
        commit=False,  # with the case's own change, below
    )
    # The case changed too, as every write to a case stamps it (recovery.services).
    case.updated_at = utcnow()
    session.add(case)
    session.commit()
    return item, True
