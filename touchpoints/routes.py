"""Owner pages for the journey map, touchpoints, questions and the template library."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from app import providers
from app.errors import DomainError
from app.forms import domain_errors, parse_form
from app.modelbase import ident
from app.templating import flash, redirect, render
from app.tenancy import OwnerDep, ReaderDep, Tenant
from touchpoints import conditions, queries, services
from touchpoints.deps import QuestionDep, StageDep, TouchpointDep
from touchpoints.forms import (
    CONDITION_ROWS,
    CONDITION_TESTS,
    OPTION_ROWS,
    form_values,
    parse_question_form,
)
from touchpoints.library import GROUPS, template_sets
from touchpoints.models import (
    CHANNEL_LABELS,
    KIND_LABELS,
    MODE_LABELS,
    RULE_LABELS,
    Channel,
    Mode,
    Question,
    QuestionKind,
    QuestionStatus,
    Stage,
    StageCreate,
    StageUpdate,
    Touchpoint,
    TouchpointCreate,
    TouchpointUpdate,
)
from touchpoints.preview import examples

router = APIRouter(include_in_schema=False)

# Registered on the shared Jinja environment by app.wiring at start-up.
TEMPLATE_GLOBALS: dict[str, object] = {
    "CHANNEL_LABELS": CHANNEL_LABELS,
    "MODE_LABELS": MODE_LABELS,
    "KIND_LABELS": KIND_LABELS,
    "RULE_LABELS": RULE_LABELS,
    "Channel": Channel,
    "Mode": Mode,
    "QuestionKind": QuestionKind,
    "OPTION_ROWS": OPTION_ROWS,
    "CONDITION_ROWS": CONDITION_ROWS,
    "CONDITION_TESTS": CONDITION_TESTS,
}

BOARD = "journey-board"


# --- journey map ---------------------------------------------------------------------------


def _board_context(tenant: Tenant, **extra: Any) -> dict[str, Any]:
    archived_stages, archived_tps = queries.archived(tenant.session)
    journey = queries.journey(tenant.session)
    # Each card shows its latest score; scores are reports' to compute (app/providers.py).
    cards = providers.ask(
        providers.JOURNEY_CARDS,
        session=tenant.session,
        org=tenant.org,
        touchpoints=[tp for view in journey for tp in view.touchpoints],
    )
    return {
        "journey": journey,
        "cards": cards,
        "question_counts": queries.question_counts(tenant.session),
        "archived_stages": archived_stages,
        "archived_touchpoints": archived_tps,
        "can_edit": tenant.role == "owner",
        "stage_errors": {},
        "stage_form": {"name": ""},
        "add_errors": {},
        "add_form": {},
        "edit_stage_id": None,
        "board_error": None,
        **extra,
    }


def _board(request: Request, tenant: Tenant, status_code: int = 200, **extra: Any) -> Response:
    return render(
        request,
        "touchpoints/journey.html",
        _board_context(tenant, **extra),
        fragment="touchpoints/_board.html",
        status_code=status_code,
    )


@router.get("/journey")
def journey_page(request: Request, tenant: ReaderDep) -> Response:
    return _board(request, tenant)


@router.post("/stages")
def stage_create(request: Request, tenant: OwnerDep, name: Annotated[str, Form()] = "") -> Response:
    data, errors = parse_form(StageCreate, {"name": name})
    if data is not None:
        try:
            services.stage_create(session=tenant.session, org_id=tenant.org_id, data=data)
        except DomainError as exc:
            errors = domain_errors(exc)
        else:
            return _board(request, tenant)
    return _board(request, tenant, 400, stage_errors=errors, stage_form={"name": name})


@router.get("/stages/{stage_id}/edit")
def stage_edit(request: Request, tenant: OwnerDep, stage: StageDep) -> Response:
    return _board(request, tenant, edit_stage_id=stage.id)


@router.post("/stages/{stage_id}")
def stage_update(
    request: Request, tenant: OwnerDep, stage: StageDep, name: Annotated[str, Form()] = ""
) -> Response:
    data, errors = parse_form(StageUpdate, {"name": name})
    if data is not None:
        try:
            services.stage_update(session=tenant.session, stage=stage, data=data)
        except DomainError as exc:
            errors = domain_errors(exc)
        else:
            return _board(request, tenant)
    return _board(
        request, tenant, 400, edit_stage_id=stage.id, rename_errors=errors, rename_value=name
    )


@router.post("/stages/{stage_id}/move")
def stage_move(
    request: Request, tenant: OwnerDep, stage: StageDep, direction: Annotated[str, Form()] = ""
) -> Response:
    services.stage_move(session=tenant.session, stage=stage, direction=direction)
    return _board(request, tenant)


@router.post("/stages/{stage_id}/archive")
def stage_archive(request: Request, tenant: OwnerDep, stage: StageDep) -> Response:
    services.stage_archive(session=tenant.session, stage=stage)
    return _board(request, tenant)


@router.post("/stages/{stage_id}/restore")
def stage_restore(request: Request, tenant: OwnerDep, stage: StageDep) -> Response:
    services.stage_restore(session=tenant.session, stage=stage)
    return _board(request, tenant)


@router.post("/touchpoints")
def touchpoint_create(
    request: Request,
    tenant: OwnerDep,
    stage_id: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    channel: Annotated[str, Form()] = "walk_in",
    mode: Annotated[str, Form()] = "people",
    team: Annotated[str, Form()] = "",
    target: Annotated[str, Form()] = "80",
) -> Response:
    form = {"name": name, "channel": channel, "mode": mode, "team": team, "target": target}
    data, errors = parse_form(TouchpointCreate, {**form, "stage_id": stage_id or None})
    if data is not None:
        try:
            touchpoint = services.touchpoint_create(
                session=tenant.session, org_id=tenant.org_id, data=data
            )
        except DomainError as exc:
            errors = domain_errors(exc)
        else:
            return _board(request, tenant, created_id=touchpoint.id)
    key = int(stage_id) if stage_id.isdigit() else 0
    if key not in {view.stage.id for view in queries.journey(tenant.session)}:
        # No column on the map to show the message under (another organization's stage, or
        # one archived meanwhile): show it above the board rather than drop it.
        message = (key and errors.get("stage_id")) or services.MSG_STAGE_UNKNOWN
        return _board(request, tenant, 400, board_error=message)
    return _board(request, tenant, 400, add_errors={key: errors}, add_form={key: form})


def _after_touchpoint_change(request: Request, tenant: Tenant, touchpoint: Touchpoint) -> Response:
    if request.headers.get("hx-target") == BOARD:
        return _board(request, tenant)
    return redirect(request, f"/touchpoints/{touchpoint.id}")


@router.post("/touchpoints/{touchpoint_id}/move")
def touchpoint_move(
    request: Request,
    tenant: OwnerDep,
    touchpoint: TouchpointDep,
    direction: Annotated[str, Form()] = "",
) -> Response:
    services.touchpoint_move(session=tenant.session, touchpoint=touchpoint, direction=direction)
    return _board(request, tenant)


def _ids(raw: str) -> list[int] | None:
    """A drag's new order, sent as "3,1,2"; None when it is not a list of ids."""
    try:
        return [int(part) for part in raw.split(",")] if raw else None
    except ValueError:
        return None


@router.post("/journey/order")
def stages_order(request: Request, tenant: OwnerDep, ids: Annotated[str, Form()] = "") -> Response:
    """Stages dragged into a new order (the buttons are the keyboard's way)."""
    order = _ids(ids)
    try:
        if order is None:
            raise DomainError(services.MSG_STALE_ORDER, field="ids")
        services.stages_reorder(session=tenant.session, ids=order)
    except DomainError as exc:
        return _board(request, tenant, 409, board_error=exc.message)
    return _board(request, tenant)


@router.post("/touchpoints/{touchpoint_id}/place")
def touchpoint_place(
    request: Request,
    tenant: OwnerDep,
    touchpoint: TouchpointDep,
    stage_id: Annotated[str, Form()] = "",
    ids: Annotated[str, Form()] = "",
) -> Response:
    """A touchpoint dropped on the map: into a stage, at a place in its order."""
    order = _ids(ids)
    try:
        if order is None or not stage_id.isdigit():
            raise DomainError(services.MSG_STALE_ORDER, field="ids")
        services.touchpoint_place(
            session=tenant.session, touchpoint=touchpoint, stage_id=int(stage_id), ids=order
        )
    except DomainError as exc:
        return _board(request, tenant, 409, board_error=exc.message)
    return _board(request, tenant)


@router.post("/touchpoints/{touchpoint_id}/archive")
def touchpoint_archive(request: Request, tenant: OwnerDep, touchpoint: TouchpointDep) -> Response:
    services.touchpoint_archive(session=tenant.session, touchpoint=touchpoint)
    flash(request, f"{touchpoint.name} is archived: new shops will not cover it.")
    return _after_touchpoint_change(request, tenant, touchpoint)


@router.post("/touchpoints/{touchpoint_id}/restore")
def touchpoint_restore(request: Request, tenant: OwnerDep, touchpoint: TouchpointDep) -> Response:
    services.touchpoint_restore(session=tenant.session, touchpoint=touchpoint)
    return _after_touchpoint_change(request, tenant, touchpoint)


# --- touchpoint page -----------------------------------------------------------------------


def _earlier(current: list[Question], question: Question | None) -> list[Question]:
    """The questions a rule on `question` may name: those before it (all, for a new one)."""
    if question is None:
        return current
    ids = [q.id for q in current]
    return current[: ids.index(question.id)] if question.id in ids else current


def _rule_texts(current: list[Question]) -> dict[int, str]:
    """Each question's show-when rule in words, for the checklist."""
    find = {q.lineage: services.rule_question(q) for q in current}.get
    return {ident(q): conditions.describe(q.show_if, find) for q in current if q.show_if}


def _rule_errors(exc: DomainError, rows: list[int]) -> dict[str, str]:
    """A refused rule's message goes next to the condition row it is about."""
    if isinstance(exc, services.RuleError) and rows:
        row = rows[exc.index] if exc.index is not None and exc.index < len(rows) else rows[0]
        return {f"cond_{row}": exc.message}
    return domain_errors(exc)


def _checklist_context(tenant: Tenant, touchpoint: Touchpoint, **extra: Any) -> dict[str, Any]:
    tp_id = ident(touchpoint)
    current = services.questions_current(tenant.session, tp_id)
    retired = queries.questions(tenant.session, tp_id, status=QuestionStatus.retired)
    edit_id = extra.get("edit_id")
    edited = next((q for q in current if q.id == edit_id), None)
    return {
        "earlier_new": current,
        "earlier_edit": _earlier(current, edited),
        "rule_texts": _rule_texts(current),
        "question_texts": {q.lineage: q.text for q in current},
        "touchpoint": touchpoint,
        "stage": tenant.session.get(Stage, touchpoint.stage_id),
        "stages": services.stages_active(tenant.session),
        "questions": current,
        "retired": retired,
        "answered": queries.lineage_answer_counts(tenant.session, tp_id),
        "examples": examples(tp_id, current) if current else [],
        "can_edit": tenant.role == "owner" and touchpoint.archived_at is None,
        "is_owner": tenant.role == "owner",
        "new_form": form_values(None),
        "new_errors": {},
        "edit_id": None,
        "edit_form": None,
        "edit_errors": {},
        "settings_errors": {},
        "settings_form": None,
        "notice": None,
        "error": None,
        **extra,
    }


def _checklist(
    request: Request, tenant: Tenant, touchpoint: Touchpoint, status_code: int = 200, **extra: Any
) -> Response:
    return render(
        request,
        "touchpoints/touchpoint.html",
        _checklist_context(tenant, touchpoint, **extra),
        fragment="touchpoints/_checklist.html",
        status_code=status_code,
    )


@router.get("/touchpoints/{touchpoint_id}")
def touchpoint_page(request: Request, tenant: ReaderDep, touchpoint: TouchpointDep) -> Response:
    return _checklist(request, tenant, touchpoint)


@router.post("/touchpoints/{touchpoint_id}")
def touchpoint_update(
    request: Request,
    tenant: OwnerDep,
    touchpoint: TouchpointDep,
    name: Annotated[str, Form()] = "",
    stage_id: Annotated[str, Form()] = "",
    channel: Annotated[str, Form()] = "",
    mode: Annotated[str, Form()] = "",
    team: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    target: Annotated[str, Form()] = "",
) -> Response:
    form = {
        "name": name,
        "stage_id": stage_id,
        "channel": channel,
        "mode": mode,
        "team": team,
        "description": description,
        "target": target,
    }
    data, errors = parse_form(
        TouchpointUpdate, {**form, "stage_id": stage_id or None, "target": target or None}
    )
    if data is not None:
        try:
            services.touchpoint_update(session=tenant.session, touchpoint=touchpoint, data=data)
        except DomainError as exc:
            errors = domain_errors(exc)
    context = _checklist_context(
        tenant,
        touchpoint,
        settings_errors=errors,
        settings_form=form if errors else None,
        settings_saved=not errors,
    )
    return render(
        request,
        "touchpoints/touchpoint.html",
        context,
        fragment="touchpoints/_settings.html",
        status_code=400 if errors else 200,
    )


@router.get("/touchpoints/{touchpoint_id}/questions/new")
def question_new_form(
    request: Request,
    tenant: OwnerDep,
    touchpoint: TouchpointDep,
    kind: Annotated[QuestionKind, Query()] = QuestionKind.yes_no,
    text: Annotated[str, Query(max_length=2000)] = "",
    guidance: Annotated[str, Query(max_length=4000)] = "",
    weight: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """The add-question form for another kind (htmx swaps the kind-specific fields).

    What the owner already typed (question, guidance, weight) comes along, so choosing the
    kind after writing the question loses nothing.
    """
    new_form = form_values(None, kind.value)
    new_form.update(text=text, guidance=guidance)
    if weight:
        new_form["weight"] = weight
    return render(
        request,
        "touchpoints/touchpoint.html",
        _checklist_context(tenant, touchpoint, new_form=new_form),
        fragment="touchpoints/_question_new.html",
    )


@router.post("/touchpoints/{touchpoint_id}/questions")
async def question_create(
    request: Request, tenant: OwnerDep, touchpoint: TouchpointDep
) -> Response:
    current = services.questions_current(tenant.session, ident(touchpoint))
    fields, errors, raw, rows = parse_question_form(await request.form(), current)
    if fields is not None:
        try:
            services.question_create(session=tenant.session, touchpoint=touchpoint, fields=fields)
        except DomainError as exc:
            if exc.field is None:
                # About the touchpoint, not a field (archived meanwhile): the add form may not
                # be drawn at all, so the message goes above the checklist.
                return _checklist(request, tenant, touchpoint, 400, new_form=raw, error=exc.message)
            errors = _rule_errors(exc, rows)
        else:
            return _checklist(request, tenant, touchpoint, notice="Question added.")
    return _checklist(request, tenant, touchpoint, 400, new_form=raw, new_errors=errors)


def _touchpoint_of(tenant: Tenant, question: Question) -> Touchpoint:
    touchpoint = tenant.get(Touchpoint, question.touchpoint_id)
    return touchpoint


@router.get("/questions/{question_id}/edit")
def question_edit_form(request: Request, tenant: OwnerDep, question: QuestionDep) -> Response:
    touchpoint = _touchpoint_of(tenant, question)
    earlier = _earlier(services.questions_current(tenant.session, ident(touchpoint)), question)
    return _checklist(
        request,
        tenant,
        touchpoint,
        edit_id=question.id,
        edit_form=form_values(question, earlier=earlier),
    )


@router.post("/questions/{question_id}")
async def question_update(request: Request, tenant: OwnerDep, question: QuestionDep) -> Response:
    touchpoint = _touchpoint_of(tenant, question)
    earlier = _earlier(services.questions_current(tenant.session, ident(touchpoint)), question)
    fields, errors, raw, rows = parse_question_form(await request.form(), earlier)
    if fields is not None:
        try:
            current = services.question_update(
                session=tenant.session, question=question, fields=fields
            )
        except DomainError as exc:
            if exc.field is None:
                # Not about a field (an older version, edited from an out-of-date page): the
                # edit form belongs to a row no longer shown, so say it above the checklist.
                return _checklist(request, tenant, touchpoint, 400, error=exc.message)
            errors = _rule_errors(exc, rows)
        else:
            notice = "Question saved."
            if current.id != question.id:
                notice = (
                    f"Saved as version {current.version}. Shops that already answered keep "
                    f"version {question.version}, as it was asked."
                )
            return _checklist(request, tenant, touchpoint, notice=notice)
    return _checklist(
        request, tenant, touchpoint, 400, edit_id=question.id, edit_form=raw, edit_errors=errors
    )


@router.post("/questions/{question_id}/move")
def question_move(
    request: Request,
    tenant: OwnerDep,
    question: QuestionDep,
    direction: Annotated[str, Form()] = "",
) -> Response:
    try:
        services.question_move(session=tenant.session, question=question, direction=direction)
    except DomainError as exc:
        # A move that would put a question before one its rule depends on.
        return _checklist(request, tenant, _touchpoint_of(tenant, question), 400, error=exc.message)
    return _checklist(request, tenant, _touchpoint_of(tenant, question))


@router.post("/questions/{question_id}/remove")
def question_remove(request: Request, tenant: OwnerDep, question: QuestionDep) -> Response:
    try:
        outcome = services.question_remove(session=tenant.session, question=question)
    except DomainError as exc:
        return _checklist(request, tenant, _touchpoint_of(tenant, question), 400, error=exc.message)
    notice = (
        "Question retired: it is off the checklist, and the shops that answered it keep it."
        if outcome == "retired"
        else "Question deleted."
    )
    return _checklist(request, tenant, _touchpoint_of(tenant, question), notice=notice)


@router.get("/questions/{question_id}/versions")
def question_versions(request: Request, tenant: ReaderDep, question: QuestionDep) -> Response:
    versions = queries.versions(tenant.session, question.lineage)
    counts = queries.answer_counts(tenant.session, [v.id for v in versions if v.id])
    return render(
        request,
        "touchpoints/versions.html",
        {
            "question": question,
            "touchpoint": _touchpoint_of(tenant, question),
            "versions": versions,
            "counts": counts,
        },
    )


# --- template library ----------------------------------------------------------------------


@router.get("/journey/templates")
def templates_page(request: Request, tenant: OwnerDep) -> Response:
    present = queries.templates_present(tenant.session)
    shelves = [(group, [s for s in template_sets() if s.group == group]) for group in GROUPS]
    return render(
        request,
        "touchpoints/templates.html",
        {"shelves": shelves, "present": present, "open_set": request.query_params.get("set")},
    )


@router.post("/journey/templates/apply")
def templates_apply(
    request: Request,
    tenant: OwnerDep,
    set_key: Annotated[str, Form()] = "",
    touchpoint_key: Annotated[str, Form()] = "",
) -> Response:
    created, skipped = services.template_apply(
        session=tenant.session,
        org_id=tenant.org_id,
        set_key=set_key or None,
        touchpoint_key=touchpoint_key or None,
    )
    if created:
        names = ", ".join(tp.name for tp in created)
        flash(request, f"Added {len(created)} touchpoint{'s' * (len(created) != 1)}: {names}.")
    if skipped:
        flash(request, f"Already on your journey, not added again: {', '.join(skipped)}.", "info")
    return redirect(request, "/journey")
