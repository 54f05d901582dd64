"""JSON API for feedback: a shop's notes (its owner and its shopper, never staff) and the
shopper's answer to one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field

from app.errors import NotFoundError
from app.modelbase import MAX_ID
from app.orgs.models import Role
from app.tenancy import Tenant, require_role
from audits.deps import ShopDep
from audits.feedback import queries
from audits.feedback.models import ReviewNote
from audits.feedback.services import MSG_NOTE_UNKNOWN, note_reply

router = APIRouter(tags=["shops"])

ShopperDep = Annotated[Tenant, Depends(require_role(Role.shopper))]
# Staff (viewers) are left out: notes are between the reviewer and the shopper.
PartyDep = Annotated[Tenant, Depends(require_role(Role.owner, Role.shopper))]


class NotePublic(BaseModel):
    id: int
    kind: str = Field(description="returned: what to fix; approved: with the approval")
    question_id: int | None = Field(description="null: about the shop as a whole")
    text: str
    created_at: datetime
    reply: str
    replied_at: datetime | None


class ReplyBody(BaseModel):
    reply: str = Field(description="The shopper's answer; sending again replaces it.")


def _public(note: ReviewNote) -> NotePublic:
    return NotePublic(
        id=note.id or 0,
        kind=str(note.kind),
        question_id=note.question_id,
        text=note.text,
        created_at=note.created_at,
        reply=note.reply,
        replied_at=note.replied_at,
    )


@router.get("/shops/{shop_id}/notes", response_model=list[NotePublic])
def notes_read(tenant: PartyDep, shop: ShopDep) -> list[NotePublic]:
    """The reviewer's notes on the shop, oldest first, with the shopper's answers."""
    return [_public(n) for n in queries.shop_notes(tenant.session, shop)]


@router.post("/shops/{shop_id}/notes/{note_id}/reply", response_model=NotePublic)
def note_reply_api(
    tenant: ShopperDep,
    shop: ShopDep,
    note_id: Annotated[int, Path(ge=0, le=MAX_ID)],
    data: ReplyBody,
) -> NotePublic:
    """The shop's shopper answers one of the reviewer's notes."""
    if shop.shopper_id != tenant.user_id:
        raise NotFoundError(MSG_NOTE_UNKNOWN)
    note = note_reply(
        session=tenant.session,
        shop=shop,
        note_id=note_id,
        actor_id=tenant.user_id,
        text=data.reply,
    )
    return _public(note)
