"""Reads of recovery cases that the board, the case page and the API share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from app.orgs.models import Location, Organization
from recovery.models import RecoveryCase
from recovery.window import WINDOW, WindowState, window_state
from touchpoints.models import ActionItem, Touchpoint

# The next thing to do on an open case, in the plan's order: (key, words).
NEXT_STEPS = {
    "acknowledge": "Acknowledge",
    "fix": "Fix or replace",
    "surprise": "Surprise",
    "follow_up": "Follow up",
    "touchpoint": "File under a touchpoint",
    "triage": "Triage",
    "close": "Close",
    "closed": "Closed",
}


def next_step(case: RecoveryCase) -> str:
    if case.closed_at is not None:
        return "closed"
    if case.acknowledged_at is None:
        return "acknowledge"
    if case.fixed_at is None:
        return "fix"
    if case.surprised_at is None:
        return "surprise"
    if case.followed_up_at is None:
        return "follow_up"
    if case.touchpoint_id is None:
        return "touchpoint"
    if not (case.triage_what and case.cause_category and case.triage_why and case.triage_change):
        return "triage"
    return "close"


@dataclass(frozen=True)
class CaseRow:
    """A case with the names and the window state a list shows beside it."""

    case: RecoveryCase
    location_name: str | None
    touchpoint_name: str | None
    window: WindowState
    next_step: str

    @property
    def next_step_words(self) -> str:
        return NEXT_STEPS[self.next_step]


def case_rows(
    session: Session, cases: list[RecoveryCase], *, now: datetime, tz: str
) -> list[CaseRow]:
    location_ids = {c.location_id for c in cases if c.location_id is not None}
    touchpoint_ids = {c.touchpoint_id for c in cases if c.touchpoint_id is not None}
    locations = (
        dict(
            session.exec(
                select(Location.id, Location.name).where(col(Location.id).in_(location_ids))
            ).all()
        )
        if location_ids
        else {}
    )
    touchpoints = (
        dict(
            session.exec(
                select(Touchpoint.id, Touchpoint.name).where(col(Touchpoint.id).in_(touchpoint_ids))
            ).all()
        )
        if touchpoint_ids
        else {}
    )
    return [
        CaseRow(
            case=c,
            location_name=locations.get(c.location_id) if c.location_id else None,
            touchpoint_name=touchpoints.get(c.touchpoint_id) if c.touchpoint_id else None,
            window=window_state(c.reported_at, c.fixed_at, now, tz),
            next_step=next_step(c),
        )
        for c in cases
    ]


def overdue_clause(now: datetime) -> ColumnElement[bool]:
    """Open, not fixed, and reported more than the window ago (as window.is_overdue)."""
    return (
        col(RecoveryCase.closed_at).is_(None)
        & col(RecoveryCase.fixed_at).is_(None)
        & (col(RecoveryCase.reported_at) < now - WINDOW)
    )


def cases_list(
    session: Session,
    *,
    now: datetime,
    closed: bool | None = None,
    touchpoint_id: int | None = None,
    location_id: int | None = None,
    overdue: bool | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[RecoveryCase]:
    """Cases in the board's order: those still waiting for a fix by deadline (the overdue
    first, then by time left), then the fixed ones by when they were reported; closed cases
    last, the most recently closed first."""
    query = select(RecoveryCase)
    if closed is not None:
        is_closed = col(RecoveryCase.closed_at).is_not(None)
        query = query.where(is_closed if closed else ~is_closed)
    if touchpoint_id is not None:
        query = query.where(RecoveryCase.touchpoint_id == touchpoint_id)
    if location_id is not None:
        query = query.where(RecoveryCase.location_id == location_id)
    if overdue is not None:
        clause = overdue_clause(now)
        query = query.where(clause if overdue else ~clause)
    query = query.order_by(
        col(RecoveryCase.closed_at).is_not(None),
        col(RecoveryCase.closed_at).desc(),
        col(RecoveryCase.fixed_at).is_not(None),
        col(RecoveryCase.reported_at),
        col(RecoveryCase.id),
    )
    return list(session.exec(query.offset(offset).limit(limit)))


@dataclass(frozen=True)
class BoardFilters:
    """What the owner narrowed the board to; None / "" / False: no narrowing."""

    location_id: int | None = None
    touchpoint_id: int | None = None
    step: str = ""  # a key of NEXT_STEPS: open cases whose next step it is
    overdue: bool = False

    @property
    def any(self) -> bool:
        return bool(self.location_id or self.touchpoint_id or self.step or self.overdue)


def board(
    session: Session,
    *,
    now: datetime,
    tz: str,
    closed_limit: int = 10,
    filters: BoardFilters = BoardFilters(),
) -> dict[str, object]:
    """What the owner's board shows: open cases in order, and the recently closed (unless
    narrowed to a step or to the overdue, which only open cases have)."""
    open_cases = case_rows(
        session,
        cases_list(
            session,
            now=now,
            closed=False,
            overdue=filters.overdue or None,
            location_id=filters.location_id,
            touchpoint_id=filters.touchpoint_id,
            limit=500,
        ),
        now=now,
        tz=tz,
    )
    if filters.step:
        open_cases = [r for r in open_cases if r.next_step == filters.step]
    closed: list[CaseRow] = []
    if not filters.step and not filters.overdue:
        closed = case_rows(
            session,
            cases_list(
                session,
                now=now,
                closed=True,
                location_id=filters.location_id,
                touchpoint_id=filters.touchpoint_id,
                limit=closed_limit,
            ),
            now=now,
            tz=tz,
        )
    return {
        "open_rows": open_cases,
        "closed_rows": closed,
        "overdue_count": sum(1 for r in open_cases if r.window.overdue),
        "filters": filters,
    }


def action_item_ids(session: Session, case_ids: list[int]) -> dict[int, int]:
    """The action item made from each of these cases (the first, if ever more than one)."""
    if not case_ids:
        return {}
    found: dict[int, int] = {}
    rows = session.exec(
        select(ActionItem.recovery_case_id, ActionItem.id)
        .where(col(ActionItem.recovery_case_id).in_(case_ids))
        .order_by(col(ActionItem.id))
    ).all()
    for case_id, item_id in rows:
        if case_id is not None and item_id is not None:
            found.setdefault(case_id, item_id)
    return found


def organization_by_public_key(session: Session, key: str) -> Organization | None:
    """The organization whose complaint form has this key (read before any scope exists)."""
    return session.exec(select(Organization).where(Organization.public_key == key)).first()


def location_by_public_key(session: Session, key: str) -> Location | None:
    """The location of the scoped organization whose complaint form has this key."""
    return session.exec(select(Location).where(Location.public_key == key)).first()


def organization_by_short_code(session: Session, code: str) -> Organization | None:
    """The organization whose short complaint address has this code (read before any scope)."""
    return session.exec(select(Organization).where(Organization.short_code == code)).first()


def location_by_short_code(session: Session, code: str) -> Location | None:
    """The location whose short complaint address has this code. Read before any scope
    exists: the code alone names the place, and the caller scopes to its organization."""
    return session.exec(select(Location).where(Location.short_code == code)).first()


def case_reference_exists(session: Session, reference: str) -> bool:
    found = session.exec(select(RecoveryCase.id).where(RecoveryCase.reference == reference))
    return found.first() is not None
