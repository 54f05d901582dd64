"""Pages for measures: defining them per touchpoint, the value grid, and the CSV import.

The grid lives on one page per touchpoint: the measures are defined there too, an owner
usually enters a touchpoint's few counts together, and a page for every measure of the whole
journey would be a table too wide to use on a phone.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from app.errors import DomainError
from app.forms import domain_errors, parse_form
from app.modelbase import MAX_ID, ident
from app.orgs.models import Location
from app.templating import flash, redirect, render
from app.tenancy import OwnerDep, ReaderDep, Tenant, path_loader
from touchpoints.deps import TouchpointDep
from touchpoints.measures import imports as measures_import
from touchpoints.measures import services as svc
from touchpoints.models import Measure, MeasureAggregate, MeasurePeriod, Stage, Touchpoint

router = APIRouter(include_in_schema=False)

MeasureDep = Annotated[Measure, Depends(path_loader(Measure))]

# Registered on the shared Jinja environment by app.wiring at start-up.
TEMPLATE_GLOBALS: dict[str, object] = {
    "MEASURE_PERIOD_LABELS": svc.PERIOD_LABELS,
    "MEASURE_AGGREGATE_LABELS": svc.AGGREGATE_LABELS,
    "MeasurePeriod": MeasurePeriod,
    "MeasureAggregate": MeasureAggregate,
}

SUMMARY = "touchpoints/_measure_summary.html"
UPLOAD_SLACK = 64 * 1024  # room for the multipart framing and the other form fields
EMPTY_FORM = {
    "name": "",
    "unit": "",
    "higher_is_better": "1",
    "period": "month",
    "aggregate": "sum",
}


def _date_or_none(raw: str | None) -> date | None:
    """A `?until=` date as typed in an address; anything unreadable means 'now'."""
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _today(tenant: Tenant) -> date:
    return svc.org_today(tenant.org.timezone)


def _panel_context(
    tenant: Tenant, touchpoint: Touchpoint, until: date | None = None, **extra: Any
) -> dict[str, Any]:
    tp_id = ident(touchpoint)
    everything = svc.measures_for_touchpoint(tenant.session, tp_id, include_archived=True)
    active = [m for m in everything if m.archived_at is None]
    locations = svc.locations_for_grid(tenant.session)
    today = _today(tenant)
    grids = [
        svc.measure_grid(tenant.session, m, today=today, until=until, locations=locations)
        for m in active
    ]
    return {
        "touchpoint": touchpoint,
        "stage": tenant.session.get(Stage, touchpoint.stage_id),
        "measures": active,
        "archived": [m for m in everything if m.archived_at is not None],
        "grids": grids,
        "locations": locations,
        "value_counts": svc.measure_value_counts(tenant.session, [ident(m) for m in everything]),
        "can_edit": tenant.role == "owner",
        "tp_archived": touchpoint.archived_at is not None,
        "form": EMPTY_FORM,
        "errors": {},
        "edit_id": None,
        "edit_form": None,
        "edit_errors": {},
        "notice": None,
        **extra,
    }


def _panel(
    request: Request,
    tenant: Tenant,
    touchpoint: Touchpoint,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    return render(
        request,
        "touchpoints/measures.html",
        _panel_context(tenant, touchpoint, **extra),
        fragment="touchpoints/_measures_panel.html",
        status_code=status_code,
    )


def _form(
    name: str, unit: str, higher_is_better: str, period: str, aggregate: str
) -> dict[str, str]:
    return {
        "name": name,
        "unit": unit,
        "higher_is_better": higher_is_better,
        "period": period,
        "aggregate": aggregate,
    }


def _parse(form: dict[str, str]) -> tuple[svc.MeasureFields | None, dict[str, str]]:
    data = {**form, "higher_is_better": form["higher_is_better"] != "0"}
    return parse_form(svc.MeasureFields, data)


# --- the CSV import (registered before /measures/{measure_id}) ----------------------------


def _import_page(
    request: Request, tenant: Tenant, status_code: int = 200, **extra: Any
) -> Response:
    context: dict[str, Any] = {
        "result": None,
        "filename": "",
        "max_rows": measures_import.MAX_ROWS,
        "max_shown": measures_import.MAX_SHOWN,
        "error": None,
        **extra,
    }
    return render(
        request,
        "touchpoints/measures_import.html",
        context,
        fragment="touchpoints/_measure_import.html",
        status_code=status_code,
    )


@router.get("/measures/import")
def import_page(request: Request, tenant: OwnerDep) -> Response:
    return _import_page(request, tenant)


@router.get("/measures/import/template.csv")
def import_template(tenant: OwnerDep) -> Response:
    body = measures_import.template_csv(tenant.session, _today(tenant))
    return Response(
        body.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="touchstone-measures.csv"'},
    )


async def read_csv_upload(request: Request, field: str = "file") -> tuple[bytes, str] | None:
    """The uploaded file's bytes (at most one byte past the limit) and name, or None.

    A body announced as far larger than the limit is not read at all; it is answered as a
    file one byte too large, which the import refuses first, with its usual message.
    """
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > measures_import.MAX_BYTES + UPLOAD_SLACK:
        return bytes(measures_import.MAX_BYTES + 1), "the file"
    form = await request.form(max_files=1, max_fields=5)
    upload = form.get(field)
    if upload is None or isinstance(upload, str) or not upload.filename:
        await form.close()
        return None
    raw = await upload.read(measures_import.MAX_BYTES + 1)
    await form.close()
    return raw, upload.filename


@router.post("/measures/import")
async def import_upload(request: Request, tenant: OwnerDep) -> Response:
    got = await read_csv_upload(request)
    if got is None:
        return _import_page(request, tenant, 400, error=measures_import.MSG_NO_FILE)
    raw, filename = got
    result = measures_import.measures_import(
        session=tenant.session,
        org_id=tenant.org_id,
        data=raw,
        today=_today(tenant),
        actor_id=tenant.user_id,
    )
    return _import_page(
        request, tenant, 200 if result.ok else 400, result=result, filename=filename
    )


# --- measures of a touchpoint --------------------------------------------------------------


@router.get("/touchpoints/{touchpoint_id}/measures")
def measures_page(
    request: Request,
    tenant: ReaderDep,
    touchpoint: TouchpointDep,
    until: str | None = None,
    part: str = "",
) -> Response:
    """The measures page; `part=summary` is the card on the touchpoint's page (htmx)."""
    if part == "summary" and request.headers.get("hx-request"):
        return _summary(request, tenant, touchpoint)
    return _panel(request, tenant, touchpoint, until=_date_or_none(until))


def _summary(request: Request, tenant: Tenant, touchpoint: Touchpoint) -> Response:
    """Each measure with how many locations have a value for the current period: what an
    owner still has to fill in, at a glance."""
    today = _today(tenant)
    locations = svc.locations_for_grid(tenant.session)
    rows = []
    for m in svc.measures_for_touchpoint(tenant.session, ident(touchpoint)):
        start = svc.period_floor(today, m.period)
        filled = len(svc.measure_values(tenant.session, ident(m), since=start, until=start))
        rows.append({"measure": m, "start": start, "filled": filled})
    context = {
        "touchpoint": touchpoint,
        "rows": rows,
        "location_count": len(locations),
        "can_edit": tenant.role == "owner",
    }
    return render(request, "touchpoints/measures.html", context, fragment=SUMMARY)


@router.post("/touchpoints/{touchpoint_id}/measures")
def measure_create(
    request: Request,
    tenant: OwnerDep,
    touchpoint: TouchpointDep,
    name: Annotated[str, Form()] = "",
    unit: Annotated[str, Form()] = "",
    higher_is_better: Annotated[str, Form()] = "1",
    period: Annotated[str, Form()] = "month",
    aggregate: Annotated[str, Form()] = "sum",
) -> Response:
    form = _form(name, unit, higher_is_better, period, aggregate)
    data, errors = _parse(form)
    if data is not None:
        try:
            measure = svc.measure_create(
                session=tenant.session, org_id=tenant.org_id, touchpoint=touchpoint, data=data
            )
        except DomainError as exc:
            errors = domain_errors(exc)
        else:
            return _panel(request, tenant, touchpoint, notice=f"Added {measure.name}.")
    return _panel(request, tenant, touchpoint, 400, form=form, errors=errors)


def _touchpoint_of(tenant: Tenant, measure: Measure) -> Touchpoint:
    return tenant.get(Touchpoint, measure.touchpoint_id)


@router.get("/measures/{measure_id}/edit")
def measure_edit_form(request: Request, tenant: OwnerDep, measure: MeasureDep) -> Response:
    form = _form(
        measure.name,
        measure.unit,
        "1" if measure.higher_is_better else "0",
        measure.period,
        measure.aggregate,
    )
    return _panel(
        request, tenant, _touchpoint_of(tenant, measure), edit_id=measure.id, edit_form=form
    )


@router.get("/measures/{measure_id}")
def measure_page(request: Request, tenant: ReaderDep, measure: MeasureDep) -> Response:
    """The measures page of the measure's touchpoint (htmx: the panel, to cancel an edit)."""
    return _panel(request, tenant, _touchpoint_of(tenant, measure))


@router.post("/measures/{measure_id}")
def measure_update(
    request: Request,
    tenant: OwnerDep,
    measure: MeasureDep,
    name: Annotated[str, Form()] = "",
    unit: Annotated[str, Form()] = "",
    higher_is_better: Annotated[str, Form()] = "1",
    period: Annotated[str, Form()] = "month",
    aggregate: Annotated[str, Form()] = "sum",
) -> Response:
    touchpoint = _touchpoint_of(tenant, measure)
    form = _form(name, unit, higher_is_better, period, aggregate)
    data, errors = _parse(form)
    if data is not None:
        try:
            svc.measure_update(session=tenant.session, measure=measure, data=data)
        except DomainError as exc:
            errors = domain_errors(exc)
        else:
            return _panel(request, tenant, touchpoint, notice=f"Saved {measure.name}.")
    tenant.session.refresh(measure)
    return _panel(
        request,
        tenant,
        touchpoint,
        400,
        edit_id=measure.id,
        edit_form=form,
        edit_errors=errors,
    )


@router.post("/measures/{measure_id}/archive")
def measure_archive(request: Request, tenant: OwnerDep, measure: MeasureDep) -> Response:
    svc.measure_archive(session=tenant.session, measure=measure)
    notice = f"{measure.name} is archived: it leaves the grid, and its values stay in reports."
    return _panel(request, tenant, _touchpoint_of(tenant, measure), notice=notice)


@router.post("/measures/{measure_id}/restore")
def measure_restore(request: Request, tenant: OwnerDep, measure: MeasureDep) -> Response:
    svc.measure_restore(session=tenant.session, measure=measure)
    notice = f"{measure.name} is back on the grid."
    return _panel(request, tenant, _touchpoint_of(tenant, measure), notice=notice)


# --- the grid ------------------------------------------------------------------------------


@router.get("/measures/{measure_id}/grid")
def measure_grid(
    request: Request, tenant: ReaderDep, measure: MeasureDep, until: str | None = None
) -> Response:
    """One measure's grid moved to other periods (htmx); the whole page otherwise."""
    touchpoint = _touchpoint_of(tenant, measure)
    day = _date_or_none(until)
    if measure.archived_at is not None:
        return _panel(request, tenant, touchpoint)
    grid = svc.measure_grid(tenant.session, measure, today=_today(tenant), until=day)
    context = _panel_context(tenant, touchpoint, until=day, grid=grid)
    return render(
        request,
        "touchpoints/measures.html",
        context,
        fragment="touchpoints/_measure_grid.html",
    )


def _int_or_none(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and int(raw) <= MAX_ID else None


@router.post("/measures/{measure_id}/values")
def measure_value_save(
    request: Request,
    tenant: OwnerDep,
    measure: MeasureDep,
    location_id: Annotated[str, Form()] = "",
    period_start: Annotated[str, Form()] = "",
    value: Annotated[str, Form()] = "",
) -> Response:
    """Save one cell of the grid (blank clears it); answers with the cell, saved or not."""
    touchpoint = _touchpoint_of(tenant, measure)
    loc_id, start = _int_or_none(location_id.strip()), _date_or_none(period_start.strip())
    cell: dict[str, Any] = {
        "measure": measure,
        "location_id": loc_id,
        "start": start,
        "text": value,
        "error": None,
        "saved": False,
        "can_edit": True,
    }
    error = None
    number = None
    if loc_id is None:
        error = svc.MSG_LOCATION_UNKNOWN
    elif start is None:
        error = svc.MSG_MONTH_START if measure.period == "month" else svc.MSG_WEEK_START
    else:
        try:
            number = svc.value_parse(value)
        except ValueError as exc:
            error = str(exc)
    if error is None:
        try:
            svc.measure_value_set(
                session=tenant.session,
                measure=measure,
                location_id=loc_id,  # type: ignore[arg-type]
                period_start=start,  # type: ignore[arg-type]
                value=number,
                actor_id=tenant.user_id,
            )
        except DomainError as exc:
            error = exc.message
        else:
            cell.update(saved=True, text=svc.value_text(number))
    cell["error"] = error
    location = tenant.session.get(Location, loc_id) if loc_id is not None else None
    caption = svc.period_caption(start, measure.period) if start else ""
    cell["label"] = f"{measure.name}, {location.name if location else ''}, {caption}"
    if not request.headers.get("hx-request"):
        if error:
            flash(request, error, "error")
        else:
            flash(request, "Saved.")
        return redirect(request, f"/touchpoints/{touchpoint.id}/measures")
    return render(
        request,
        "touchpoints/measures.html",
        {**cell, "cell_only": True},
        fragment="touchpoints/_measure_cell.html",
        status_code=400 if error else 200,
    )
