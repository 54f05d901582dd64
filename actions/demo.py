"""Demo Co's action items, the last part of the story that `recovery.demo` tells.

Two staff meetings agreed what to change (the returns fix seven months ago, the new tills
last month), a shopper's suggestion started another, and one recent case's "what we will do
differently" became an item with one click. They go through the services themselves, after
the cases they point at: `app.demo` calls this after `recovery.demo.demo_recovery`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from actions.cases.services import case_action_item_make
from actions.services import ActionItemFields, action_item_create, action_item_set_status
from app.modelbase import ident, utcnow
from app.orgs.models import Organization
from audits.models import Shop, ShopStatus, ShopTouchpoint
from recovery.demo import (
    DONE_MONTHS_AGO,
    MEETING_MONTHS_AGO,
    STORIES,
    demo_touchpoints,
    month_day,
)
from recovery.models import RecoveryCase
from touchpoints.models import ActionSource, ActionStatus, Channel


def demo_actions(
    session: Session, org: Organization, *, owner_id: int, now: datetime | None = None
) -> int:
    """Demo Co's action items; returns how many. Expects a session scoped to `org`."""
    now = (now or utcnow()).replace(microsecond=0)
    tps = demo_touchpoints(session, org)
    tz = ZoneInfo(org.timezone)
    today = now.astimezone(tz).date()
    meeting = month_day(now, tz, MEETING_MONTHS_AGO, 14)
    # The phone idea came from a shopper's suggestion: the latest approved shop of the phone.
    phone_shop = None
    if Channel.phone in tps:
        phone_shop = session.exec(
            select(Shop.id)
            .join(ShopTouchpoint, col(ShopTouchpoint.shop_id) == col(Shop.id))
            .where(
                ShopTouchpoint.touchpoint_id == ident(tps[Channel.phone]),
                Shop.status == ShopStatus.approved,
            )
            .order_by(col(Shop.approved_at).desc())
        ).first()
    plans: list[tuple[Channel, ActionItemFields, ActionStatus, datetime | None]] = [
        (
            Channel.problem,
            ActionItemFields(
                title="Let front-line staff replace faulty items up to £50 on the spot",
                details="No manager's signature needed; log the replacement on the returns sheet.",
                team="Store teams",
                due_on=month_day(now, tz, DONE_MONTHS_AGO, 26),
                source=ActionSource.meeting,
                meeting_on=meeting,
            ),
            ActionStatus.done,
            datetime.combine(month_day(now, tz, DONE_MONTHS_AGO, 12), datetime.min.time(), tz)
            + timedelta(hours=16),
        ),
        (
            Channel.problem,
            ActionItemFields(
                title="Replace the old returns script with the 'hear, apologize, fix' card",
                team="Training",
                due_on=month_day(now, tz, DONE_MONTHS_AGO + 1, 20),
                source=ActionSource.meeting,
                meeting_on=meeting,
            ),
            ActionStatus.done,
            datetime.combine(month_day(now, tz, DONE_MONTHS_AGO + 1, 18), datetime.min.time(), tz)
            + timedelta(hours=11),
        ),
        (
            Channel.billing,
            ActionItemFields(
                title="Switch on itemized receipts on the new tills",
                details="So a repeated line is seen before the customer pays.",
                team="Finance and IT",
                due_on=today + timedelta(days=6),
                source=ActionSource.meeting,
                meeting_on=month_day(now, tz, 1, 9),
            ),
            ActionStatus.doing,
            None,
        ),
        (
            Channel.billing,
            ActionItemFields(
                title="Refresh weekend staff on the new till's refund screen",
                team="Training",
                due_on=today - timedelta(days=5),
                source=ActionSource.meeting,
                meeting_on=month_day(now, tz, 1, 9),
            ),
            ActionStatus.open,
            None,
        ),
        (
            Channel.billing,
            ActionItemFields(
                title="Turn off the default service charge on the new tills",
                team="Finance and IT",
                due_on=today - timedelta(days=14),
                source=ActionSource.meeting,
                meeting_on=month_day(now, tz, 1, 9),
            ),
            ActionStatus.done,
            now - timedelta(days=16, hours=3),
        ),
        (
            Channel.phone,
            ActionItemFields(
                title="Tell callers how long the wait will be",
                team="Customer Line",
                due_on=today + timedelta(days=20),
                source=ActionSource.shop if phone_shop else ActionSource.other,
                shop_id=phone_shop,
            ),
            ActionStatus.open,
            None,
        ),
    ]
    made = 0
    # One click on a recent case's "what we will do differently" made an item of it.
    if Channel.problem in tps:
        case = session.exec(
            select(RecoveryCase)
            .where(
                RecoveryCase.touchpoint_id == ident(tps[Channel.problem]),
                col(RecoveryCase.closed_at).is_not(None),
                RecoveryCase.triage_change == STORIES[Channel.problem][2][5],
            )
            .order_by(col(RecoveryCase.reported_at).desc())
        ).first()
        if case is not None:
            item, _ = case_action_item_make(session=session, case=case, actor_id=owner_id)
            item.due_on = today + timedelta(days=12)
            session.add(item)
            made += 1
    for channel, fields, status, closed in plans:
        tp = tps.get(channel)
        if tp is None:
            continue
        item = action_item_create(
            session=session,
            org_id=ident(org),
            touchpoint_id=ident(tp),
            data=fields,
            actor_id=owner_id,
        )
        if status != ActionStatus.open:
            action_item_set_status(session=session, item=item, status=status)
        if closed is not None:
            # Done months ago: the service stamps "now", the story needs the day it happened.
            item.closed_at = closed.astimezone(UTC)
            item.created_at = item.updated_at = min(
                item.closed_at,
                datetime.combine(fields.meeting_on or today, datetime.min.time(), tz),
            )
            session.add(item)
        made += 1
    session.commit()
    return made
