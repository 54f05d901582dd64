"""The shopper's phone pages: my shops and the fill flow that never loses an answer.

Answers arrive one at a time from the page's offline queue (touchstone-queue.js) as small
JSON posts under an id made on the phone; they answer JSON so the queue can tell "kept"
from "refused, show the message next to the question" from "try again later".

"Kept" is an acknowledgement that names what was kept (`ack` says of what kind, plus the
ids the phone sent and the values stored): the queue drops an item only on an
acknowledgement that matches it, never on a bare 200, a redirect or an HTML page
(docs/reliability.md). A queue request whose login has ended gets 401 JSON (app/main.py).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, Response

from app.config import Settings
from app.db import in_transaction
from app.errors import DomainError
from app.i18n.catalogs import ngettext
from app.i18n.current import request_language
from app.i18n.languages import DEFAULT_LANGUAGE, locale_of
from app.i18n.message import text_in
from app.modelbase import ident, utcnow
from app.orgs.models import Location, Role
from app.templating import HTMX_FILE, STATIC_PREFIX, flash, redirect, render
from app.tenancy import Tenant, require_role
from audits import queries
from audits.board.queries import job_cards, visit_rules, window_refusal
from audits.deps import ShopDep
from audits.expenses import queries as expense_queries
from audits.feedback import queries as feedback_queries
from audits.languages.queries import shop_wording
from audits.models import OPEN_STATES, Shop, ShopStatus
from audits.photos import services as photos
from audits.proof.queries import visit_start_state
from audits.proof.services import proof_opened
from audits.queries import Section, handin_missing, shop_progress, shop_sections
from audits.services import (
    AnswerInput,
    SavedAnswer,
    answer_upsert,
    phone_time,
    section_comment_record,
    shop_submit,
    shop_visit_record,
)

router = APIRouter(include_in_schema=False)

ShopperDep = Annotated[Tenant, Depends(require_role(Role.shopper))]
SeerDep = Annotated[Tenant, Depends(require_role(Role.owner, Role.shopper, Role.viewer))]

SW_FILE = __import__("pathlib").Path(__file__).parents[2] / "app" / "static" / "touchstone-sw.js"
# Multipart framing around one photo; anything past this is refused before it is read.
UPLOAD_SLACK = 64 * 1024


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


# What the service worker keeps for pages opened without signal.
SW_STATIC = (
    "touchstone.css",
    "touchstone.js",
    "touchstone-queue.js",
    HTMX_FILE,
    "favicon.svg",
    "touchstone-conditions.js",
)


@lru_cache(maxsize=1)
def static_digest() -> str:
    """A name for this release's static files: it changes when any of them does."""
    digest = hashlib.sha256(SW_FILE.read_bytes())
    for name in SW_STATIC:
        digest.update((SW_FILE.parent / name).read_bytes())
    return digest.hexdigest()[:12]


@router.get("/sw.js")
def service_worker(request: Request, tenant: ShopperDep) -> Response:
    """The service worker lives at the root so its scope covers /shops/ and the home page.

    Its text names the release, so a deployment with other static files is a new worker to
    the phone (docs/reliability.md, "Updates").
    """
    release = _settings(request).release or static_digest()
    files = json.dumps([STATIC_PREFIX + name for name in SW_STATIC])
    return Response(
        SW_FILE.read_text()
        .replace("__STATIC_FILES__", files)
        .replace("__RELEASE__", re.sub(r"[^A-Za-z0-9._-]", "-", release)),
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


def _answer_state(sections: list[Section]) -> dict[int, dict[str, Any]]:
    return {
        qid: {
            "id": str(a.id),
            "value": a.value,
            "na": a.not_applicable,
            "comment": a.comment,
            # The phone compares these with its own copy: the newer one is shown.
            "given_at": _iso(a.given_at),
            "revision": a.revision,
        }
        for s in sections
        for qid, a in s.answers.items()
    }


def _iso(value: datetime) -> str:
    """A stored time as the phone's `Date` reads it: UTC, with its offset."""
    return value.astimezone(UTC).isoformat()


def _local_input(value: datetime | None, tz: str) -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M")


def _visit_recap(shop: Shop, tz: str, lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """The visit as the check screen reads it back: "Monday 5 January 2026", "10:30",
    "20 minutes" ("lunes, 5 de enero de 2026" in Spanish); an empty string where the
    shopper has not given it yet."""
    recap = {"date": "", "time": "", "length": ""}
    if shop.visited_at is not None:
        local = shop.visited_at.astimezone(ZoneInfo(tz))
        if lang == DEFAULT_LANGUAGE:
            recap["date"] = f"{local:%A} {local.day} {local:%B %Y}"
        else:
            recap["date"] = format_date(local, "full", locale=locale_of(lang))
        recap["time"] = f"{local:%H:%M}"
    if shop.duration_minutes is not None:
        minutes = shop.duration_minutes
        recap["length"] = ngettext("%(num)s minute", "%(num)s minutes", minutes, lang)
    return recap


@router.get("/shops/{shop_id}/fill")
def fill_page(
    request: Request,
    tenant: ShopperDep,
    shop: ShopDep,
    section: Annotated[int, Query(ge=0, le=1000)] = 0,
    missing: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    session = tenant.session
    if shop.status in OPEN_STATES:
        # Proof of visit: the first opening, by the server's clock (audits/proof), before
        # anything is loaded for the page (its commit would expire it all).
        proof_opened(session=session, shop=shop, now=utcnow())
    sections = shop_sections(session, shop)
    location = session.get(Location, shop.location_id)
    answered, total = shop_progress(sections)
    context: dict[str, Any] = {
        "shop": shop,
        "location": location,
        "sections": sections,
        "answered": answered,
        "total": total,
        "tz": tenant.org.timezone,
        # The checklist in the language the shopper picked (audits/languages).
        "wording": shop_wording(shop, tenant.org, sections),
    }
    # The reviewer's notes: what to fix (by question) on a returned shop, how it went on an
    # approved one; the shopper answers each in place (audits.feedback).
    notes = feedback_queries.shop_notes(session, shop)
    context["review_notes"] = feedback_queries.return_notes_by_question(notes)
    context["approval_notes"] = feedback_queries.approval_notes(notes)
    now = utcnow()
    # What the shopper needs to go: the address with a map link, the window, the fee.
    context["go"] = job_cards(session, [shop], tz=tenant.org.timezone, now=now)[0]
    if shop.status not in OPEN_STATES:
        return render(request, "audits/shopper_done.html", context)
    # Proof of visit: the start button's state, and whether it asks for a location check.
    context["visit_start"] = visit_start_state(session, shop)
    last = len(sections) + 1  # 0: the visit, 1..n: touchpoints, n+1: check and hand in
    index = min(section, last)
    # Shown by the show-when rules and the answers the server holds; the page's script
    # (touchstone-conditions.js) judges again with what the phone holds, at every answer.
    shown = {qid: seen for s in sections for qid, seen in s.shown().items()}
    hidden_ids = sorted(qid for qid, seen in shown.items() if not seen)
    # What hand-in waits for: listed on the check screen, and said next to the question a
    # refused hand-in leads back to.
    problems = handin_missing(session, shop, sections) if index == last or missing else []
    context.update(
        q_shown=shown,
        hidden_ids=hidden_ids,
        answered=sum(1 for s in sections for qid in s.answers if shown.get(qid, True)),
        total_shown=total - len(hidden_ids),
        # Each section's "answered of asked", of the questions shown (the check screen).
        section_counts=[
            (
                sum(1 for qid in s.answers if shown.get(qid, True)),
                sum(1 for q in s.questions if shown.get(ident(q), True)),
            )
            for s in sections
        ],
        problems={ident(m.question): m.message for m in problems},
        problem_list=problems,
    )
    context.update(
        index=index,
        last=last,
        current=sections[index - 1] if 0 < index < last else None,
        answers=_answer_state(sections),
        # The receipt on the check screen: when the server last stored one of these answers.
        last_saved=max((a.updated_at for s in sections for a in s.answers.values()), default=None),
        photos=photos.photos_by_question(session, shop),
        section_comments=queries.section_comments(session, shop),
        visited_at=_local_input(shop.visited_at, tenant.org.timezone),
        missing=[m.question for m in problems if m.what == "answer"] if index == last else [],
        recap=_visit_recap(shop, tenant.org.timezone, request_language(request))
        if index == last
        else None,
        # Every screen of this shop, so a reload without signal still finds each one.
        precache=["/"] + [f"/shops/{ident(shop)}/fill?section={i}" for i in range(last + 1)],
        section_of={ident(q): i for i, s in enumerate(sections, start=1) for q in s.questions},
        question_text={ident(q): q.text for s in sections for q in s.questions},
        # The visit rules refuse a start outside the window: said before anything is typed.
        # Expense claims (audits/expenses), on the check screen.
        expenses=expense_queries.shop_expenses(session, shop) if index == last else [],
        receipt_required=expense_queries.receipt_required(session),
        start_refused=window_refusal(visit_rules(session), shop, tenant.org.timezone, now)
        if shop.status == ShopStatus.assigned
        else None,
    )
    return render(request, "audits/shopper_fill.html", context)


def _refused(request: Request, exc: DomainError, **extra: Any) -> JSONResponse:
    return JSONResponse(
        {"detail": text_in(exc.message, request_language(request)), "field": exc.field, **extra},
        status_code=exc.status_code,
    )


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise DomainError("Send the answer as a JSON object.")
    return body


@router.post("/shops/{shop_id}/answers")
async def answer_save(request: Request, tenant: ShopperDep, shop: ShopDep) -> Response:
    """Keep one answer (upsert on the phone's id): JSON in, JSON out, for the offline queue."""
    try:
        body = await _json(request)
    except DomainError as exc:
        return _refused(request, exc)
    question_id = body.get("question_id")
    try:
        data = answer_input(body)
    except ValueError:
        return _refused(request, DomainError("The answer's id is not valid.", field="id"))
    except DomainError as exc:
        return _refused(request, exc, question_id=question_id)
    answer_id = data.id

    def save() -> dict[str, Any]:
        saved = answer_upsert(
            session=tenant.session,
            shop=shop,
            actor_id=tenant.user_id,
            data=data,
            with_progress=True,
        )
        return answer_ack(ident(shop), answer_id, saved)

    try:
        return JSONResponse(await in_transaction(tenant.session, save))
    except DomainError as exc:
        tenant.session.rollback()
        return _refused(request, exc, question_id=question_id)


def answer_input(body: Any) -> AnswerInput:
    """The answer a page save's JSON body sends, or DomainError (ValueError for a bad id)."""
    if not isinstance(body, dict):
        raise DomainError("Send the answer as a JSON object.")
    question_id = body.get("question_id")
    answer_id = uuid.UUID(str(body.get("id")))
    if not isinstance(question_id, int) or isinstance(question_id, bool):
        raise DomainError("Say which question this answers.", field="question_id")
    comment = body.get("comment") or ""
    if not isinstance(comment, str):
        raise DomainError("Write the comment as text.", field="comment")
    return AnswerInput(
        id=answer_id,
        question_id=question_id,
        value=body.get("value"),
        not_applicable=body.get("not_applicable") is True,
        comment=comment,
        given_at=phone_time(body.get("given_at")),
    )


def answer_ack(shop_id: int, answer_id: uuid.UUID, saved: SavedAnswer) -> dict[str, Any]:
    """What the offline queue needs to drop the item: the acknowledgement of a kept answer
    (also the quick save's, audits/fill/lane.py)."""
    answer = saved.answer
    assert saved.progress is not None
    answered, total = saved.progress
    return {
        "ok": True,
        "ack": "answer",
        "shop_id": shop_id,
        # The id the phone sent, and the id the answer is kept under: the same, unless
        # the server already held this question's answer under another id.
        "sent_id": str(answer_id),
        "id": str(answer.id),
        "question_id": answer.question_id,
        "value": answer.value,
        "not_applicable": answer.not_applicable,
        "comment": answer.comment,
        # False: the server holds an answer given later (by the shopper's time) on
        # another device; the values above are that newer answer, and nothing changed.
        "applied": saved.applied,
        "given_at": _iso(answer.given_at),
        "revision": answer.revision,
        "answered": answered,
        "total": total,
    }


def _parse_local(value: str, tz: str) -> datetime | None:
    if not value.strip():
        return None
    try:
        local = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise DomainError("Give the date and time of the visit.", field="visited_at") from exc
    if local.tzinfo is None:
        local = local.replace(tzinfo=ZoneInfo(tz))
    return local


@router.post("/shops/{shop_id}/visit")
async def visit_save(request: Request, tenant: ShopperDep, shop: ShopDep) -> Response:
    """Visit date, time and length (and on the last screen the overall remarks)."""
    try:
        body = await _json(request)
        visited = _parse_local(str(body.get("visited_at") or ""), tenant.org.timezone)
        raw_minutes = str(body.get("duration_minutes") or "").strip()
        try:
            minutes = int(raw_minutes) if raw_minutes else None
        except ValueError as exc:
            raise DomainError(
                "Give the visit's length in whole minutes.", field="duration_minutes"
            ) from exc
        comment = body.get("comment")

        def save() -> dict[str, Any]:
            saved = shop_visit_record(
                session=tenant.session,
                shop=shop,
                actor_id=tenant.user_id,
                visited_at=visited if "visited_at" in body else shop.visited_at,
                duration_minutes=minutes if "duration_minutes" in body else shop.duration_minutes,
                comment=comment if isinstance(comment, str) else None,
            )
            return {
                "ok": True,
                "ack": "visit",
                "shop_id": ident(saved),
                # The fields this request carried, each kept as the values below say.
                "fields": sorted(
                    k for k in ("visited_at", "duration_minutes", "comment") if k in body
                ),
                "visited_at": saved.visited_at.isoformat() if saved.visited_at else None,
                "duration_minutes": saved.duration_minutes,
                "comment": saved.comment,
            }

        return JSONResponse(await run_in_threadpool(save))
    except DomainError as exc:
        tenant.session.rollback()
        return _refused(request, exc)


@router.post("/shops/{shop_id}/section-comment")
async def section_comment_save(request: Request, tenant: ShopperDep, shop: ShopDep) -> Response:
    try:
        body = await _json(request)
        touchpoint_id = body.get("touchpoint_id")
        comment = body.get("comment") or ""
        if not isinstance(touchpoint_id, int) or not isinstance(comment, str):
            raise DomainError("Say which section the comment is about.", field="touchpoint_id")

        def save() -> dict[str, Any]:
            link = section_comment_record(
                session=tenant.session,
                shop=shop,
                actor_id=tenant.user_id,
                touchpoint_id=touchpoint_id,
                comment=comment,
            )
            return {
                "ok": True,
                "ack": "section-comment",
                "shop_id": ident(shop),
                "touchpoint_id": link.touchpoint_id,
                "comment": link.comment,
            }

        return JSONResponse(await run_in_threadpool(save))
    except DomainError as exc:
        tenant.session.rollback()
        return _refused(request, exc, touchpoint_id=touchpoint_id)


@router.post("/shops/{shop_id}/submit")
def submit(
    request: Request,
    tenant: ShopperDep,
    shop: ShopDep,
    comment: Annotated[str | None, Form()] = None,
) -> Response:
    """Hand the shop in; pressing twice lands on the same "handed in" page."""
    session = tenant.session
    try:
        if comment is not None and shop.status in OPEN_STATES:
            shop_visit_record(
                session=session,
                shop=shop,
                actor_id=tenant.user_id,
                visited_at=shop.visited_at,
                duration_minutes=shop.duration_minutes,
                comment=comment,
            )
        shop_submit(session=session, shop=shop, actor_id=tenant.user_id)
    except DomainError as exc:
        session.rollback()
        flash(request, exc.message, "error")
        target = f"/shops/{ident(shop)}/fill"
        if exc.field and exc.field.startswith("expense-"):
            # A claim without its receipt: the check screen, where the expense says so.
            last = len(shop_sections(session, shop)) + 1
            return redirect(request, f"{target}?section={last}#{exc.field}")
        if exc.field and exc.field.startswith("question-"):
            question_id = int(exc.field.removeprefix("question-"))
            for i, section in enumerate(shop_sections(session, shop), start=1):
                if any(q.id == question_id for q in section.questions):
                    target += f"?section={i}&missing={question_id}#q-{question_id}"
                    break
        return redirect(request, target)
    return redirect(request, f"/shops/{ident(shop)}/fill")


async def read_upload(request: Request, field: str = "photo") -> tuple[bytes, uuid.UUID | None]:
    """The uploaded picture's bytes (form part `photo`) and the id the phone gave it (if any);
    errors name `field` (a question's photo, or an expense's receipt).

    An oversized body is refused before it is read where possible.
    """
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > photos.MAX_BYTES + UPLOAD_SLACK:
        raise photos.PhotoTooLarge(photos.MSG_TOO_LARGE, field=field)
    form = await request.form(max_files=1, max_fields=5)
    given = form.get("id")
    photo_id = None
    if given is not None and given != "":
        try:
            photo_id = uuid.UUID(str(given))
        except ValueError:
            await form.close()
            raise DomainError(photos.MSG_BAD_ID, field="id") from None
    upload = form.get("photo")
    if upload is None or isinstance(upload, str):
        await form.close()
        raise DomainError("Choose a photo to send.", field=field)
    raw = await upload.read(photos.MAX_BYTES + 1)
    await form.close()
    if len(raw) > photos.MAX_BYTES:
        raise photos.PhotoTooLarge(photos.MSG_TOO_LARGE, field=field)
    return raw, photo_id


async def photo_upload(
    request: Request, tenant: Tenant, shop: Shop, answer_id: uuid.UUID, *, ack: bool = False
) -> JSONResponse:
    """Shared by the page and the API: read, check, clean and store one photo.

    201 for a new photo; 200 with the stored photo when its id was already sent (a retry).
    """
    raw, photo_id = await read_upload(request)
    data_dir = _settings(request).data_dir

    def save() -> JSONResponse:
        try:
            photo, created = photos.photo_add(
                session=tenant.session,
                shop=shop,
                actor_id=tenant.user_id,
                answer_id=answer_id,
                raw=raw,
                data_dir=data_dir,
                photo_id=photo_id,
            )
        except DomainError:
            tenant.session.rollback()
            raise
        body: dict[str, Any] = {"ack": "photo"} if ack else {}
        body |= {
            "id": str(photo.id),
            "answer_id": str(photo.answer_id),
            "url": f"/shops/{ident(shop)}/photos/{photo.id}",
            "content_type": photo.content_type,
            "width": photo.width,
            "height": photo.height,
            "bytes": photo.bytes,
        }
        return JSONResponse(body, status_code=201 if created else 200)

    return await run_in_threadpool(save)


@router.post("/shops/{shop_id}/answers/{answer_id}/photos")
async def photo_add_page(
    request: Request, tenant: ShopperDep, shop: ShopDep, answer_id: uuid.UUID
) -> Response:
    try:
        # The page's queue reads `ack`; the API's documented shape (fill/api.py) stays as is.
        return await photo_upload(request, tenant, shop, answer_id, ack=True)
    except DomainError as exc:
        return _refused(request, exc)


@router.post("/shops/{shop_id}/photos/{photo_id}/remove")
def photo_remove_page(
    request: Request, tenant: ShopperDep, shop: ShopDep, photo_id: uuid.UUID
) -> Response:
    """A photo added by mistake, taken off through the phone's queue (so it works offline)."""
    try:
        removed = photos.photo_remove(
            session=tenant.session,
            shop=shop,
            actor_id=tenant.user_id,
            photo_id=photo_id,
            data_dir=_settings(request).data_dir,
        )
    except DomainError as exc:
        tenant.session.rollback()
        return _refused(request, exc, photo_id=str(photo_id))
    # Acknowledged by name even when it was gone already (a resend after a lost reply).
    return JSONResponse(
        {
            "ok": True,
            "ack": "photo-removed",
            "shop_id": ident(shop),
            "photo_id": str(photo_id),
            "removed": removed,
        }
    )


@router.get("/shops/{shop_id}/photos/{photo_id}")
def photo_show(request: Request, tenant: SeerDep, shop: ShopDep, photo_id: uuid.UUID) -> Response:
    data_dir = _settings(request).data_dir
    photo = photos.photo_file(
        session=tenant.session, shop=shop, photo_id=photo_id, data_dir=data_dir
    )
    return FileResponse(
        data_dir / photo.path,
        media_type=photo.content_type,
        headers={"Cache-Control": "private, max-age=86400"},
    )
