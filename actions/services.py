"""Action items: improvements agreed for a touchpoint, their writes and shared reads.

These functions expect an org-scoped session (app.tenancy). An item names a team, never a
person: the point of the staff meeting is to fix the moment, not to find someone to blame.

The writes own their transaction, like every service: they commit, and on a refusal
(DomainError) they roll back what they began. A service that makes an item inside its own
transaction (a recovery case's "what we will do differently") passes `commit=False` and
commits with the rest of its work.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, Field, field_validator
from sqlmodel import Session, col, select

from app.errors import DomainError
from app.i18n.catalogs import N_
from app.modelbase import RowId, ident, utcnow
from app.webhooks.models import WebhookEvent
from app.webhooks.payloads import ActionItemData, ActionItemPayload
from app.webhooks.services import webhook_emit
from audits.models import Shop
from recovery.models import RecoveryCase
from touchpoints.models import ActionItem, ActionSource, ActionStatus, Touchpoint

MSG_TITLE = N_("Say what will be done.")
MSG_TOUCHPOINT_UNKNOWN = N_("Choose a touchpoint of this journey.")
MSG_MEETING_DATE = N_("Give the date of the staff meeting where this was agreed.")
MSG_SHOP_NEEDED = N_("Give the number of the mystery shop this came from.")
MSG_SHOP_UNKNOWN = N_("There is no mystery shop with that number.")
MSG_CASE_NEEDED = N_("Give the number of the recovery case this came from.")
MSG_CASE_UNKNOWN = N_("There is no recovery case with that number.")
MSG_STATUS = N_("Choose open, doing, done or dropped.")

CLOSED_STATES = frozenset({ActionStatus.done, ActionStatus.dropped})


class ActionItemFields(BaseModel):
    """What an owner writes for an action item; pages and API validate the same way."""

    title: str = Field(max_length=300)
    details: str = Field(default="", max_length=4000)
    team: str = Field(default="", max_length=120)
    due_on: date | None = None
    source: ActionSource = ActionSource.other
    meeting_on: date | None = None
    shop_id: RowId | None = None
    recovery_case_id: RowId | None = None

    @field_validator("title", "details", "team")
    @classmethod
    def _strip(cls, v: str) -> str:
        return v.strip()

    @field_validator("title")
    @classmethod
    def _title_given(cls, v: str) -> str:
        if not v:
            raise ValueError(MSG_TITLE)
        return v


@contextmanager
def _transaction(session: Session, commit: bool) -> Iterator[None]:
    """Commit the write, or roll it back when it is refused (unless the caller owns the
    transaction: `commit=False`)."""
    try:
        yield
    except DomainError:
        if commit:
            session.rollback()
        raise
    if commit:
        session.commit()


def _ours(row: Shop | RecoveryCase | Touchpoint | None, org_id: int) -> bool:
    return row is not None and row.org_id == org_id


def _check_source(session: Session, org_id: int, data: ActionItemFields) -> None:
    """Where the item came from must be named, and a shop or case must be this org's."""
    if data.source == ActionSource.meeting and data.meeting_on is None:
        raise DomainError(MSG_MEETING_DATE, field="meeting_on")
    if data.source == ActionSource.shop and data.shop_id is None:
        raise DomainError(MSG_SHOP_NEEDED, field="shop_id")
    if data.source == ActionSource.recovery_case and data.recovery_case_id is None:
        raise DomainError(MSG_CASE_NEEDED, field="recovery_case_id")
    # Another organization's shop or case is refused like one that does not exist (the
    # session is org-scoped, but `get` answers from its identity map without a query).
    if data.shop_id is not None and not _ours(session.get(Shop, data.shop_id), org_id):
        raise DomainError(MSG_SHOP_UNKNOWN, field="shop_id")
    case_id = data.recovery_case_id
    if case_id is not None and not _ours(session.get(RecoveryCase, case_id), org_id):
        raise DomainError(MSG_CASE_UNKNOWN, field="recovery_case_id")


def action_item_create(
    *,
    session: Session,
    org_id: int,
    touchpoint_id: int,
    data: ActionItemFields,
    actor_id: int | None,
    commit: bool = True,
) -> ActionItem:
    with _transaction(session, commit):
        if not _ours(session.get(Touchpoint, touchpoint_id), org_id):
            raise DomainError(MSG_TOUCHPOINT_UNKNOWN, field="touchpoint_id")
        _check_source(session, org_id, data)
        now = utcnow()
        item = ActionItem(
            org_id=org_id,
            touchpoint_id=touchpoint_id,
            **data.model_dump(),
            created_by=actor_id,
            created_at=now,
            updated_at=now,
        )
        session.add(item)
        session.flush()
    return item


def action_item_set_status(
    *, session: Session, item: ActionItem, status: ActionStatus, commit: bool = True
) -> None:
    """Move an item; reaching done or dropped stamps when (reports list what was done since
    the last period), and reopening clears it."""
    if status == item.status:
        return
    with _transaction(session, commit):
        now = utcnow()
        item.status = status
        item.closed_at = now if status in CLOSED_STATES else None
        item.updated_at = now
        session.add(item)
        session.flush()
        if status == ActionStatus.done:
            _webhook_done(session, item)


def _webhook_done(session: Session, item: ActionItem) -> None:
    """Record the `action_item.done` deliveries in the item's transaction."""
    data = ActionItemData(
        id=ident(item),
        title=item.title,
        touchpoint_id=item.touchpoint_id,
        team=item.team,
        source=str(item.source),
        shop_id=item.shop_id,
        recovery_case_id=item.recovery_case_id,
        due_on=item.due_on,
        done_at=item.closed_at,
    )
    webhook_emit(
        session=session,
        org_id=item.org_id,
        event=WebhookEvent.action_item_done,
        data=ActionItemPayload(action_item=data),
    )


def action_items_for_touchpoint(
    session: Session, touchpoint_id: int, *, open_only: bool = False
) -> list[ActionItem]:
    query = select(ActionItem).where(ActionItem.touchpoint_id == touchpoint_id)
    if open_only:
        query = query.where(col(ActionItem.status).not_in(list(CLOSED_STATES)))
    return list(
        session.exec(
            query.order_by(
                col(ActionItem.due_on).is_(None), col(ActionItem.due_on), col(ActionItem.id)
            )
        )
    )


def action_item_update(
    *,
    session: Session,
    item: ActionItem,
    data: ActionItemFields,
    touchpoint_id: int | None = None,
    commit: bool = True,
) -> ActionItem:
    """Replace what the item says (and, given, move it to another touchpoint). A refusal
    rolls back, so the item reads as stored again."""
    with _transaction(session, commit):
        if touchpoint_id is not None and touchpoint_id != item.touchpoint_id:
            if not _ours(session.get(Touchpoint, touchpoint_id), item.org_id):
                raise DomainError(MSG_TOUCHPOINT_UNKNOWN, field="touchpoint_id")
            item.touchpoint_id = touchpoint_id
        _check_source(session, item.org_id, data)
        for name, value in data.model_dump().items():
            setattr(item, name, value)
        item.updated_at = utcnow()
        session.add(item)
        session.flush()
    return item


def action_item_delete(*, session: Session, item: ActionItem, commit: bool = True) -> None:
    """For an item added by mistake; an idea the team gave up on is better dropped."""
    with _transaction(session, commit):
        session.delete(item)
        session.flush()


def action_status_parse(value: str) -> ActionStatus:
    try:
        return ActionStatus(value)
    except ValueError:
        raise DomainError(MSG_STATUS, field="status") from None


def action_item_is_overdue(item: ActionItem, today: date) -> bool:
    return item.status not in CLOSED_STATES and item.due_on is not None and item.due_on < today


# One tap moves an item on; the page offers these next steps for each status.
NEXT_STEPS: dict[ActionStatus, tuple[tuple[ActionStatus, str], ...]] = {
    ActionStatus.open: ((ActionStatus.doing, "Start"), (ActionStatus.done, "Done")),
    ActionStatus.doing: ((ActionStatus.done, "Done"), (ActionStatus.open, "Back to open")),
    ActionStatus.done: ((ActionStatus.open, "Reopen"),),
    ActionStatus.dropped: ((ActionStatus.open, "Reopen"),),
}


@dataclass(frozen=True)
class ActionFilter:
    status: ActionStatus | None = None
    touchpoint_id: int | None = None
    team: str = ""
    # "active" (open and doing), or "" for every status; `status` narrows further.
    scope: str = "active"


def action_items_list(session: Session, *, filters: ActionFilter, today: date) -> list[ActionItem]:
    """The organization's items: overdue open ones first (oldest due first), then the other
    open ones by due date (undated last), then closed ones, most recently closed first."""
    query = select(ActionItem)
    if filters.status is not None:
        query = query.where(ActionItem.status == filters.status)
    elif filters.scope == "active":
        query = query.where(col(ActionItem.status).not_in(list(CLOSED_STATES)))
    if filters.touchpoint_id is not None:
        query = query.where(ActionItem.touchpoint_id == filters.touchpoint_id)
    if filters.team:
        query = query.where(ActionItem.team == filters.team)
    items = list(session.exec(query.order_by(col(ActionItem.id))))
    active = [i for i in items if i.status not in CLOSED_STATES]
    closed = [i for i in items if i.status in CLOSED_STATES]
    active.sort(
        key=lambda i: (not action_item_is_overdue(i, today), i.due_on or date.max, i.id or 0)
    )
    closed.sort(key=lambda i: (i.closed_at or i.updated_at, i.id or 0), reverse=True)
    return active + closed


def action_teams(session: Session) -> list[str]:
    rows = session.exec(select(ActionItem.team).where(ActionItem.team != "").distinct())
    return sorted(set(rows), key=str.casefold)


# --- what the pages' forms and lists show beside the items ---------------------------------

# The add and edit forms offer this many of the latest shops and cases as sources.
RECENT_SOURCES = 60


def recent_shops(session: Session, *, limit: int = RECENT_SOURCES) -> list[Shop]:
    """The organization's latest shops, newest first (sources the forms offer)."""
    return list(session.exec(select(Shop).order_by(col(Shop.id).desc()).limit(limit)))


def recent_cases(session: Session, *, limit: int = RECENT_SOURCES) -> list[RecoveryCase]:
    """The organization's latest recovery cases, newest first (sources the forms offer)."""
    query = select(RecoveryCase).order_by(col(RecoveryCase.id).desc()).limit(limit)
    return list(session.exec(query))


def case_references(session: Session, items: list[ActionItem]) -> dict[int, str]:
    """The references of the recovery cases the items came from, for their links."""
    ids = sorted({i.recovery_case_id for i in items if i.recovery_case_id is not None})
    if not ids:
        return {}
    rows = session.exec(
        select(RecoveryCase.id, RecoveryCase.reference).where(col(RecoveryCase.id).in_(ids))
    )
    return {int(case_id): reference for case_id, reference in rows if case_id is not None}


def touchpoint_names(session: Session) -> dict[int, str]:
    """Every touchpoint's name by id (archived ones too: old items still name theirs)."""
    return {ident(tp): tp.name for tp in session.exec(select(Touchpoint))}
