"""Every write about shops: planning, answers, submission and review.

These functions expect an org-scoped session (app.tenancy). Permission decisions that go
beyond "is a member with role X" live here too: a shopper acts only on their own shops.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator
from sqlalchemy import and_, bindparam, exists, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app import events
from app.errors import ConflictError, DomainError, NotFoundError
from app.i18n.catalogs import N_
from app.i18n.message import message
from app.modelbase import RowId, ident, utcnow
from app.orgs.models import Location, Membership, Organization, Role
from app.webhooks.models import WebhookEvent
from app.webhooks.payloads import ShopData, ShopPayload
from app.webhooks.services import webhook_emit
from audits.answers import MSG_EMPTY, MSG_NA_NOT_ALLOWED, clean_value
from audits.board.queries import rule_breach
from audits.board.services import (
    FEE_MAX_MINOR,
    MSG_FEE,
    MSG_FEE_TOO_BIG,
    check_fee,
    visit_start_check,
)
from audits.expenses.queries import receipts_missing
from audits.feedback.models import NoteKind
from audits.feedback.services import MSG_NOTE_LONG, NOTE_MAX, Rubric, note_add, rating_record
from audits.models import (
    OPEN_STATES,
    Answer,
    Photo,
    Shop,
    ShopEvent,
    ShopStatus,
    ShopTouchpoint,
    Wave,
)
from audits.progress import shop_progress_counts
from audits.proof.models import VisitLocationCheck, VisitProof
from audits.proof.services import LocationCheckInput, proof_record, proof_start_record
from audits.queries import answer_words, handin_missing, review_flags, shop_sections
from audits.report_day import answer_share
from audits.shopper_refusals import (  # noqa: F401 (MSG_*: their names here before)
    MSG_EVIDENCE,
    MSG_EVIDENCE_ONE,
    MSG_MISSING,
    MSG_MISSING_ONE,
    evidence_missing,
    questions_missing,
    receipts_missing_text,
)
from touchpoints.models import Question, QuestionStatus, Touchpoint
from touchpoints.preview import question_spec
from touchpoints.scoring import score_shop, score_snapshot

MSG_NOT_YOURS = "Not found."  # a shopper is never told that another shopper's shop exists
MSG_LOCATION_UNKNOWN = "Choose a location of this organization."
MSG_TOUCHPOINTS_NEEDED = "Choose at least one active touchpoint for the shop to cover."
MSG_TOUCHPOINT_UNKNOWN = "Choose touchpoints of this journey that are not archived."
MSG_TOUCHPOINT_EMPTY = N_(
    "%(name)s has no questions yet, so a shopper would have nothing to answer there. "
    "Add its questions first, or leave it out."
)
MSG_SHOPPER_UNKNOWN = "Choose a member of this organization with the secret shopper role."
MSG_WINDOW = "The visit window must end after it starts."
MSG_SHOPPERS_OR_POST = "Choose at least one shopper, or post the wave's shops on the job board."
MSG_POST_OR_SHOPPER = "Leave the shopper empty to post the shop on the job board."
MSG_QUESTION_NOT_IN_SHOP = "That question is not part of this shop."
MSG_SHOP_CLOSED = "This shop has been handed in; answers can no longer change."
MSG_ANSWER_ID_TAKEN = (
    "That answer id is already used by another answer. Send the answer again with a new id."
)
MSG_ALREADY_APPROVED = "This shop is already approved."
MSG_CANNOT = N_("A shop that is %(status)s cannot be %(action)s.")
MSG_RETURN_NOTE = (
    "Say what the shopper should fix: write a note here, or next to the questions it concerns."
)


# --- planning ------------------------------------------------------------------------------


class ShopPlan(BaseModel):
    location_id: RowId
    touchpoint_ids: list[RowId] = Field(min_length=1)
    shopper_id: RowId | None = None
    scenario: str = Field(default="", max_length=4000)
    due_from: datetime | None = None
    due_until: datetime | None = None
    # What the shopper earns for it (audits/board): minor units of fee_currency (ISO 4217).
    fee_minor: int | None = Field(default=None, description="minor units (cents); 0 or more")
    fee_currency: str = Field(default="", description="ISO 4217 code, such as EUR")
    # Put it on the job board instead of giving it to a shopper.
    post: bool = False

    @field_validator("fee_minor")
    @classmethod
    def _fee(cls, v: int | None) -> int | None:
        return _fee_checked(v)

    @model_validator(mode="after")
    def _window(self) -> ShopPlan:
        if self.due_from and self.due_until and self.due_until <= self.due_from:
            raise ValueError(MSG_WINDOW)
        return self


class WavePlan(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    location_ids: list[RowId] = Field(min_length=1)
    touchpoint_ids: list[RowId] = Field(min_length=1)
    # Put the wave's shops on the job board instead of giving them to shoppers.
    post: bool = False
    # Shoppers in turn; none when the wave's shops go on the job board (`post`).
    shopper_ids: list[RowId] = Field(default_factory=list, validate_default=True)
    starts: datetime
    ends: datetime
    scenario: str = Field(default="", max_length=4000)
    fee_minor: int | None = Field(default=None, description="minor units (cents); 0 or more")
    fee_currency: str = Field(default="", description="ISO 4217 code, such as EUR")

    @field_validator("fee_minor")
    @classmethod
    def _fee(cls, v: int | None) -> int | None:
        return _fee_checked(v)

    @field_validator("shopper_ids")
    @classmethod
    def _some_shoppers(cls, v: list[int], info: ValidationInfo) -> list[int]:
        if not v and not info.data.get("post", False):
            raise ValueError(MSG_SHOPPERS_OR_POST)
        return v

    @field_validator("name")
    @classmethod
    def _strip(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("enter a name for the wave")
        return v.strip()

    @model_validator(mode="after")
    def _window(self) -> WavePlan:
        if self.ends <= self.starts:
            raise ValueError(MSG_WINDOW)
        return self


def _fee_checked(v: int | None) -> int | None:
    if v is not None and v < 0:
        raise ValueError(MSG_FEE)
    if v is not None and v > FEE_MAX_MINOR:
        raise ValueError(MSG_FEE_TOO_BIG)
    return v


def _log(
    session: Session, shop: Shop, to: ShopStatus, actor_id: int | None, note: str = ""
) -> None:
    session.add(
        ShopEvent(
            org_id=shop.org_id,
            shop_id=ident(shop),
            actor_id=actor_id,
            from_status=None if shop.id is None else str(shop.status),
            to_status=str(to),
            note=note,
        )
    )


def _check_plan(
    session: Session,
    org_id: int,
    location_id: int,
    touchpoint_ids: Sequence[int],
    shopper_id: int | None,
) -> list[Touchpoint]:
    location = session.get(Location, location_id)
    if location is None or location.org_id != org_id:
        raise DomainError(MSG_LOCATION_UNKNOWN, field="location_id")
    touchpoints = []
    for tp_id in dict.fromkeys(touchpoint_ids):  # keep the order, drop repeats
        tp = session.get(Touchpoint, tp_id)
        if tp is None or tp.org_id != org_id or tp.archived_at is not None:
            raise DomainError(MSG_TOUCHPOINT_UNKNOWN, field="touchpoint_ids")
        touchpoints.append(tp)
    if not touchpoints:
        raise DomainError(MSG_TOUCHPOINTS_NEEDED, field="touchpoint_ids")
    with_questions = set(
        session.exec(
            select(Question.touchpoint_id)
            .where(
                col(Question.touchpoint_id).in_([tp.id for tp in touchpoints]),
                Question.status == QuestionStatus.active,
            )
            .distinct()
        ).all()
    )
    for tp in touchpoints:
        if tp.id not in with_questions:
            raise DomainError(message(MSG_TOUCHPOINT_EMPTY, name=tp.name), field="touchpoint_ids")
    if shopper_id is not None:
        member = session.exec(
            select(Membership).where(
                Membership.user_id == shopper_id,
                Membership.org_id == org_id,
                Membership.role == Role.shopper,
            )
        ).first()
        if member is None:
            raise DomainError(MSG_SHOPPER_UNKNOWN, field="shopper_id")
    return touchpoints


def _create_shop(
    session: Session,
    org_id: int,
    plan: ShopPlan,
    actor_id: int,
    touchpoints: list[Touchpoint],
    wave_id: int | None = None,
) -> Shop:
    fee_minor, fee_currency = check_fee(plan.fee_minor, plan.fee_currency)
    if plan.post and plan.shopper_id is not None:
        raise DomainError(MSG_POST_OR_SHOPPER, field="shopper_id")
    shop = Shop(
        org_id=org_id,
        location_id=plan.location_id,
        shopper_id=plan.shopper_id,
        scenario=plan.scenario.strip(),
        due_from=plan.due_from,
        due_until=plan.due_until,
        wave_id=wave_id,
        fee_minor=fee_minor,
        fee_currency=fee_currency,
    )
    if plan.shopper_id is not None:
        # The visit rules apply to an owner's assignment as to a shopper's claim; the shops
        # planned before this one in the same wave count (they are flushed by now).
        org = session.get(Organization, org_id)
        breach = rule_breach(
            session,
            shop=shop,
            shopper_id=plan.shopper_id,
            tz=org.timezone if org else "UTC",
            now=utcnow(),
        )
        if breach is not None:
            raise ConflictError(breach, field="shopper_id")
    if plan.post:
        shop.status = ShopStatus.open
        shop.posted_at = utcnow()
    session.add(shop)
    session.flush()
    for position, tp in enumerate(touchpoints, start=1):
        session.add(
            ShopTouchpoint(
                org_id=org_id, shop_id=ident(shop), touchpoint_id=ident(tp), position=position
            )
        )
    session.add(
        ShopEvent(
            org_id=org_id,
            shop_id=ident(shop),
            actor_id=actor_id,
            to_status=shop.status,
            note="planned and posted on the job board" if plan.post else "planned",
        )
    )
    return shop


def shop_plan(*, session: Session, org_id: int, data: ShopPlan, actor_id: int) -> Shop:
    touchpoints = _check_plan(
        session, org_id, data.location_id, data.touchpoint_ids, data.shopper_id
    )
    shop = _create_shop(session, org_id, data, actor_id, touchpoints)
    session.commit()
    return shop


@dataclass(frozen=True)
class WaveShop:
    """One shop a wave will make: where, who, and its visit window."""

    location_id: int
    shopper_id: int | None  # None: posted on the job board
    due_from: datetime
    due_until: datetime
    touchpoints: list[Touchpoint]


def wave_preview(*, session: Session, org_id: int, data: WavePlan) -> list[WaveShop]:
    """The shops `wave_plan` would make, checked the same way, without writing anything:
    one per location, shoppers assigned in turn, visit windows spread over the range."""
    count = len(data.location_ids)
    # `ends` is the wave's last minute (23:59 of its last day on the page): the range runs to
    # the end of that minute, so three shops over three days get a day each from midnight.
    span = (data.ends + timedelta(minutes=1) - data.starts) / count
    # Each window ends where the next begins, at a whole minute.
    starts = [data.starts] + [_minute(data.starts + span * i) for i in range(1, count)]
    ends = starts[1:] + [data.ends]
    planned = []
    for i, location_id in enumerate(data.location_ids):
        shopper_id = None if data.post else data.shopper_ids[i % len(data.shopper_ids)]
        touchpoints = _check_plan(session, org_id, location_id, data.touchpoint_ids, shopper_id)
        planned.append(
            WaveShop(
                location_id=location_id,
                shopper_id=shopper_id,
                due_from=starts[i],
                due_until=ends[i],
                touchpoints=touchpoints,
            )
        )
    return planned


def _minute(moment: datetime) -> datetime:
    """`moment` rounded to the nearest whole minute."""
    return (moment + timedelta(seconds=30)).replace(second=0, microsecond=0)


def wave_plan(
    *, session: Session, org_id: int, data: WavePlan, actor_id: int
) -> tuple[Wave, list[Shop]]:
    """Make the wave and the shops `wave_preview` shows, in one transaction."""
    planned = wave_preview(session=session, org_id=org_id, data=data)
    wave = Wave(org_id=org_id, name=data.name)
    session.add(wave)
    session.flush()
    shops = []
    for one in planned:
        plan = ShopPlan(
            location_id=one.location_id,
            touchpoint_ids=data.touchpoint_ids,
            shopper_id=one.shopper_id,
            scenario=data.scenario,
            due_from=one.due_from,
            due_until=one.due_until,
            fee_minor=data.fee_minor,
            fee_currency=data.fee_currency,
            post=data.post,
        )
        shops.append(_create_shop(session, org_id, plan, actor_id, one.touchpoints, ident(wave)))
    session.commit()
    return wave, shops


# --- who may touch a shop ------------------------------------------------------------------


# Built once, not session.get: every answer save loads its shop, and a statement built anew
# makes SQLAlchemy work out its cache key (with the organization's filters) every time.
_SHOP_BY_ID = select(Shop).where(col(Shop.id) == bindparam("shop_id"))


def shop_for_member(*, session: Session, shop_id: int, user_id: int, role: Role) -> Shop:
    """The shop if this member may see it: owners and viewers any (viewers approved only),
    shoppers only their own. Otherwise 404, exactly like a shop that does not exist."""
    shop = session.exec(_SHOP_BY_ID, params={"shop_id": shop_id}).first()
    if shop is None:
        raise NotFoundError(MSG_NOT_YOURS)
    if role == Role.shopper and shop.shopper_id != user_id:
        raise NotFoundError(MSG_NOT_YOURS)
    if role == Role.viewer and shop.status != ShopStatus.approved:
        raise NotFoundError(MSG_NOT_YOURS)
    return shop


def _start(session: Session, shop: Shop) -> None:
    """A shop is being started: the visit rules' window check (refused, or marked early or
    late). Only on the first answer or visit time, so the autosave pays nothing after."""
    org = session.get(Organization, shop.org_id)
    visit_start_check(session, shop, org.timezone if org else "UTC", utcnow())


def _transition(
    session: Session, shop: Shop, to: ShopStatus, actor_id: int, note: str = ""
) -> None:
    _log(session, shop, to, actor_id, note)
    shop.status = to
    session.add(shop)


# --- answers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerInput:
    id: uuid.UUID
    question_id: int
    value: Any = None
    not_applicable: bool = False
    comment: str = ""
    # When the shopper gave it, by the phone's clock; None: when the server receives it.
    given_at: datetime | None = None


def phone_time(raw: object) -> datetime | None:
    """The time a phone says an answer was given (ISO 8601; UTC when it names no zone), or
    None, and then the receive time counts (given_time). Never a reason to refuse an
    answer: a time the server cannot read is left out. The page save and the file import
    read it alike."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        given = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    return given if given.tzinfo is not None else given.replace(tzinfo=UTC)


def given_time(given_at: datetime | None, *, received: datetime, shop: Shop) -> datetime:
    """The time an answer counts as given: the phone's, unless that clock is plainly wrong.

    A time after the server received the answer (a clock running ahead) or before the shop
    was planned (a clock reset to 1970) cannot be true: the receive time counts instead.
    A naive time is taken as UTC. (docs/reliability.md, "Two devices, one answer")
    """
    return given_time_since(given_at, received=received, created=shop.created_at)


def given_time_since(
    given_at: datetime | None, *, received: datetime, created: datetime | None
) -> datetime:
    """given_time for a shop planned at `created`."""
    if given_at is None:
        return received
    if given_at.tzinfo is None:
        given_at = given_at.replace(tzinfo=UTC)
    if given_at > received:
        return received
    if created is not None and created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    if created is not None and given_at < created:
        return received
    return given_at


# The statements of the answer save, built once: building SQLAlchemy expressions (an alias
# above all) cost more CPU than running the queries. Values go in as bound parameters.
_ASKED = aliased(Question)
_QUESTION_IN_SHOP = select(
    Question,
    # one of the shop's touchpoints asks it
    exists()
    .where(
        col(ShopTouchpoint.shop_id) == bindparam("shop_id"),
        col(ShopTouchpoint.touchpoint_id) == col(Question.touchpoint_id),
    )
    .correlate(Question),
    # the version of it this shop answered, if any
    select(Answer.question_id)
    .join(_ASKED, col(_ASKED.id) == col(Answer.question_id))
    .where(
        col(Answer.shop_id) == bindparam("shop_id"), col(_ASKED.lineage) == col(Question.lineage)
    )
    .correlate(Question)
    .limit(1)
    .scalar_subquery(),
).where(col(Question.id) == bindparam("question_id"))
# The stored answer under this id, and the shop's answer to this question; locked (on
# PostgreSQL) until the save commits, so that two devices' saves of it compare in turn.
_ANSWER_BY_ID_OR_QUESTION = (
    select(Answer)
    .where(
        or_(
            col(Answer.id) == bindparam("answer_id"),
            and_(
                col(Answer.shop_id) == bindparam("shop_id"),
                col(Answer.question_id) == bindparam("question_id"),
            ),
        )
    )
    .with_for_update()
)
_PHOTO_IDS = (
    select(Photo.id)
    .where(col(Photo.answer_id) == bindparam("answer_id"))
    .order_by(col(Photo.created_at))
)


def question_in_shop(session: Session, shop: Shop, question_id: int) -> Question:
    """The question version if this (open) shop asks it, in one small query.

    The same rule as shop_sections, without building the whole checklist on every save:
    the current version of a question of one of the shop's touchpoints, or the version this
    shop already answered. The question is loaded into the session, where the answer's
    flush hooks (audits.report_day) find it again without a query.
    """
    row = session.exec(
        _QUESTION_IN_SHOP, params={"shop_id": shop.id, "question_id": question_id}
    ).first()
    if row is None or not row[1]:
        raise DomainError(MSG_QUESTION_NOT_IN_SHOP, field="question_id")
    question, _, same_lineage = row
    if same_lineage is not None:
        if same_lineage != question.id:  # the shop answered another version of it
            raise DomainError(MSG_QUESTION_NOT_IN_SHOP, field="question_id")
        return question
    if question.status != QuestionStatus.active:
        raise DomainError(MSG_QUESTION_NOT_IN_SHOP, field="question_id")
    return question


def checked_value(question: Question, data: AnswerInput) -> Any:
    """The value to store for `data`, or the reason it cannot be stored."""
    if len(data.comment) > 4000:
        raise DomainError("Keep the comment under 4,000 characters.", field="comment")
    if data.not_applicable:
        if not question.allow_na:
            raise DomainError(MSG_NA_NOT_ALLOWED, field="not_applicable")
        return None
    if data.value is None or data.value == "":
        raise DomainError(MSG_EMPTY, field="value")
    return clean_value(question, data.value)


@dataclass(frozen=True)
class SavedAnswer:
    """An answer as stored, with what a reply about it needs, read before the commit.

    Reading after the commit would start a second transaction for every save.
    """

    answer: Answer
    question: Question
    photo_ids: list[uuid.UUID]  # with_photos: the answer's photos, oldest first
    progress: tuple[int, int] | None  # with_progress: (answered, asked) in the shop
    # False when the stored answer was given later (by the shopper's time) than this one:
    # nothing changed, and `answer` is the newer one the server keeps.
    applied: bool = True


def answer_upsert(
    *,
    session: Session,
    shop: Shop,
    actor_id: int,
    data: AnswerInput,
    with_photos: bool = False,
    with_progress: bool = False,
) -> SavedAnswer:
    """Save one answer; the same id (or the same question) again updates it, never duplicates.

    Its quick twin, audits/quick_save.py, does the same in Core statements for the usual
    autosave: a rule added here goes there too (or becomes a reason for it to step aside).

    Replays are expected: a phone resends what it is not sure arrived. This runs on every
    autosave, so it reads little: the question and its place in the shop in one query, the
    answer by its id or its question in another; with_photos the ids of the photos of an
    answer stored before, with_progress the shop's progress counted with this answer
    (docs/performance.md, autosave).

    Two devices of the shopper may answer the same question: the answer given last by the
    shopper's time (`data.given_at`, see given_time) is kept, not the last to arrive. An
    older one changes nothing and comes back with `applied=False` and the stored answer;
    on a tie the later arrival wins. Each save that changes the answer adds one to its
    revision.
    """
    if shop.shopper_id != actor_id:
        raise NotFoundError(MSG_NOT_YOURS)
    if shop.status not in OPEN_STATES:
        raise ConflictError(MSG_SHOP_CLOSED)
    question = question_in_shop(session, shop, data.question_id)
    value = checked_value(question, data)
    found = session.exec(
        _ANSWER_BY_ID_OR_QUESTION,
        params={"answer_id": data.id, "shop_id": shop.id, "question_id": question.id},
    ).all()
    answer = next((a for a in found if a.id == data.id), None)
    if answer is not None and answer.shop_id != shop.id:
        raise ConflictError("That answer id belongs to another shop.", field="id")
    if answer is None:
        answer = next(iter(found), None)
    photo_ids: list[uuid.UUID] = []
    received = utcnow()
    given = given_time(data.given_at, received=received, shop=shop)
    if answer is None:  # a new answer has no photos yet: they are added to a stored answer
        answer = Answer(
            id=data.id,
            org_id=shop.org_id,
            shop_id=ident(shop),
            question_id=ident(question),
            given_at=given,
            revision=0,
        )
    elif with_photos:
        photo_ids = list(session.exec(_PHOTO_IDS, params={"answer_id": answer.id}))
    if answer.revision and given < answer.given_at:
        # Given before the answer stored: a newer one from another device (or a queue that
        # waited) is kept. Nothing is written; the caller tells the phone what is stored.
        progress = shop_progress_counts(session, shop) if with_progress else None
        session.commit()
        return SavedAnswer(
            answer=answer,
            question=question,
            photo_ids=photo_ids,
            progress=progress,
            applied=False,
        )
    comment = data.comment.strip()
    changed = (
        not answer.revision
        or answer.question_id != question.id
        or answer.value != value
        or type(answer.value) is not type(value)
        or answer.not_applicable != data.not_applicable
        or answer.comment != comment
        or answer.given_at != given
    )
    answer.question_id = ident(question)
    answer.value = value
    answer.not_applicable = data.not_applicable
    answer.comment = comment
    answer.given_at = given
    if changed:
        answer.revision += 1
    answer.updated_at = received
    session.add(answer)
    if shop.status == ShopStatus.assigned:
        _start(session, shop)
        _transition(session, shop, ShopStatus.in_progress, actor_id, "first answer")
    progress = None
    try:
        if with_progress:
            session.flush()  # so that this answer is counted
            progress = shop_progress_counts(session, shop)
        session.commit()
    except IntegrityError as exc:
        # The id is taken by an answer this organization cannot see (ids are made on the
        # phones of every organization), or another save of this question won a race.
        session.rollback()
        raise ConflictError(MSG_ANSWER_ID_TAKEN, field="id") from exc
    return SavedAnswer(answer=answer, question=question, photo_ids=photo_ids, progress=progress)


def answer_record(*, session: Session, shop: Shop, actor_id: int, data: AnswerInput) -> Answer:
    """Save one answer (see answer_upsert) and return it."""
    return answer_upsert(session=session, shop=shop, actor_id=actor_id, data=data).answer


def missing_required(session: Session, shop: Shop) -> list[Question]:
    """Required questions shown to the shopper (by their show-when rules) and unanswered."""
    return [m.question for m in handin_missing(session, shop) if m.what == "answer"]


def _snapshot(session: Session, shop: Shop) -> None:
    sections = shop_sections(session, shop)
    score = score_shop(s.score() for s in sections)
    shop.score = score.percent
    shop.score_detail = score_snapshot(score)
    # An answer to a question its rule hides is kept but not counted: the reports read each
    # answer's stored share (audits.report_day), so it is cleared here, where the whole
    # section is known; a shown answer gets its share back.
    for section, scored in zip(sections, score.sections, strict=True):
        for question_score in scored.questions:
            answer = section.answers.get(question_score.question_id)
            if answer is None:
                continue
            share = None
            if not question_score.hidden:
                question = next(q for q in section.questions if q.id == question_score.question_id)
                share = answer_share(question_spec(question), answer.value, answer.not_applicable)
            if answer.share != share:
                answer.share = share
                session.add(answer)


def shop_submit(*, session: Session, shop: Shop, actor_id: int) -> Shop:
    """Hand the shop in. Pressing twice, or replaying the request, changes nothing more."""
    if shop.shopper_id != actor_id:
        raise NotFoundError(MSG_NOT_YOURS)
    if shop.status == ShopStatus.submitted:
        return shop
    if shop.status == ShopStatus.approved:
        raise ConflictError(MSG_ALREADY_APPROVED)
    problems = handin_missing(session, shop)
    missing = [m.question for m in problems if m.what == "answer"]
    if missing:
        raise DomainError(questions_missing(len(missing)), field=f"question-{ident(missing[0])}")
    if problems:
        raise DomainError(
            evidence_missing(len(problems)), field=f"question-{ident(problems[0].question)}"
        )
    no_receipt = receipts_missing(session, shop)
    if no_receipt:
        n = len(no_receipt)
        raise DomainError(
            receipts_missing_text(n),
            field=f"expense-{no_receipt[0].id}",
        )
    _snapshot(session, shop)
    shop.submitted_at = utcnow()
    proof_record(session, shop)  # when the phone says the visit started and ended
    _transition(session, shop, ShopStatus.submitted, actor_id)
    _webhook(session, shop, WebhookEvent.shop_submitted)
    session.commit()
    return shop


def shop_approve(
    *,
    session: Session,
    shop: Shop,
    actor_id: int,
    rubric: Rubric | None = None,
    note: str = "",
) -> Shop:
    """Approve a submitted shop; with it, optionally, the review rubric's marks and a note to
    the shopper (audits.feedback: the shopper reads the note, the marks feed their record)."""
    if shop.status == ShopStatus.approved:
        return shop
    if shop.status != ShopStatus.submitted:
        raise ConflictError(
            message(MSG_CANNOT, status=shop.status.replace("_", " "), action="approved")
        )
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise DomainError(MSG_NOTE_LONG, field="approve_note")
    _snapshot(session, shop)  # recomputed: answers may have been corrected on review
    shop.approved_at = utcnow()
    if rubric is not None:
        rating_record(session, shop, rubric, actor_id)
    if note:
        note_add(session, shop, kind=NoteKind.approved, text=note, author_id=actor_id)
    _transition(session, shop, ShopStatus.approved, actor_id)
    # Recovery raises its alerts here (app.wiring registers the listener), in this
    # transaction, in a savepoint of its own: an alert problem never costs the approval.
    events.emit(events.SHOP_APPROVED, session=session, shop=shop)
    _webhook(session, shop, WebhookEvent.shop_approved)
    session.commit()
    return shop


@dataclass(frozen=True)
class BulkApproval:
    approved: list[Shop]
    skipped: list[tuple[int, str]]  # shop id and why it was left for a closer look


def shops_approve_clean(
    *, session: Session, shop_ids: Sequence[int], actor_id: int
) -> BulkApproval:
    """Approve, in one go, the chosen shops that are still waiting and have nothing flagged
    (no failed answer, no failed critical question), judged again now: a shop corrected or
    returned since the list was drawn is left alone and said so. Each approval is its own
    transaction, as one at a time would be."""
    approved: list[Shop] = []
    skipped: list[tuple[int, str]] = []
    for shop_id in dict.fromkeys(shop_ids):  # once each, in the order chosen
        shop = session.get(Shop, shop_id)
        if shop is None:
            skipped.append((shop_id, "not found"))
        elif shop.status != ShopStatus.submitted:
            skipped.append((shop_id, f"no longer waiting ({shop.status.replace('_', ' ')})"))
        elif not review_flags(session, shop).clean:
            skipped.append((shop_id, "has a failed answer: open it to review"))
        else:
            approved.append(shop_approve(session=session, shop=shop, actor_id=actor_id))
    return BulkApproval(approved, skipped)


def _webhook(session: Session, shop: Shop, event: WebhookEvent) -> None:
    """Record the event's webhook deliveries in this transaction: no shopper in them."""
    location = session.get(Location, shop.location_id)
    data = ShopData(
        id=ident(shop),
        status=str(shop.status),
        location_id=shop.location_id,
        location=location.name if location is not None else "",
        scenario=shop.scenario,
        visited_at=shop.visited_at,
        submitted_at=shop.submitted_at,
        approved_at=shop.approved_at,
        score=shop.score,
    )
    webhook_emit(session=session, org_id=shop.org_id, event=event, data=ShopPayload(shop=data))


def shop_return(
    *,
    session: Session,
    shop: Shop,
    actor_id: int,
    note: str,
    question_notes: Mapping[int, str] | None = None,
) -> Shop:
    """Send a submitted shop back saying what to fix: an overall note, notes on questions
    (audits.feedback, shown next to each on the shopper's phone), or both; never neither."""
    note = note.strip()
    per_question = {qid: text.strip() for qid, text in (question_notes or {}).items()}
    per_question = {qid: text for qid, text in per_question.items() if text}
    if not note and not per_question:
        raise DomainError(MSG_RETURN_NOTE, field="note")
    if shop.status != ShopStatus.submitted:
        raise ConflictError(
            message(MSG_CANNOT, status=shop.status.replace("_", " "), action="returned")
        )
    if len(note) > NOTE_MAX:
        raise DomainError(MSG_NOTE_LONG, field="note")
    asked = {ident(q) for section in shop_sections(session, shop) for q in section.questions}
    for qid, text in per_question.items():
        if qid not in asked:
            raise DomainError(MSG_QUESTION_NOT_IN_SHOP, field="question_id")
        if len(text) > NOTE_MAX:
            raise DomainError(MSG_NOTE_LONG, field=f"qnote-{qid}")
    count = len(per_question)
    about = f"See the notes on {count} question{'s' if count != 1 else ''}." if count else ""
    shop.return_note = note or about
    if note:
        note_add(session, shop, kind=NoteKind.returned, text=note, author_id=actor_id)
    for qid, text in per_question.items():
        note_add(
            session, shop, kind=NoteKind.returned, text=text, author_id=actor_id, question_id=qid
        )
    log = shop.return_note + (f" ({about})" if note and about else "")
    _transition(session, shop, ShopStatus.returned, actor_id, log)
    session.commit()
    return shop


def shop_visit_record(
    *,
    session: Session,
    shop: Shop,
    actor_id: int,
    visited_at: datetime | None,
    duration_minutes: int | None,
    comment: str | None = None,
) -> Shop:
    """The visit's date, time and length, and the shopper's overall remarks."""
    if shop.shopper_id != actor_id:
        raise NotFoundError(MSG_NOT_YOURS)
    if shop.status not in OPEN_STATES:
        raise ConflictError(MSG_SHOP_CLOSED)
    if visited_at is not None and visited_at > utcnow() + timedelta(hours=1):
        raise DomainError("The visit cannot be in the future.", field="visited_at")
    if duration_minutes is not None and not 0 < duration_minutes <= 24 * 60:
        raise DomainError(
            "Give the visit's length in minutes, up to a day.", field="duration_minutes"
        )
    shop.visited_at = visited_at
    shop.duration_minutes = duration_minutes
    if comment is not None:
        shop.comment = comment.strip()[:4000]
    if shop.status == ShopStatus.assigned:
        _start(session, shop)
        _transition(session, shop, ShopStatus.in_progress, actor_id, "visit recorded")
    session.add(shop)
    session.commit()
    return shop


def section_comment_record(
    *, session: Session, shop: Shop, actor_id: int, touchpoint_id: int, comment: str
) -> ShopTouchpoint:
    """The shopper's comment on one section (touchpoint) of the shop; the link that holds it."""
    if shop.shopper_id != actor_id:
        raise NotFoundError(MSG_NOT_YOURS)
    if shop.status not in OPEN_STATES:
        raise ConflictError(MSG_SHOP_CLOSED)
    link = session.exec(
        select(ShopTouchpoint).where(
            ShopTouchpoint.shop_id == shop.id, ShopTouchpoint.touchpoint_id == touchpoint_id
        )
    ).first()
    if link is None:
        raise DomainError("That touchpoint is not part of this shop.", field="touchpoint_id")
    link.comment = comment.strip()[:4000]
    session.add(link)
    session.commit()
    return link


# --- review --------------------------------------------------------------------------------

MSG_CORRECT_ONLY_SUBMITTED = "Answers can be corrected only while the shop waits for review."
MSG_NOTHING_CHANGED = "That is the answer already given."


def answer_correct(*, session: Session, shop: Shop, actor_id: int, data: AnswerInput) -> Answer:
    """An owner corrects an answer during review; the change is logged with who and when.

    Only a submitted shop can be corrected: approval then recomputes its score snapshot.
    """
    if shop.status != ShopStatus.submitted:
        raise ConflictError(MSG_CORRECT_ONLY_SUBMITTED)
    question = question_in_shop(session, shop, data.question_id)
    value = checked_value(question, data)
    answer = session.exec(
        select(Answer).where(Answer.shop_id == shop.id, Answer.question_id == question.id)
    ).first()
    if answer is None:  # a frozen shop lists answered questions only; kept for safety
        raise DomainError(MSG_QUESTION_NOT_IN_SHOP, field="question_id")
    before = answer_words(question, answer.value, answer.not_applicable)
    after = answer_words(question, value, data.not_applicable)
    comment = data.comment.strip()
    if before == after and comment == answer.comment:
        raise DomainError(MSG_NOTHING_CHANGED, field="value")
    notes = []
    if before != after:
        notes.append(f"answer to «{question.text}» changed from {before} to {after}")
    if comment != answer.comment:
        notes.append(f"comment on «{question.text}» edited")
    answer.value = value
    answer.not_applicable = data.not_applicable
    answer.comment = comment
    answer.updated_at = utcnow()
    answer.revision += 1
    session.add(answer)
    _log(session, shop, ShopStatus.submitted, actor_id, "; ".join(notes))
    session.commit()
    return answer


def shop_visit_start(
    *,
    session: Session,
    shop: Shop,
    actor_id: int,
    started_at: datetime | None,
    check: LocationCheckInput | None,
) -> tuple[VisitProof, VisitLocationCheck | None]:
    """The shopper pressed "Start the visit" (proof of visit, audits/proof): the phone's time
    of it, and the location check when the organization asks for one. Starts the shop like
    a first answer (the visit window's rule), fills in the visit's time when the shopper
    has not, and commits. A resend or a second press keeps the first start."""
    if shop.shopper_id != actor_id:
        raise NotFoundError(MSG_NOT_YOURS)
    if shop.status not in OPEN_STATES:
        raise ConflictError(MSG_SHOP_CLOSED)
    received = utcnow()
    start_at = given_time(started_at, received=received, shop=shop)
    if shop.status == ShopStatus.assigned:
        _start(session, shop)
        _transition(session, shop, ShopStatus.in_progress, actor_id, "visit started")
    proof, stored = proof_start_record(
        session=session, shop=shop, start_at=start_at, check=check, received=received
    )
    if shop.visited_at is None and proof.start_at is not None:
        shop.visited_at = proof.start_at.replace(second=0, microsecond=0)
        session.add(shop)
    session.commit()
    return proof, stored
