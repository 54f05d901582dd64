"""A shop's progress (answered of asked) in one query, counted exactly as shop_sections does.

The phone shows "12 of 54 answered" after every autosave; building the whole checklist for
that (one query per touchpoint and a Question object per question) was most of a save's cost.
"""

from __future__ import annotations

from sqlalchemy import and_, bindparam, exists, func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.modelbase import ident
from app.tenancy import OrgConnection, org_core, org_param, org_rows
from audits.models import Answer, Shop, ShopTouchpoint
from audits.queries import FROZEN
from touchpoints.models import Question, QuestionStatus

# Built once, values bound per call; app.tenancy.org_core binds the organization. The three
# counts come back as one row: sending the shop's every question and answer to Python (two
# rows a question) and counting there was a fifth of a page save (docs/performance.md).
#
# asked: each touchpoint of the shop with the lineage of each of its active questions.
_ASKED_Q = aliased(Question)
_ASKED = (
    select(col(ShopTouchpoint.touchpoint_id).label("touchpoint_id"), col(_ASKED_Q.lineage))
    .join(
        _ASKED_Q,
        and_(
            col(_ASKED_Q.touchpoint_id) == col(ShopTouchpoint.touchpoint_id),
            col(_ASKED_Q.org_id) == org_param(),
            col(_ASKED_Q.status) == QuestionStatus.active,
        ),
    )
    .where(
        col(ShopTouchpoint.shop_id) == bindparam("shop_id"),
        col(ShopTouchpoint.org_id) == org_param(),
    )
    .distinct()
    .cte("asked")
)
# answered: the lineage of each question the shop answered, with the touchpoint of the
# version it answered.
_ANSWERED_Q = aliased(Question)
_ANSWERED = (
    select(col(_ANSWERED_Q.touchpoint_id), col(_ANSWERED_Q.lineage))
    .join(Answer, col(Answer.question_id) == col(_ANSWERED_Q.id))
    .where(
        col(Answer.shop_id) == bindparam("shop_id"),
        col(Answer.org_id) == org_param(),
        col(_ANSWERED_Q.org_id) == org_param(),
    )
    .cte("answered")
)
_SHOP_TOUCHPOINTS = aliased(ShopTouchpoint)
_PROGRESS = select(
    # every active question of the shop's touchpoints
    select(func.count()).select_from(_ASKED).scalar_subquery(),
    # of them, those answered (in whichever version)
    select(func.count())
    .select_from(_ASKED)
    .where(_ASKED.c.lineage.in_(select(_ANSWERED.c.lineage)))
    .scalar_subquery(),
    # answered questions of the shop's touchpoints since retired: they stay with the shop
    select(func.count(_ANSWERED.c.lineage.distinct()))
    .where(
        _ANSWERED.c.touchpoint_id.in_(
            select(col(_SHOP_TOUCHPOINTS.touchpoint_id)).where(
                col(_SHOP_TOUCHPOINTS.shop_id) == bindparam("shop_id"),
                col(_SHOP_TOUCHPOINTS.org_id) == org_param(),
            )
        ),
        ~exists().where(
            _ASKED.c.touchpoint_id == _ANSWERED.c.touchpoint_id,
            _ASKED.c.lineage == _ANSWERED.c.lineage,
        ),
    )
    .scalar_subquery(),
)


def shop_progress_counts(session: Session, shop: Shop) -> tuple[int, int]:
    """(answered, asked): what shop_progress(shop_sections(session, shop)) gives."""
    return progress_counts(session, shop_id=ident(shop), status=shop.status)


def progress_counts(
    scoped: Session | OrgConnection, *, shop_id: int, status: str
) -> tuple[int, int]:
    """shop_progress_counts for the shop `shop_id` of the organization, in `status`."""
    params = {"shop_id": shop_id}
    rows = (
        org_rows(scoped, _PROGRESS, params)
        if isinstance(scoped, OrgConnection)
        else org_core(scoped, _PROGRESS, params).all()
    )
    asked, asked_answered, kept = rows[0]
    # A handed-in shop counts what was answered only: its open questions are no longer asked.
    total = asked_answered if status in FROZEN else asked
    return asked_answered + kept, total + kept
