"""Reads of expense claims: a shop's claims, the organization's receipt rule, and which
claims still lack a receipt that the rule requires."""

from __future__ import annotations

from sqlmodel import Session, col, select

from audits.board.queries import NO_MINOR_UNIT, fee_words
from audits.expenses.models import ExpenseClaim, ExpenseRules, ExpenseStatus
from audits.models import Shop
from audits.shopper_refusals import (  # noqa: F401 (their names here before)
    MSG_RECEIPT_MISSING,
    MSG_RECEIPT_MISSING_ONE,
)

# Said when a hand-in is refused (audits.services.shop_submit) and next to the expense.
MSG_RECEIPT_NEEDED = (
    "Add a photo of the receipt: this organization asks for one with every expense."
)

STATUS_LABELS = {
    ExpenseStatus.claimed: "Waiting for approval",
    ExpenseStatus.approved: "Approved",
    ExpenseStatus.rejected: "Rejected",
}


def expense_rules(session: Session) -> ExpenseRules:
    """The organization's expense rules (the tenant scope picks its row), or the defaults."""
    return session.exec(select(ExpenseRules)).first() or ExpenseRules(org_id=0)


def receipt_required(session: Session) -> bool:
    return expense_rules(session).receipt_required


def shop_expenses(session: Session, shop: Shop) -> list[ExpenseClaim]:
    return list(
        session.exec(
            select(ExpenseClaim)
            .where(ExpenseClaim.shop_id == shop.id)
            .order_by(col(ExpenseClaim.created_at), col(ExpenseClaim.id))
        )
    )


def receipts_missing(session: Session, shop: Shop) -> list[ExpenseClaim]:
    """The shop's claims still open to a decision that have no receipt, when the organization
    requires one (empty when it does not)."""
    if not receipt_required(session):
        return []
    return [
        e
        for e in shop_expenses(session, shop)
        if e.receipt_path is None and e.status != ExpenseStatus.rejected
    ]


def amount_words(claim: ExpenseClaim) -> str:
    """ "EUR 12.40" """
    return fee_words(claim.amount_minor, claim.currency)


def receipt_url(claim: ExpenseClaim) -> str | None:
    if claim.receipt_path is None:
        return None
    return f"/shops/{claim.shop_id}/expenses/{claim.id}/receipt"


def amount_text(claim: ExpenseClaim) -> str:
    """The amount as the phone's field takes it: "12.40", "3000"."""
    if claim.currency in NO_MINOR_UNIT:
        return str(claim.amount_minor)
    return f"{claim.amount_minor // 100}.{claim.amount_minor % 100:02d}"
