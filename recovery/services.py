"""Every write about recovery cases: opening one, walking it through its steps, triage.

These functions expect an org-scoped session (app.tenancy). `case_open` is the one way a case
comes into being — from the owner's form, the API, the public complaint page or a shop — so
its checks and its reference number are the same everywhere. The other writes follow the
seeds' recovery plan: acknowledge, fix or replace, surprise, follow up, then triage.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, Field, field_validator
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.errors import ConflictError, DomainError
from app.i18n.catalogs import N_
from app.modelbase import RowId, ident, utcnow
from app.orgs.models import Location
from app.webhooks.models import WebhookEvent
from audits.models import Shop
from recovery.complaints.throttle import public_post_record
from recovery.models import CaseSource, CauseCategory, RecoveryCase, Verdict
from recovery.webhooks import case_webhook
from touchpoints.models import ActionItem, Touchpoint

MSG_SUMMARY = N_("Say what happened, in a sentence or two.")
MSG_LOCATION_UNKNOWN = N_("Choose a location of this organization.")
MSG_TOUCHPOINT_UNKNOWN = N_("Choose a touchpoint of this journey.")
MSG_REPORTED_FUTURE = N_("The time it was reported cannot be in the future.")
MSG_TIME_ZONE = N_("Give the time with its time zone.")
MSG_TOO_EARLY = N_("That date is too far back; check the year.")
MSG_NUL = N_("Remove the invisible control characters from this text.")
MSG_STEP_FUTURE = N_("This time is in the future. Leave it empty to record it as now.")
MSG_STEP_BEFORE_REPORT = N_("This time is before the customer reported the problem.")
MSG_REPORTED_AFTER_STEPS = N_("A step of this case was recorded before that time.")
MSG_FIX_NOTE = N_("Say what was fixed or replaced.")
MSG_SURPRISE_NOTE = N_("Say what unexpected thing was done for the customer.")
MSG_VERDICT = N_("Choose what the customer said: satisfied, partly or not satisfied.")
MSG_CLOSED = N_("This case is closed. Reopen it to change it.")
MSG_NOT_CLOSED = N_("This case is open already.")
MSG_UNKNOWN_STEP = N_("Choose one of the steps: acknowledge, fix, surprise or follow up.")

# Times before this are typing mistakes (and far-off years overflow when turned into UTC).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)

# Reference numbers avoid letters and digits that are easy to confuse when read out.
REF_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class CaseOpen(BaseModel):
    """What is known when a case is opened; pages, API and public form validate the same."""

    summary: str = Field(min_length=1, max_length=4000)
    source: CaseSource = CaseSource.other
    reported_at: datetime | None = None  # now, when not given
    touchpoint_id: RowId | None = None
    location_id: RowId | None = None
    shop_id: RowId | None = None
    customer_name: str = Field(default="", max_length=120)
    customer_contact: str = Field(default="", max_length=200)

    @field_validator("summary", "customer_name", "customer_contact")
    @classmethod
    def _strip(cls, v: str) -> str:
        return _text(v)

    @field_validator("summary")
    @classmethod
    def _summary_given(cls, v: str) -> str:
        if not v:
            raise ValueError(MSG_SUMMARY)
        return v


def _text(v: str) -> str:
    # PostgreSQL cannot store NUL in text; refuse it here rather than fail at the database.
    if "\x00" in v:
        raise ValueError(MSG_NUL)
    return v.strip()


def _check_reported_at(reported_at: datetime, now: datetime) -> None:
    if reported_at.tzinfo is None:
        raise DomainError(MSG_TIME_ZONE, field="reported_at")
    if reported_at > now:
        raise DomainError(MSG_REPORTED_FUTURE, field="reported_at")
    if reported_at < EARLIEST:
        raise DomainError(MSG_TOO_EARLY, field="reported_at")


def _check_links(
    session: Session,
    org_id: int,
    *,
    location_id: int | None = None,
    touchpoint_id: int | None = None,
) -> None:
    # The org check is not redundant with the session's scope: `get` answers from the
    # identity map without a query when the row is already loaded.
    if location_id is not None:
        location = session.get(Location, location_id)
        if location is None or location.org_id != org_id:
            raise DomainError(MSG_LOCATION_UNKNOWN, field="location_id")
    if touchpoint_id is not None:
        touchpoint = session.get(Touchpoint, touchpoint_id)
        if touchpoint is None or touchpoint.org_id != org_id:
            raise DomainError(MSG_TOUCHPOINT_UNKNOWN, field="touchpoint_id")


def new_reference() -> str:
    return "".join(secrets.choice(REF_ALPHABET) for _ in range(8))


def case_open(
    *,
    session: Session,
    org_id: int,
    data: CaseOpen,
    actor_id: int | None,
    commit: bool = True,
    reference: str | None = None,
) -> RecoveryCase:
    """Open a case. `actor_id` is None for a customer's own complaint (public form), which
    keeps the `reference` of the form it was sent on; other cases get a new one.

    Commits, or rolls back when refused; `commit=False` leaves both to a caller that adds
    to the same transaction (a complaint keeps the reference of the form it was sent on)."""
    try:
        case = _case_new(session, org_id, data, actor_id, reference)
    except DomainError:
        if commit:
            session.rollback()
        raise
    if commit:
        session.commit()
    return case


def _case_new(
    session: Session, org_id: int, data: CaseOpen, actor_id: int | None, reference: str | None
) -> RecoveryCase:
    now = utcnow()
    reported_at = data.reported_at or now
    _check_reported_at(reported_at, now)
    _check_links(session, org_id, location_id=data.location_id, touchpoint_id=data.touchpoint_id)
    shop = None if data.shop_id is None else session.get(Shop, data.shop_id)
    if data.shop_id is not None and (shop is None or shop.org_id != org_id):
        raise DomainError("Choose a shop of this organization.", field="shop_id")
    if reference is None:
        reference = new_reference()
        while session.exec(
            select(RecoveryCase.id).where(RecoveryCase.reference == reference)
        ).first():
            reference = new_reference()
    case = RecoveryCase(
        org_id=org_id,
        reference=reference,
        touchpoint_id=data.touchpoint_id,
        location_id=data.location_id,
        shop_id=data.shop_id,
        source=data.source,
        reported_at=reported_at,
        summary=data.summary,
        customer_name=data.customer_name,
        customer_contact=data.customer_contact,
        created_by=actor_id,
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    session.flush()
    case_webhook(session, case, WebhookEvent.case_opened)
    return case


# --- details -------------------------------------------------------------------------------


class CaseDetails(BaseModel):
    """A correction of what is known about a case. Only the fields given are changed; a
    touchpoint or location of null files the case under none."""

    summary: str | None = Field(default=None, min_length=1, max_length=4000)
    source: CaseSource | None = None
    reported_at: datetime | None = None
    touchpoint_id: RowId | None = None
    location_id: RowId | None = None
    customer_name: str | None = Field(default=None, max_length=120)
    customer_contact: str | None = Field(default=None, max_length=200)

    @field_validator("summary", "customer_name", "customer_contact")
    @classmethod
    def _strip(cls, v: str | None) -> str | None:
        return None if v is None else _text(v)

    @field_validator("summary")
    @classmethod
    def _summary_given(cls, v: str | None) -> str | None:
        if v is not None and not v:
            raise ValueError(MSG_SUMMARY)
        return v


def _touch(case: RecoveryCase, session: Session) -> None:
    case.updated_at = utcnow()
    session.add(case)
    session.commit()


def _open_only(case: RecoveryCase) -> None:
    if case.closed_at is not None:
        raise ConflictError(MSG_CLOSED, field="closed_at")


def _step_times(case: RecoveryCase) -> list[datetime]:
    return [
        at
        for at in (case.acknowledged_at, case.fixed_at, case.surprised_at, case.followed_up_at)
        if at is not None
    ]


def case_update(*, session: Session, case: RecoveryCase, data: CaseDetails) -> RecoveryCase:
    """Correct the story, the customer's contact, where it happened or when it was reported.

    Allowed on a closed case too except for what would take it out of the reports (its
    touchpoint): corrections of the record are always welcome."""
    changes = data.model_dump(exclude_unset=True)
    for name in ("summary", "source", "reported_at", "customer_name", "customer_contact"):
        if name in changes and changes[name] is None:
            changes.pop(name)  # these cannot be emptied; null means "leave as it is"
    if "touchpoint_id" in changes and changes["touchpoint_id"] is None and case.closed_at:
        raise ConflictError(
            "A closed case must stay under a touchpoint so it counts in reports.",
            field="touchpoint_id",
        )
    _check_links(
        session,
        case.org_id,
        location_id=changes.get("location_id"),
        touchpoint_id=changes.get("touchpoint_id"),
    )
    if "reported_at" in changes:
        reported_at = changes["reported_at"]
        _check_reported_at(reported_at, utcnow())
        if any(at < reported_at for at in _step_times(case)):
            raise DomainError(MSG_REPORTED_AFTER_STEPS, field="reported_at")
    changed = False
    for name, value in changes.items():
        if getattr(case, name) != value:
            setattr(case, name, value)
            changed = True
    if "customer_contact" in changes or "customer_name" in changes:
        if case.customer_contact or case.customer_name:
            case.contact_removed_at = None  # typed in again after the retention removal
    if changed:
        _touch(case, session)
    return case


# --- the steps -----------------------------------------------------------------------------


class Step(StrEnum):
    acknowledge = "acknowledge"
    fix = "fix"
    surprise = "surprise"
    follow_up = "follow_up"


STEP_LABELS = {
    Step.acknowledge: "Hear and acknowledge",
    Step.fix: "Fix or replace",
    Step.surprise: "Surprise the customer",
    Step.follow_up: "Follow up",
}

# Which columns hold each step's time and note.
STEP_FIELDS = {
    Step.acknowledge: ("acknowledged_at", "acknowledged_note"),
    Step.fix: ("fixed_at", "fix_note"),
    Step.surprise: ("surprised_at", "surprise_note"),
    Step.follow_up: ("followed_up_at", "follow_up_note"),
}

_NOTE_REQUIRED = {Step.fix: MSG_FIX_NOTE, Step.surprise: MSG_SURPRISE_NOTE}


class StepRecord(BaseModel):
    """One step done: when (default now) and a note; the follow-up also has the verdict."""

    at: datetime | None = None
    note: str = Field(default="", max_length=4000)
    verdict: Verdict | None = None

    @field_validator("note")
    @classmethod
    def _strip(cls, v: str) -> str:
        return _text(v)


def case_step_record(
    *, session: Session, case: RecoveryCase, step: Step, data: StepRecord
) -> RecoveryCase:
    """Record a step as done, or correct its time, note or verdict.

    Sending the same step again is harmless: without a time the first one is kept (a retried
    tap does not move it), and nothing changes when nothing differs.
    """
    _open_only(case)
    at_field, note_field = STEP_FIELDS[step]
    if step in _NOTE_REQUIRED and not data.note:
        raise DomainError(_NOTE_REQUIRED[step], field="note")
    if step == Step.follow_up and data.verdict is None:
        raise DomainError(MSG_VERDICT, field="verdict")
    now = utcnow()
    at = data.at
    if at is not None:
        if at.tzinfo is None:
            raise DomainError(MSG_TIME_ZONE, field="at")
        if at > now:
            raise DomainError(MSG_STEP_FUTURE, field="at")
        if at < case.reported_at:
            raise DomainError(MSG_STEP_BEFORE_REPORT, field="at")
    current = getattr(case, at_field)
    new_at = at if at is not None else (current or now)
    if new_at < case.reported_at:  # a "now" can only precede a report made seconds ahead
        new_at = case.reported_at
    changed = current != new_at or getattr(case, note_field) != data.note
    setattr(case, at_field, new_at)
    setattr(case, note_field, data.note)
    if step == Step.follow_up and case.verdict != data.verdict:
        case.verdict = data.verdict
        changed = True
    if changed:
        _touch(case, session)
    return case


def case_step_undo(*, session: Session, case: RecoveryCase, step: Step) -> RecoveryCase:
    """Take back a step tapped by mistake (its note goes with it)."""
    _open_only(case)
    at_field, note_field = STEP_FIELDS[step]
    if getattr(case, at_field) is None:
        return case
    setattr(case, at_field, None)
    setattr(case, note_field, "")
    if step == Step.follow_up:
        case.verdict = None
        case.champion = False  # a champion is a customer the follow-up found delighted
    _touch(case, session)
    return case


# --- triage, champion, closing -------------------------------------------------------------


class Triage(BaseModel):
    """What happened, why, and what we will do differently; saved as often as needed."""

    triage_what: str = Field(default="", max_length=4000)
    cause_category: CauseCategory | None = None
    triage_why: str = Field(default="", max_length=4000)
    triage_change: str = Field(default="", max_length=4000)

    @field_validator("triage_what", "triage_why", "triage_change")
    @classmethod
    def _strip(cls, v: str) -> str:
        return _text(v)


def case_triage(*, session: Session, case: RecoveryCase, data: Triage) -> RecoveryCase:
    _open_only(case)
    changed = False
    for name, value in data.model_dump().items():
        if getattr(case, name) != value:
            setattr(case, name, value)
            changed = True
    if changed:
        _touch(case, session)
    return case


def case_champion(*, session: Session, case: RecoveryCase, champion: bool) -> RecoveryCase:
    """Mark the customer as a champion: someone the recovery turned into an advocate."""
    if case.champion != champion:
        case.champion = champion
        _touch(case, session)
    return case


# What closing needs, in the order the owner would do it: (field, what to say).
_CLOSE_NEEDS = (
    ("touchpoint_id", "file it under a touchpoint (so it counts in reports)"),
    ("followed_up_at", "follow up with the customer"),
    ("triage_what", "write what happened"),
    ("cause_category", "choose a cause"),
    ("triage_why", "write why it happened"),
    ("triage_change", "write what we will do differently"),
)


def case_missing_for_close(case: RecoveryCase) -> list[tuple[str, str]]:
    """What still stands between this case and closing it (empty when it can close)."""
    return [(name, words) for name, words in _CLOSE_NEEDS if not getattr(case, name)]


def case_close(*, session: Session, case: RecoveryCase) -> RecoveryCase:
    if case.closed_at is not None:
        return case  # closing twice is harmless
    missing = case_missing_for_close(case)
    if missing:
        words = [w for _, w in missing]
        listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
        message = f"Before closing, {listed}."
        raise DomainError(message[:1].upper() + message[1:], field=missing[0][0])
    now = utcnow()
    case.closed_at = now
    _touch(case, session)
    return case


def case_reopen(*, session: Session, case: RecoveryCase) -> RecoveryCase:
    if case.closed_at is None:
        return case
    case.closed_at = None
    _touch(case, session)
    return case


# --- what we will do differently, as an action item ----------------------------------------


def case_action_item(session: Session, case: RecoveryCase) -> ActionItem | None:
    """The action item made from this case, if any (actions.cases.services makes it)."""
    return session.exec(
        select(ActionItem)
        .where(ActionItem.recovery_case_id == ident(case))
        .order_by(col(ActionItem.id))
    ).first()


# --- a customer's complaint ------------------------------------------------------------------


def complaint_open(
    *,
    session: Session,
    org_id: int,
    data: CaseOpen,
    reference: str,
    address: str,
    language: str | None = None,
) -> None:
    """Open the case of a complaint from the public form, under the reference of the form
    the customer was served, and count the post with it (one transaction).

    A second post of the same form (a double tap, a resend after a lost answer) meets the
    unique reference: IntegrityError, after rolling back, and the caller looks whether that
    form's case exists. A refusal (DomainError) is raised after the post alone is counted."""
    public_post_record(session=session, address=address)
    try:
        case = case_open(
            session=session,
            org_id=org_id,
            data=data,
            actor_id=None,
            commit=False,
            reference=reference,
        )
        case.language = language  # the replies to the customer are written in it
        session.commit()
    except IntegrityError:
        session.rollback()
        raise
    except DomainError:
        session.rollback()
        public_post_record(session=session, address=address, commit=True)
        raise
