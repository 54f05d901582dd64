"""Pages for action items: the organization's list at /actions and each touchpoint's list.

Owners add, edit and move items on; staff (viewers) read them. Every item names a team, not a
person, and links back to where the idea came from.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from actions import services as svc
from app.errors import DomainError
from app.forms import domain_errors, parse_form
from app.modelbase import MAX_ID, ident
from app.templating import redirect, render
from app.tenancy import OwnerDep, ReaderDep, Tenant, path_loader
from touchpoints import queries
from touchpoints.deps import TouchpointDep
from touchpoints.measures.services import org_today
from touchpoints.models import (
    ACTION_SOURCE_LABELS,
    ACTION_STATUS_LABELS,
    ActionItem,
    ActionSource,
    ActionStatus,
    Touchpoint,
)

router = APIRouter(include_in_schema=False)

ActionItemDep = Annotated[ActionItem, Depends(path_loader(ActionItem))]

# Registered on the shared Jinja environment by app.wiring at start-up.
TEMPLATE_GLOBALS: dict[str, object] = {
    "ACTION_STATUS_LABELS": ACTION_STATUS_LABELS,
    "ACTION_SOURCE_LABELS": ACTION_SOURCE_LABELS,
    "ActionStatus": ActionStatus,
    "ActionSource": ActionSource,
    "ACTION_NEXT_STEPS": svc.NEXT_STEPS,
}

FIELDS = (
    "title",
    "details",
    "team",
    "due_on",
    "source",
    "meeting_on",
    "shop_id",
    "recovery_case_id",
)
EMPTY_FORM = dict.fromkeys(FIELDS, "") | {"source": "meeting"}
# Which reference field belongs to which source; the others are ignored when saving.
SOURCE_FIELD = {
    ActionSource.meeting: "meeting_on",
    ActionSource.shop: "shop_id",
    ActionSource.recovery_case: "recovery_case_id",
}


def _today(tenant: Tenant) -> date:
    return org_today(tenant.org.timezone)


def _parse(form: dict[str, str]) -> tuple[svc.ActionItemFields | None, dict[str, str]]:
    """The form's fields as an item; blank optional fields are absent, and the references
    that do not belong to the chosen source are dropped."""
    data: dict[str, Any] = {k: v for k, v in form.items() if v.strip() or k == "title"}
    keep = SOURCE_FIELD.get(form.get("source", ""))  # type: ignore[call-overload]
    for name in SOURCE_FIELD.values():
        if name != keep:
            data.pop(name, None)
    return parse_form(svc.ActionItemFields, data)


def _form_of(item: ActionItem) -> dict[str, str]:
    def text(value: Any) -> str:
        return "" if value is None else str(value)

    return {name: text(getattr(item, name)) for name in FIELDS}


def _posted_form(
    title: Annotated[str, Form()] = "",
    details: Annotated[str, Form()] = "",
    team: Annotated[str, Form()] = "",
    due_on: Annotated[str, Form()] = "",
    source: Annotated[str, Form()] = "",
    meeting_on: Annotated[str, Form()] = "",
    shop_id: Annotated[str, Form()] = "",
    recovery_case_id: Annotated[str, Form()] = "",
) -> dict[str, str]:
    """The item's fields as posted, as typed (shown again beside any errors); the add and
    edit forms post the same fields, so they read them through this one dependency."""
    return {
        "title": title,
        "details": details,
        "team": team,
        "due_on": due_on,
        "source": source,
        "meeting_on": meeting_on,
        "shop_id": shop_id,
        "recovery_case_id": recovery_case_id,
    }


PostedFormDep = Annotated[dict[str, str], Depends(_posted_form)]


def _create(
    tenant: Tenant, touchpoint_id: int, data: svc.ActionItemFields
) -> tuple[ActionItem | None, dict[str, str]]:
    """Add the item: (the item, no errors), or (None, the refusal's errors)."""
    try:
        item = svc.action_item_create(
            session=tenant.session,
            org_id=tenant.org_id,
            touchpoint_id=touchpoint_id,
            data=data,
            actor_id=tenant.user_id,
        )
    except DomainError as exc:
        return None, domain_errors(exc)
    return item, {}


def _choices(tenant: Tenant) -> dict[str, Any]:
    """What the add and edit forms offer: touchpoints, teams, recent shops and cases."""
    session = tenant.session
    touchpoints = [tp for view in queries.journey(session) for tp in view.touchpoints]
    shops = svc.recent_shops(session)
    cases = svc.recent_cases(session)
    teams = sorted(
        set(svc.action_teams(session)) | {tp.team for tp in touchpoints if tp.team},
        key=str.casefold,
    )
    return {"tp_choices": touchpoints, "shop_choices": shops, "case_choices": cases, "teams": teams}


def _case_refs(tenant: Tenant, items: list[ActionItem]) -> dict[int, str]:
    """The references of the recovery cases the items came from, for their links."""
    return svc.case_references(tenant.session, items)


def _names(tenant: Tenant) -> dict[int, str]:
    return svc.touchpoint_names(tenant.session)


def _base(tenant: Tenant) -> dict[str, Any]:
    return {
        "today": _today(tenant),
        "can_edit": tenant.role == "owner",
        "tp_names": _names(tenant),
        **_choices(tenant),
    }


# --- the organization's list ---------------------------------------------------------------


STATUS_CHOICES = {
    "": "Open and doing",
    **{s.value: label for s, label in ACTION_STATUS_LABELS.items()},
    "all": "Every status",
}


def _filters(status: str, touchpoint_id: str, team: str) -> svc.ActionFilter:
    """Filters from the address, read leniently: an unknown value means 'no filter'."""
    chosen = ActionStatus(status) if status in ActionStatus.__members__ else None
    return svc.ActionFilter(
        status=chosen,
        touchpoint_id=_id_or_none(touchpoint_id),
        team=team.strip()[:120],
        scope="all" if status == "all" else "active",
    )


def _id_or_none(raw: str) -> int | None:
    raw = raw.strip()
    return int(raw) if raw.isdigit() and int(raw) <= MAX_ID else None


def _query(filters: svc.ActionFilter) -> str:
    pairs = {
        "status": _query_status(filters),
        "touchpoint_id": str(filters.touchpoint_id or ""),
        "team": filters.team,
    }
    return urlencode({k: v for k, v in pairs.items() if v})


def _list_context(tenant: Tenant, filters: svc.ActionFilter, **extra: Any) -> dict[str, Any]:
    base = _base(tenant)
    items = svc.action_items_list(tenant.session, filters=filters, today=base["today"])
    return {
        **base,
        "items": items,
        "case_refs": _case_refs(tenant, items),
        "filters": filters,
        "query": _query(filters),
        "status_choices": STATUS_CHOICES,
        "status_value": _query_status(filters),
        "overdue": sum(svc.action_item_is_overdue(i, base["today"]) for i in items),
        "form": {**EMPTY_FORM, "touchpoint_id": str(filters.touchpoint_id or "")},
        "errors": {},
        "notice": None,
        "show_tp": True,
        **extra,
    }


def _query_status(filters: svc.ActionFilter) -> str:
    if filters.status:
        return filters.status.value
    return "all" if filters.scope == "all" else ""


def _list(
    request: Request,
    tenant: Tenant,
    filters: svc.ActionFilter,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    return render(
        request,
        "touchpoints/actions.html",
        _list_context(tenant, filters, **extra),
        fragment="touchpoints/_actions_panel.html",
        status_code=status_code,
    )


@router.get("/actions")
def actions_page(
    request: Request,
    tenant: ReaderDep,
    status: str = "",
    touchpoint_id: str = "",
    team: str = "",
) -> Response:
    return _list(request, tenant, _filters(status, touchpoint_id, team))


@router.post("/actions")
def action_create_any(
    request: Request,
    tenant: OwnerDep,
    form: PostedFormDep,
    touchpoint_id: Annotated[str, Form()] = "",
) -> Response:
    """Add an item from the organization's list (the touchpoint is chosen in the form); the
    list's filters ride along in the address."""
    q = request.query_params
    filters = _filters(q.get("status", ""), q.get("touchpoint_id", ""), q.get("team", ""))
    data, errors = _parse(form)
    tp_id = _id_or_none(touchpoint_id)
    if tp_id is None:
        errors.setdefault("touchpoint_id", svc.MSG_TOUCHPOINT_UNKNOWN)
    if data is not None and tp_id is not None:
        item, errors = _create(tenant, tp_id, data)
        if item is not None:
            return _list(request, tenant, filters, notice=f"Added: {item.title}")
    form["touchpoint_id"] = touchpoint_id
    return _list(request, tenant, filters, 400, form=form, errors=errors)


# --- a touchpoint's list -------------------------------------------------------------------


def _tp_context(tenant: Tenant, touchpoint: Touchpoint, **extra: Any) -> dict[str, Any]:
    base = _base(tenant)
    items = svc.action_items_list(
        tenant.session,
        filters=svc.ActionFilter(touchpoint_id=ident(touchpoint), scope="all"),
        today=base["today"],
    )
    form = {**EMPTY_FORM, "team": touchpoint.team}
    return {
        **base,
        "touchpoint": touchpoint,
        "items": items,
        "case_refs": _case_refs(tenant, items),
        "form": form,
        "errors": {},
        "notice": None,
        "show_tp": False,
        **extra,
    }


def _tp_panel(
    request: Request, tenant: Tenant, touchpoint: Touchpoint, status_code: int = 200, **extra: Any
) -> Response:
    context = _tp_context(tenant, touchpoint, **extra)
    if request.headers.get("hx-request"):
        return render(
            request,
            "touchpoints/actions.html",
            context,
            fragment="touchpoints/_action_panel.html",
            status_code=status_code,
        )
    # Without htmx: the organization's list, showing this touchpoint's items.
    filters = svc.ActionFilter(touchpoint_id=ident(touchpoint), scope="all")
    return _list(request, tenant, filters, status_code, **extra)


@router.get("/touchpoints/{touchpoint_id}/actions")
def touchpoint_actions(request: Request, tenant: ReaderDep, touchpoint: TouchpointDep) -> Response:
    return _tp_panel(request, tenant, touchpoint)


@router.post("/touchpoints/{touchpoint_id}/actions")
def action_create(
    request: Request,
    tenant: OwnerDep,
    touchpoint: TouchpointDep,
    form: PostedFormDep,
) -> Response:
    data, errors = _parse(form)
    if data is not None:
        item, errors = _create(tenant, ident(touchpoint), data)
        if item is not None:
            return _tp_panel(request, tenant, touchpoint, notice=f"Added: {item.title}")
    return _tp_panel(request, tenant, touchpoint, 400, form=form, errors=errors)


# --- one item ------------------------------------------------------------------------------


def _row(
    request: Request,
    tenant: Tenant,
    item: ActionItem,
    status_code: int = 200,
    *,
    editing: bool = False,
    **extra: Any,
) -> Response:
    """The item's row (or its edit form) for htmx; the list around it for a whole page."""
    # A row inside a touchpoint's own list does not repeat the touchpoint's name.
    show_tp = request.query_params.get("in") != "tp"
    context = {
        **_base(tenant),
        "item": item,
        "case_refs": _case_refs(tenant, [item]),
        "show_tp": show_tp,
        "form": _form_of(item) | {"touchpoint_id": str(item.touchpoint_id)},
        "errors": {},
        "saved": False,
        **extra,
    }
    if request.headers.get("hx-request"):
        fragment = "touchpoints/_action_edit.html" if editing else "touchpoints/_action_row.html"
        return render(
            request, "touchpoints/actions.html", context, fragment=fragment, status_code=status_code
        )
    filters = svc.ActionFilter(touchpoint_id=item.touchpoint_id, scope="all")
    if request.method != "GET":
        return redirect(request, f"/actions?{_query(filters)}")
    return _list(request, tenant, filters, status_code)


@router.get("/actions/{action_item_id}")
def action_row(request: Request, tenant: ReaderDep, item: ActionItemDep) -> Response:
    """One item's row (htmx uses it to cancel an edit); its touchpoint's list otherwise."""
    return _row(request, tenant, item)


@router.get("/actions/{action_item_id}/edit")
def action_edit_form(request: Request, tenant: OwnerDep, item: ActionItemDep) -> Response:
    return _row(request, tenant, item, editing=True)


@router.post("/actions/{action_item_id}")
def action_update(
    request: Request,
    tenant: OwnerDep,
    item: ActionItemDep,
    form: PostedFormDep,
    touchpoint_id: Annotated[str, Form()] = "",
) -> Response:
    data, errors = _parse(form)
    tp_id = _id_or_none(touchpoint_id)
    if touchpoint_id.strip() and tp_id is None:
        errors.setdefault("touchpoint_id", svc.MSG_TOUCHPOINT_UNKNOWN)
    elif data is not None:
        try:
            svc.action_item_update(
                session=tenant.session, item=item, data=data, touchpoint_id=tp_id
            )
        except DomainError as exc:
            errors = domain_errors(exc)
        else:
            return _row(request, tenant, item, saved=True)
    form["touchpoint_id"] = touchpoint_id or str(item.touchpoint_id)
    return _row(request, tenant, item, 400, editing=True, form=form, errors=errors)


@router.post("/actions/{action_item_id}/status")
def action_status(
    request: Request,
    tenant: OwnerDep,
    item: ActionItemDep,
    status: Annotated[str, Form()] = "",
) -> Response:
    new = svc.action_status_parse(status)
    svc.action_item_set_status(session=tenant.session, item=item, status=new)
    return _row(request, tenant, item, saved=True)


@router.post("/actions/{action_item_id}/delete")
def action_delete(request: Request, tenant: OwnerDep, item: ActionItemDep) -> Response:
    tp_id = item.touchpoint_id
    svc.action_item_delete(session=tenant.session, item=item)
    if request.headers.get("hx-request"):
        return Response(status_code=200)  # the row is swapped for nothing
    query = _query(svc.ActionFilter(touchpoint_id=tp_id, scope="all"))
    return redirect(request, f"/actions?{query}")
