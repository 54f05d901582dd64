"""Writing feedback: the rubric's marks checked, notes stored, and the shopper's reply.

The return and the approval themselves stay in audits.services (one transaction each); they
call note_add and rating_record here before they commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.clock import utcnow
from app.errors import DomainError, NotFoundError
from app.modelbase import ident
from audits.feedback.models import NoteKind, ReviewNote, ShopRating
from audits.models import Shop

NOTE_MAX = 4000
RUBRIC = (
    ("on_time", "On time"),
    ("complete", "Complete"),
    ("detail", "Detailed comments"),
)
MSG_MARK = "Choose 1 (poor), 2 (fair) or 3 (good), or leave it unmarked."
MSG_REPLY_EMPTY = "Write your answer to the reviewer's note."
MSG_REPLY_LONG = f"Keep your answer under {NOTE_MAX} characters."
MSG_NOTE_LONG = f"Keep the note under {NOTE_MAX} characters."
MSG_NOTE_UNKNOWN = "Not found."  # like a shop that is not theirs: nothing to learn


@dataclass(frozen=True)
class Rubric:
    """The reviewer's marks, 1 to 3 each; None: left unmarked."""

    on_time: int | None = None
    complete: int | None = None
    detail: int | None = None

    def any(self) -> bool:
        return any(v is not None for v in (self.on_time, self.complete, self.detail))


def rubric_checked(raw: Mapping[str, object]) -> Rubric:
    """The marks from a form or a request body ("" or None: unmarked); the first bad one
    refused with its field named."""
    marks: dict[str, int | None] = {}
    for field, _ in RUBRIC:
        value = raw.get(field)
        if value is None or value == "":
            marks[field] = None
            continue
        if isinstance(value, bool) or str(value).strip() not in ("1", "2", "3"):
            raise DomainError(MSG_MARK, field=field)
        marks[field] = int(str(value).strip())
    return Rubric(**marks)


def note_add(
    session: Session,
    shop: Shop,
    *,
    kind: NoteKind,
    text: str,
    author_id: int,
    question_id: int | None = None,
) -> ReviewNote:
    """Add one note in the caller's transaction (no commit)."""
    note = ReviewNote(
        org_id=shop.org_id,
        shop_id=ident(shop),
        question_id=question_id,
        kind=kind,
        text=text,
        author_id=author_id,
        created_at=utcnow(),
    )
    session.add(note)
    return note


def rating_record(session: Session, shop: Shop, rubric: Rubric, rater_id: int) -> None:
    """Store the shop's marks in the caller's transaction (no commit); none given: nothing."""
    if not rubric.any():
        return
    rating = session.exec(select(ShopRating).where(col(ShopRating.shop_id) == shop.id)).first()
    if rating is None:
        rating = ShopRating(org_id=shop.org_id, shop_id=ident(shop))
    rating.on_time = rubric.on_time
    rating.complete = rubric.complete
    rating.detail = rubric.detail
    rating.rater_id = rater_id
    rating.rated_at = utcnow()
    session.add(rating)


def note_reply(
    *, session: Session, shop: Shop, note_id: int, actor_id: int, text: str
) -> ReviewNote:
    """The shop's shopper answers one of the reviewer's notes on their shop. Writing again
    replaces the answer (with the new time): the reviewer reads the latest."""
    if shop.shopper_id != actor_id:
        raise NotFoundError(MSG_NOTE_UNKNOWN)
    note = session.get(ReviewNote, note_id)
    if note is None or note.shop_id != shop.id:
        raise NotFoundError(MSG_NOTE_UNKNOWN)
    reply = text.strip()
    if not reply:
        raise DomainError(MSG_REPLY_EMPTY, field="reply")
    if len(reply) > NOTE_MAX:
        raise DomainError(MSG_REPLY_LONG, field="reply")
    note.reply = reply
    note.reply_by_id = actor_id
    note.replied_at = utcnow()
    session.add(note)
    session.commit()
    return note
