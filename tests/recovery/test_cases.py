"""Recovery-case services: details, the four steps, triage, champion, closing, the action
item made from a case, and the board's order. Run on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlmodel import Session, col, func, select

from actions.cases import services as case_actions
from app.db import Database
from app.errors import ConflictError, DomainError
from app.modelbase import ident, utcnow
from app.orgs.models import Location, Organization, Role, User
from app.tenancy import scope_session, unscoped
from recovery import services
from recovery.models import CauseCategory, RecoveryCase, Verdict
from recovery.queries import board, cases_list, next_step
from recovery.services import CaseDetails, CaseOpen, Step, StepRecord, Triage
from tests.factories import (
    make_location,
    make_member,
    make_org,
    make_recovery_case,
    make_touchpoint,
)
from touchpoints.models import ActionItem, ActionSource, ActionStatus, Touchpoint

pytestmark = pytest.mark.db


@dataclass
class World:
    org: Organization
    owner: User
    location: Location
    tp: Touchpoint
    case: RecoveryCase


def _open_case(session: Session) -> World:
    org = make_org(session, timezone="Europe/London")
    scope_session(session, ident(org))
    owner = make_member(session, org, Role.owner)
    location = make_location(session, org, name="High Street")
    tp = make_touchpoint(session, org, name="Handling a problem", team="Front desk")
    case = make_recovery_case(
        session, org, location_id=location.id, reported_at=utcnow() - timedelta(hours=6)
    )
    return World(org, owner, location, tp, case)


def _step(session: Session, case: RecoveryCase, step: Step, **fields: object) -> RecoveryCase:
    return services.case_step_record(
        session=session, case=case, step=step, data=StepRecord.model_validate(fields)
    )


def _walk_to_closable(session: Session, w: World) -> RecoveryCase:
    case = w.case
    services.case_update(session=session, case=case, data=CaseDetails(touchpoint_id=w.tp.id))
    _step(session, case, Step.acknowledge)
    _step(session, case, Step.fix, note="Replaced the cold meal")
    _step(session, case, Step.surprise, note="Dessert on the house")
    _step(session, case, Step.follow_up, verdict="satisfied", note="Called the next day")
    services.case_triage(
        session=session,
        case=case,
        data=Triage(
            triage_what="The meal waited under the pass for ten minutes",
            cause_category=CauseCategory.process,
            triage_why="Nobody owned the pass during the rush",
            triage_change="Name a pass runner for every rush hour",
        ),
    )
    return case


# --- opening and details --------------------------------------------------------------------


def test_open_checks_time_and_text(session: Session) -> None:
    w = _open_case(session)
    data = CaseOpen(summary="x", reported_at=utcnow() + timedelta(hours=1))
    with pytest.raises(DomainError) as exc:
        services.case_open(session=session, org_id=ident(w.org), data=data, actor_id=None)
    assert (exc.value.field, exc.value.message) == ("reported_at", services.MSG_REPORTED_FUTURE)
    data = CaseOpen(summary="x", reported_at=datetime(1999, 6, 1, tzinfo=UTC))
    with pytest.raises(DomainError) as exc:
        services.case_open(session=session, org_id=ident(w.org), data=data, actor_id=None)
    assert (exc.value.field, exc.value.message) == ("reported_at", services.MSG_TOO_EARLY)
    with pytest.raises(ValidationError, match="control characters"):
        CaseOpen(summary="bad\x00byte")
    with pytest.raises(ValidationError, match="what happened"):
        CaseOpen(summary="   ")


def test_update_details_changes_only_what_is_given(session: Session) -> None:
    w = _open_case(session)
    case = w.case
    before = case.updated_at
    reported = utcnow() - timedelta(hours=3)
    services.case_update(
        session=session,
        case=case,
        data=CaseDetails(
            touchpoint_id=w.tp.id,
            summary="  Soup arrived cold  ",
            source="in_person",
            customer_name="Ada",
            customer_contact="ada@example.test",
            reported_at=reported,
        ),
    )
    session.expire_all()
    stored = session.get(RecoveryCase, ident(case))
    assert stored is not None
    assert stored.touchpoint_id == w.tp.id
    assert stored.location_id == w.location.id  # not given: kept
    assert stored.summary == "Soup arrived cold"
    assert stored.source == "in_person"
    assert (stored.customer_name, stored.customer_contact) == ("Ada", "ada@example.test")
    assert stored.reported_at == reported
    assert stored.updated_at > before
    # A null touchpoint files the case under none.
    services.case_update(session=session, case=stored, data=CaseDetails(touchpoint_id=None))
    assert stored.touchpoint_id is None


def test_update_refuses_other_orgs_ids_and_impossible_times(session: Session) -> None:
    w = _open_case(session)
    with unscoped(session):
        foreign = make_location(session, make_org(session))
    with pytest.raises(DomainError) as exc:
        services.case_update(session=session, case=w.case, data=CaseDetails(location_id=foreign.id))
    assert (exc.value.field, exc.value.message) == (
        "location_id",
        services.MSG_LOCATION_UNKNOWN,
    )
    with pytest.raises(DomainError) as exc:
        services.case_update(
            session=session,
            case=w.case,
            data=CaseDetails(reported_at=utcnow() + timedelta(minutes=5)),
        )
    assert exc.value.field == "reported_at"
    # Once a step is recorded, the report cannot move after it.
    _step(session, w.case, Step.acknowledge, at=w.case.reported_at + timedelta(minutes=10))
    with pytest.raises(DomainError) as exc:
        services.case_update(
            session=session,
            case=w.case,
            data=CaseDetails(reported_at=w.case.reported_at + timedelta(minutes=20)),
        )
    assert (exc.value.field, exc.value.message) == (
        "reported_at",
        services.MSG_REPORTED_AFTER_STEPS,
    )


# --- the steps ------------------------------------------------------------------------------


def test_steps_record_time_note_and_verdict(session: Session) -> None:
    w = _open_case(session)
    case = w.case
    _step(session, case, Step.acknowledge, note="Apologised on the phone")
    assert case.acknowledged_at is not None
    assert case.acknowledged_at >= case.reported_at
    assert case.acknowledged_note == "Apologised on the phone"
    fixed_at = case.reported_at + timedelta(hours=4, minutes=10)
    _step(session, case, Step.fix, at=fixed_at, note="New meal sent")
    _step(session, case, Step.surprise, note="Voucher for two coffees")
    _step(session, case, Step.follow_up, verdict="partly", note="Still unhappy about the wait")
    session.expire_all()
    stored = session.get(RecoveryCase, ident(case))
    assert stored is not None
    assert stored.fixed_at == fixed_at
    assert stored.fix_note == "New meal sent"
    assert stored.surprise_note == "Voucher for two coffees"
    assert stored.verdict == Verdict.partly
    assert stored.followed_up_at is not None


@pytest.mark.parametrize(
    ("step", "fields", "field", "message"),
    [
        (Step.fix, {}, "note", services.MSG_FIX_NOTE),
        (Step.surprise, {"note": "   "}, "note", services.MSG_SURPRISE_NOTE),
        (Step.follow_up, {"note": "called"}, "verdict", services.MSG_VERDICT),
    ],
)
def test_steps_that_need_more(
    session: Session, step: Step, fields: dict[str, object], field: str, message: str
) -> None:
    w = _open_case(session)
    with pytest.raises(DomainError) as exc:
        _step(session, w.case, step, **fields)
    assert (exc.value.field, exc.value.message) == (field, message)


def test_step_time_never_future_nor_before_report(session: Session) -> None:
    w = _open_case(session)
    with pytest.raises(DomainError) as exc:
        _step(session, w.case, Step.acknowledge, at=utcnow() + timedelta(minutes=2))
    assert (exc.value.field, exc.value.message) == ("at", services.MSG_STEP_FUTURE)
    with pytest.raises(DomainError) as exc:
        _step(session, w.case, Step.acknowledge, at=w.case.reported_at - timedelta(minutes=1))
    assert (exc.value.field, exc.value.message) == ("at", services.MSG_STEP_BEFORE_REPORT)
    assert w.case.acknowledged_at is None


def test_repeating_a_step_is_harmless_and_correcting_it_is_allowed(session: Session) -> None:
    w = _open_case(session)
    case = w.case
    _step(session, case, Step.fix, note="Replaced")
    first_at, first_updated = case.fixed_at, case.updated_at
    # A retried request (same note, no time) changes nothing at all.
    _step(session, case, Step.fix, note="Replaced")
    assert (case.fixed_at, case.updated_at) == (first_at, first_updated)
    # A correction of the time and the note is kept, and stamps the change.
    corrected = case.reported_at + timedelta(minutes=30)
    _step(session, case, Step.fix, at=corrected, note="Replaced with a new one")
    session.expire_all()
    stored = session.get(RecoveryCase, ident(case))
    assert stored is not None
    assert stored.fixed_at == corrected
    assert stored.fix_note == "Replaced with a new one"
    assert stored.updated_at > first_updated


def test_undo_takes_a_step_back(session: Session) -> None:
    w = _open_case(session)
    case = w.case
    _step(session, case, Step.follow_up, verdict="satisfied")
    services.case_champion(session=session, case=case, champion=True)
    services.case_step_undo(session=session, case=case, step=Step.follow_up)
    assert (case.followed_up_at, case.verdict, case.champion) == (None, None, False)


# --- triage, champion, close ----------------------------------------------------------------


def test_triage_and_champion_are_saved(session: Session) -> None:
    w = _open_case(session)
    before = w.case.updated_at
    services.case_triage(
        session=session,
        case=w.case,
        data=Triage(triage_what="Late", cause_category="people", triage_why="Short-staffed"),
    )
    services.case_champion(session=session, case=w.case, champion=True)
    session.expire_all()
    stored = session.get(RecoveryCase, ident(w.case))
    assert stored is not None
    assert (stored.triage_what, stored.cause_category, stored.triage_why) == (
        "Late",
        CauseCategory.people,
        "Short-staffed",
    )
    assert stored.champion is True
    assert stored.updated_at > before


def test_close_says_what_is_missing(session: Session) -> None:
    w = _open_case(session)
    with pytest.raises(DomainError) as exc:
        services.case_close(session=session, case=w.case)
    assert exc.value.field == "touchpoint_id"
    assert exc.value.message == (
        "Before closing, file it under a touchpoint (so it counts in reports), follow up with "
        "the customer, write what happened, choose a cause, write why it happened and write "
        "what we will do differently."
    )
    _walk_to_closable(session, w)
    services.case_update(session=session, case=w.case, data=CaseDetails(touchpoint_id=None))
    with pytest.raises(DomainError) as exc:
        services.case_close(session=session, case=w.case)
    assert exc.value.message == (
        "Before closing, file it under a touchpoint (so it counts in reports)."
    )


def test_close_and_reopen(session: Session) -> None:
    w = _open_case(session)
    case = _walk_to_closable(session, w)
    assert next_step(case) == "close"
    services.case_close(session=session, case=case)
    closed_at = case.closed_at
    assert closed_at is not None
    services.case_close(session=session, case=case)  # twice: harmless
    assert case.closed_at == closed_at
    # A closed case refuses changes to its steps until reopened.
    with pytest.raises(ConflictError) as exc:
        _step(session, case, Step.surprise, note="Another gift")
    assert exc.value.message == services.MSG_CLOSED
    with pytest.raises(ConflictError):
        services.case_update(session=session, case=case, data=CaseDetails(touchpoint_id=None))
    services.case_reopen(session=session, case=case)
    session.expire_all()
    stored = session.get(RecoveryCase, ident(case))
    assert stored is not None
    assert stored.closed_at is None


# --- the action item ------------------------------------------------------------------------


def test_action_item_needs_a_touchpoint_and_the_text(session: Session) -> None:
    w = _open_case(session)
    with pytest.raises(DomainError) as exc:
        case_actions.case_action_item_make(session=session, case=w.case, actor_id=w.owner.id)
    assert (exc.value.field, exc.value.message) == (
        "touchpoint_id",
        case_actions.MSG_ACTION_NO_TOUCHPOINT,
    )
    services.case_update(session=session, case=w.case, data=CaseDetails(touchpoint_id=w.tp.id))
    with pytest.raises(DomainError) as exc:
        case_actions.case_action_item_make(session=session, case=w.case, actor_id=w.owner.id)
    assert (exc.value.field, exc.value.message) == (
        "triage_change",
        case_actions.MSG_ACTION_NO_TEXT,
    )
    assert session.exec(select(func.count()).select_from(ActionItem)).one() == 0


def test_action_item_made_once_from_what_changes(session: Session) -> None:
    w = _open_case(session)
    case = _walk_to_closable(session, w)
    item, made = case_actions.case_action_item_make(session=session, case=case, actor_id=w.owner.id)
    assert made
    again, made_again = case_actions.case_action_item_make(
        session=session, case=case, actor_id=w.owner.id
    )
    assert not made_again
    assert again.id == item.id
    items = session.exec(select(ActionItem).order_by(col(ActionItem.id))).all()
    assert len(items) == 1
    stored = items[0]
    assert stored.title == "Name a pass runner for every rush hour"
    assert stored.team == "Front desk"
    assert stored.touchpoint_id == w.tp.id
    assert stored.source == ActionSource.recovery_case
    assert stored.recovery_case_id == case.id
    assert stored.status == ActionStatus.open
    assert case.reference in stored.details
    assert services.case_action_item(session, case) is not None


def test_long_change_text_is_cut_for_the_title_and_kept_in_full(session: Session) -> None:
    w = _open_case(session)
    case = _walk_to_closable(session, w)
    long_text = "Train every new starter on the complaint steps. " * 20
    services.case_triage(
        session=session,
        case=case,
        data=Triage(
            triage_what=case.triage_what,
            cause_category=case.cause_category,
            triage_why=case.triage_why,
            triage_change=long_text,
        ),
    )
    item, _ = case_actions.case_action_item_make(session=session, case=case, actor_id=None)
    assert len(item.title) <= 300
    assert item.title.endswith("…")
    assert long_text.strip() in item.details


# --- the board's order ----------------------------------------------------------------------


def test_board_puts_overdue_first_then_time_left_then_fixed(session: Session) -> None:
    w = _open_case(session)
    org = w.org
    now = utcnow()
    w.case.reported_at = now - timedelta(hours=2)  # 22 h left
    session.add(w.case)
    session.commit()
    overdue_long = make_recovery_case(session, org, reported_at=now - timedelta(hours=40))
    overdue_short = make_recovery_case(session, org, reported_at=now - timedelta(hours=25))
    soon = make_recovery_case(session, org, reported_at=now - timedelta(hours=20))
    fixed = make_recovery_case(session, org, reported_at=now - timedelta(hours=30))
    _step(session, fixed, Step.fix, note="Done")
    closed = _walk_to_closable(session, w)  # reuse w.case as the closed one below
    services.case_close(session=session, case=closed)
    shown = board(session, now=now, tz="Europe/London")
    open_rows = shown["open_rows"]
    assert [r.case.id for r in open_rows] == [  # type: ignore[attr-defined]
        overdue_long.id,
        overdue_short.id,
        soon.id,
        fixed.id,
    ]
    assert shown["overdue_count"] == 2
    assert [r.case.id for r in shown["closed_rows"]] == [closed.id]  # type: ignore[attr-defined]
    words = [r.window.words for r in open_rows]  # type: ignore[attr-defined]
    assert words[0] == "overdue by 16 h"
    assert words[2] == "4 h left"
    overdue = cases_list(session, now=now, overdue=True)
    assert {c.id for c in overdue} == {overdue_long.id, overdue_short.id}
    by_location = cases_list(session, now=now, location_id=w.location.id)
    assert [c.id for c in by_location] == [closed.id]


def test_two_presses_at_once_make_one_action_item(session: Session, db: Database) -> None:
    """Two requests pressing the button at the same moment, each in its own write
    transaction (the row lock on PostgreSQL, the write lock on SQLite): one item."""
    w = _open_case(session)
    case = _walk_to_closable(session, w)
    case_id, org_id = ident(case), ident(w.org)
    barrier = threading.Barrier(2)
    results: list[bool] = []
    errors: list[BaseException] = []

    def press() -> None:
        try:
            with db.session(write=True) as s:
                scope_session(s, org_id)
                barrier.wait(timeout=10)
                mine = s.get(RecoveryCase, case_id)
                assert mine is not None
                _, made = case_actions.case_action_item_make(session=s, case=mine, actor_id=None)
                results.append(made)
        except BaseException as exc:  # reported below, in the test's own thread
            errors.append(exc)

    threads = [threading.Thread(target=press) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    assert sorted(results) == [False, True]
    session.rollback()
    assert session.exec(select(func.count()).select_from(ActionItem)).one() == 1
