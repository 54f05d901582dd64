"""Reads for the owners' e-mail page."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.outbox.models import MailStatus, OutgoingMail

# The page lists at most this many messages of each kind, newest first.
PAGE_LIMIT = 100


def mails_failed(session: Session, *, limit: int = PAGE_LIMIT) -> list[OutgoingMail]:
    """The session's organization's messages whose every try failed, newest first."""
    return list(
        session.exec(
            select(OutgoingMail)
            .where(OutgoingMail.status == MailStatus.failed)
            .order_by(col(OutgoingMail.failed_at).desc(), col(OutgoingMail.id).desc())
            .limit(limit)
        ).all()
    )


def mails_retrying(session: Session, *, limit: int = PAGE_LIMIT) -> list[OutgoingMail]:
    """Messages that failed at least once and wait for their next try."""
    return list(
        session.exec(
            select(OutgoingMail)
            .where(
                col(OutgoingMail.status).in_((MailStatus.queued, MailStatus.sending)),
                OutgoingMail.last_error != "",
            )
            .order_by(col(OutgoingMail.id).desc())
            .limit(limit)
        ).all()
    )


def mails_sent_count(session: Session) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(OutgoingMail)
            .where(OutgoingMail.status == MailStatus.sent)
        ).one()
    )


def mails_failed_count(session: Session) -> int:
    """How many of the session's organization's messages wait for an owner to send them
    again (one COUNT, for the alerts page)."""
    return int(
        session.exec(
            select(func.count())
            .select_from(OutgoingMail)
            .where(OutgoingMail.status == MailStatus.failed)
        ).one()
    )
