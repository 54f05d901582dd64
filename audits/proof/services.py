"""Keeping the proof of visit: called by the hand-in, in its transaction."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.modelbase import ident
from audits.models import Answer, Shop
from audits.proof.models import VisitProof


def proof_record(session: Session, shop: Shop) -> VisitProof:
    """The phone's first and last answer times of the shop, and its hand-in time, stored
    (no commit). A shop returned and handed in again has them taken anew over all its
    answers: the visit started with the first answer ever given."""
    first, last, count = session.execute(
        sa_select(
            func.min(col(Answer.given_at)),
            func.max(col(Answer.given_at)),
            func.count(col(Answer.id)),
        ).where(col(Answer.shop_id) == shop.id)
    ).one()
    proof = session.exec(select(VisitProof).where(col(VisitProof.shop_id) == shop.id)).first()
    if proof is None:
        proof = VisitProof(org_id=shop.org_id, shop_id=ident(shop))
    proof.started_at = first
    proof.ended_at = last
    proof.answers = int(count)
    proof.handed_in_at = shop.submitted_at
    session.add(proof)
    return proof
