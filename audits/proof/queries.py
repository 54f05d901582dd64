"""Reading the proof of visit (owners only: the shop page hides it from staff)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from audits.models import Shop
from audits.proof.models import VisitProof


def shop_proof(session: Session, shop: Shop) -> VisitProof | None:
    return session.exec(select(VisitProof).where(col(VisitProof.shop_id) == shop.id)).first()
