"""JSON API for shops: planning, my shops, answers, submission and review.

Staff (viewers) get the same shapes without the shopper's identity: `ShopStaff` and
`ShopDetailStaff` have no shopper fields at all, rather than empty ones.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, Field

from app.db import in_transaction
from app.modelbase import MAX_ID, RowId, ident
from app.orgs.models import Role
from app.orgs.staff_names import mask_staff
from app.paging import PAGE_HEADERS_DOC, page_headers
from app.tenancy import MemberDep, OwnerDep, Tenant, require_role
from audits import queries, services
from audits.deps import ShopDep
from audits.expenses import services as expense_services
from audits.feedback.services import Rubric
from audits.models import Answer, Shop, ShopStatus
from audits.services import AnswerInput, ShopPlan, WavePlan

router = APIRouter(tags=["shops"])

ShopperDep = Annotated[Tenant, Depends(require_role(Role.shopper))]


# --- shapes --------------------------------------------------------------------------------


EXACT_PERCENT = "earned ÷ possible × 100 at full precision, not rounded; null: nothing possible"


class ShopStaff(BaseModel):
    """A shop as staff may see it: no shopper identity."""

    id: int
    status: ShopStatus
    location_id: int
    location_name: str
    touchpoint_ids: list[int]
    touchpoint_names: list[str]
    scenario: str
    due_from: datetime | None
    due_until: datetime | None
    visited_at: datetime | None
    duration_minutes: int | None
    submitted_at: datetime | None
    approved_at: datetime | None
    score: float | None = Field(
        description="The stored score snapshot: percent at full precision, not rounded"
    )
    comment: str
    wave_id: int | None


class ShopPublic(ShopStaff):
    """A shop as its owner, or its own shopper, sees it."""

    # Written to the shopper: never in a staff shape (audits/feedback).
    return_note: str
    shopper_id: int | None
    shopper_name: str | None
    # The fee (audits/board): minor units of fee_currency; never in a staff shape.
    fee_minor: int | None
    fee_currency: str


class AnswerPublic(BaseModel):
    id: uuid.UUID
    shop_id: int
    question_id: int
    value: Any
    not_applicable: bool
    comment: str
    display: str = Field(description="The answer in words, as reports show it.")
    answered_at: datetime
    updated_at: datetime
    given_at: datetime = Field(
        description="When the shopper gave this answer, by the client's clock (the server's "
        "receive time when the client sent none, or one later than its arrival)."
    )
    revision: int = Field(description="1 when first stored, one more on every change.")
    photo_ids: list[uuid.UUID] = []


class AnswerSaved(AnswerPublic):
    applied: bool = Field(
        description="False when the server already holds an answer to this question given "
        "later (by `given_at`): nothing changed, and this is that newer answer."
    )


class QuestionScorePublic(BaseModel):
    counted: bool
    earned: float
    possible: float
    failed: bool
    critical_fail: bool
    reason: str


class QuestionInShop(BaseModel):
    id: int
    text: str
    guidance: str
    kind: str
    config: dict[str, Any]
    weight: float
    allow_na: bool
    critical: bool
    required: bool
    answer: AnswerPublic | None
    points: QuestionScorePublic


class SectionPublic(BaseModel):
    touchpoint_id: int
    touchpoint_name: str
    comment: str
    percent: float | None = Field(description=EXACT_PERCENT)
    earned: float
    possible: float
    critical_fail: bool
    questions: list[QuestionInShop]


class ScorePublic(BaseModel):
    percent: float | None = Field(description=EXACT_PERCENT)
    earned: float
    possible: float


class ShopDetailStaff(ShopStaff):
    sections: list[SectionPublic]
    current_score: ScorePublic = Field(
        description="Computed from the answers now; `score` is the stored snapshot."
    )


class ShopDetail(ShopDetailStaff):
    return_note: str
    shopper_id: int | None
    shopper_name: str | None
    fee_minor: int | None
    fee_currency: str


class WavePublic(BaseModel):
    id: int
    name: str
    shops: list[ShopPublic]


class ShopPlanIn(ShopPlan):
    """A shop plan; times must carry their offset (`Z` or `+01:00`), as stored times are UTC."""

    due_from: AwareDatetime | None = None
    due_until: AwareDatetime | None = None


class WavePlanIn(WavePlan):
    """A wave plan; times must carry their offset (`Z` or `+01:00`)."""

    starts: AwareDatetime
    ends: AwareDatetime


class AnswerBody(BaseModel):
    question_id: RowId
    value: Any = None
    not_applicable: bool = False
    comment: str = ""
    given_at: AwareDatetime | None = Field(
        default=None,
        description="When the shopper gave the answer, by the client's clock. The answer "
        "given last is kept, not the last to arrive; without it the receive time counts.",
    )


class VisitBody(BaseModel):
    visited_at: AwareDatetime | None = None
    duration_minutes: int | None = None
    comment: str | None = None


class ReturnBody(BaseModel):
    note: str = Field(default="", description="What to fix, about the shop as a whole.")
    question_notes: dict[int, str] = Field(
        default_factory=dict,
        description="What to fix, by question id: shown next to each question on the phone. "
        "A return needs `note` or at least one of these.",
    )


Mark = Annotated[int | None, Field(default=None, ge=1, le=3, description="1 poor, 2 fair, 3 good")]


class ApproveBody(BaseModel):
    """The review rubric (each mark optional) and a note the shopper reads with the score."""

    on_time: Mark = None
    complete: Mark = None
    detail: Mark = None
    note: str = Field(default="", max_length=4000)
    # Approve the shop's expense claims still waiting with it (audits/expenses).
    with_expenses: bool = True


# --- building the shapes -------------------------------------------------------------------


def _sees_shopper(tenant: Tenant) -> bool:
    return tenant.role != Role.viewer


def _summary_fields(row: queries.ShopRow) -> dict[str, Any]:
    s = row.shop
    return {
        "id": ident(s),
        "status": s.status,
        "location_id": s.location_id,
        "location_name": row.location_name,
        "touchpoint_ids": row.touchpoint_ids,
        "touchpoint_names": row.touchpoint_names,
        "scenario": s.scenario,
        "due_from": s.due_from,
        "due_until": s.due_until,
        "visited_at": s.visited_at,
        "duration_minutes": s.duration_minutes,
        "submitted_at": s.submitted_at,
        "approved_at": s.approved_at,
        "score": s.score,
        "comment": s.comment,
        "wave_id": s.wave_id,
    }


def _staff_names(tenant: Tenant, shops: list[Shop]) -> dict[int | None, list[str]]:
    """Each shop location's staff names, masked in what staff read (app.orgs.staff_names)."""
    return queries.staff_names_of(tenant.session, {s.location_id for s in shops})


def _summaries(tenant: Tenant, shops: list[Shop]) -> list[ShopStaff]:
    with_shopper = _sees_shopper(tenant)
    rows = queries.shop_rows(tenant.session, shops, with_shopper=with_shopper)
    if not with_shopper:
        names = _staff_names(tenant, shops)
        return [
            ShopStaff(
                **{
                    **_summary_fields(r),
                    "comment": mask_staff(r.shop.comment, names.get(r.shop.location_id)),
                }
            )
            for r in rows
        ]
    return [
        ShopPublic(
            **_summary_fields(r),
            return_note=r.shop.return_note,
            shopper_id=r.shop.shopper_id,
            shopper_name=r.shopper_name,
            fee_minor=r.shop.fee_minor,
            fee_currency=r.shop.fee_currency,
        )
        for r in rows
    ]


def _summary(tenant: Tenant, shop: Shop) -> ShopStaff:
    return _summaries(tenant, [shop])[0]


def _answer_public(
    answer: Answer, display: str, photo_ids: list[uuid.UUID], staff: list[str] | None = None
) -> AnswerPublic:
    return AnswerPublic(
        id=answer.id,
        shop_id=answer.shop_id,
        question_id=answer.question_id,
        value=answer.value,
        not_applicable=answer.not_applicable,
        comment=mask_staff(answer.comment, staff),
        display=display,
        answered_at=answer.answered_at,
        updated_at=answer.updated_at,
        given_at=answer.given_at,
        revision=answer.revision,
        photo_ids=photo_ids,
    )


def _detail(tenant: Tenant, shop: Shop) -> ShopDetailStaff:
    session = tenant.session
    explained, total = queries.shop_explain(session, shop)
    photos = queries.shop_photos(session, shop)
    comments = queries.section_comments(session, shop)
    # Staff read the comments with the location's staff names masked; owners as written.
    staff = [] if _sees_shopper(tenant) else _staff_names(tenant, [shop]).get(shop.location_id)
    sections = []
    for ex in explained:
        by_id = {q.question_id: q for q in ex.score.questions}
        questions = []
        for q in ex.section.questions:
            a = ex.section.answers.get(ident(q))
            qs = by_id[ident(q)]
            questions.append(
                QuestionInShop(
                    id=ident(q),
                    text=q.text,
                    guidance=q.guidance,
                    kind=str(q.kind),
                    config=q.config or {},
                    weight=q.weight,
                    allow_na=q.allow_na,
                    critical=q.critical,
                    required=q.required,
                    answer=None
                    if a is None
                    else _answer_public(
                        a,
                        queries.answer_words(q, a.value, a.not_applicable),
                        [p.id for p in photos.get(a.id, [])],
                        staff=staff,
                    ),
                    points=QuestionScorePublic(
                        counted=qs.counted,
                        earned=qs.earned,
                        possible=qs.possible,
                        failed=qs.failed,
                        critical_fail=qs.critical_fail,
                        reason=qs.reason,
                    ),
                )
            )
        tp = ex.section.touchpoint
        sections.append(
            SectionPublic(
                touchpoint_id=ident(tp),
                touchpoint_name=tp.name,
                comment=mask_staff(comments.get(ident(tp), ""), staff),
                percent=ex.score.percent,
                earned=ex.score.earned,
                possible=ex.score.possible,
                critical_fail=ex.score.critical_fail,
                questions=questions,
            )
        )
    with_shopper = _sees_shopper(tenant)
    row = queries.shop_rows(session, [shop], with_shopper=with_shopper)[0]
    fields = {
        **_summary_fields(row),
        "sections": sections,
        "current_score": ScorePublic(
            percent=total.percent, earned=total.earned, possible=total.possible
        ),
    }
    if not with_shopper:
        fields["comment"] = mask_staff(shop.comment, staff)
        return ShopDetailStaff(**fields)
    return ShopDetail(
        **fields,
        return_note=shop.return_note,
        shopper_id=shop.shopper_id,
        shopper_name=row.shopper_name,
        fee_minor=shop.fee_minor,
        fee_currency=shop.fee_currency,
    )


def _json(model: BaseModel | list[Any], status_code: int = 200) -> JSONResponse:
    """Serialize exactly the shape built, so staff shapes never gain shopper keys."""
    if isinstance(model, list):
        content: Any = [m.model_dump(mode="json") for m in model]
    else:
        content = model.model_dump(mode="json")
    return JSONResponse(content, status_code=status_code)


STAFF_NOTE = (
    "Staff (viewers) get the same shape without `shopper_id`, `shopper_name`, the fee and "
    "`return_note`."
)


# --- endpoints -----------------------------------------------------------------------------


@router.post("/shops", response_model=ShopPublic, status_code=201)
def shop_create(tenant: OwnerDep, data: ShopPlanIn) -> JSONResponse:
    """Plan one shop: a location, the touchpoints it covers, a shopper and a visit window."""
    shop = services.shop_plan(
        session=tenant.session, org_id=tenant.org_id, data=data, actor_id=tenant.user_id
    )
    return _json(_summary(tenant, shop), 201)


@router.post("/waves", response_model=WavePublic, status_code=201)
def wave_create(tenant: OwnerDep, data: WavePlanIn) -> JSONResponse:
    """Plan a wave: one shop per location, shoppers in turn, windows spread over the range."""
    wave, shops = services.wave_plan(
        session=tenant.session, org_id=tenant.org_id, data=data, actor_id=tenant.user_id
    )
    summaries = [s for s in _summaries(tenant, shops) if isinstance(s, ShopPublic)]
    return _json(WavePublic(id=ident(wave), name=wave.name, shops=summaries), 201)


@router.get(
    "/shops",
    # Staff get the shape without shopper or fee: both are the documented answer.
    response_model=list[ShopPublic] | list[ShopStaff],
    description="Owners: every shop (filter with `status`); shoppers: their own; staff: "
    "approved shops only. A page at a time: `limit` (default 100, at most 500) from `offset`; "
    '`X-Total-Count` says how many there are and a `Link` header with `rel="next"` points '
    "at the next page while there is one. " + STAFF_NOTE,
    responses={
        200: {
            "description": "The shops.",
            "model": list[ShopPublic] | list[ShopStaff],
            "headers": PAGE_HEADERS_DOC,
        }
    },
)
def shops(
    request: Request,
    tenant: MemberDep,
    status: Annotated[ShopStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> JSONResponse:
    session = tenant.session
    if tenant.role == Role.shopper:
        # A shopper's own list is short and sorted in Python (open ones first).
        mine = [
            s
            for s in queries.shops_for_shopper(session, tenant.user_id)
            if status is None or s.status == status
        ]
        total, found = len(mine), mine[offset : offset + limit]
    else:
        approved_only = tenant.role == Role.viewer
        total = queries.shops_count(session, status=status, approved_only=approved_only)
        found = queries.shops_list(
            session, status=status, approved_only=approved_only, limit=limit, offset=offset
        )
    response = _json(_summaries(tenant, found))
    page_headers(
        request, response.headers, offset=offset, limit=limit, shown=len(found), total=total
    )
    return response


@router.get(
    "/shops/{shop_id}",
    response_model=ShopDetail | ShopDetailStaff,
    description="The shop with its sections, questions (the versions it asked), answers and "
    "score. " + STAFF_NOTE,
    responses={200: {"description": "The shop.", "model": ShopDetail | ShopDetailStaff}},
)
def shop_read(tenant: MemberDep, shop: ShopDep) -> JSONResponse:
    return _json(_detail(tenant, shop))


@router.put("/shops/{shop_id}/answers/{answer_id}", response_model=AnswerSaved)
async def answer_put(
    tenant: ShopperDep, shop: ShopDep, answer_id: uuid.UUID, data: AnswerBody
) -> JSONResponse:
    """Save one answer under the id the phone made. Sending it again changes nothing more.

    Send `given_at` (when the shopper gave it): an answer to the same question given later
    on another device is kept, and this one then comes back with `applied: false` and that
    newer answer. A `given_at` after the server received it counts as the receive time.
    """
    return await in_transaction(tenant.session, _answer_save, tenant, shop, answer_id, data)


def _answer_save(
    tenant: Tenant, shop: Shop, answer_id: uuid.UUID, data: AnswerBody
) -> JSONResponse:
    saved = services.answer_upsert(
        session=tenant.session,
        shop=shop,
        actor_id=tenant.user_id,
        data=AnswerInput(
            id=answer_id,
            question_id=data.question_id,
            value=data.value,
            not_applicable=data.not_applicable,
            comment=data.comment,
            given_at=data.given_at,
        ),
        with_photos=True,
    )
    return answer_reply(saved)


def answer_reply(saved: services.SavedAnswer) -> JSONResponse:
    """The reply to an answer saved under the phone's id (AnswerSaved); also the quick
    save's (audits/fill/lane.py)."""
    answer = saved.answer
    public = _answer_public(
        answer,
        queries.answer_words(saved.question, answer.value, answer.not_applicable),
        saved.photo_ids,
    )
    # Built and encoded once: returning the model would have FastAPI validate it again
    # against response_model before encoding it.
    content = public.model_dump(mode="json")
    content["applied"] = saved.applied
    return JSONResponse(content)


@router.put("/shops/{shop_id}/visit", response_model=ShopPublic)
def visit_put(tenant: ShopperDep, shop: ShopDep, data: VisitBody) -> JSONResponse:
    """The visit's date and time, its length in minutes, and the overall comment."""
    services.shop_visit_record(
        session=tenant.session,
        shop=shop,
        actor_id=tenant.user_id,
        visited_at=data.visited_at,
        duration_minutes=data.duration_minutes,
        comment=data.comment,
    )
    return _json(_summary(tenant, shop))


@router.post("/shops/{shop_id}/submit", response_model=ShopPublic)
def shop_submit(tenant: ShopperDep, shop: ShopDep) -> JSONResponse:
    """Hand the shop in. Safe to call twice: the second call returns the submitted shop."""
    services.shop_submit(session=tenant.session, shop=shop, actor_id=tenant.user_id)
    return _json(_summary(tenant, shop))


@router.post("/shops/{shop_id}/approve", response_model=ShopPublic)
def shop_approve(tenant: OwnerDep, shop: ShopDep, data: ApproveBody | None = None) -> JSONResponse:
    """Approve a submitted shop; its score is recomputed and it counts in reports. The body
    is optional: the review rubric's marks (the shopper's record) and a note to the shopper."""
    body = data or ApproveBody()
    services.shop_approve(
        session=tenant.session,
        shop=shop,
        actor_id=tenant.user_id,
        rubric=Rubric(on_time=body.on_time, complete=body.complete, detail=body.detail),
        note=body.note,
    )
    if body.with_expenses:
        expense_services.expenses_approve_with_shop(
            session=tenant.session, shop=shop, actor_id=tenant.user_id
        )
    return _json(_summary(tenant, shop))


@router.post("/shops/{shop_id}/return", response_model=ShopPublic)
def shop_return(tenant: OwnerDep, shop: ShopDep, data: ReturnBody) -> JSONResponse:
    """Send a submitted shop back to its shopper with a note saying what to look at."""
    services.shop_return(
        session=tenant.session,
        shop=shop,
        actor_id=tenant.user_id,
        note=data.note,
        question_notes=data.question_notes,
    )
    return _json(_summary(tenant, shop))
