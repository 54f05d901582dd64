"""Outgoing e-mail over SMTP (standard library), used only when SMTP_HOST is set."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from email.message import EmailMessage

from app.config import Settings
from app.modelbase import utcnow
from app.orgs.models import ROLE_LABELS, Invite, Organization, Role

log = logging.getLogger("touchstone.mail")


# A file sent with a message: (file name, MIME type such as "application/pdf", bytes).
Attachment = tuple[str, str, bytes]


def deliver(
    *,
    settings: Settings,
    to: str,
    subject: str,
    body: str,
    message_id: str | None = None,
    attachments: Sequence[Attachment] = (),
) -> None:
    """Hand one plain-text message, with its attachments, to the SMTP server; raises OSError
    or SMTPException.

    `message_id` stays the same when a message is sent again after a crash, so that mail
    systems that drop duplicates can tell it is the same message."""
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = to
    msg["Subject"] = subject
    if message_id:
        msg["Message-ID"] = message_id
    msg.set_content(body)
    for filename, content_type, data in attachments:
        maintype, _, subtype = content_type.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    with smtplib.SMTP(settings.smtp_host or "", settings.smtp_port, timeout=10) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        smtp.send_message(msg)


def send(*, settings: Settings, to: str, subject: str, body: str) -> bool:
    """Send one plain-text message now; False (and a log line) when SMTP is off or fails.
    Only for the operator's command line and a security notice that no job queue took
    (app.outbox.services.notice_queue); everything else goes through the outbox
    (app/outbox), which retries."""
    if not settings.smtp_enabled:
        return False
    try:
        deliver(settings=settings, to=to, subject=subject, body=body)
    except (OSError, smtplib.SMTPException):
        log.exception("could not send mail to %s", to)
        return False
    return True


def invite_text(*, invite: Invite, link: str, org: Organization) -> tuple[str, str]:
    """Subject and body of an invite e-mail; `link` may be a stand-in (the outbox's
    SECRET_MARK) that the outbox replaces with the one-time link as the message leaves."""
    role = ROLE_LABELS[Role(invite.role)].lower()
    body = (
        f"You have been invited to join {org.name} on Touchstone as {role}.\n\n"
        f"Open this link to set your password and get started:\n{link}\n\n"
        f"The link works once and expires on {invite.expires_at:%d %b %Y at %H:%M} UTC.\n"
    )
    return f"Join {org.name} on Touchstone", body


def password_changed_text(*, settings: Settings, email: str) -> tuple[str, str]:
    """Subject and body telling an account that its password was changed (ASVS 2.2.3);
    never says the password."""
    body = (
        f"The password of your Touchstone account {email} was changed on "
        f"{utcnow():%d %b %Y at %H:%M} UTC, and every other session of the account was "
        f"logged out.\n\n"
        f"If you changed it, there is nothing more to do.\n\n"
        f"If you did not, someone else knows your password: tell an owner of your "
        f"organization at once, so they can deactivate the account. Touchstone is at "
        f"{settings.base_url}\n"
    )
    return "Your Touchstone password was changed", body
