"""The job board's pages: shoppers' open jobs and their claim; the owner's board, posting a
shop or a wave, assigning and taking back, shoppers' records, and the visit rules."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import Response

from app.errors import DomainError
from app.forms import domain_errors, parse_form
from app.i18n.catalogs import N_
from app.i18n.message import message, plural_message
from app.modelbase import MAX_ID, ident, utcnow
from app.orgs.models import Role
from app.templating import flash, redirect, render
from app.tenancy import OwnerDep, Tenant, require_role
from audits import queries as shop_queries
from audits.board import queries, services
from audits.board.models import NoShowRule, ReleaseReason, WindowRule
from audits.deps import ShopDep
from audits.feedback import queries as feedback_queries
from audits.models import Shop, ShopStatus, Wave

router = APIRouter(include_in_schema=False)

BoardDep = Annotated[Tenant, Depends(require_role(Role.owner, Role.shopper))]
ShopperDep = Annotated[Tenant, Depends(require_role(Role.shopper))]

MSG_CLAIMED = N_("The shop at %(location)s is yours. It is on your list with its brief.")
MSG_POSTED_ONE = N_("Posted on the job board: %(num)s shop.")
MSG_POSTED = N_("Posted on the job board: %(num)s shops.")
MSG_TAKEN_BACK = N_("Taken back: shop #%(id)s waits for you to post or assign it.")
MSG_ASSIGNED = N_("Shop #%(id)s assigned to %(name)s.")
MSG_RULES_SAVED = "Visit rules saved."

WINDOW_LABELS = {
    WindowRule.flag: "Allow it, and mark the shop early or late for review",
    WindowRule.refuse: "Refuse to start it outside its window",
}
NO_SHOW_LABELS = {
    NoShowRule.board: "Put it back on the job board for another shopper",
    NoShowRule.owner: "Take it off the shopper and wait for me to post or assign it",
}


# --- the board -----------------------------------------------------------------------------


def _board_context(tenant: Tenant, **extra: Any) -> dict[str, Any]:
    session, tz, now = tenant.session, tenant.org.timezone, utcnow()
    if tenant.role == Role.shopper:
        jobs = queries.jobs_for_shopper(session, tenant.user_id)
        return {
            "cards": queries.job_cards(session, jobs, tz=tz, now=now),
            "errors": {},
            **extra,
        }
    waiting = queries.waiting_for_owner(session)
    return {
        "cards": queries.job_cards(session, queries.open_jobs(session), tz=tz, now=now),
        "waiting": queries.job_cards(session, waiting, tz=tz, now=now),
        **extra,
    }


@router.get("/jobs")
def board_page(request: Request, tenant: BoardDep) -> Response:
    if tenant.role == Role.shopper:
        return render(request, "board/jobs_shopper.html", _board_context(tenant))
    return render(request, "board/jobs_owner.html", _board_context(tenant))


@router.post("/jobs/{shop_id}/claim")
def job_claim(
    request: Request, tenant: ShopperDep, shop_id: Annotated[int, Path(ge=0, le=MAX_ID)]
) -> Response:
    try:
        shop = services.job_claim(
            session=tenant.session,
            shop_id=shop_id,
            user_id=tenant.user_id,
            tz=tenant.org.timezone,
        )
    except DomainError as exc:
        tenant.session.rollback()
        context = _board_context(tenant, errors={shop_id: exc.message})
        if shop_id not in {c.shop.id for c in context["cards"]}:
            # A job no longer on this shopper's board: the message goes on top instead.
            context["top_error"] = exc.message
        return render(request, "board/jobs_shopper.html", context, status_code=exc.status_code)
    name = queries.job_cards(tenant.session, [shop], tz="UTC", now=utcnow())[0].location_name
    flash(request, message(MSG_CLAIMED, location=name))
    return redirect(request, "/")


# --- the owner: one shop's place on the board ----------------------------------------------


def _job_page(
    request: Request,
    tenant: Tenant,
    shop: Shop,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    session = tenant.session
    card = queries.job_cards(session, [shop], tz=tenant.org.timezone, now=utcnow())[0]
    holder = shop_queries.user_names(session, {shop.shopper_id}) if shop.shopper_id else {}
    releases = queries.shop_releases(session, ident(shop))
    names = shop_queries.user_names(session, {r.shopper_id for r in releases})
    context = {
        "shop": shop,
        "card": card,
        "holder": holder.get(shop.shopper_id) if shop.shopper_id else None,
        "releases": [
            (r, names.get(r.shopper_id, "Former member"), r.reason == ReleaseReason.no_show)
            for r in releases
        ],
        "shoppers": shop_queries.shoppers(session),
        "post_form": {
            "tags": ", ".join(shop.job_tags or []),
            "region": shop.job_region,
            "fee": _fee_text(shop.fee_minor, shop.fee_currency),
            "fee_currency": shop.fee_currency or "EUR",
        },
        "post_errors": {},
        "assign_errors": {},
        "take_back_errors": {},
        "can_post": shop.status in (ShopStatus.open, ShopStatus.assigned),
        "can_assign": shop.status == ShopStatus.open
        or (shop.status == ShopStatus.assigned and shop.shopper_id is None),
        "can_take_back": shop.status == ShopStatus.open
        or (shop.status == ShopStatus.assigned and shop.shopper_id is not None),
        **extra,
    }
    return render(request, "board/job.html", context, status_code=status_code)


def _fee_text(fee_minor: int | None, currency: str) -> str:
    if fee_minor is None:
        return ""
    return queries.fee_words(fee_minor, currency).split(" ", 1)[-1]


@router.get("/shops/{shop_id}/job")
def job_page(request: Request, tenant: OwnerDep, shop: ShopDep) -> Response:
    return _job_page(request, tenant, shop)


def _posted(request: Request, tenant: OwnerDep, data: Any) -> dict[str, str]:
    """Post the jobs `data` names (a shop, or a wave's shops) and say so in a flash; the
    errors to show next to the fields when the board refuses them, else {}."""
    try:
        posted = services.jobs_post(session=tenant.session, data=data, actor_id=tenant.user_id)
    except DomainError as exc:
        tenant.session.rollback()
        return domain_errors(exc)
    flash(request, plural_message(MSG_POSTED_ONE, MSG_POSTED, len(posted)))
    return {}


def _post_data(
    tags: str, region: str, fee: str, fee_currency: str, **target: Any
) -> tuple[services.JobPost | None, dict[str, str]]:
    """The posting form as a JobPost, or the messages to put next to its fields."""
    errors: dict[str, str] = {}
    fee_minor = None
    try:
        fee_minor = services.fee_from_text(fee, fee_currency)
        services.check_fee(fee_minor, fee_currency)
    except DomainError as exc:
        errors.update(domain_errors(exc))
    data, shape_errors = parse_form(
        services.JobPost,
        {
            **target,
            "tags": tags,
            "region": region,
            "fee_minor": fee_minor,
            "fee_currency": fee_currency,
        },
    )
    errors = {**shape_errors, **errors}
    return (data if not errors else None), errors


@router.post("/shops/{shop_id}/job/post")
def job_post(
    request: Request,
    tenant: OwnerDep,
    shop: ShopDep,
    tags: Annotated[str, Form()] = "",
    region: Annotated[str, Form()] = "",
    fee: Annotated[str, Form()] = "",
    fee_currency: Annotated[str, Form()] = "",
) -> Response:
    form = {"tags": tags, "region": region, "fee": fee, "fee_currency": fee_currency}
    data, errors = _post_data(tags, region, fee, fee_currency, shop_ids=[ident(shop)])
    if data is not None:
        errors = _posted(request, tenant, data)
        if not errors:
            return redirect(request, f"/shops/{ident(shop)}/job")
    return _job_page(request, tenant, shop, 400, post_form=form, post_errors=errors)


@router.post("/shops/{shop_id}/job/assign")
def job_assign(
    request: Request,
    tenant: OwnerDep,
    shop: ShopDep,
    shopper_id: Annotated[str, Form()] = "",
) -> Response:
    if not shopper_id.strip().isdigit():
        return _job_page(
            request,
            tenant,
            shop,
            400,
            assign_errors={"shopper_id": services.MSG_SHOPPER_UNKNOWN},
        )
    try:
        services.job_assign(
            session=tenant.session,
            shop=shop,
            shopper_id=int(shopper_id),
            actor_id=tenant.user_id,
            tz=tenant.org.timezone,
        )
    except DomainError as exc:
        tenant.session.rollback()
        return _job_page(
            request,
            tenant,
            shop,
            exc.status_code,
            assign_errors={"shopper_id": exc.message},
            chosen=shopper_id,
        )
    name = shop_queries.user_names(tenant.session, {int(shopper_id)}).get(int(shopper_id), "")
    flash(request, message(MSG_ASSIGNED, id=ident(shop), name=name))
    return redirect(request, f"/shops/{ident(shop)}/job")


@router.post("/shops/{shop_id}/job/take-back")
def job_take_back(request: Request, tenant: OwnerDep, shop: ShopDep) -> Response:
    try:
        services.job_take_back(session=tenant.session, shop=shop, actor_id=tenant.user_id)
    except DomainError as exc:
        tenant.session.rollback()
        return _job_page(
            request,
            tenant,
            shop,
            exc.status_code,
            take_back_errors={"__all__": exc.message},
        )
    flash(request, message(MSG_TAKEN_BACK, id=ident(shop)))
    return redirect(request, f"/shops/{ident(shop)}/job")


# --- the owner: a whole wave ---------------------------------------------------------------


def _wave(tenant: Tenant, wave_id: int) -> Wave:
    return tenant.get(Wave, wave_id)


def _wave_page(
    request: Request, tenant: Tenant, wave: Wave, status_code: int = 200, **extra: Any
) -> Response:
    shops = queries.wave_shops(tenant.session, ident(wave))
    context = {
        "wave": wave,
        "cards": queries.job_cards(tenant.session, shops, tz=tenant.org.timezone, now=utcnow()),
        "postable": sum(1 for s in shops if s.status in (ShopStatus.open, ShopStatus.assigned)),
        "post_form": {"tags": "", "region": "", "fee": "", "fee_currency": "EUR"},
        "post_errors": {},
        **extra,
    }
    return render(request, "board/wave_post.html", context, status_code=status_code)


@router.get("/waves/{wave_id}/post")
def wave_post_page(
    request: Request, tenant: OwnerDep, wave_id: Annotated[int, Path(ge=0, le=MAX_ID)]
) -> Response:
    return _wave_page(request, tenant, _wave(tenant, wave_id))


@router.post("/waves/{wave_id}/post")
def wave_post(
    request: Request,
    tenant: OwnerDep,
    wave_id: Annotated[int, Path(ge=0, le=MAX_ID)],
    tags: Annotated[str, Form()] = "",
    region: Annotated[str, Form()] = "",
    fee: Annotated[str, Form()] = "",
    fee_currency: Annotated[str, Form()] = "",
) -> Response:
    wave = _wave(tenant, wave_id)
    form = {"tags": tags, "region": region, "fee": fee, "fee_currency": fee_currency}
    data, errors = _post_data(tags, region, fee, fee_currency, wave_id=ident(wave))
    if data is not None:
        errors = _posted(request, tenant, data)
        if not errors:
            return redirect(request, "/jobs")
    return _wave_page(request, tenant, wave, 400, post_form=form, post_errors=errors)


# --- the owner: shoppers' records ----------------------------------------------------------


@router.get("/shoppers")
def records_page(request: Request, tenant: OwnerDep) -> Response:
    return render(
        request,
        "board/records.html",
        {
            "records": queries.shopper_records(tenant.session),
            # The review rubric's averages (audits.feedback), by shopper id.
            "rubric": feedback_queries.rubric_averages(tenant.session),
        },
    )


# --- the owner: visit rules ----------------------------------------------------------------


def _rules_page(
    request: Request,
    form: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "board/visit_rules.html",
        {
            "form": form,
            "errors": errors,
            "window_labels": WINDOW_LABELS,
            "no_show_labels": NO_SHOW_LABELS,
        },
        status_code=status_code,
    )


@router.get("/settings/visit-rules")
def rules_page(request: Request, tenant: OwnerDep) -> Response:
    rules = queries.visit_rules(tenant.session)
    form = {
        "lockout_days": rules.lockout_days,
        "daily_limit": rules.daily_limit,
        "window_rule": rules.window_rule,
        "no_show": rules.no_show,
    }
    return _rules_page(request, form, {})


@router.post("/settings/visit-rules")
def rules_save(
    request: Request,
    tenant: OwnerDep,
    lockout_days: Annotated[str, Form()] = "",
    daily_limit: Annotated[str, Form()] = "",
    window_rule: Annotated[str, Form()] = "",
    no_show: Annotated[str, Form()] = "",
) -> Response:
    form = {
        "lockout_days": lockout_days,
        "daily_limit": daily_limit,
        "window_rule": window_rule,
        "no_show": no_show,
    }
    data, errors = parse_form(services.VisitRulesUpdate, {k: v.strip() for k, v in form.items()})
    messages = {
        "lockout_days": services.MSG_LOCKOUT_DAYS,
        "daily_limit": services.MSG_DAILY_LIMIT,
        "window_rule": "Choose one of the two.",
        "no_show": "Choose one of the two.",
    }
    errors = {name: messages.get(name, message) for name, message in errors.items()}
    if data is None:
        return _rules_page(request, form, errors, 400)
    services.visit_rules_update(session=tenant.session, org_id=tenant.org_id, data=data)
    flash(request, MSG_RULES_SAVED)
    return redirect(request, "/settings/visit-rules")
