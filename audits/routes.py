"""Owner and staff pages for shops: planning, the review queue, reading and approving."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from functools import partial
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from starlette.datastructures import FormData
from starlette.datastructures import UploadFile as StarletteUpload

from app.errors import DomainError
from app.forms import domain_errors, parse_form
from app.i18n.catalogs import N_
from app.modelbase import ident
from app.orgs.models import Location, Role
from app.orgs.queries import locations_list
from app.orgs.staff_names import mask_staff
from app.status import target_status, worst
from app.templating import flash, redirect, render
from app.tenancy import OwnerDep, ReaderDep, Tenant
from audits import file_import, queries, services
from audits.board import services as board_services
from audits.board.queries import fee_words
from audits.deps import ShopDep
from audits.expenses import queries as expense_queries
from audits.expenses import services as expense_services
from audits.feedback import queries as feedback_queries
from audits.feedback.services import RUBRIC, rubric_checked
from audits.languages.queries import filled_in
from audits.models import OPEN_STATES, Shop, ShopStatus
from audits.proof import queries as proof_queries
from audits.services import MSG_TOUCHPOINTS_NEEDED, MSG_WINDOW, AnswerInput, ShopPlan, WavePlan
from touchpoints.models import QuestionKind
from touchpoints.queries import journey, question_counts

router = APIRouter(include_in_schema=False)

STATUS_LABELS = {
    ShopStatus.open: N_("On the job board"),
    ShopStatus.assigned: N_("Assigned"),
    ShopStatus.in_progress: N_("In progress"),
    ShopStatus.submitted: N_("Submitted"),
    ShopStatus.returned: N_("Returned"),
    ShopStatus.approved: N_("Approved"),
}
# Registered on the shared Jinja environment by app.wiring at start-up.
TEMPLATE_GLOBALS: dict[str, object] = {
    "SHOP_STATUS_LABELS": STATUS_LABELS,
    "ShopStatus": ShopStatus,
    "fee_words": fee_words,
}

MSG_DATE = "Enter a date, such as 2026-03-14."
MSG_LOCATIONS_NEEDED = "Choose at least one location."
MSG_SHOPPERS_NEEDED = "Choose at least one shopper."


# --- form helpers --------------------------------------------------------------------------


def _date(raw: str, tz: ZoneInfo, end_of_day: bool) -> datetime:
    """A date field as a UTC instant: the start of the day, or its last minute."""
    day = date.fromisoformat(raw.strip())
    if not 2000 <= day.year <= 2100:  # far-off years overflow when turned into UTC
        raise ValueError(raw)
    moment = time(23, 59) if end_of_day else time(0, 0)
    return datetime.combine(day, moment, tzinfo=tz)


def _dates(
    form: dict[str, Any], tz: ZoneInfo, fields: dict[str, bool], errors: dict[str, str]
) -> dict[str, datetime | None]:
    parsed: dict[str, datetime | None] = {}
    for name, end in fields.items():
        raw = str(form.get(name) or "").strip()
        if not raw:
            parsed[name] = None
            continue
        try:
            parsed[name] = _date(raw, tz, end)
        except ValueError:
            errors[name] = MSG_DATE
            parsed[name] = None
    # Checked here as well as in the plan shape, so it shows even while other fields fail.
    first, last = (parsed[name] for name in fields)
    if first and last and last <= first:
        errors.setdefault(list(fields)[1], MSG_WINDOW)
    return parsed


def _fee_fields(raw: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """The plan forms' fee (as typed: "25.50"), currency and "post on the job board"."""
    currency = str(raw.get("fee_currency") or "").strip()
    fee_minor = None
    try:
        fee_minor = board_services.fee_from_text(str(raw.get("fee") or ""), currency)
        board_services.check_fee(fee_minor, currency)
    except DomainError as exc:
        errors.update(domain_errors(exc))
    return {"fee_minor": fee_minor, "fee_currency": currency, "post": bool(raw.get("post"))}


def _ints(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.strip().isdigit()]


def _friendlier(errors: dict[str, str], window_field: str, lists: dict[str, str]) -> None:
    """Put the messages of whole-form rules and empty lists where the reader will look."""
    if errors.get("__all__") == MSG_WINDOW:
        errors.setdefault(window_field, errors.pop("__all__"))
    for name, message in lists.items():
        if name in errors:
            errors[name] = message


PAGE_SIZE = 50


def _panel_context(
    tenant: Tenant,
    status: ShopStatus | None,
    page: int = 1,
    wave_id: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    is_owner = tenant.role == Role.owner
    waves = queries.waves_list(tenant.session)
    wave = next((w for w in waves if w.id == wave_id), None)
    wave_id = wave.id if wave is not None else None  # an unknown wave: every shop
    total = queries.shops_count(
        tenant.session, status=status, approved_only=not is_owner, wave_id=wave_id
    )
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    shops = queries.shops_list(
        tenant.session,
        status=status,
        approved_only=not is_owner,
        wave_id=wave_id,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    return {
        "is_owner": is_owner,
        "rows": queries.shop_rows(tenant.session, shops, with_shopper=is_owner),
        "total": total,
        "page": page,
        "pages": pages,
        "first_shown": (page - 1) * PAGE_SIZE + 1,
        "status": status,
        "waves": waves,
        "wave": wave,
        "counts": queries.shop_status_counts(tenant.session) if is_owner else {},
        "locations": locations_list(session=tenant.session) if is_owner else [],
        "journey": journey(tenant.session) if is_owner else [],
        # The picker says how many questions each touchpoint asks (none: it cannot be chosen).
        "question_counts": question_counts(tenant.session) if is_owner else {},
        "shoppers": queries.shoppers(tenant.session) if is_owner else [],
        "plan_form": {},
        "plan_errors": {},
        "wave_form": {},
        "wave_errors": {},
        "wave_preview": None,
        "notice": None,
        **extra,
    }


def _panel(
    request: Request,
    tenant: Tenant,
    status: ShopStatus | None = None,
    status_code: int = 200,
    page: int = 1,
    wave_id: int | None = None,
    **extra: Any,
) -> Response:
    return render(
        request,
        "audits/shops.html",
        _panel_context(tenant, status, page, wave_id, **extra),
        fragment="audits/_shops_panel.html",
        status_code=status_code,
    )


# --- list and planning ---------------------------------------------------------------------


@router.get("/shops")
def shops_page(
    request: Request,
    tenant: ReaderDep,
    status: Annotated[str, Query()] = "",
    page: Annotated[str, Query()] = "1",
    wave: Annotated[str, Query()] = "",
) -> Response:
    chosen = ShopStatus(status) if status in set(ShopStatus) else None
    return _panel(
        request,
        tenant,
        chosen,
        page=int(page) if page.isdigit() else 1,
        wave_id=int(wave) if wave.isdigit() else None,
    )


def _form_dict(form: FormData, lists: tuple[str, ...]) -> dict[str, Any]:
    data: dict[str, Any] = {k: str(v) for k, v in form.items() if k not in lists}
    for name in lists:
        data[name] = [str(v) for v in form.getlist(name)]
    return data


@router.post("/shops")
async def shop_plan(request: Request, tenant: OwnerDep) -> Response:
    raw = _form_dict(await request.form(), ("touchpoint_ids",))
    tz = ZoneInfo(tenant.org.timezone)
    errors: dict[str, str] = {}
    dates = _dates(raw, tz, {"due_from": False, "due_until": True}, errors)
    data, plan_errors = parse_form(
        ShopPlan,
        {
            "location_id": raw.get("location_id") or None,
            "touchpoint_ids": _ints(raw["touchpoint_ids"]),
            "shopper_id": raw.get("shopper_id") or None,
            "scenario": raw.get("scenario", ""),
            **dates,
            **_fee_fields(raw, errors),
        },
    )
    _friendlier(
        plan_errors,
        "due_until",
        {"touchpoint_ids": MSG_TOUCHPOINTS_NEEDED, "location_id": services.MSG_LOCATION_UNKNOWN},
    )
    errors = {**plan_errors, **errors}
    if data is not None and not errors:
        try:
            shop = services.shop_plan(
                session=tenant.session, org_id=tenant.org_id, data=data, actor_id=tenant.user_id
            )
        except DomainError as exc:
            errors = domain_errors(exc)
        else:
            notice = f"Shop #{shop.id} planned."
            if not request.headers.get("hx-request"):
                flash(request, notice)
                return redirect(request, "/shops")
            return _panel(request, tenant, notice=notice)
    return _panel(request, tenant, status_code=400, plan_form=raw, plan_errors=errors)


@router.post("/waves")
async def wave_plan(request: Request, tenant: OwnerDep) -> Response:
    lists = ("location_ids", "touchpoint_ids", "shopper_ids")
    raw = _form_dict(await request.form(), lists)
    tz = ZoneInfo(tenant.org.timezone)
    errors: dict[str, str] = {}
    dates = _dates(raw, tz, {"starts": False, "ends": True}, errors)
    data, wave_errors = parse_form(
        WavePlan,
        {
            "name": raw.get("name", ""),
            "location_ids": _ints(raw["location_ids"]),
            "touchpoint_ids": _ints(raw["touchpoint_ids"]),
            "shopper_ids": _ints(raw["shopper_ids"]),
            "scenario": raw.get("scenario", ""),
            **{k: v for k, v in dates.items() if v is not None},
            **_fee_fields(raw, errors),
        },
    )
    _friendlier(
        wave_errors,
        "ends",
        {
            "location_ids": MSG_LOCATIONS_NEEDED,
            "touchpoint_ids": MSG_TOUCHPOINTS_NEEDED,
            "shopper_ids": MSG_SHOPPERS_NEEDED,
        },
    )
    errors = {**wave_errors, **errors}
    if data is not None and not errors and raw.get("step") == "preview":
        # The page asks for a preview first: what the wave will make, nothing written yet.
        try:
            planned = services.wave_preview(session=tenant.session, org_id=tenant.org_id, data=data)
        except DomainError as exc:
            errors = _wave_errors(exc)
        else:
            return _panel(
                request, tenant, wave_form=raw, wave_preview=_preview_rows(tenant, planned)
            )
    elif data is not None and not errors:
        try:
            wave, shops = services.wave_plan(
                session=tenant.session, org_id=tenant.org_id, data=data, actor_id=tenant.user_id
            )
        except DomainError as exc:
            tenant.session.rollback()
            errors = _wave_errors(exc)
        else:
            notice = f"Wave “{wave.name}” planned: {len(shops)} shops."
            if not request.headers.get("hx-request"):
                flash(request, notice)
                return redirect(request, "/shops")
            return _panel(request, tenant, notice=notice)
    return _panel(request, tenant, status_code=400, wave_form=raw, wave_errors=errors)


def _wave_errors(exc: DomainError) -> dict[str, str]:
    errors = domain_errors(exc)
    # The wave's fields are plural: point the message at the list it is about.
    for single, plural in (("location_id", "location_ids"), ("shopper_id", "shopper_ids")):
        if single in errors:
            errors[plural] = errors.pop(single)
    return errors


def _preview_rows(tenant: Tenant, planned: list[services.WaveShop]) -> list[dict[str, Any]]:
    """The wave preview's table: names instead of ids."""
    names = {loc.id: loc.name for loc in locations_list(session=tenant.session)}
    shoppers = dict(queries.shoppers(tenant.session))
    return [
        {
            "location": names.get(one.location_id, "—"),
            "shopper": "On the job board"
            if one.shopper_id is None
            else shoppers.get(one.shopper_id, "—"),
            "due_from": one.due_from,
            "due_until": one.due_until,
            "touchpoints": [tp.name for tp in one.touchpoints],
        }
        for one in planned
    ]


# --- review --------------------------------------------------------------------------------


def _review_context(tenant: Tenant, **extra: Any) -> dict[str, Any]:
    shops = queries.review_queue(tenant.session)
    return {
        "rows": queries.shop_rows(tenant.session, shops, with_shopper=True),
        # Per shop: failed answers and failed critical questions (judged as now).
        "flags": {ident(s): queries.review_flags(tenant.session, s) for s in shops},
        # Proof of visit beside each shop: the review queue is the owner's alone.
        "proofs": proof_queries.proof_views(tenant.session, shops),
        "bulk_error": "",
        **extra,
    }


@router.get("/shops/review")
def review_page(request: Request, tenant: OwnerDep) -> Response:
    return render(request, "audits/review.html", _review_context(tenant))


MSG_NONE_CHOSEN = "Choose the shops to approve: tick them in the list."


@router.post("/shops/review")
def review_approve_many(
    request: Request,
    tenant: OwnerDep,
    shop_id: Annotated[list[str], Form(default_factory=list)],
) -> Response:
    """Approve several clean shops at once (nothing flagged); the rest stay for a look."""
    ids = [int(v) for v in shop_id if v.strip().isdigit()]
    if not ids:
        context = _review_context(tenant, bulk_error=MSG_NONE_CHOSEN)
        return render(request, "audits/review.html", context, status_code=400)
    result = services.shops_approve_clean(
        session=tenant.session, shop_ids=ids, actor_id=tenant.user_id
    )
    if result.approved:
        numbers = ", ".join(f"#{ident(s)}" for s in result.approved)
        count = len(result.approved)
        flash(request, f"Approved {count} shop{'s' if count != 1 else ''}: {numbers}.")
    for skipped_id, why in result.skipped:
        flash(request, f"Shop #{skipped_id} was not approved: {why}.", "error")
    return redirect(request, "/shops/review")


def _detail_context(tenant: Tenant, shop: Shop, **extra: Any) -> dict[str, Any]:
    is_owner = tenant.role == Role.owner
    session = tenant.session
    explained, total = queries.shop_explain(session, shop)
    events = queries.shop_events(session, shop)
    row = queries.shop_rows(session, [shop], with_shopper=is_owner)[0]
    actors = queries.user_names(session, {e.actor_id for e in events if e.actor_id})
    who = {}
    # Every shopper of the organization, not only the shop's own: a shop claimed from the
    # job board may have had another shopper before (a no-show), whom staff must not learn.
    shopper_ids = {uid for uid, _ in queries.shoppers(session)} | {shop.shopper_id}
    for event in events:
        if event.actor_id is None:
            who[ident(event)] = "—"
        elif event.actor_id in shopper_ids:
            # Staff never learn who the shopper was, not even from the log.
            who[ident(event)] = (
                f"{actors.get(event.actor_id, 'Former member')} (shopper)"
                if is_owner
                else "The shopper"
            )
        else:
            who[ident(event)] = actors.get(event.actor_id, "Former member")
    near = tenant.org.near_target
    can_review = is_owner and shop.status == ShopStatus.submitted
    # Staff read the shopper's comments with the location's staff names masked; the owner
    # reads them as written, told that staff do not (app.orgs.staff_names).
    place = session.get(Location, shop.location_id) if shop.location_id else None
    staff_names = (place.staff_names if place else None) or []
    return {
        "shop": shop,
        "masked": (lambda text: text) if is_owner else partial(mask_staff, names=staff_names),
        "staff_masked_hint": is_owner and bool(staff_names),
        "row": row,
        "is_owner": is_owner,
        "explained": explained,
        "total": total,
        # The shop at a glance: its worst section as scored now (corrections included).
        "shop_status": worst(
            [
                target_status(ex.score.percent, ex.section.touchpoint.target, near)
                for ex in explained
            ]
        ),
        "events": events,
        "who": who,
        "photos": queries.shop_photos(session, shop),
        "section_comments": queries.section_comments(session, shop),
        "answer_words": queries.answer_words,
        "QuestionKind": QuestionKind,
        "tz": tenant.org.timezone,
        "can_review": can_review,
        "flags": queries.flags_of(explained),
        # Evidence the question asks for and the shop lacks (a photo, a comment on a fail):
        # hand-in waits for it, but a rule set after hand-in, or a file import, can leave a gap.
        "missing_evidence": {
            ident(m.question): m
            for m in queries.handin_missing(session, shop, [ex.section for ex in explained])
            if m.what != "answer"
        },
        # Other shops waiting after this one: "Approve and open next" needs one.
        "queue_others": (
            sum(1 for s in queries.review_queue(session) if s.id != shop.id) if can_review else 0
        ),
        "return_errors": {},
        "return_note": "",
        "question_notes": {},
        # Notes exchanged with the shopper and the rubric: the owner's, never staff's.
        "notes": feedback_queries.shop_notes(session, shop) if is_owner else [],
        "rating": feedback_queries.shop_rating(session, shop) if is_owner else None,
        "RUBRIC": RUBRIC,
        # Proof of visit (audits/proof): the reviewer's, never staff's.
        "proof": proof_queries.proof_view(session, shop) if is_owner else None,
        # Expense claims (audits/expenses): pay, so the owner's only, never staff's.
        "expenses": expense_queries.shop_expenses(session, shop) if is_owner else [],
        "question_texts": {ident(q): q.text for ex in explained for q in ex.section.questions},
        # Questions show in the primary language; the shopper may have read another.
        "filled_in": filled_in(shop, tenant.org),
        "approve_errors": {},
        "approve_values": {},
        "edit_id": None,
        "edit_errors": {},
        "can_import": is_owner and shop.status in OPEN_STATES,
        "import_errors": {},
        "notice": None,
        "notice_kind": "success",
        **extra,
    }


def _detail(
    request: Request, tenant: Tenant, shop: Shop, status_code: int = 200, **extra: Any
) -> Response:
    return render(
        request,
        "audits/shop.html",
        _detail_context(tenant, shop, **extra),
        fragment="audits/_shop_detail.html",
        status_code=status_code,
    )


@router.get("/shops/{shop_id}")
def shop_page(request: Request, tenant: ReaderDep, shop: ShopDep) -> Response:
    return _detail(request, tenant, shop)


APPROVE_FIELDS = ("on_time", "complete", "detail", "approve_note")


@router.post("/shops/{shop_id}/approve")
async def shop_approve(request: Request, tenant: OwnerDep, shop: ShopDep) -> Response:
    form = await request.form()
    then = str(form.get("then") or "")
    values = {name: str(form.get(name) or "") for name in APPROVE_FIELDS}
    try:
        services.shop_approve(
            session=tenant.session,
            shop=shop,
            actor_id=tenant.user_id,
            rubric=rubric_checked(values),
            note=values["approve_note"],
        )
        # "Approve its expenses with the shop" (on by default; audits/expenses). A second
        # step after the approval: should it fail, the claims stay waiting, shown as such.
        if form.get("expenses_with_shop") in ("1", "on"):
            expense_services.expenses_approve_with_shop(
                session=tenant.session, shop=shop, actor_id=tenant.user_id
            )
    except DomainError as exc:
        tenant.session.rollback()
        if exc.field in APPROVE_FIELDS:
            return _detail(
                request,
                tenant,
                shop,
                400,
                approve_errors=domain_errors(exc),
                approve_values=values,
            )
        return _detail(
            request, tenant, shop, exc.status_code, notice=exc.message, notice_kind="error"
        )
    if then == "next":
        # "Approve and open the next": the longest-waiting shop still in the queue.
        following = next(iter(queries.review_queue(tenant.session)), None)
        if following is None:
            flash(request, f"Shop #{shop.id} approved. That was the last shop waiting.")
            return redirect(request, "/shops/review")
        flash(request, f"Shop #{shop.id} approved. Next in the queue: shop #{following.id}.")
        return redirect(request, f"/shops/{following.id}")
    if not request.headers.get("hx-request"):
        flash(request, f"Shop #{shop.id} approved: it now counts in reports.")
        return redirect(request, f"/shops/{shop.id}")
    return _detail(request, tenant, shop, notice="Approved: this shop now counts in reports.")


@router.post("/shops/{shop_id}/return")
async def shop_return(request: Request, tenant: OwnerDep, shop: ShopDep) -> Response:
    form = await request.form()
    note = str(form.get("note") or "")
    # "qnote-<question id>": the note written next to that question on the review page.
    question_notes = {
        int(key.removeprefix("qnote-")): str(value)
        for key, value in form.multi_items()
        if key.startswith("qnote-") and key.removeprefix("qnote-").isdigit()
    }
    try:
        services.shop_return(
            session=tenant.session,
            shop=shop,
            actor_id=tenant.user_id,
            note=note,
            question_notes=question_notes,
        )
    except DomainError as exc:
        tenant.session.rollback()
        if exc.field == "note" or (exc.field or "").startswith("qnote-"):
            return _detail(
                request,
                tenant,
                shop,
                400,
                return_errors=domain_errors(exc),
                return_note=note,
                question_notes=question_notes,
            )
        return _detail(
            request, tenant, shop, exc.status_code, notice=exc.message, notice_kind="error"
        )
    if not request.headers.get("hx-request"):
        flash(request, f"Shop #{shop.id} returned to the shopper.")
        return redirect(request, f"/shops/{shop.id}")
    return _detail(request, tenant, shop, notice="Returned to the shopper with your note.")


@router.post("/shops/{shop_id}/correct")
async def answer_correct(request: Request, tenant: OwnerDep, shop: ShopDep) -> Response:
    form = await request.form()
    question_raw = str(form.get("question_id") or "")
    question_id = int(question_raw) if question_raw.isdigit() else 0
    data = AnswerInput(
        id=uuid.uuid4(),  # unused: a correction finds the answer by its question
        question_id=question_id,
        value=str(form.get("value") or "") or None,
        not_applicable=form.get("not_applicable") in ("on", "true", "1"),
        comment=str(form.get("comment") or ""),
    )
    try:
        services.answer_correct(
            session=tenant.session, shop=shop, actor_id=tenant.user_id, data=data
        )
    except DomainError as exc:
        tenant.session.rollback()
        if exc.field in ("value", "not_applicable", "comment"):
            return _detail(
                request, tenant, shop, 400, edit_id=question_id, edit_errors=domain_errors(exc)
            )
        return _detail(
            request, tenant, shop, exc.status_code, notice=exc.message, notice_kind="error"
        )
    return _detail(request, tenant, shop, notice="Answer corrected; the change is in the log.")


MSG_IMPORT_TYPE = "Choose the .json file the phone saved (“Save a copy to this phone”)."


@router.post("/shops/{shop_id}/import")
async def answers_import(request: Request, tenant: OwnerDep, shop: ShopDep) -> Response:
    """An owner imports the answers a shopper's phone saved to a file (audits/file_import.py)."""
    form = await request.form()
    upload = form.get("file")
    try:
        if not isinstance(upload, StarletteUpload) or not upload.filename:
            raise DomainError(file_import.MSG_NO_FILE, field="file")
        if not upload.filename.lower().endswith(".json"):
            raise DomainError(MSG_IMPORT_TYPE, field="file")
        raw = await upload.read(file_import.MAX_BYTES + 1)
        result = file_import.import_file(
            session=tenant.session, shop=shop, raw=raw, tz=tenant.org.timezone
        )
    except DomainError as exc:
        tenant.session.rollback()
        return _detail(
            request,
            tenant,
            shop,
            exc.status_code,
            import_errors={"file": exc.message},
        )
    finally:
        await form.close()
    notice = result.words()
    if result.photos_left_out:
        notice += " Photos are not in the file: the shopper keeps them on the phone."
    if not request.headers.get("hx-request"):
        flash(request, notice)
        return redirect(request, f"/shops/{shop.id}")
    return _detail(request, tenant, shop, notice=notice)
