"""The owner's recovery pages: the board, the new-case form and the case page with its steps."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from app import providers
from app.errors import DomainError
from app.forms import domain_errors, parse_form
from app.i18n.catalogs import N_
from app.modelbase import MAX_ID, ident, utcnow
from app.orgs.queries import locations_list
from app.templating import flash, redirect, render
from app.tenancy import OwnerDep, Tenant, path_loader
from audits.models import Shop
from recovery import queries, services
from recovery.models import (
    CAUSE_LABELS,
    SOURCE_LABELS,
    VERDICT_LABELS,
    CaseSource,
    RecoveryCase,
    Verdict,
)
from recovery.replies import case_replies
from recovery.services import (
    STEP_FIELDS,
    STEP_LABELS,
    CaseDetails,
    CaseOpen,
    Step,
    StepRecord,
    Triage,
)
from recovery.window import local_words
from touchpoints.queries import journey

router = APIRouter(include_in_schema=False)

M = TypeVar("M", bound=BaseModel)

CaseDep = Annotated[RecoveryCase, Depends(path_loader(RecoveryCase))]

# Sources an owner picks on the new-case form; the complaint form files its own cases.
OWNER_SOURCES = [s for s in CaseSource if s != CaseSource.complaint_form]

STEP_HELP = {
    Step.acknowledge: "Listen to the whole story, say sorry, and say what happens next.",
    Step.fix: "Put it right or replace it, within 24 hours of hearing about it.",
    Step.surprise: "Do one small thing the customer did not expect, to show you care.",
    Step.follow_up: "Check back a little later: is the customer fully satisfied now?",
}
STEP_BUTTONS = {
    Step.acknowledge: "Acknowledged",
    Step.fix: "Fixed or replaced",
    Step.surprise: "Surprise done",
}
STEP_NOTE_LABELS = {
    Step.acknowledge: "Note (optional)",
    Step.fix: "What was fixed or replaced",
    Step.surprise: "What unexpected thing was done",
    Step.follow_up: "What the customer said (optional)",
}

# Registered on the shared Jinja environment by app.wiring at start-up.
TEMPLATE_GLOBALS: dict[str, object] = {
    "RECOVERY_SOURCE_LABELS": SOURCE_LABELS,
    "RECOVERY_VERDICT_LABELS": VERDICT_LABELS,
    "RECOVERY_CAUSE_LABELS": CAUSE_LABELS,
    "recovery_when": local_words,
}

MSG_DATETIME = N_("Enter a date and time, such as 2026-11-29 14:05.")
MSG_CHOOSE = N_("Choose one of the options.")


# --- form helpers --------------------------------------------------------------------------


def _local_input(value: datetime | None, tz: str) -> str:
    """A stored time as a datetime-local field shows it, in the organization's zone."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M")


TEMPLATE_FILTERS: dict[str, object] = {"local_input": _local_input}


def _parse_local(raw: str, tz: str) -> datetime | None:
    """A datetime-local field read in the organization's zone; empty means none given."""
    raw = raw.strip()
    if not raw:
        return None
    moment = datetime.fromisoformat(raw.replace(" ", "T"))
    if moment.tzinfo is not None or not 2000 <= moment.year <= 2100:
        raise ValueError(raw)
    return moment.replace(tzinfo=ZoneInfo(tz))


def _id(raw: str) -> int | None:
    raw = raw.strip()
    return int(raw) if raw.isdigit() and int(raw) <= MAX_ID else None


async def _form(request: Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.form()).items()}


def _time_field(
    form: dict[str, str], name: str, tz: str, errors: dict[str, str]
) -> datetime | None:
    try:
        return _parse_local(form.get(name, ""), tz)
    except ValueError:
        errors[name] = MSG_DATETIME
        return None


def _validated(model: type[M], data: dict[str, Any], errors: dict[str, str]) -> M | None:
    parsed, problems = parse_form(model, data)
    for name, message in problems.items():
        errors.setdefault(name, message)
    return parsed if not errors else None


def _friendlier(form: dict[str, str], errors: dict[str, str]) -> None:
    """The shapes' generic words replaced by ones that say what to do."""
    if "source" in errors:
        errors["source"] = MSG_CHOOSE
    if "summary" in errors and not form.get("summary", "").strip():
        errors["summary"] = services.MSG_SUMMARY


# --- the board -----------------------------------------------------------------------------


# The steps the board can be narrowed to: an open case's next step.
BOARD_STEPS = {k: v for k, v in queries.NEXT_STEPS.items() if k != "closed"}


@router.get("/recovery")
def board_page(
    request: Request,
    tenant: OwnerDep,
    location: Annotated[str, Query()] = "",
    touchpoint: Annotated[str, Query()] = "",
    step: Annotated[str, Query()] = "",
    overdue: Annotated[str, Query()] = "",
) -> Response:
    locations = locations_list(session=tenant.session)
    stages = journey(tenant.session)
    # A filter value the organization does not have narrows nothing (an old bookmark).
    location_id = next((ident(loc) for loc in locations if str(loc.id) == location), None)
    touchpoint_id = next(
        (ident(tp) for view in stages for tp in view.touchpoints if str(tp.id) == touchpoint),
        None,
    )
    filters = queries.BoardFilters(
        location_id=location_id,
        touchpoint_id=touchpoint_id,
        step=step if step in BOARD_STEPS else "",
        overdue=overdue == "1",
    )
    now = utcnow()
    context = queries.board(tenant.session, now=now, tz=tenant.org.timezone, filters=filters)
    context["rates"] = providers.ask(
        providers.RECOVERY_RATES,
        session=tenant.session,
        org=tenant.org,
        now=now,
        location_id=location_id,
        touchpoint_id=touchpoint_id,
    )
    context.update(locations=locations, journey=stages, steps=BOARD_STEPS)
    return render(request, "recovery/board.html", context, fragment="recovery/_board.html")


# --- a new case ----------------------------------------------------------------------------


def _new_context(tenant: Tenant, form: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    shop_id = _id(form.get("shop_id", ""))
    shop = tenant.session.get(Shop, shop_id) if shop_id else None
    return {
        "form": form,
        "errors": errors,
        "sources": OWNER_SOURCES,
        "locations": locations_list(session=tenant.session),
        "journey": journey(tenant.session),
        "shop": shop if shop is not None and shop.org_id == tenant.org_id else None,
        "tz": tenant.org.timezone,
    }


@router.get("/recovery/new")
def case_new_page(
    request: Request,
    tenant: OwnerDep,
    source: Annotated[str, Query()] = "",
    shop_id: Annotated[str, Query()] = "",
    location_id: Annotated[str, Query()] = "",
    touchpoint_id: Annotated[str, Query()] = "",
) -> Response:
    form = {
        "source": source if source in set(CaseSource) else CaseSource.phone.value,
        "shop_id": shop_id,
        "location_id": location_id,
        "touchpoint_id": touchpoint_id,
    }
    return render(request, "recovery/case_new.html", _new_context(tenant, form, {}))


@router.post("/recovery/new")
async def case_new(request: Request, tenant: OwnerDep) -> Response:
    form = await _form(request)
    tz = tenant.org.timezone
    errors: dict[str, str] = {}
    reported_at = _time_field(form, "reported_at", tz, errors)
    data = _validated(
        CaseOpen,
        {
            "summary": form.get("summary", ""),
            "source": form.get("source") or CaseSource.other,
            "reported_at": reported_at,
            "touchpoint_id": _id(form.get("touchpoint_id", "")),
            "location_id": _id(form.get("location_id", "")),
            "shop_id": _id(form.get("shop_id", "")),
            "customer_name": form.get("customer_name", ""),
            "customer_contact": form.get("customer_contact", ""),
        },
        errors,
    )
    _friendlier(form, errors)
    if data is not None:
        try:
            case = services.case_open(
                session=tenant.session, org_id=tenant.org_id, data=data, actor_id=tenant.user_id
            )
        except DomainError as exc:
            errors = domain_errors(exc)
        else:
            flash(
                request, f"Case {case.reference} opened. The 24 hours started when it was reported."
            )
            return redirect(request, f"/recovery/{ident(case)}")
    return render(
        request, "recovery/case_new.html", _new_context(tenant, form, errors), status_code=400
    )


# --- the case page -------------------------------------------------------------------------


def _steps(case: RecoveryCase) -> list[dict[str, Any]]:
    first_open = True
    steps = []
    for step in Step:
        at_field, note_field = STEP_FIELDS[step]
        done_at = getattr(case, at_field)
        is_next = done_at is None and first_open
        if is_next:
            first_open = False
        steps.append(
            {
                "key": step.value,
                "label": STEP_LABELS[step],
                "help": STEP_HELP[step],
                "button": STEP_BUTTONS.get(step, ""),
                "note_label": STEP_NOTE_LABELS[step],
                "note_required": step in (Step.fix, Step.surprise),
                "done_at": done_at,
                "note": getattr(case, note_field),
                "is_next": is_next,
            }
        )
    return steps


def _case_context(tenant: Tenant, case: RecoveryCase, **extra: Any) -> dict[str, Any]:
    session = tenant.session
    row = queries.case_rows(session, [case], now=utcnow(), tz=tenant.org.timezone)[0]
    return {
        "case": case,
        "row": row,
        "tz": tenant.org.timezone,
        "steps": _steps(case),
        "sources": list(CaseSource),
        "verdicts": list(Verdict),
        "locations": locations_list(session=session),
        "journey": journey(session),
        "action_item": services.case_action_item(session, case),
        "missing": services.case_missing_for_close(case),
        "retention_days": tenant.org.contact_retention_days,
        "replies": case_replies(case, tenant.org.name),
        "errors": {},  # form name -> field -> message
        "forms": {},  # form name -> what was typed, shown again with the errors
        "notice": None,
        "notice_kind": "success",
        **extra,
    }


def _case(
    request: Request, tenant: Tenant, case: RecoveryCase, status_code: int = 200, **extra: Any
) -> Response:
    return render(
        request,
        "recovery/case.html",
        _case_context(tenant, case, **extra),
        fragment="recovery/_case.html",
        status_code=status_code,
    )


def case_done(request: Request, tenant: Tenant, case: RecoveryCase, notice: str) -> Response:
    """After a write: htmx gets the case again with the notice; a plain form, a redirect.

    Public, with `case_failed`, for the case page's buttons that other packages serve
    (actions.cases.routes: "make an action item")."""
    if not request.headers.get("hx-request"):
        flash(request, notice)
        return redirect(request, f"/recovery/{ident(case)}")
    return _case(request, tenant, case, notice=notice)


def case_failed(
    request: Request,
    tenant: Tenant,
    case: RecoveryCase,
    form_name: str,
    errors: dict[str, str],
    form: dict[str, str],
    status_code: int = 400,
) -> Response:
    """After a refused write: the case page again, with the form's errors beside it."""
    tenant.session.rollback()
    tenant.session.refresh(case)
    return _case(
        request,
        tenant,
        case,
        status_code,
        errors={form_name: errors},
        forms={form_name: form},
    )


@router.get("/recovery/{recovery_case_id}")
def case_page(request: Request, tenant: OwnerDep, case: CaseDep) -> Response:
    return _case(request, tenant, case)


def _step_of(form: dict[str, str]) -> Step | None:
    raw = form.get("step", "")
    return Step(raw) if raw in set(Step) else None


@router.post("/recovery/{recovery_case_id}/step")
async def case_step(request: Request, tenant: OwnerDep, case: CaseDep) -> Response:
    form = await _form(request)
    step = _step_of(form)
    if step is None:
        return case_failed(request, tenant, case, "step", {"step": services.MSG_UNKNOWN_STEP}, form)
    errors: dict[str, str] = {}
    at = _time_field(form, "at", tenant.org.timezone, errors)
    verdict = form.get("verdict") or None
    if verdict is not None and verdict not in set(Verdict):
        errors["verdict"] = services.MSG_VERDICT
    data = _validated(
        StepRecord,
        {"at": at, "note": form.get("note", ""), "verdict": verdict},
        errors,
    )
    if data is not None:
        try:
            services.case_step_record(session=tenant.session, case=case, step=step, data=data)
        except DomainError as exc:
            errors = domain_errors(exc)
        else:
            return case_done(request, tenant, case, f"{STEP_LABELS[step]}: saved.")
    return case_failed(request, tenant, case, step.value, errors, form)


@router.post("/recovery/{recovery_case_id}/undo")
async def case_step_undo(request: Request, tenant: OwnerDep, case: CaseDep) -> Response:
    form = await _form(request)
    step = _step_of(form)
    if step is None:
        return case_failed(request, tenant, case, "step", {"step": services.MSG_UNKNOWN_STEP}, form)
    try:
        services.case_step_undo(session=tenant.session, case=case, step=step)
    except DomainError as exc:
        return case_failed(request, tenant, case, step.value, domain_errors(exc), form, 409)
    return case_done(request, tenant, case, f"{STEP_LABELS[step]}: taken back.")


@router.post("/recovery/{recovery_case_id}/details")
async def case_details(request: Request, tenant: OwnerDep, case: CaseDep) -> Response:
    form = await _form(request)
    errors: dict[str, str] = {}
    reported_at = _time_field(form, "reported_at", tenant.org.timezone, errors)
    if "reported_at" not in errors and reported_at is None:
        errors["reported_at"] = MSG_DATETIME
    data = _validated(
        CaseDetails,
        {
            "summary": form.get("summary", ""),
            "source": form.get("source", ""),
            "reported_at": reported_at,
            "touchpoint_id": _id(form.get("touchpoint_id", "")),
            "location_id": _id(form.get("location_id", "")),
            "customer_name": form.get("customer_name", ""),
            "customer_contact": form.get("customer_contact", ""),
        },
        errors,
    )
    _friendlier(form, errors)
    if data is not None:
        try:
            services.case_update(session=tenant.session, case=case, data=data)
        except DomainError as exc:
            errors = domain_errors(exc)
        else:
            return case_done(request, tenant, case, "Details saved.")
    return case_failed(request, tenant, case, "details", errors, form)


@router.post("/recovery/{recovery_case_id}/triage")
async def case_triage(request: Request, tenant: OwnerDep, case: CaseDep) -> Response:
    form = await _form(request)
    errors: dict[str, str] = {}
    cause = form.get("cause_category") or None
    data = _validated(
        Triage,
        {
            "triage_what": form.get("triage_what", ""),
            "cause_category": cause,
            "triage_why": form.get("triage_why", ""),
            "triage_change": form.get("triage_change", ""),
        },
        errors,
    )
    if "cause_category" in errors:
        errors["cause_category"] = MSG_CHOOSE
    if data is not None:
        try:
            services.case_triage(session=tenant.session, case=case, data=data)
        except DomainError as exc:
            errors = domain_errors(exc)
        else:
            return case_done(request, tenant, case, "Triage saved.")
    return case_failed(request, tenant, case, "triage", errors, form)


@router.post("/recovery/{recovery_case_id}/champion")
async def case_champion(request: Request, tenant: OwnerDep, case: CaseDep) -> Response:
    form = await _form(request)
    on = form.get("champion") in ("on", "true", "1")
    services.case_champion(session=tenant.session, case=case, champion=on)
    words = "Marked as a champion." if on else "No longer marked as a champion."
    return case_done(request, tenant, case, words)


@router.post("/recovery/{recovery_case_id}/close")
async def case_close(request: Request, tenant: OwnerDep, case: CaseDep) -> Response:
    try:
        services.case_close(session=tenant.session, case=case)
    except DomainError as exc:
        return case_failed(request, tenant, case, "close", {"__all__": exc.message}, {})
    return case_done(request, tenant, case, f"Case {case.reference} closed.")


@router.post("/recovery/{recovery_case_id}/reopen")
async def case_reopen(request: Request, tenant: OwnerDep, case: CaseDep) -> Response:
    services.case_reopen(session=tenant.session, case=case)
    return case_done(request, tenant, case, f"Case {case.reference} reopened.")
