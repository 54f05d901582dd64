"""Every write of the job board: posting shops, a shopper's claim, the owner assigning or
taking a job back, the visit rules, and no-shows going back to the board.

These functions expect an org-scoped session (app.tenancy), except no_shows_release, which
also runs unscoped for every organization (the periodic job).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import bindparam, update
from sqlmodel import Session, col, select

from app.db import WRITE_OPTION
from app.errors import ConflictError, DomainError, ForbiddenError, NotFoundError
from app.i18n.catalogs import N_, gettext
from app.i18n.languages import DEFAULT_LANGUAGE, supported
from app.i18n.message import message
from app.jobs.runtime import JobContext
from app.modelbase import RowId, ident, utcnow
from app.orgs.models import Location, Organization, User
from app.orgs.services import clean_tags
from app.outbox.services import mail_queue
from audits.board import queries
from audits.board.models import NoShowRule, ReleaseReason, ShopRelease, VisitRules, WindowRule
from audits.models import Shop, ShopEvent, ShopStatus, Wave

MSG_TAKEN = "Another shopper has just claimed this job. Pick another one from the board."
MSG_NOT_OPEN = "This shop is not on the board."
MSG_CANNOT_POST = N_("Only a shop that has not been started can be posted; this one is %(status)s.")
MSG_CANNOT_TAKE_BACK = N_(
    "Only a job on the board or a shop not started yet can be taken back; this one is %(status)s."
)
MSG_NOTHING_TO_TAKE_BACK = (
    "This shop is neither on the board nor with a shopper: it is yours already."
)
MSG_NOTHING_TO_POST = "Choose shops, or a wave, that have not been started yet."
MSG_WAVE_UNKNOWN = "Choose a wave of this organization."
MSG_SHOPPER_UNKNOWN = "Choose a member of this organization with the secret shopper role."
MSG_FEE = "Give the fee as an amount of 0 or more, such as 25 or 25.50."
MSG_FEE_TOO_BIG = "That fee is too large; give at most 1,000,000."
MSG_CURRENCY = "Give the currency as its three-letter code, such as EUR or USD."
MSG_REGION = "Keep the region under 80 characters."
MSG_LOCKOUT_DAYS = "Give a whole number of days from 0 (no limit) to 365."
MSG_DAILY_LIMIT = "Give a whole number of shops from 0 (no limit) to 50."

FEE_MAX_MINOR = 100_000_000  # 1,000,000.00


# --- shapes --------------------------------------------------------------------------------


def check_fee(fee_minor: int | None, currency: str) -> tuple[int | None, str]:
    """A fee as stored: minor units and an upper-case currency code (or none at all)."""
    currency = (currency or "").strip().upper()
    if fee_minor is None:
        return None, ""
    if isinstance(fee_minor, bool) or fee_minor < 0:
        raise DomainError(MSG_FEE, field="fee")
    if fee_minor > FEE_MAX_MINOR:
        raise DomainError(MSG_FEE_TOO_BIG, field="fee")
    if len(currency) != 3 or not currency.isalpha() or not currency.isascii():
        raise DomainError(MSG_CURRENCY, field="fee_currency")
    return fee_minor, currency


def fee_from_text(text: str, currency: str) -> int | None:
    """A fee as typed on a page ("25", "25.50", "25,50") in minor units; None when empty."""
    text = text.strip().replace(" ", "")
    if not text:
        return None
    if text.startswith("-"):
        raise DomainError(MSG_FEE, field="fee")
    whole, sep, cents = text.replace(",", ".").partition(".")
    no_minor = currency.strip().upper() in queries.NO_MINOR_UNIT
    if not whole.isdigit() or (sep and (no_minor or not cents.isdigit() or len(cents) > 2)):
        raise DomainError(MSG_FEE, field="fee")
    if len(whole) > 9:
        raise DomainError(MSG_FEE_TOO_BIG, field="fee")
    if no_minor:
        return int(whole)
    return int(whole) * 100 + int((cents or "0").ljust(2, "0"))


class JobPost(BaseModel):
    """Put shops on the board: these shops, or every shop of a wave not started yet; who may
    claim them (every qualification listed, and the region when given); the fee, in minor
    units of `fee_currency` (left as it is when not given)."""

    model_config = ConfigDict(extra="forbid")

    shop_ids: list[RowId] = Field(default_factory=list)
    wave_id: RowId | None = None
    tags: list[str] = Field(default_factory=list)
    region: str = Field(default="", max_length=80)
    fee_minor: int | None = Field(default=None, description="minor units (cents); 0 or more")
    fee_currency: str = Field(default="", description="ISO 4217 code, such as EUR")

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, v: Any) -> list[str]:
        return clean_tags(v)

    @field_validator("region")
    @classmethod
    def _region(cls, v: str) -> str:
        return " ".join(v.split())

    @field_validator("fee_minor")
    @classmethod
    def _fee(cls, v: int | None) -> int | None:
        if v is not None and v < 0:
            raise ValueError(MSG_FEE)
        if v is not None and v > FEE_MAX_MINOR:
            raise ValueError(MSG_FEE_TOO_BIG)
        return v


class VisitRulesUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lockout_days: int = Field(ge=0, le=365)
    daily_limit: int = Field(ge=0, le=50)
    window_rule: WindowRule
    no_show: NoShowRule


# --- history -------------------------------------------------------------------------------


def _log(
    session: Session, shop: Shop, to: ShopStatus, actor_id: int | None, note: str, before: str
) -> None:
    session.add(
        ShopEvent(
            org_id=shop.org_id,
            shop_id=ident(shop),
            actor_id=actor_id,
            from_status=before,
            to_status=str(to),
            note=note,
        )
    )


# --- posting -------------------------------------------------------------------------------


def jobs_post(*, session: Session, data: JobPost, actor_id: int) -> list[Shop]:
    """Put the chosen shops (or a wave's) on the board, in one transaction. A shop given to
    a shopper but not started comes off that shopper (said in its history); a shop already
    started or handed in is refused and nothing is posted."""
    fee_minor, currency = (None, "")
    if data.fee_minor is not None:
        fee_minor, currency = check_fee(data.fee_minor, data.fee_currency)
    shops: list[Shop] = []
    if data.wave_id is not None:
        wave = session.get(Wave, data.wave_id)
        if wave is None:
            raise NotFoundError(MSG_WAVE_UNKNOWN, field="wave_id")
        shops = list(
            session.exec(
                select(Shop)
                .where(
                    Shop.wave_id == wave.id,
                    col(Shop.status).in_([ShopStatus.open, ShopStatus.assigned]),
                )
                .order_by(col(Shop.id))
            )
        )
    for shop_id in dict.fromkeys(data.shop_ids):
        shop = session.get(Shop, shop_id)
        if shop is None:
            raise NotFoundError("Not found.", field="shop_ids")
        if shop.status not in (ShopStatus.open, ShopStatus.assigned):
            raise ConflictError(
                message(MSG_CANNOT_POST, status=shop.status.replace("_", " ")), field="shop_ids"
            )
        if shop not in shops:
            shops.append(shop)
    if not shops:
        raise DomainError(MSG_NOTHING_TO_POST, field="shop_ids")
    now = utcnow()
    for shop in shops:
        before = str(shop.status)
        note = "posted on the job board"
        if shop.shopper_id is not None:
            note += " (taken off its shopper)"
            session.add(
                ShopRelease(
                    org_id=shop.org_id,
                    shop_id=ident(shop),
                    shopper_id=shop.shopper_id,
                    reason=ReleaseReason.taken_back,
                    deadline=shop.due_until,
                    at=now,
                )
            )
        _log(session, shop, ShopStatus.open, actor_id, note, before)
        shop.status = ShopStatus.open
        shop.shopper_id = None
        shop.posted_at = now
        shop.job_tags = list(data.tags) or None
        shop.job_region = data.region
        if data.fee_minor is not None:
            shop.fee_minor, shop.fee_currency = fee_minor, currency
        session.add(shop)
    session.commit()
    return shops


# --- claiming and assigning ----------------------------------------------------------------


def job_claim(*, session: Session, shop_id: int, user_id: int, tz: str) -> Shop:
    """A shopper takes an open job. Refused when they do not qualify (403), when it would
    break a visit rule (409, the rule named), or when another shopper got it first (409).

    The claim itself is one conditional UPDATE (only while the job is open and nobody's):
    of two shoppers pressing at once, exactly one changes the row; the other's update
    matches nothing, on SQLite (one writer at a time) as on PostgreSQL (the second waits
    for the first's row lock, then finds the job no longer open).
    """
    shop = session.get(Shop, shop_id)
    if shop is None or (shop.status != ShopStatus.open and shop.shopper_id != user_id):
        # Another shopper's shop is never admitted to exist; a job just taken says so.
        if shop is not None and shop.posted_at is not None and shop.status != ShopStatus.open:
            raise ConflictError(MSG_TAKEN)
        raise NotFoundError(MSG_NOT_OPEN)
    if shop.shopper_id == user_id:
        return shop  # pressed twice, or a replayed request: it is already theirs
    # Locked: two claims of one shopper at once (two jobs the same day) take turns here,
    # so the per-day limit and the lockout see the other claim.
    member = queries.shopper_profile(session, user_id, lock=True)
    gap = queries.qualification_gap(shop, member)
    if gap is not None:
        raise ForbiddenError(gap)
    now = utcnow()
    if shop.due_until is not None and shop.due_until < now:
        raise ConflictError(queries.MSG_JOB_OVER)
    breach = queries.rule_breach(session, shop=shop, shopper_id=user_id, tz=tz, now=now)
    if breach is not None:
        raise ConflictError(breach)
    claimed = session.execute(
        update(Shop)
        .where(
            col(Shop.id) == shop_id,
            col(Shop.org_id) == shop.org_id,
            col(Shop.status) == ShopStatus.open,
            col(Shop.shopper_id).is_(None),
        )
        .values(status=ShopStatus.assigned, shopper_id=user_id)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise ConflictError(MSG_TAKEN)
    _log(session, shop, ShopStatus.assigned, user_id, "claimed from the job board", "open")
    session.commit()
    session.refresh(shop)
    return shop


def job_assign(*, session: Session, shop: Shop, shopper_id: int, actor_id: int, tz: str) -> Shop:
    """The owner gives a shop that is on the board (or waiting for a shopper) to a shopper
    directly; the visit rules apply as to a claim."""
    if shop.status not in (ShopStatus.open, ShopStatus.assigned) or (
        shop.status == ShopStatus.assigned and shop.shopper_id is not None
    ):
        raise ConflictError(
            "Only a job on the board or a shop without a shopper can be assigned; "
            "take it back first.",
            field="shopper_id",
        )
    # Locked like a claim's: the shopper's claims and assignments are judged in turn.
    member = queries.shopper_profile(session, shopper_id, lock=True)
    if member is None:
        raise DomainError(MSG_SHOPPER_UNKNOWN, field="shopper_id")
    breach = queries.rule_breach(session, shop=shop, shopper_id=shopper_id, tz=tz, now=utcnow())
    if breach is not None:
        raise ConflictError(breach, field="shopper_id")
    before = str(shop.status)
    assigned = session.execute(
        update(Shop)
        .where(
            col(Shop.id) == shop.id,
            col(Shop.org_id) == shop.org_id,
            col(Shop.status) == before,
            col(Shop.shopper_id).is_(None),
        )
        .values(status=ShopStatus.assigned, shopper_id=shopper_id)
        .execution_options(synchronize_session=False)
    )
    if assigned.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise ConflictError(MSG_TAKEN, field="shopper_id")
    _log(session, shop, ShopStatus.assigned, actor_id, "assigned by the owner", before)
    session.commit()
    session.refresh(shop)
    return shop


def job_take_back(*, session: Session, shop: Shop, actor_id: int) -> Shop:
    """The owner takes a job off the board, or a shop off its shopper before it was started:
    it waits for the owner (assigned, no shopper) to be posted or assigned again."""
    if shop.status not in (ShopStatus.open, ShopStatus.assigned):
        raise ConflictError(
            message(MSG_CANNOT_TAKE_BACK, status=shop.status.replace("_", " ")), field="shop_id"
        )
    if shop.status == ShopStatus.assigned and shop.shopper_id is None:
        raise ConflictError(MSG_NOTHING_TO_TAKE_BACK, field="shop_id")
    before = str(shop.status)
    note = "taken off the job board" if shop.status == ShopStatus.open else "taken back"
    if shop.shopper_id is not None:
        session.add(
            ShopRelease(
                org_id=shop.org_id,
                shop_id=ident(shop),
                shopper_id=shop.shopper_id,
                reason=ReleaseReason.taken_back,
                deadline=shop.due_until,
                at=utcnow(),
            )
        )
        note = "taken back from its shopper"
    _log(session, shop, ShopStatus.assigned, actor_id, note, before)
    shop.status = ShopStatus.assigned
    shop.shopper_id = None
    shop.posted_at = None
    session.add(shop)
    session.commit()
    return shop


# --- visit rules ---------------------------------------------------------------------------


def visit_rules_update(*, session: Session, org_id: int, data: VisitRulesUpdate) -> VisitRules:
    rules = session.exec(select(VisitRules)).first() or VisitRules(org_id=org_id)
    rules.lockout_days = data.lockout_days
    rules.daily_limit = data.daily_limit
    rules.window_rule = data.window_rule
    rules.no_show = data.no_show
    session.add(rules)
    session.commit()
    return rules


def visit_start_check(session: Session, shop: Shop, tz: str, now: datetime) -> None:
    """Called as a shop is started (its first answer or its visit time): refused outside
    its window when the rules say so, else marked early or late (in the caller's
    transaction)."""
    breach = queries.window_breach(shop, now)
    if not breach:
        return
    rules = queries.visit_rules(session)
    refusal = queries.window_refusal(rules, shop, tz, now)
    if refusal is not None:
        raise ConflictError(refusal)
    shop.window_flag = breach


# --- no-shows ------------------------------------------------------------------------------

NO_SHOW_JOB = "board.no_shows"
# The no-show notice, in the shopper's own language (user.language; English when unset).
NO_SHOW_SUBJECT = N_("Your shop at %(location)s went back to the job board")
NO_SHOW_SUBJECT_OWNER = N_("Your shop at %(location)s was taken off you")
NO_SHOW_BODY = N_(
    "Hello %(name)s,\n\n"
    "Your shop at %(location)s was due by %(deadline)s and had not been started, so it is no "
    "longer yours and is back on the job board. It counts as dropped on your record.\n\n"
    "If something kept you from going, tell the owner who planned it.\n"
)
NO_SHOW_BODY_OWNER = N_(
    "Hello %(name)s,\n\n"
    "Your shop at %(location)s was due by %(deadline)s and had not been started, so it is no "
    "longer yours. It counts as dropped on your record.\n\n"
    "If something kept you from going, tell the owner who planned it.\n"
)
NO_SHOW_JOBS = N_("Open jobs: %(url)s")


def no_shows_release(*, session: Session, now: datetime, base_url: str = "") -> list[Shop]:
    """Take every shop that was given to a shopper and not started by its deadline (the
    end of its visit window) off that shopper: back on the board, or waiting for the owner
    (the organization's visit rules say which). The shopper is told by e-mail, the shop's
    history and the shopper's record keep it. The caller commits.

    In an organization-scoped session it sees that organization only; unscoped, every one.
    """
    due = session.exec(
        select(Shop)
        .where(
            Shop.status == ShopStatus.assigned,
            col(Shop.shopper_id).is_not(None),
            col(Shop.due_until).is_not(None),
            col(Shop.due_until) < now,
        )
        .order_by(col(Shop.id))
    ).all()
    released = []
    rules_of: dict[int, VisitRules] = {}
    for shop in due:
        if shop.org_id not in rules_of:
            rules_of[shop.org_id] = (
                session.exec(select(VisitRules).where(VisitRules.org_id == shop.org_id)).first()
                or VisitRules(org_id=shop.org_id)  # the defaults, not stored
            )
        to_board = rules_of[shop.org_id].no_show == NoShowRule.board
        shopper_id = shop.shopper_id
        assert shopper_id is not None and shop.due_until is not None
        moved = session.execute(
            update(Shop)
            .where(
                col(Shop.id) == shop.id,
                col(Shop.status) == ShopStatus.assigned,
                col(Shop.shopper_id) == shopper_id,
            )
            .values(
                status=ShopStatus.open if to_board else ShopStatus.assigned,
                shopper_id=None,
                posted_at=now if to_board else None,
            )
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            continue  # started or taken back meanwhile
        org = session.get(Organization, shop.org_id)
        tz = org.timezone if org is not None else "UTC"
        window = queries.window_of(shop, tz, now)
        deadline = window.due_when_in(DEFAULT_LANGUAGE)
        where = "back on the job board" if to_board else "waiting for the owner"
        _log(
            session,
            shop,
            ShopStatus.open if to_board else ShopStatus.assigned,
            None,
            f"no-show: not started by its deadline ({deadline}); {where}",
            "assigned",
        )
        session.add(
            ShopRelease(
                org_id=shop.org_id,
                shop_id=ident(shop),
                shopper_id=shopper_id,
                reason=ReleaseReason.no_show,
                deadline=shop.due_until,
                at=now,
            )
        )
        _tell_shopper(session, shop, shopper_id, window, to_board, base_url)
        released.append(shop)
    return released


def _tell_shopper(
    session: Session,
    shop: Shop,
    shopper_id: int,
    window: queries.Window,
    to_board: bool,
    base_url: str,
) -> None:
    user = session.get(User, shopper_id)
    location = session.get(Location, shop.location_id)
    if user is None:
        return
    lang = supported(user.language) or DEFAULT_LANGUAGE
    name = location.name if location else gettext("a location", lang)
    subject = gettext(NO_SHOW_SUBJECT if to_board else NO_SHOW_SUBJECT_OWNER, lang, location=name)
    body = gettext(
        NO_SHOW_BODY if to_board else NO_SHOW_BODY_OWNER,
        lang,
        name=user.name,
        location=name,
        deadline=window.due_when_in(lang),
    )
    if base_url:
        body += "\n" + gettext(NO_SHOW_JOBS, lang, url=f"{base_url.rstrip('/')}/jobs") + "\n"
    assert shop.due_until is not None
    mail_queue(
        session=session,
        org_id=shop.org_id,
        key=f"no-show:{ident(shop)}:{shopper_id}:{shop.due_until.isoformat()}",
        to=user.email,
        subject=subject,
        body=body,
    )


_NO_SHOW_WAITING = (
    select(Shop.id)
    .where(
        Shop.status == ShopStatus.assigned,
        col(Shop.shopper_id).is_not(None),
        col(Shop.due_until) < bindparam("now"),
    )
    .limit(1)
)


def no_shows_job(ctx: JobContext) -> int:
    """The heartbeat's no-show check for every organization: a shop whose deadline passed
    without a start is released within a minute, whether or not anybody opens a page."""
    now = utcnow()
    with ctx.db.session() as session:
        # A look first, without SQLite's write lock: most ticks find nothing to do.
        if session.exec(_NO_SHOW_WAITING, params={"now": now}).first() is None:
            return 0
        session.commit()
        session.connection(execution_options={WRITE_OPTION: True})
        try:
            released = len(
                no_shows_release(session=session, now=now, base_url=ctx.settings.base_url)
            )
            session.commit()
        except BaseException:
            session.rollback()
            raise
    return released
