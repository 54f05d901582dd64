"""Owner pages for journey files: download the journey or a touchpoint, and import a file in
three steps — upload, a preview of what will be added, confirm."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.errors import DomainError
from app.templating import flash, redirect, render
from app.tenancy import OwnerDep, Tenant
from touchpoints import queries as journey_queries
from touchpoints.deps import TouchpointDep
from touchpoints.transfer import document, queries, services
from touchpoints.transfer.models import FileProblem, JourneyFile

router = APIRouter(include_in_schema=False)

PAGE = "/journey/transfer"
UPLOAD_SLACK = 64 * 1024  # room for the multipart framing and the other form fields
MSG_NO_FILE = "Choose a journey file (.json) to import."
MSG_NO_DOCUMENT = "The file to import went missing; upload it again."


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")[:60] or "journey"


def _download(journey: JourneyFile, tenant: Tenant, filename: str) -> Response:
    text = document.dumps(document.write(journey, **queries.export_about(tenant.org.name)))
    return Response(
        text.encode("utf-8"),
        media_type="application/json; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _page(request: Request, tenant: Tenant, status_code: int = 200, **extra: Any) -> Response:
    journey = journey_queries.journey(tenant.session)
    context: dict[str, Any] = {
        "stage_count": len(journey),
        "touchpoint_count": sum(len(v.touchpoints) for v in journey),
        "problems": None,
        "filename": "",
        "plan": None,
        "document_text": "",
        "error": None,
        **extra,
    }
    return render(request, "touchpoints/transfer.html", context, status_code=status_code)


@router.get(PAGE)
def transfer_page(request: Request, tenant: OwnerDep) -> Response:
    return _page(request, tenant)


@router.get("/journey/export.json")
def journey_download(tenant: OwnerDep) -> Response:
    journey = queries.journey_file(tenant.session, org_name=tenant.org.name)
    return _download(journey, tenant, f"{_slug(tenant.org.name)}-journey.json")


@router.get("/touchpoints/{touchpoint_id}/export.json")
def touchpoint_download(tenant: OwnerDep, touchpoint: TouchpointDep) -> Response:
    journey = queries.touchpoint_file(tenant.session, touchpoint)
    return _download(journey, tenant, f"{_slug(touchpoint.name)}.json")


async def _upload(request: Request) -> tuple[bytes, str] | None:
    """The uploaded file's bytes (at most one byte past the limit) and name, or None."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > document.MAX_BYTES + UPLOAD_SLACK:
        return bytes(document.MAX_BYTES + 1), "the file"
    form = await request.form(max_files=1, max_fields=5)
    upload = form.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        return None
    raw = await upload.read(document.MAX_BYTES + 1)
    await upload.close()
    return raw, upload.filename


def _checked(request: Request, tenant: Tenant, raw: bytes, filename: str) -> JourneyFile | Response:
    """The file's journey, or the page listing its problems (400)."""
    try:
        return document.read(raw, languages=list(tenant.org.languages))
    except document.FileRefused as exc:
        return _page(request, tenant, 400, problems=exc.problems, filename=filename)


@router.post("/journey/import")
async def import_preview(request: Request, tenant: OwnerDep) -> Response:
    """Step two: the file is read and checked, and the page shows what it would add."""
    got = await _upload(request)
    if got is None:
        return _page(request, tenant, 400, error=MSG_NO_FILE)
    raw, filename = got
    journey = _checked(request, tenant, raw, filename)
    if isinstance(journey, Response):
        return journey
    return _page(
        request,
        tenant,
        plan=queries.import_plan(tenant.session, journey),
        filename=filename,
        # The confirm form carries the file back: nothing is kept on the server between the
        # steps, and the confirm step reads and checks it again.
        document_text=document.dumps(document.write(journey)),
    )


@router.post("/journey/import/confirm")
async def import_confirm(request: Request, tenant: OwnerDep) -> Response:
    form = await request.form(max_fields=5)
    text = form.get("document")
    filename = str(form.get("filename") or "the file")
    if not isinstance(text, str) or not text.strip():
        return _page(request, tenant, 400, error=MSG_NO_DOCUMENT)
    journey = _checked(request, tenant, text.encode("utf-8"), filename)
    if isinstance(journey, Response):
        return journey
    try:
        made = services.journey_import(
            session=tenant.session, org_id=tenant.org_id, journey=journey
        )
    except DomainError as exc:
        problem = FileProblem(message=exc.message)
        return _page(request, tenant, 400, problems=[problem], filename=filename)
    questions = sum(len(tp.questions) for s in journey.stages for tp in s.touchpoints)
    flash(
        request,
        f"Imported {filename}: {len(made)} touchpoint{'s' * (len(made) != 1)} with "
        f"{questions} question{'s' * (questions != 1)}.",
    )
    return redirect(request, "/journey")
