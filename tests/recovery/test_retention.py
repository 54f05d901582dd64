"""Data retention: customer contact details on recovery cases go after the organization's
limit (`contacts_purge`, `touchstone cleanup`); the rest of the case stays."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, select

from app.clock import filesystem_now
from app.config import Settings
from app.db import Database
from app.modelbase import ident, utcnow
from app.orgs.models import Organization, OrganizationCreate
from app.orgs.services import org_create
from app.tenancy import scope_session
from recovery.models import RecoveryCase
from recovery.retention import contacts_purge
from recovery.services import CaseOpen, case_open
from tests.app.test_cli import database_url, env, ok  # noqa: F401
from tests.factories import make_org

pytestmark = pytest.mark.db

NAME, CONTACT = "Dana Example", "dana@example.test"
SUMMARY = "Waited twenty minutes at the till; nobody said sorry."


def open_case(
    db: Database, org: Organization, reported_at: datetime, name: str = NAME, contact: str = CONTACT
) -> int:
    """A case opened the one way cases are opened (`case_open`), reported at `reported_at`."""
    with db.session() as s:
        scope_session(s, ident(org))
        made = case_open(
            session=s,
            org_id=ident(org),
            data=CaseOpen(
                summary=SUMMARY,
                reported_at=reported_at,
                customer_name=name,
                customer_contact=contact,
            ),
            actor_id=None,
        )
        s.commit()
        return ident(made)


def load(db: Database, case_id: int) -> RecoveryCase:
    with db.session() as s:
        found = s.get(RecoveryCase, case_id)
        assert found is not None
        return found


def kept(db: Database, case_id: int) -> bool:
    c = load(db, case_id)
    return (c.customer_name, c.customer_contact, c.contact_removed_at) == (NAME, CONTACT, None)


def purge(db: Database, now: datetime) -> dict[int, int]:
    with db.write() as s:
        return {c.org_id: c.removed for c in contacts_purge(session=s, now=now)}


def test_contacts_go_once_the_case_is_older_than_the_limit(db: Database, session: Session) -> None:
    """30 days: a case reported a second over 30 days before the run loses its contact
    details; exactly 30 days or less keeps them. The case itself stays as it was."""
    org = make_org(session, contact_retention_days=30)
    now = utcnow().replace(microsecond=0)
    limit = timedelta(days=30)
    over = open_case(db, org, now - limit - timedelta(seconds=1))
    long_ago = open_case(db, org, now - timedelta(days=400))
    exactly = open_case(db, org, now - limit)
    under = open_case(db, org, now - limit + timedelta(seconds=1))
    yesterday = open_case(db, org, now - timedelta(days=1))

    assert purge(db, now) == {ident(org): 2}

    for case_id in (over, long_ago):
        c = load(db, case_id)
        assert (c.customer_name, c.customer_contact) == ("", "")
        assert c.contact_removed_at == now
        assert c.summary == SUMMARY and c.reference  # what happened is kept
    for case_id in (exactly, under, yesterday):
        assert kept(db, case_id)

    # A day later the case reported "exactly 30 days" ago is over the limit too.
    assert purge(db, now + timedelta(days=1)) == {ident(org): 2}
    assert not kept(db, exactly) and not kept(db, under) and kept(db, yesterday)


def test_a_second_run_changes_nothing(db: Database, session: Session) -> None:
    org = make_org(session, contact_retention_days=7)
    now = utcnow()
    old = open_case(db, org, now - timedelta(days=8))
    nothing = open_case(db, org, now - timedelta(days=9), name="", contact="")
    assert purge(db, now) == {ident(org): 1}
    first = load(db, old).contact_removed_at

    assert purge(db, now + timedelta(hours=5)) == {ident(org): 0}
    assert load(db, old).contact_removed_at == first  # not moved by the second run
    # A case that never had contact details is left alone: no removal is recorded.
    assert load(db, nothing).contact_removed_at is None


def test_only_a_name_or_only_a_contact_is_removed_too(db: Database, session: Session) -> None:
    org = make_org(session, contact_retention_days=1)
    now = utcnow()
    named = open_case(db, org, now - timedelta(days=2), contact="")
    reachable = open_case(db, org, now - timedelta(days=2), name="")
    assert purge(db, now) == {ident(org): 2}
    for case_id in (named, reachable):
        c = load(db, case_id)
        assert (c.customer_name, c.customer_contact) == ("", "") and c.contact_removed_at


def test_a_new_organization_keeps_contacts_365_days_unless_told_to_keep_them(
    session: Session,
) -> None:
    made = org_create(session=session, data=OrganizationCreate(name="Fresh Co"))
    keeper = make_org(session, contact_retention_days=None)  # None in the INSERT itself
    session.commit()
    session.expire_all()
    assert (made.contact_retention_days, keeper.contact_retention_days) == (365, None)


def test_no_limit_keeps_contacts(db: Database, session: Session) -> None:
    org = make_org(session, contact_retention_days=None)
    ancient = open_case(db, org, utcnow() - timedelta(days=3000))
    assert purge(db, utcnow()) == {}  # an organization without a limit is not even visited
    assert kept(db, ancient)


def test_each_organization_has_its_own_limit(db: Database, session: Session) -> None:
    """Another organization's shorter limit does not reach this one's cases."""
    strict = make_org(session, contact_retention_days=10)
    lenient = make_org(session, contact_retention_days=365)
    keeper = make_org(session, contact_retention_days=None)
    now = utcnow()
    strict_case = open_case(db, strict, now - timedelta(days=20))
    lenient_case = open_case(db, lenient, now - timedelta(days=20))
    lenient_old = open_case(db, lenient, now - timedelta(days=366))
    keeper_case = open_case(db, keeper, now - timedelta(days=20))

    assert purge(db, now) == {ident(strict): 1, ident(lenient): 1}
    assert not kept(db, strict_case)
    assert kept(db, lenient_case) and kept(db, keeper_case)
    assert not kept(db, lenient_old)


def test_purge_refuses_a_time_without_zone(db: Database) -> None:
    with db.write() as s, pytest.raises(ValueError, match="time zone"):
        contacts_purge(session=s, now=datetime(2026, 1, 1))


def test_cleanup_command_prints_counts_per_organization(env: str) -> None:  # noqa: F811
    """`touchstone cleanup` (the daily cron job) on the CLI's own database: exit 0, one line
    per organization with a limit, the details gone from the database."""
    ok("migrate")
    database = Database(Settings(_env_file=None).resolved_database_url)  # type: ignore[call-arg]
    try:
        with database.session() as s:
            acme = make_org(s, name="Acme Cafés", contact_retention_days=30)
            other = make_org(s, name="Other Ltd", contact_retention_days=90)
            # On a migrated database: the column's old server default turned this None into 365.
            keeper = make_org(s, name="Keeps Everything", contact_retention_days=None)
        old = open_case(database, acme, utcnow() - timedelta(days=31))
        ancient = open_case(database, keeper, utcnow() - timedelta(days=3000))
        open_case(database, acme, utcnow() - timedelta(days=45), name="", contact="")
        recent = open_case(database, other, utcnow() - timedelta(days=31))

        first = ok("cleanup").output
        assert (
            "Acme Cafés: contact details removed from 1 recovery case reported more than"
            " 30 days ago." in first
        )
        assert (
            "Other Ltd: contact details removed from 0 recovery cases reported more than"
            " 90 days ago." in first
        )
        assert "Keeps Everything" not in first
        assert not kept(database, old) and kept(database, recent) and kept(database, ancient)
        with database.session() as s:
            stored = s.get(Organization, ident(keeper))
            assert stored is not None and stored.contact_retention_days is None

        again = ok("cleanup").output  # daily: the next run finds nothing new
        assert "Acme Cafés: contact details removed from 0 recovery cases" in again
        with database.session() as s:
            removed = s.exec(
                select(RecoveryCase).where(RecoveryCase.contact_removed_at.is_not(None))  # type: ignore[union-attr]
            ).all()
        assert [ident(c) for c in removed] == [old]
    finally:
        database.dispose()


def test_cleanup_without_any_limit_says_so(env: str) -> None:  # noqa: F811
    ok("migrate")
    output = ok("cleanup").output
    assert "nothing to do" in output and "photo upload" not in output


def test_cleanup_removes_unfinished_photo_uploads_only_when_old(env: str) -> None:  # noqa: F811
    """A draft is renamed into place within a moment of its upload; one older than an hour
    was left by a server that stopped in between. Finished photos are never touched."""
    ok("migrate")
    folder = Settings(_env_file=None).data_dir / "photos" / "7"  # type: ignore[call-arg]
    folder.mkdir(parents=True)
    photo = folder / "6f1c0e9e-8a41-4e0b-9d7e-2f1f3b8f0c11.jpg"
    stale, fresh = folder / ".stale.part", folder / ".fresh.part"
    for path in (photo, stale, fresh):
        path.write_bytes(b"x")
    two_hours_ago = filesystem_now(folder) - 2 * 3600  # files age on the filesystem's clock
    os.utime(stale, (two_hours_ago, two_hours_ago))
    os.utime(photo, (two_hours_ago, two_hours_ago))

    assert "Removed 1 unfinished photo upload." in ok("cleanup").output
    assert photo.exists() and fresh.exists() and not stale.exists()
    assert "photo upload" not in ok("cleanup").output


def test_the_daily_job_removes_what_the_command_would(
    db: Database, session: Session, settings: Settings
) -> None:
    """`retention.contacts`, the job on the daily schedule (docs/jobs.md), runs the same
    clean-up as `touchstone cleanup`, and a second run (a worker that came back) does nothing."""
    from app.jobs.runtime import JobContext
    from recovery.retention import retention_job

    org = make_org(session, contact_retention_days=7)
    old = open_case(db, org, utcnow() - timedelta(days=8))
    recent = open_case(db, org, utcnow() - timedelta(days=1))
    ctx = JobContext(settings=settings, db=db)

    assert retention_job(ctx) == 1
    assert retention_job(ctx) == 0
    assert not kept(db, old) and kept(db, recent)
