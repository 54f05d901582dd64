"""The answer save's quick way: the usual save (`services.answer_upsert`) in a few Core
statements built once, for the shopper's every tap (docs/performance.md, autosave).

`answer_save_quick` does what `answer_upsert` does when nothing is unusual, with the same
rules: the shop in the organization (app.tenancy.org_rows binds it to every statement) and
the shopper's own; open; the question one the shop asks; the value checked
(services.checked_value); the answer kept under the phone's id, or the shop's answer to the
question updated; the one given last by the shopper's time kept; the reply read before the
commit. Whenever anything is unusual it writes nothing and returns None, and the caller
takes the full path, which says why in its own words: a refusal of any kind, the shop's
first answer (which moves the shop to "in progress"), an answer given before the one
stored (`applied: false`), an id of another shop or organization.

A rule added to `answer_upsert` must be added here too, or be made a reason to return None.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import and_, bindparam, exists, insert, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from app.errors import DomainError
from app.modelbase import utcnow
from app.tenancy import OrgConnection, org_param, org_rows
from audits.models import Answer, Photo, Shop, ShopStatus, ShopTouchpoint
from audits.progress import progress_counts
from audits.report_day import answer_share
from audits.services import AnswerInput, SavedAnswer, checked_value, given_time_since
from touchpoints.models import Question, QuestionStatus
from touchpoints.preview import question_spec

# Open, and past its first answer: a shop still "assigned" takes the full path (its first
# answer moves it to "in progress", with a log entry).
QUICK_STATES = frozenset({ShopStatus.in_progress, ShopStatus.returned})

_ASKED = aliased(Question)
_QUESTION_COLUMNS = (
    col(Question.id),
    col(Question.kind),
    col(Question.config),
    col(Question.allow_na),
    col(Question.weight),
    col(Question.critical),
    col(Question.status),
    col(Question.touchpoint_id),
    col(Question.lineage),
)
# The shop (this organization's) with the question (this organization's, or NULLs), whether
# one of the shop's touchpoints asks it, and the version of it the shop answered, if any:
# services.shop_for_member and services.question_in_shop in one statement.
_SHOP_AND_QUESTION = (
    select(  # type: ignore[call-overload]
        col(Shop.shopper_id),
        col(Shop.status),
        col(Shop.created_at),
        *_QUESTION_COLUMNS,
        exists()
        .where(
            col(ShopTouchpoint.shop_id) == bindparam("shop_id"),
            col(ShopTouchpoint.touchpoint_id) == col(Question.touchpoint_id),
            col(ShopTouchpoint.org_id) == org_param(),
        )
        .correlate(Question),
        select(col(Answer.question_id))
        .join(_ASKED, col(_ASKED.id) == col(Answer.question_id))
        .where(
            col(Answer.shop_id) == bindparam("shop_id"),
            col(Answer.org_id) == org_param(),
            col(_ASKED.lineage) == col(Question.lineage),
            col(_ASKED.org_id) == org_param(),
        )
        .correlate(Question)
        .limit(1)
        .scalar_subquery(),
    )
    .select_from(Shop)
    .outerjoin(
        Question,
        and_(col(Question.id) == bindparam("question_id"), col(Question.org_id) == org_param()),
    )
    .where(col(Shop.id) == bindparam("shop_id"), col(Shop.org_id) == org_param())
)
_ANSWER_COLUMNS = (
    col(Answer.id),
    col(Answer.shop_id),
    col(Answer.question_id),
    col(Answer.value),
    col(Answer.not_applicable),
    col(Answer.comment),
    col(Answer.answered_at),
    col(Answer.updated_at),
    col(Answer.given_at),
    col(Answer.revision),
)
# The stored answer under this id, and the shop's answer to this question; locked (on
# PostgreSQL) until the save commits, so that two devices' saves of it compare in turn.
_ANSWER = (
    select(*_ANSWER_COLUMNS)  # type: ignore[call-overload]
    .where(
        or_(
            col(Answer.id) == bindparam("answer_id"),
            and_(
                col(Answer.shop_id) == bindparam("shop_id"),
                col(Answer.question_id) == bindparam("question_id"),
            ),
        ),
        col(Answer.org_id) == org_param(),
    )
    .with_for_update()
)
_PHOTO_IDS = (
    select(col(Photo.id))
    .where(col(Photo.answer_id) == bindparam("answer_id"), col(Photo.org_id) == org_param())
    .order_by(col(Photo.created_at))
)
_WRITTEN = ("question_id", "value", "not_applicable", "comment", "given_at", "updated_at")
_INSERT = insert(Answer).values(
    id=bindparam("answer_id"),
    org_id=org_param(),
    shop_id=bindparam("shop_id"),
    answered_at=bindparam("updated_at"),
    revision=1,
    share=bindparam("share"),
    report_day=None,  # the shop is open: it counts on no day yet (audits.report_day)
    **{name: bindparam(name) for name in _WRITTEN},
)
_UPDATE = (
    update(Answer)
    .where(col(Answer.id) == bindparam("answer_id"), col(Answer.org_id) == org_param())
    .values(
        revision=bindparam("revision"),
        share=bindparam("share"),
        **{name: bindparam(name) for name in _WRITTEN},
    )
)


def answer_save_quick(
    *,
    scoped: OrgConnection,
    shop_id: int,
    actor_id: int,
    data: AnswerInput,
    with_photos: bool = False,
    with_progress: bool = False,
) -> SavedAnswer | None:
    """Save one answer as answer_upsert does, and commit; None (nothing written, the
    transaction rolled back) when anything is unusual: the caller then calls answer_upsert.

    `scoped`: the connection in the organization (app.tenancy), its write transaction
    begun; committed here, or rolled back when the full path is to follow.
    """
    params = {"shop_id": shop_id, "question_id": data.question_id, "answer_id": data.id}
    rows = org_rows(scoped, _SHOP_AND_QUESTION, params)
    if not rows:
        return _full_path(scoped)
    row = rows[0]
    shopper_id, status, shop_created, *asked = row
    question = _question(asked)
    if shopper_id != actor_id or status not in QUICK_STATES or question is None:
        return _full_path(scoped)
    try:
        value = checked_value(cast(Question, question), data)
    except DomainError:
        return _full_path(scoped)
    found = [_AnswerRow(*r) for r in org_rows(scoped, _ANSWER, params)]
    if len(found) > 1 or (found and found[0].shop_id != shop_id):
        return _full_path(scoped)  # an id of another shop, or another answer's id
    received = utcnow()
    given = given_time_since(data.given_at, received=received, created=shop_created)
    stored = found[0] if found else None
    if stored is not None and given < stored.given_at:
        return _full_path(scoped)  # a newer answer is kept: the full path says which
    comment = data.comment.strip()
    values = {
        "question_id": question.id,
        "value": value,
        "not_applicable": data.not_applicable,
        "comment": comment,
        "given_at": given,
        "updated_at": received,
        "share": answer_share(question_spec(cast(Question, question)), value, data.not_applicable),
    }
    photo_ids: list[uuid.UUID] = []
    try:
        if stored is None:
            org_rows(scoped, _INSERT, params | values)
            revision, answered_at, answer_id = 1, received, data.id
        else:
            changed = (
                stored.question_id != question.id
                or stored.value != value
                or type(stored.value) is not type(value)
                or stored.not_applicable != data.not_applicable
                or stored.comment != comment
                or stored.given_at != given
            )
            revision = stored.revision + 1 if changed else stored.revision
            answered_at, answer_id = stored.answered_at, stored.id
            changes = {**values, "answer_id": answer_id, "revision": revision}
            org_rows(scoped, _UPDATE, changes)
            if with_photos:
                ids = org_rows(scoped, _PHOTO_IDS, {"answer_id": answer_id})
                photo_ids = [photo_id for (photo_id,) in ids]
        progress = (
            progress_counts(scoped, shop_id=shop_id, status=status) if with_progress else None
        )
        scoped.connection.commit()
    except IntegrityError:
        return _full_path(scoped)  # the id is taken, or a race: the full path says so
    # Plain records in the shapes the replies read (answer_reply, answer_ack): building
    # ORM objects cost a tenth of a save, and nothing here goes back to the database.
    answer = _AnswerRow(
        id=answer_id,
        shop_id=shop_id,
        question_id=question.id,
        value=value,
        not_applicable=data.not_applicable,
        comment=comment,
        answered_at=answered_at,
        updated_at=received,
        given_at=given,
        revision=revision,
    )
    return SavedAnswer(
        answer=cast(Answer, answer),
        question=cast(Question, question),
        photo_ids=photo_ids,
        progress=progress,
    )


class _AnswerRow(NamedTuple):
    """An answer's columns: as _ANSWER reads a stored one, and as the replies (answer_reply,
    answer_ack) read the one just saved."""

    id: uuid.UUID
    shop_id: int
    question_id: int
    value: Any
    not_applicable: bool
    comment: str
    answered_at: datetime
    updated_at: datetime
    given_at: datetime
    revision: int


@dataclass(frozen=True, slots=True)
class _Asked:
    """What checked_value, question_spec and answer_words read of a question version."""

    id: int
    kind: str
    config: dict[str, Any]
    allow_na: bool
    weight: float
    critical: bool
    lineage: str
    # A save stores the answer whether or not a rule hides it now (rules are judged at
    # hand-in and in scoring), so the lane never reads the rule itself.
    show_if: None = None


def _question(asked: list[Any]) -> _Asked | None:
    """The question version if the shop asks it (question_in_shop's rule), else None."""
    (qid, kind, config, allow_na, weight, critical, qstatus, _touchpoint, lineage) = asked[:9]
    in_shop, same_lineage = asked[9:]
    if qid is None or not in_shop:
        return None
    if same_lineage is not None and same_lineage != qid:
        return None  # the shop answered another version of it
    if same_lineage is None and qstatus != QuestionStatus.active:
        return None
    return _Asked(qid, kind, config or {}, allow_na, weight, critical, lineage)


def _full_path(scoped: OrgConnection) -> SavedAnswer | None:
    scoped.connection.rollback()
    return None
