"""A shop's progress (answered of asked) in one query, counted exactly as shop_sections does.

The phone shows "12 of 54 answered" after every autosave; building the whole checklist for
that (one query per touchpoint and a Question object per question) was most of a save's cost.
"""

from __future__ import annotations

from sqlalchemy import and_, bindparam, literal, union_all
from sqlmodel import Session, col, select

from app.modelbase import ident
from app.tenancy import OrgConnection, org_core, org_param, org_rows
from audits.models import Answer, Shop, ShopTouchpoint
from audits.queries import FROZEN
from touchpoints.models import Question, QuestionStatus

ACTIVE, ANSWERED = 0, 1
# Built once, values bound per call; app.tenancy.org_core binds the organization. Every
# touchpoint of the shop comes back, one without active questions with a NULL lineage:
# answers to its retired questions still count in its section.
_PROGRESS = union_all(
    select(literal(ACTIVE), ShopTouchpoint.touchpoint_id, Question.lineage)
    .outerjoin(
        Question,
        and_(
            col(Question.touchpoint_id) == col(ShopTouchpoint.touchpoint_id),
            col(Question.org_id) == org_param(),
            col(Question.status) == QuestionStatus.active,
        ),
    )
    .where(
        col(ShopTouchpoint.shop_id) == bindparam("shop_id"),
        col(ShopTouchpoint.org_id) == org_param(),
    ),
    select(literal(ANSWERED), Question.touchpoint_id, Question.lineage)
    .join(Answer, col(Answer.question_id) == col(Question.id))
    .where(
        col(Answer.shop_id) == bindparam("shop_id"),
        col(Answer.org_id) == org_param(),
        col(Question.org_id) == org_param(),
    ),
)


def shop_progress_counts(session: Session, shop: Shop) -> tuple[int, int]:
    """(answered, asked): what shop_progress(shop_sections(session, shop)) gives."""
    return progress_counts(session, shop_id=ident(shop), status=shop.status)


def progress_counts(
    scoped: Session | OrgConnection, *, shop_id: int, status: str
) -> tuple[int, int]:
    """shop_progress_counts for the shop `shop_id` of the organization, in `status`."""
    active: dict[int, set[str]] = {}  # each shop touchpoint -> lineages of its active questions
    by_lineage: dict[str, int] = {}  # lineage answered -> touchpoint of the version asked
    # A Core query on the session's connection: its rows are plain tuples, no ORM objects.
    params = {"shop_id": shop_id}
    rows = (
        org_rows(scoped, _PROGRESS, params)
        if isinstance(scoped, OrgConnection)
        else org_core(scoped, _PROGRESS, params)
    )
    for kind, touchpoint_id, lineage in rows:
        if kind == ANSWERED:
            by_lineage[lineage] = touchpoint_id
        else:
            lineages = active.setdefault(touchpoint_id, set())
            if lineage is not None:
                lineages.add(lineage)
    frozen = status in FROZEN
    total = done = 0
    for touchpoint_id, seen in active.items():
        for lineage in seen:
            if lineage in by_lineage:
                total, done = total + 1, done + 1
            elif not frozen:
                total += 1
        # Answered questions since retired stay with the shop, in their own section.
        for lineage, asked_in in by_lineage.items():
            if asked_in == touchpoint_id and lineage not in seen:
                total, done = total + 1, done + 1
    return done, total
