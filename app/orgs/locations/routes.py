"""Owner pages for locations, edited inline with htmx."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.errors import DomainError
from app.forms import domain_errors, parse_form
from app.orgs import queries, services
from app.orgs.coordinates import coordinates_parse, coordinates_text
from app.orgs.deps import LocationDep
from app.orgs.models import Location, LocationCreate, LocationUpdate
from app.templating import render
from app.tenancy import OwnerDep

router = APIRouter(include_in_schema=False)

EMPTY_FORM = {"name": "", "address": "", "region": "", "staff_names": "", "coordinates": ""}


def _list_context(tenant: OwnerDep, **extra: object) -> dict[str, object]:
    locations = queries.locations_list(session=tenant.session)
    regions = sorted({loc.region for loc in locations if loc.region})
    return {"locations": locations, "regions": regions, "errors": {}, "form": EMPTY_FORM, **extra}


def _form_of(location: Location) -> dict[str, str]:
    form = location.model_dump(include={"name", "address", "region"})
    form["staff_names"] = ", ".join(location.staff_names or [])
    form["coordinates"] = coordinates_text(location.latitude, location.longitude)
    return form


def _with_coordinates(form: dict[str, str]) -> tuple[dict[str, object], dict[str, str]]:
    """The form's values for the model, the one "coordinates" field read as latitude and
    longitude; the field's own error when it cannot be read."""
    values: dict[str, object] = {k: v for k, v in form.items() if k != "coordinates"}
    try:
        point = coordinates_parse(form["coordinates"])
    except ValueError as exc:
        return values, {"coordinates": str(exc)}
    values["latitude"], values["longitude"] = point if point else (None, None)
    return values, {}


def _parse(
    model: type[LocationCreate] | type[LocationUpdate], form: dict[str, str]
) -> tuple[LocationCreate | LocationUpdate | None, dict[str, str]]:
    values, point_errors = _with_coordinates(form)
    data, errors = parse_form(model, values)
    # The model's words about latitude or longitude belong next to the one field.
    for name in ("latitude", "longitude"):
        if name in errors:
            point_errors.setdefault("coordinates", errors.pop(name))
    errors |= point_errors
    return (None if errors else data), errors


@router.get("/locations")
def locations_page(request: Request, tenant: OwnerDep) -> Response:
    return render(request, "orgs/locations.html", _list_context(tenant))


@router.post("/locations")
def location_create(
    request: Request,
    tenant: OwnerDep,
    name: Annotated[str, Form()] = "",
    address: Annotated[str, Form()] = "",
    region: Annotated[str, Form()] = "",
    staff_names: Annotated[str, Form()] = "",
    coordinates: Annotated[str, Form()] = "",
) -> Response:
    form = {
        "name": name,
        "address": address,
        "region": region,
        "staff_names": staff_names,
        "coordinates": coordinates,
    }
    data, errors = _parse(LocationCreate, form)
    created = None
    if isinstance(data, LocationCreate):
        try:
            created = services.location_create(
                session=tenant.session, org_id=tenant.org_id, data=data
            )
        except DomainError as exc:
            errors = domain_errors(exc)
    context = _list_context(
        tenant, errors=errors, form=form if errors else EMPTY_FORM, created=created
    )
    return render(
        request,
        "orgs/locations.html",
        context,
        fragment="orgs/_locations_panel.html",
        status_code=400 if errors else 200,
    )


@router.get("/locations/{location_id}/edit")
def location_edit_form(request: Request, tenant: OwnerDep, location: LocationDep) -> Response:
    return render(
        request,
        "orgs/location_edit.html",
        {"location": location, "form": _form_of(location), "errors": {}},
        fragment="orgs/_location_edit_row.html",
    )


@router.get("/locations/{location_id}")
def location_row(request: Request, tenant: OwnerDep, location: LocationDep) -> Response:
    """The read-only row (htmx uses it to cancel an edit); a full page otherwise."""
    return render(
        request,
        "orgs/location_edit.html",
        {"location": location, "form": _form_of(location), "errors": {}},
        fragment="orgs/_location_row.html",
    )


@router.post("/locations/{location_id}")
def location_update(
    request: Request,
    tenant: OwnerDep,
    location: LocationDep,
    name: Annotated[str, Form()] = "",
    address: Annotated[str, Form()] = "",
    region: Annotated[str, Form()] = "",
    staff_names: Annotated[str, Form()] = "",
    coordinates: Annotated[str, Form()] = "",
) -> Response:
    form = {
        "name": name,
        "address": address,
        "region": region,
        "staff_names": staff_names,
        "coordinates": coordinates,
    }
    data, errors = _parse(LocationUpdate, form)
    if isinstance(data, LocationUpdate):
        try:
            services.location_update(session=tenant.session, location=location, data=data)
        except DomainError as exc:
            errors = domain_errors(exc)
    if errors:
        return render(
            request,
            "orgs/location_edit.html",
            {"location": location, "form": form, "errors": errors},
            fragment="orgs/_location_edit_row.html",
            status_code=400,
        )
    return render(
        request,
        "orgs/location_edit.html",
        {"location": location, "form": form, "errors": {}, "saved": True},
        fragment="orgs/_location_row.html",
    )


@router.post("/locations/{location_id}/delete")
def location_delete(request: Request, tenant: OwnerDep, location: LocationDep) -> Response:
    services.location_delete(session=tenant.session, location=location)
    return render(
        request, "orgs/locations.html", _list_context(tenant), fragment="orgs/_locations_panel.html"
    )
