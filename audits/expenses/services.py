"""Writes of expense claims: the shopper's claim (upsert on the phone's id, so the offline
queue may resend it), its receipt photo, taking one off before hand-in; the owner's
approval (with the shop, or one by one) and rejection with a reason; the receipt rule."""

from __future__ import annotations

import os
import uuid
from functools import lru_cache
from pathlib import Path

from babel.numbers import list_currencies
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app.errors import ConflictError, DomainError, NotFoundError
from app.images import NotAnImage, clean_image
from app.modelbase import utcnow
from audits.board.queries import NO_MINOR_UNIT
from audits.expenses import queries
from audits.expenses.models import ExpenseClaim, ExpenseRules, ExpenseStatus
from audits.models import OPEN_STATES, Shop, ShopStatus
from audits.photos.services import (
    MAX_BYTES,
    MAX_SIDE,
    MSG_NOT_IMAGE,
    MSG_TOO_LARGE,
    PhotoTooLarge,
    photo_dir,
)
from audits.shopper_refusals import MSG_DECIDED

MSG_AMOUNT = "Give the amount as more than 0, such as 12.40."
MSG_AMOUNT_TOO_BIG = "That amount is too large; give at most 100,000."
MSG_CURRENCY = "Give a currency by its three-letter ISO 4217 code, such as EUR or USD."
MSG_WHAT_FOR = "Say what the expense was for, such as “Coffee and cake (required purchase)”."
MSG_WHAT_FOR_LONG = "Keep “what for” under 200 characters."
MSG_NOT_YOURS = "That shop is not one of yours."
MSG_NOT_FOUND = "That expense is not on this shop."
MSG_ID_TAKEN = "That expense id is already used by another expense. Send it with a new id."
MSG_SHOP_CLOSED = (
    "This shop is handed in, so its expenses can no longer change. "
    "Ask the organization if something is wrong."
)
MSG_REASON = "Say why the expense is rejected: the shopper reads it."
MSG_REASON_LONG = "Keep the reason under 1,000 characters."
MSG_NOT_HANDED_IN = (
    "Decide on expenses once the shop is handed in: the shopper may still change them."
)

AMOUNT_MAX_MINOR = 10_000_000  # 100,000.00
WHAT_FOR_MAX = 200
REASON_MAX = 1000


@lru_cache(maxsize=1)
def known_currencies() -> frozenset[str]:
    """ISO 4217 codes (Babel's list from the CLDR)."""
    return frozenset(list_currencies())


class ExpenseInput(BaseModel):
    """A claim as the phone or the API sends it: the amount in minor units (cents)."""

    model_config = ConfigDict(extra="forbid")

    amount_minor: int = Field(description="minor units (cents) of currency; more than 0")
    currency: str = Field(default="", description="ISO 4217 code; the shop's fee currency if empty")
    what_for: str = Field(description="what the money was spent on")

    @field_validator("amount_minor")
    @classmethod
    def _amount(cls, v: int) -> int:
        if v <= 0:
            raise ValueError(MSG_AMOUNT)
        if v > AMOUNT_MAX_MINOR:
            raise ValueError(MSG_AMOUNT_TOO_BIG)
        return v

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        v = v.strip().upper()
        if v and v not in known_currencies():
            raise ValueError(MSG_CURRENCY)
        return v

    @field_validator("what_for")
    @classmethod
    def _what_for(cls, v: str) -> str:
        v = " ".join(v.split())
        if not v:
            raise ValueError(MSG_WHAT_FOR)
        if len(v) > WHAT_FOR_MAX:
            raise ValueError(MSG_WHAT_FOR_LONG)
        return v


def amount_from_text(text: str, currency: str) -> int:
    """An amount as typed on the phone ("12", "12.40", "12,40") in minor units."""
    text = text.strip().replace(" ", "")
    if not text or text.startswith("-"):
        raise DomainError(MSG_AMOUNT, field="amount")
    whole, sep, cents = text.replace(",", ".").partition(".")
    no_minor = currency.strip().upper() in NO_MINOR_UNIT
    if not whole.isdigit() or (sep and (no_minor or not cents.isdigit() or len(cents) > 2)):
        raise DomainError(MSG_AMOUNT, field="amount")
    if len(whole) > 9:
        raise DomainError(MSG_AMOUNT_TOO_BIG, field="amount")
    minor = int(whole) if no_minor else int(whole) * 100 + int((cents or "0").ljust(2, "0"))
    if minor <= 0:
        raise DomainError(MSG_AMOUNT, field="amount")
    return minor


def _own_open(shop: Shop, actor_id: int) -> None:
    if shop.shopper_id != actor_id:
        raise NotFoundError(MSG_NOT_YOURS)
    if shop.status not in OPEN_STATES:
        raise ConflictError(MSG_SHOP_CLOSED, field="expense")


def _claim_of(session: Session, shop: Shop, expense_id: uuid.UUID) -> ExpenseClaim:
    claim = session.get(ExpenseClaim, expense_id)
    if claim is None or claim.shop_id != shop.id:
        raise NotFoundError(MSG_NOT_FOUND)
    return claim


def _undecided(claim: ExpenseClaim) -> None:
    if claim.status != ExpenseStatus.claimed:
        raise ConflictError(MSG_DECIDED[str(claim.status)], field="expense")


def expense_upsert(
    *,
    session: Session,
    shop: Shop,
    actor_id: int,
    expense_id: uuid.UUID,
    data: ExpenseInput,
) -> tuple[ExpenseClaim, bool]:
    """Keep the shopper's claim under the phone's id: a new one (created True), or the same
    id again (a resend or an edit) updated in place while it waits for a decision."""
    if shop.shopper_id != actor_id:
        raise NotFoundError(MSG_NOT_YOURS)
    known = session.get(ExpenseClaim, expense_id)
    if known is not None and known.shop_id != shop.id:
        raise ConflictError(MSG_ID_TAKEN, field="id")
    currency = data.currency or shop.fee_currency
    if not currency:
        raise DomainError(MSG_CURRENCY, field="currency")
    same = known is not None and (
        (known.amount_minor, known.currency, known.what_for)
        == (data.amount_minor, currency, data.what_for)
    )
    if known is not None and same:
        return known, False  # a resend after a lost reply: nothing to change
    if known is not None:
        _undecided(known)
    if shop.status not in OPEN_STATES:
        raise ConflictError(MSG_SHOP_CLOSED, field="expense")
    if known is None:
        claim = ExpenseClaim(
            id=expense_id,
            org_id=shop.org_id,
            shop_id=shop.id,  # type: ignore[arg-type]
            shopper_id=actor_id,
            amount_minor=data.amount_minor,
            currency=currency,
            what_for=data.what_for,
        )
        session.add(claim)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            # Sent twice at once: the other request stored it first; the same claim is fine.
            again = session.get(ExpenseClaim, expense_id)
            if again is None or again.shop_id != shop.id:
                raise ConflictError(MSG_ID_TAKEN, field="id") from None
            return again, False
        return claim, True
    known.amount_minor, known.currency, known.what_for = data.amount_minor, currency, data.what_for
    known.updated_at = utcnow()
    session.add(known)
    session.commit()
    return known, False


def receipt_dir(data_dir: Path, org_id: int) -> Path:
    """Receipts live beside the organization's photos (DATA_DIR/photos/<org>/receipts), so
    backups (app/backup.py) and the daily clean-up of unfinished uploads cover them too."""
    return photo_dir(data_dir, org_id) / "receipts"


def expense_receipt_add(
    *,
    session: Session,
    shop: Shop,
    actor_id: int,
    expense_id: uuid.UUID,
    raw: bytes,
    data_dir: Path,
    receipt_id: uuid.UUID | None = None,
) -> tuple[ExpenseClaim, bool]:
    """Attach (or replace) the receipt photo of a claim, cleaned as every photo is (resized,
    no EXIF or GPS: app/images.py). The same receipt id again is a resend: nothing changes."""
    if shop.shopper_id != actor_id:
        raise NotFoundError(MSG_NOT_YOURS)
    claim = _claim_of(session, shop, expense_id)
    if receipt_id is not None and claim.receipt_id == receipt_id and claim.receipt_path:
        if (data_dir / claim.receipt_path).is_file():
            return claim, False
    _undecided(claim)
    if shop.status not in OPEN_STATES:
        raise ConflictError(MSG_SHOP_CLOSED, field="receipt")
    if len(raw) > MAX_BYTES:
        raise PhotoTooLarge(MSG_TOO_LARGE, field="receipt")
    try:
        data, content_type, _, _ = clean_image(raw, max_side=MAX_SIDE)
    except NotAnImage as exc:
        raise DomainError(MSG_NOT_IMAGE, field="receipt") from exc
    receipt_id = receipt_id or uuid.uuid4()
    folder = receipt_dir(data_dir, shop.org_id)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{receipt_id}.{'jpg' if content_type == 'image/jpeg' else 'png'}"
    # Written aside and moved into place once the row is committed (as photos are); the
    # draft sits where the photo clean-up looks for unfinished uploads.
    draft = folder.parent / f".{uuid.uuid4()}.part"
    draft.write_bytes(data)
    old = claim.receipt_path
    claim.receipt_id = receipt_id
    claim.receipt_path = f"photos/{shop.org_id}/receipts/{name}"
    claim.receipt_type = content_type
    claim.updated_at = utcnow()
    session.add(claim)
    try:
        session.commit()
    except BaseException:
        session.rollback()
        draft.unlink(missing_ok=True)
        raise
    os.replace(draft, folder / name)
    if old and old != claim.receipt_path:
        (data_dir / old).unlink(missing_ok=True)
    return claim, True


def expense_remove(
    *, session: Session, shop: Shop, actor_id: int, expense_id: uuid.UUID, data_dir: Path
) -> bool:
    """Take a claim off before hand-in; True if one was removed. An id no longer stored is
    what the shopper asked for (a resend after a lost reply): False, not an error."""
    if shop.shopper_id != actor_id:
        raise NotFoundError(MSG_NOT_YOURS)
    claim = session.get(ExpenseClaim, expense_id)
    if claim is None:
        return False
    if claim.shop_id != shop.id:
        raise NotFoundError(MSG_NOT_FOUND)
    _undecided(claim)
    if shop.status not in OPEN_STATES:
        raise ConflictError(MSG_SHOP_CLOSED, field="expense")
    path = claim.receipt_path
    session.delete(claim)
    session.commit()
    if path:  # the file goes only once the row is gone for good
        (data_dir / path).unlink(missing_ok=True)
    return True


def _decidable(shop: Shop) -> None:
    if shop.status not in (ShopStatus.submitted, ShopStatus.approved):
        raise ConflictError(MSG_NOT_HANDED_IN, field="expense")


def expense_approve(
    *, session: Session, shop: Shop, expense_id: uuid.UUID, actor_id: int
) -> ExpenseClaim:
    """Approve one claim of a handed-in shop. Approving an approved one again changes nothing."""
    claim = _claim_of(session, shop, expense_id)
    if claim.status == ExpenseStatus.approved:
        return claim
    _decidable(shop)
    if claim.run_id is not None:  # a run holds it: its amount is in a payment already
        raise ConflictError(MSG_DECIDED["paid"], field="expense")
    claim.status = ExpenseStatus.approved
    claim.reject_reason = ""
    claim.decided_at, claim.decided_by = utcnow(), actor_id
    session.add(claim)
    session.commit()
    return claim


def expense_reject(
    *, session: Session, shop: Shop, expense_id: uuid.UUID, actor_id: int, reason: str
) -> ExpenseClaim:
    """Reject one claim, saying why (the shopper reads it). A claim a payment run holds
    cannot be rejected: cancel the run first."""
    reason = reason.strip()
    if not reason:
        raise DomainError(MSG_REASON, field="reason")
    if len(reason) > REASON_MAX:
        raise DomainError(MSG_REASON_LONG, field="reason")
    claim = _claim_of(session, shop, expense_id)
    _decidable(shop)
    if claim.run_id is not None:
        raise ConflictError(MSG_DECIDED["in_run"], field="expense")
    claim.status = ExpenseStatus.rejected
    claim.reject_reason = reason
    claim.decided_at, claim.decided_by = utcnow(), actor_id
    session.add(claim)
    session.commit()
    return claim


def expenses_approve_with_shop(*, session: Session, shop: Shop, actor_id: int) -> int:
    """Approve the shop's claims still waiting (with the shop's approval); how many. Rejected
    ones stay rejected. One conditional update, so a claim decided meanwhile is left alone."""
    if shop.status != ShopStatus.approved:
        raise ConflictError(MSG_NOT_HANDED_IN, field="expense")
    result = session.execute(
        update(ExpenseClaim)
        .where(
            col(ExpenseClaim.shop_id) == shop.id,
            col(ExpenseClaim.org_id) == shop.org_id,
            col(ExpenseClaim.status) == ExpenseStatus.claimed,
        )
        .values(status=ExpenseStatus.approved, decided_at=utcnow(), decided_by=actor_id)
        .execution_options(synchronize_session="fetch")
    )
    session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def expense_rules_set(*, session: Session, org_id: int, receipt_required: bool) -> ExpenseRules:
    rules = queries.expense_rules(session)
    if rules.id is None:
        rules = ExpenseRules(org_id=org_id)
    rules.receipt_required = receipt_required
    session.add(rules)
    try:
        session.commit()
    except IntegrityError:  # two owners at once: the other's row is there now; set it
        session.rollback()
        rules = queries.expense_rules(session)
        rules.receipt_required = receipt_required
        session.add(rules)
        session.commit()
    return rules
