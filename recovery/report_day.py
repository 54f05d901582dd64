"""Keeps `RecoveryCase.report_day` in step with `reported_at` and the organization's zone.

The recovery rates are trended per week, month or quarter like shop scores, so a case counts
on the calendar day, in the organization's time zone, when the customer reported it — the
same rule and the same flush-time bookkeeping as `audits.report_day` uses for shops.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.orm.attributes import set_committed_value

from app.modelbase import ident
from app.orgs.models import Organization
from audits.report_day import changed, org_zone, report_day
from recovery.models import RecoveryCase

_PENDING = "touchstone_recovery_tz_pending"


def before_flush(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    zones: dict[int, str] = {}
    orgs: list[int] = []
    new = session.new  # a fresh set on every access: read once
    for obj in [*new, *session.dirty]:
        if isinstance(obj, RecoveryCase):
            if obj in new or changed(obj, "reported_at", "org_id"):
                tz = org_zone(session, obj.org_id, zones)
                obj.report_day = report_day(obj.reported_at, None, tz)
        elif isinstance(obj, Organization) and obj not in new and changed(obj, "timezone"):
            orgs.append(ident(obj))
    if orgs:
        session.info[_PENDING] = orgs


def after_flush(session: Session, _context: UOWTransaction) -> None:
    for org_id in session.info.pop(_PENDING, []):
        _recompute_org(session, org_id)


def _recompute_org(session: Session, org_id: int) -> None:
    """Every case of the organization after its time zone changed (rare; one transaction)."""
    org = session.get(Organization, org_id)
    if org is None:
        return
    table = RecoveryCase.__table__  # type: ignore[attr-defined]
    connection = session.connection()
    found = connection.execute(
        select(table.c.id, table.c.reported_at).where(table.c.org_id == org_id)
    ).all()
    if not found:
        return
    days = {cid: report_day(at, None, org.timezone) for cid, at in found}
    for cid, day in days.items():
        connection.execute(update(table).where(table.c.id == cid).values(report_day=day))
    for obj in session.identity_map.values():
        if isinstance(obj, RecoveryCase) and obj.id in days:
            set_committed_value(obj, "report_day", days[obj.id])
