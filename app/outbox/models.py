"""One row per e-mail Touchstone sends: what it says, and how far its sending got."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import LargeBinary, String, Text, UniqueConstraint
from sqlmodel import Field

from app.modelbase import OrgOwned, utc_field, utcnow


class MailStatus(StrEnum):
    queued = "queued"  # waiting for its job (or for the next try after a failure)
    sending = "sending"  # a worker is talking to the SMTP server
    sent = "sent"
    failed = "failed"  # every try failed; an owner may send it again
    skipped = "skipped"  # e-mail is off (no SMTP_HOST)


# Where a message's secret goes in its body (see OutgoingMail.secret).
SECRET_MARK = "[[secret]]"


class OutgoingMail(OrgOwned, table=True):
    """An e-mail of an organization. `key` names what it is about (`alert:12`,
    `password-changed:7:<time>`): a second message with the same key is never made, so a
    check that runs twice, or a job run again after a crash, does not mail twice."""

    __tablename__ = "outgoing_mail"
    __table_args__ = (UniqueConstraint("org_id", "key", name="uq_outgoing_mail_org_key"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_type=String(200))
    to_addr: str = Field(sa_type=Text)  # addresses, comma-separated
    subject: str = Field(sa_type=String(300))
    body: str = Field(sa_type=Text)
    # A one-time link (an invite's) that the body names as SECRET_MARK: put into the message
    # only as it leaves, and blanked once it is sent, so the stored body never holds it and
    # the row keeps it no longer than needed. Kept while the message waits or has failed, so
    # that an owner's "send again" still works (the link expires with its invite anyway).
    secret: str = Field(default="", sa_type=Text)
    status: MailStatus = Field(default=MailStatus.queued, sa_type=String(12), index=True)
    # Raised each time an owner sends it again: the job of each round is a job of its own.
    round: int = 0
    attempts: int = 0
    last_error: str = Field(default="", sa_type=Text)
    created_at: datetime = utc_field(default_factory=utcnow)
    sent_at: datetime | None = utc_field(default=None)
    failed_at: datetime | None = utc_field(default=None)


class MailAttachment(OrgOwned, table=True):
    """A file sent with a message (a scheduled report's PDF). Kept in a table of its own so
    that the owners' page, which lists messages, never reads the bytes; stored in the
    database with the message, so a worker on another machine can send it."""

    __tablename__ = "mail_attachment"

    id: int | None = Field(default=None, primary_key=True)
    mail_id: int = Field(foreign_key="outgoing_mail.id", index=True, ondelete="CASCADE")
    filename: str = Field(sa_type=String(200))
    content_type: str = Field(default="application/pdf", sa_type=String(100))
    data: bytes = Field(sa_type=LargeBinary)
