"""The owners' e-mail page under settings: what could not be sent, and sending it again."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.errors import DomainError
from app.i18n.catalogs import N_
from app.i18n.message import message
from app.outbox import queries
from app.outbox.models import OutgoingMail
from app.outbox.services import mail_retry
from app.templating import flash, redirect, render
from app.tenancy import OwnerDep, path_loader

router = APIRouter(include_in_schema=False)
MailDep = Annotated[OutgoingMail, Depends(path_loader(OutgoingMail))]
MSG_RETRYING = N_("Sending it again to %(to)s. It leaves this list once it is sent.")


def _page(request: Request, tenant: OwnerDep, **extra: Any) -> Response:
    return render(
        request,
        "orgs/mail.html",
        {
            "failed": queries.mails_failed(tenant.session),
            "retrying": queries.mails_retrying(tenant.session),
            "sent": queries.mails_sent_count(tenant.session),
            "mail_on": request.app.state.settings.smtp_enabled,
            "tz": tenant.org.timezone,
            "notice": None,
            **extra,
        },
        fragment="orgs/_mail_panel.html",
    )


@router.get("/settings/mail")
def mail_page(request: Request, tenant: OwnerDep) -> Response:
    return _page(request, tenant)


@router.post("/settings/mail/{outgoing_mail_id}/retry")
def mail_retry_page(request: Request, tenant: OwnerDep, mail: MailDep) -> Response:
    try:
        mail_retry(session=tenant.session, mail=mail)
        notice: str = message(MSG_RETRYING, to=mail.to_addr)
    except DomainError as exc:  # a second tap, or another tab got there first
        notice = exc.message
    if not request.headers.get("hx-request"):
        flash(request, notice)
        return redirect(request, "/settings/mail")
    return _page(request, tenant, notice=notice)
