"""Data retention: customer contact details on recovery cases are kept only as long as the
organization says (`Organization.contact_retention_days`), then removed by a daily clean-up.

The case itself stays — what happened, how it was recovered and the triage are what the
organization learns from; only who complained, and how to reach them, goes. The same days
apply to the shoppers' location checks at the start of a visit (audits.proof), deleted by
the same job. `touchstone
cleanup` runs `contacts_purge` for every organization (once a day from cron).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import Session, select

from app.jobs.runtime import JobContext
from app.modelbase import ident, utcnow
from app.orgs.models import Organization
from app.tenancy import unscoped
from audits.proof.services import location_checks_purge
from recovery.models import RecoveryCase


@dataclass(frozen=True)
class PurgeCount:
    """What one organization's clean-up did."""

    org_id: int
    org_name: str
    retention_days: int
    removed: int  # cases whose name and contact were blanked this time


def contacts_cutoff(*, now: datetime, retention_days: int) -> datetime:
    """Cases reported before this moment have kept their contact details long enough."""
    return now - timedelta(days=retention_days)


def contacts_purge(*, session: Session, now: datetime) -> list[PurgeCount]:
    """Blank the customer's name and contact on every case reported more than its
    organization's retention period before `now`, and note when (`contact_removed_at`).

    Organizations without a retention period (None) keep the details. Cases with nothing to
    remove are not touched, so running it twice changes nothing the second time. Looks across
    every organization on purpose (a maintenance job, not a request); commits nothing itself.
    """
    if now.tzinfo is None:
        raise ValueError("`now` must carry its time zone")
    counts: list[PurgeCount] = []
    table = RecoveryCase.__table__  # type: ignore[attr-defined]
    with unscoped(session):
        orgs = session.exec(
            select(Organization)
            .where(Organization.contact_retention_days.is_not(None))  # type: ignore[union-attr]
            .order_by(Organization.id)  # type: ignore[arg-type]
        ).all()
        for org in orgs:
            days = org.contact_retention_days
            assert days is not None
            cutoff = contacts_cutoff(now=now, retention_days=days)
            # A Core UPDATE: one statement per organization, whatever the number of cases.
            result = session.connection().execute(
                update(table)
                .where(
                    table.c.org_id == ident(org),
                    table.c.reported_at < cutoff,
                    or_(table.c.customer_name != "", table.c.customer_contact != ""),
                )
                .values(customer_name="", customer_contact="", contact_removed_at=now)
            )
            counts.append(PurgeCount(ident(org), org.name, days, result.rowcount))
    # Objects already loaded in this session must not keep showing the removed details.
    for obj in session.identity_map.values():
        if isinstance(obj, RecoveryCase):
            session.expire(obj)
    return counts


def retention_job(ctx: JobContext) -> int:
    """The daily `retention.contacts` job: what `touchstone cleanup` does for contacts, and
    for the visits' location checks (kept by the same rule, audits.proof)."""
    with ctx.db.write() as session:
        now = utcnow()
        counts = contacts_purge(session=session, now=now)
        checks = location_checks_purge(session=session, now=now)
    return sum(c.removed for c in counts) + checks
