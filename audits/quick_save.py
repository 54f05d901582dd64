"""The answer save's quick way: the usual save (`services.answer_upsert`) in two Core
statements built once, for the shopper's every tap (docs/performance.md, autosave).

`answer_save_quick` does what `answer_upsert` does when nothing is unusual, with the same
rules: the shop in the organization (app.tenancy.org_rows binds it to every statement) and
the shopper's own; open; the question one the shop asks; the value checked
(services.checked_value): one statement; the answer kept under the phone's id, the one
given last by the shopper's time kept, and the reply's figures read back: one more
(INSERT ... ON CONFLICT DO UPDATE ... WHERE ... RETURNING, on SQLite as on PostgreSQL).
Whenever anything is unusual it writes nothing and returns None, and the caller takes the
full path, which says why in its own words: a refusal of any kind, the shop's first answer
(which moves the shop to "in progress"), an answer given before the one stored
(`applied: false`), an id of another shop or organization, another answer to the question
under another id (a second device's).

A rule added to `answer_upsert` must be added here too, or be made a reason to return None.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Text, and_, bindparam, case, exists, func, or_
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
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
_PHOTO_IDS = (
    select(col(Photo.id))
    .where(col(Photo.answer_id) == bindparam("answer_id"), col(Photo.org_id) == org_param())
    .order_by(col(Photo.created_at))
)
_WRITTEN = ("question_id", "value", "not_applicable", "comment", "given_at", "updated_at")


def _upsert(dialect_insert: Any) -> Any:
    """The answer kept under the phone's id in one statement, with what the reply needs.

    A new id inserts the answer. An id stored before updates it, but only when it is this
    shop's (and organization's) and this answer was given no earlier than the stored one,
    by the shopper's time (the conflict rule, services.answer_upsert): otherwise no row comes
    back and nothing is written. The revision goes up only when something changed. Another
    answer to the question under another id (a second device) breaks the shop-and-question
    unique constraint: an IntegrityError, and the full path keeps it under the stored id.
    RETURNING: the revision, the first answer's time and how many photos the answer has
    (the API's reply lists them; nearly always none, so no query for them)."""
    statement = dialect_insert(Answer).values(
        id=bindparam("answer_id"),
        org_id=org_param(),
        shop_id=bindparam("shop_id"),
        answered_at=bindparam("updated_at"),
        revision=1,
        share=bindparam("share"),
        report_day=None,  # the shop is open: it counts on no day yet (audits.report_day)
        **{name: bindparam(name) for name in _WRITTEN},
    )
    new = statement.excluded
    # Values compared as the JSON text both were written as: on PostgreSQL `json` has no
    # equality, and as text 1 and true (or 1 and 1.0) differ, as the ORM path tells them.
    changed = or_(
        col(Answer.question_id) != new.question_id,
        sql_cast(col(Answer.value), Text).is_distinct_from(sql_cast(new.value, Text)),
        col(Answer.not_applicable) != new.not_applicable,
        col(Answer.comment) != new.comment,
        col(Answer.given_at) != new.given_at,
    )
    photos = (
        select(func.count())
        .select_from(Photo)
        # The phone's id: the only row this statement writes (SQLite names no table in
        # RETURNING, so nothing here is correlated).
        .where(col(Photo.answer_id) == bindparam("answer_id"), col(Photo.org_id) == org_param())
        .scalar_subquery()
    )
    return statement.on_conflict_do_update(
        index_elements=[col(Answer.id)],
        set_={
            **{name: getattr(new, name) for name in _WRITTEN},
            "share": new.share,
            "revision": col(Answer.revision) + case((changed, 1), else_=0),
        },
        where=and_(
            col(Answer.org_id) == org_param(),
            new.org_id == org_param(),
            col(Answer.shop_id) == new.shop_id,
            new.given_at >= col(Answer.given_at),
        ),
    ).returning(col(Answer.revision), col(Answer.answered_at), photos)


_UPSERT = {"sqlite": _upsert(sqlite_insert), "postgresql": _upsert(postgresql_insert)}


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
    received = utcnow()
    given = given_time_since(data.given_at, received=received, created=shop_created)
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
    upsert = _UPSERT[scoped.connection.dialect.name]
    try:
        kept = org_rows(scoped, upsert, params | values)
        if not kept:
            # An id of another shop or organization, or a newer answer stored: the full
            # path says which (`applied: false` for the newer answer).
            return _full_path(scoped)
        revision, answered_at, photos = kept[0]
        photo_ids: list[uuid.UUID] = []
        if with_photos and photos:
            ids = org_rows(scoped, _PHOTO_IDS, {"answer_id": data.id})
            photo_ids = [photo_id for (photo_id,) in ids]
        progress = (
            progress_counts(scoped, shop_id=shop_id, status=status) if with_progress else None
        )
        scoped.connection.commit()
    except IntegrityError:
        return _full_path(scoped)  # another answer to the question, or a race: see _upsert
    answer_id = data.id
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
    """An answer's columns, as the replies (answer_reply, answer_ack) read the one just
    saved."""

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
