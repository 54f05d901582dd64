"""JSON API for recovery cases: list and read them, open one, walk it through its steps,
triage, champion, close or reopen it, and turn its lesson into an action item. Owners only."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime, BaseModel, Field

from app.modelbase import MAX_ID, ident, utcnow
from app.tenancy import OwnerDep, Tenant, path_loader
from recovery import queries, services
from recovery.models import CaseSource, CauseCategory, RecoveryCase, Verdict
from recovery.services import CaseDetails, CaseOpen, Step, StepRecord, Triage

router = APIRouter(tags=["recovery"])

CaseDep = Annotated[RecoveryCase, Depends(path_loader(RecoveryCase))]


# --- shapes --------------------------------------------------------------------------------


class RecoveryCasePublic(BaseModel):
    """A case with its steps, triage and where it stands against the 24-hour fix window."""

    id: int
    reference: str
    touchpoint_id: int | None
    touchpoint_name: str | None
    location_id: int | None
    location_name: str | None
    shop_id: int | None
    source: CaseSource
    reported_at: datetime
    report_day: date | None
    summary: str
    customer_name: str
    customer_contact: str
    contact_removed_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_note: str
    fixed_at: datetime | None
    fix_note: str
    surprised_at: datetime | None
    surprise_note: str
    followed_up_at: datetime | None
    verdict: Verdict | None
    follow_up_note: str
    triage_what: str
    cause_category: CauseCategory | None
    triage_why: str
    triage_change: str
    champion: bool
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    deadline: datetime = Field(description="reported_at plus 24 real hours (UTC).")
    overdue: bool = Field(description="Open, not fixed, and past the deadline.")
    fixed_within_window: bool | None = Field(
        description="Fixed by the deadline (exactly 24 h counts); null while not fixed."
    )
    seconds_left: int = Field(description="Until the deadline; negative once past it.")
    window_words: str = Field(description='As the board says it: "5 h 20 min left".')
    next_step: str = Field(
        description="acknowledge, fix, surprise, follow_up, touchpoint, triage, close, or closed."
    )
    action_item_id: int | None


class CaseOpenIn(CaseOpen):
    """A new case; `reported_at` must carry its offset (`Z` or `+01:00`) and defaults to now."""

    reported_at: AwareDatetime | None = None


class CaseDetailsIn(CaseDetails):
    """Only the fields sent are changed. `touchpoint_id` or `location_id` null files the case
    under none; the other fields cannot be emptied."""

    reported_at: AwareDatetime | None = None


class StepIn(BaseModel):
    """When the step was done (default now; never in the future, never before the report)."""

    at: AwareDatetime | None = None
    note: str = Field(default="", max_length=4000)


class NoteRequiredStepIn(StepIn):
    note: str = Field(min_length=1, max_length=4000)


class FollowUpIn(StepIn):
    verdict: Verdict


class TriageIn(Triage):
    """The whole triage as it should stand (fields left out are emptied)."""


class ChampionIn(BaseModel):
    champion: bool


# --- building ------------------------------------------------------------------------------


def case_public(tenant: Tenant, case: RecoveryCase) -> RecoveryCasePublic:
    row = queries.case_rows(tenant.session, [case], now=utcnow(), tz=tenant.org.timezone)[0]
    return _public(tenant, row, action_item_ids=None)


def _public(
    tenant: Tenant, row: queries.CaseRow, action_item_ids: dict[int, int] | None
) -> RecoveryCasePublic:
    c = row.case
    if action_item_ids is None:
        item = services.case_action_item(tenant.session, c)
        item_id = item.id if item is not None else None
    else:
        item_id = action_item_ids.get(ident(c))
    fields = {
        name: getattr(c, name) for name in RecoveryCasePublic.model_fields if hasattr(c, name)
    }
    return RecoveryCasePublic(
        **fields,
        touchpoint_name=row.touchpoint_name,
        location_name=row.location_name,
        deadline=row.window.deadline,
        overdue=row.window.overdue,
        fixed_within_window=row.window.fixed_within_window,
        seconds_left=row.window.seconds_left,
        window_words=row.window.words,
        next_step=row.next_step,
        action_item_id=item_id,
    )


def _step(tenant: Tenant, case: RecoveryCase, step: Step, data: StepIn) -> RecoveryCasePublic:
    record = StepRecord(
        at=data.at, note=data.note, verdict=data.verdict if isinstance(data, FollowUpIn) else None
    )
    services.case_step_record(session=tenant.session, case=case, step=step, data=record)
    return case_public(tenant, case)


def _undo(tenant: Tenant, case: RecoveryCase, step: Step) -> RecoveryCasePublic:
    services.case_step_undo(session=tenant.session, case=case, step=step)
    return case_public(tenant, case)


# --- endpoints -----------------------------------------------------------------------------


@router.get("/recovery-cases", response_model=list[RecoveryCasePublic])
def cases(
    tenant: OwnerDep,
    status: Annotated[Literal["open", "closed"] | None, Query()] = None,
    touchpoint_id: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
    location_id: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
    overdue: Annotated[bool | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> list[RecoveryCasePublic]:
    """Cases in the board's order: waiting for a fix by deadline (overdue first), then the
    fixed ones, then the closed ones (latest first). `overdue=true`: past 24 h, not fixed."""
    now = utcnow()
    found = queries.cases_list(
        tenant.session,
        now=now,
        closed=None if status is None else status == "closed",
        touchpoint_id=touchpoint_id,
        location_id=location_id,
        overdue=overdue,
        limit=limit,
        offset=offset,
    )
    rows = queries.case_rows(tenant.session, found, now=now, tz=tenant.org.timezone)
    items = queries.action_item_ids(tenant.session, [ident(c) for c in found])
    return [_public(tenant, r, items) for r in rows]


@router.post("/recovery-cases", response_model=RecoveryCasePublic, status_code=201)
def case_create(tenant: OwnerDep, data: CaseOpenIn) -> RecoveryCasePublic:
    """Open a case for a problem heard by phone, in person, online or found by a shop."""
    case = services.case_open(
        session=tenant.session, org_id=tenant.org_id, data=data, actor_id=tenant.user_id
    )
    return case_public(tenant, case)


@router.get("/recovery-cases/{recovery_case_id}", response_model=RecoveryCasePublic)
def case_read(tenant: OwnerDep, case: CaseDep) -> RecoveryCasePublic:
    return case_public(tenant, case)


@router.patch("/recovery-cases/{recovery_case_id}", response_model=RecoveryCasePublic)
def case_update(tenant: OwnerDep, case: CaseDep, data: CaseDetailsIn) -> RecoveryCasePublic:
    """Correct the story, the customer's contact, the location, the touchpoint or the time
    it was reported (not after a recorded step)."""
    services.case_update(session=tenant.session, case=case, data=data)
    return case_public(tenant, case)


@router.post("/recovery-cases/{recovery_case_id}/acknowledge", response_model=RecoveryCasePublic)
def case_acknowledge(tenant: OwnerDep, case: CaseDep, data: StepIn) -> RecoveryCasePublic:
    """Heard and acknowledged. Sending it again keeps the first time unless `at` is given."""
    return _step(tenant, case, Step.acknowledge, data)


@router.post("/recovery-cases/{recovery_case_id}/fix", response_model=RecoveryCasePublic)
def case_fix(tenant: OwnerDep, case: CaseDep, data: NoteRequiredStepIn) -> RecoveryCasePublic:
    """Fixed or replaced; the note says what was done."""
    return _step(tenant, case, Step.fix, data)


@router.post("/recovery-cases/{recovery_case_id}/surprise", response_model=RecoveryCasePublic)
def case_surprise(tenant: OwnerDep, case: CaseDep, data: NoteRequiredStepIn) -> RecoveryCasePublic:
    """The surprise; the note says what unexpected thing was done."""
    return _step(tenant, case, Step.surprise, data)


@router.post("/recovery-cases/{recovery_case_id}/follow-up", response_model=RecoveryCasePublic)
def case_follow_up(tenant: OwnerDep, case: CaseDep, data: FollowUpIn) -> RecoveryCasePublic:
    """Followed up, with the customer's verdict."""
    return _step(tenant, case, Step.follow_up, data)


@router.delete("/recovery-cases/{recovery_case_id}/acknowledge", response_model=RecoveryCasePublic)
def case_acknowledge_undo(tenant: OwnerDep, case: CaseDep) -> RecoveryCasePublic:
    """Take the step back (recorded by mistake)."""
    return _undo(tenant, case, Step.acknowledge)


@router.delete("/recovery-cases/{recovery_case_id}/fix", response_model=RecoveryCasePublic)
def case_fix_undo(tenant: OwnerDep, case: CaseDep) -> RecoveryCasePublic:
    return _undo(tenant, case, Step.fix)


@router.delete("/recovery-cases/{recovery_case_id}/surprise", response_model=RecoveryCasePublic)
def case_surprise_undo(tenant: OwnerDep, case: CaseDep) -> RecoveryCasePublic:
    return _undo(tenant, case, Step.surprise)


@router.delete("/recovery-cases/{recovery_case_id}/follow-up", response_model=RecoveryCasePublic)
def case_follow_up_undo(tenant: OwnerDep, case: CaseDep) -> RecoveryCasePublic:
    """Also clears the verdict and the champion mark."""
    return _undo(tenant, case, Step.follow_up)


@router.put("/recovery-cases/{recovery_case_id}/triage", response_model=RecoveryCasePublic)
def case_triage(tenant: OwnerDep, case: CaseDep, data: TriageIn) -> RecoveryCasePublic:
    """What happened, the cause, why, and what we will do differently."""
    services.case_triage(session=tenant.session, case=case, data=data)
    return case_public(tenant, case)


@router.put("/recovery-cases/{recovery_case_id}/champion", response_model=RecoveryCasePublic)
def case_champion(tenant: OwnerDep, case: CaseDep, data: ChampionIn) -> RecoveryCasePublic:
    """Mark or unmark the customer as a champion (an advocate after the recovery)."""
    services.case_champion(session=tenant.session, case=case, champion=data.champion)
    return case_public(tenant, case)


@router.post("/recovery-cases/{recovery_case_id}/close", response_model=RecoveryCasePublic)
def case_close(tenant: OwnerDep, case: CaseDep) -> RecoveryCasePublic:
    """Close the case. It needs a touchpoint, the follow-up and the whole triage; the error
    names the first field missing and says everything that is."""
    services.case_close(session=tenant.session, case=case)
    return case_public(tenant, case)


@router.post("/recovery-cases/{recovery_case_id}/reopen", response_model=RecoveryCasePublic)
def case_reopen(tenant: OwnerDep, case: CaseDep) -> RecoveryCasePublic:
    services.case_reopen(session=tenant.session, case=case)
    return case_public(tenant, case)
