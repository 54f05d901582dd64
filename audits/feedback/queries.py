"""Reading feedback: a shop's notes (for its owner and its shopper only) and the rubric's
averages per shopper (the owner's shoppers' records page)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from audits.feedback.models import NoteKind, ReviewNote, ShopRating
from audits.models import Shop


def shop_notes(session: Session, shop: Shop) -> list[ReviewNote]:
    """Every note on the shop, oldest first."""
    return list(
        session.exec(
            select(ReviewNote)
            .where(col(ReviewNote.shop_id) == shop.id)
            .order_by(col(ReviewNote.created_at), col(ReviewNote.id))
        )
    )


def return_notes_by_question(notes: list[ReviewNote]) -> dict[int | None, list[ReviewNote]]:
    """The notes of the shop's returns, by the question they are about (None: the shop as a
    whole), newest first: what the shopper is asked to fix now comes first."""
    grouped: dict[int | None, list[ReviewNote]] = defaultdict(list)
    for note in reversed(notes):
        if note.kind == NoteKind.returned:
            grouped[note.question_id].append(note)
    return dict(grouped)


def approval_notes(notes: list[ReviewNote]) -> list[ReviewNote]:
    return [n for n in notes if n.kind == NoteKind.approved]


def shop_rating(session: Session, shop: Shop) -> ShopRating | None:
    return session.exec(select(ShopRating).where(col(ShopRating.shop_id) == shop.id)).first()


@dataclass(frozen=True)
class RubricAverages:
    """A shopper's average marks (1–3) over their rated shops; None: never marked."""

    rated: int
    on_time: float | None
    complete: float | None
    detail: float | None


def rubric_averages(session: Session) -> dict[int, RubricAverages]:
    """Per shopper (of the shop when it was rated), in one grouped query."""
    rows = session.execute(
        sa_select(
            col(Shop.shopper_id),
            func.count(col(ShopRating.id)),
            func.avg(col(ShopRating.on_time)),
            func.avg(col(ShopRating.complete)),
            func.avg(col(ShopRating.detail)),
        )
        .join(Shop, col(Shop.id) == col(ShopRating.shop_id))
        .where(col(Shop.shopper_id).is_not(None))
        .group_by(col(Shop.shopper_id))
    ).all()
    return {
        int(shopper_id): RubricAverages(
            rated=int(count),
            on_time=float(on_time) if on_time is not None else None,
            complete=float(complete) if complete is not None else None,
            detail=float(detail) if detail is not None else None,
        )
        for shopper_id, count, on_time, complete, detail in rows
    }
