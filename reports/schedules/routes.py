"""The owners' schedules page, beside the printing on the reports page: add, change, pause,
resume and delete reports that are e-mailed by themselves."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.errors import DomainError
from app.forms import domain_errors
from app.i18n.catalogs import N_
from app.i18n.message import message
from app.templating import flash, redirect, render
from app.tenancy import OwnerDep, Tenant, path_loader
from reports.filters import PAPERS
from reports.schedules import services
from reports.schedules.models import ReportSchedule
from reports.schedules.occurrences import WEEKDAYS
from reports.schedules.queries import schedule_views
from reports.schedules.services import ScheduleInput
from reports.summary import org_locations, org_regions
from touchpoints import queries as journey_queries

router = APIRouter(include_in_schema=False)
ScheduleDep = Annotated[ReportSchedule, Depends(path_loader(ReportSchedule))]
PAGE = "/reports/schedules"
MSG_ADDED = N_("Schedule added: %(when)s.")
MSG_SAVED = N_("Schedule saved: %(when)s.")
MSG_PAUSED = "Schedule paused: nothing is sent until you resume it."
MSG_RESUMED = "Schedule resumed: the next report goes at its next time."
MSG_DELETED = "Schedule deleted."
BLANK: dict[str, Any] = {
    "report": "pack",
    "period": "month",
    "locations": [],
    "region": "",
    "paper": "a4",
    "frequency": "weekly",
    "weekday": "0",
    "month_day": "1",
    "hour": "8",
    "recipients": "",
}


async def _input(request: Request) -> tuple[ScheduleInput, dict[str, Any]]:
    form = await request.form()
    text = {name: str(form.get(name, "")) for name in BLANK if name != "locations"}
    locations = [str(v) for v in form.getlist("location")]
    raw = ScheduleInput(**text, locations=tuple(locations))
    return raw, {**text, "locations": locations}


def _form_of(schedule: ReportSchedule) -> dict[str, Any]:
    return {
        "report": "pack" if schedule.kind == "pack" else str(schedule.touchpoint_id),
        "period": schedule.period,
        "locations": [str(i) for i in schedule.location_ids or []],
        "region": schedule.region,
        "paper": schedule.paper,
        "frequency": schedule.frequency,
        "weekday": str(schedule.weekday),
        "month_day": str(schedule.month_day),
        "hour": str(schedule.hour),
        "recipients": schedule.recipients,
    }


def _page(
    request: Request,
    tenant: Tenant,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    editing: ReportSchedule | None = None,
    status_code: int = 200,
) -> Response:
    session = tenant.session
    touchpoints = [tp for stage in journey_queries.journey(session) for tp in stage.touchpoints]
    return render(
        request,
        "reports/schedules.html",
        {
            "views": schedule_views(session, tenant.org),
            "form": form or BLANK,
            "errors": errors or {},
            "editing": editing,
            "touchpoints": touchpoints,
            "all_locations": org_locations(session),
            "regions": org_regions(session),
            "PAPERS": PAPERS,
            "WEEKDAYS": WEEKDAYS,
            "tz": tenant.org.timezone,
            "mail_on": request.app.state.settings.smtp_enabled,
        },
        status_code=status_code,
    )


@router.get(PAGE)
def schedules_page(request: Request, tenant: OwnerDep) -> Response:
    return _page(request, tenant)


@router.post(PAGE)
async def schedule_add(request: Request, tenant: OwnerDep) -> Response:
    raw, form = await _input(request)
    try:
        schedule = services.schedule_create(
            session=tenant.session, org=tenant.org, user_id=tenant.user_id, raw=raw
        )
    except DomainError as exc:
        return _page(request, tenant, form=form, errors=domain_errors(exc), status_code=400)
    view = next(v for v in schedule_views(tenant.session, tenant.org) if v.schedule is schedule)
    flash(request, message(MSG_ADDED, when=view.when))
    return redirect(request, PAGE)


@router.get(PAGE + "/{report_schedule_id}/edit")
def schedule_edit_page(request: Request, tenant: OwnerDep, schedule: ScheduleDep) -> Response:
    return _page(request, tenant, form=_form_of(schedule), editing=schedule)


@router.post(PAGE + "/{report_schedule_id}")
async def schedule_save(request: Request, tenant: OwnerDep, schedule: ScheduleDep) -> Response:
    raw, form = await _input(request)
    try:
        services.schedule_update(session=tenant.session, org=tenant.org, schedule=schedule, raw=raw)
    except DomainError as exc:
        tenant.session.rollback()
        return _page(
            request, tenant, form=form, errors=domain_errors(exc), editing=schedule, status_code=400
        )
    view = next(v for v in schedule_views(tenant.session, tenant.org) if v.schedule is schedule)
    flash(request, message(MSG_SAVED, when=view.when))
    return redirect(request, PAGE)


@router.post(PAGE + "/{report_schedule_id}/pause")
def schedule_pause(request: Request, tenant: OwnerDep, schedule: ScheduleDep) -> Response:
    paused = not schedule.paused
    services.schedule_pause(session=tenant.session, schedule=schedule, paused=paused)
    flash(request, MSG_PAUSED if paused else MSG_RESUMED)
    return redirect(request, PAGE)


@router.post(PAGE + "/{report_schedule_id}/delete")
def schedule_remove(request: Request, tenant: OwnerDep, schedule: ScheduleDep) -> Response:
    services.schedule_delete(session=tenant.session, schedule=schedule)
    flash(request, MSG_DELETED)
    return redirect(request, PAGE)
