"""The shopper's page action on feedback: answering a reviewer's note."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import Response

from app.errors import DomainError
from app.modelbase import MAX_ID, ident
from app.orgs.models import Role
from app.templating import flash, is_htmx, redirect, render
from app.tenancy import Tenant, require_role
from audits.deps import ShopDep
from audits.feedback.models import ReviewNote
from audits.feedback.services import note_reply

router = APIRouter(include_in_schema=False)

ShopperDep = Annotated[Tenant, Depends(require_role(Role.shopper))]
MSG_REPLY_SENT = "Your answer was sent to the reviewer."


@router.post("/shops/{shop_id}/notes/{note_id}/reply")
def note_reply_page(
    request: Request,
    tenant: ShopperDep,
    shop: ShopDep,
    note_id: Annotated[int, Path(ge=0, le=MAX_ID)],
    reply: Annotated[str, Form()] = "",
) -> Response:
    """From the fill page (a returned shop) or the approved shop's page: htmx swaps the note
    in place; without script the page comes back with a message."""
    session = tenant.session
    back = f"/shops/{ident(shop)}/fill"
    try:
        note = note_reply(
            session=session, shop=shop, note_id=note_id, actor_id=tenant.user_id, text=reply
        )
    except DomainError as exc:
        session.rollback()
        if exc.field != "reply":
            raise
        if not is_htmx(request):
            flash(request, exc.message, "error")
            return redirect(request, back)
        failed = session.get(ReviewNote, note_id)
        return render(
            request,
            "feedback/_note.html",
            {
                "shop": shop,
                "note": failed,
                "reply_error": exc.message,
                "reply_value": reply,
                "tz": tenant.org.timezone,
            },
            status_code=400,
        )
    if not is_htmx(request):
        flash(request, MSG_REPLY_SENT)
        return redirect(request, back)
    return render(
        request,
        "feedback/_note.html",
        {"shop": shop, "note": note, "reply_sent": True, "tz": tenant.org.timezone},
    )
