"""Writing e-mail to the outbox, the job that sends one message, and sending again.

A message is a row before it is anything else: `mail_queue` adds it in the caller's
transaction, and only once that commits is its job queued (`after_commit`), so a message is
never sent for something that was rolled back. The job (`mail_send`) sends the row once:

1. in a transaction of its own it skips a row that is sent, given up or skipped, and marks
   the others `sending` with one more attempt;
2. it talks to the SMTP server (outside every transaction), with a Message-ID made from
   the row's id;
3. it marks the row `sent` — or, when the server could not be reached or refused, `queued`
   with the error, and asks the job system to try again after a wait (`RetryLater`); when
   the tries run out, `mail_give_up` marks it `failed` for the owners' page.

A worker killed before step 3 leaves the row `sending`; the job runs again when the worker
comes back and sends it. Only a worker killed in the instant between the server's "250 OK"
and step 3 sends the message twice, with the same Message-ID (mail systems drop such
duplicates); any other order would risk losing the message instead.
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select
from starlette.background import BackgroundTask

from app import mailer
from app.config import Settings
from app.errors import ConflictError
from app.i18n.catalogs import N_
from app.jobs import runtime as jobs
from app.jobs.runtime import JobContext, RetryLater
from app.modelbase import ident, utcnow
from app.outbox.models import SECRET_MARK, MailAttachment, MailStatus, OutgoingMail

log = logging.getLogger("touchstone.mail")

SEND_JOB = "mail.send"
SWEEP_JOB = "mail.sweep"
_QUEUED = "touchstone_mail_queued"
MSG_NOT_FAILED = N_("This e-mail is not waiting to be sent again.")
MSG_MAIL_OFF = N_("E-mail is off (SMTP_HOST is not set).")
# A queued message older than this without its job running is queued again by the sweep
# (the process that committed it died before queueing the job, or the queue was down).
SWEEP_AFTER = timedelta(seconds=30)


def job_id(mail: OutgoingMail) -> str:
    """The job of one round of one message: queueing it twice runs it once."""
    return f"mail-{mail.id}-{mail.round}"


def mail_queue(
    *,
    session: Session,
    org_id: int,
    key: str,
    to: str,
    subject: str,
    body: str,
    attachments: Sequence[mailer.Attachment] = (),
    secret: str = "",
) -> OutgoingMail | None:
    """Add a message (and its attachments) to the outbox in the caller's transaction; its
    job is queued when that commits. None when the organization already has a message with
    this key. A `secret` (a one-time link) stands in the body as SECRET_MARK and is put in
    only when the message is sent."""
    existing = session.exec(
        select(OutgoingMail.id).where(OutgoingMail.org_id == org_id, OutgoingMail.key == key)
    ).first()
    if existing is not None:
        return None
    mail = OutgoingMail(
        org_id=org_id, key=key[:200], to_addr=to, subject=subject, body=body, secret=secret
    )
    session.add(mail)
    session.flush()
    for filename, content_type, data in attachments:
        session.add(
            MailAttachment(
                org_id=org_id,
                mail_id=ident(mail),
                filename=filename[:200],
                content_type=content_type,
                data=data,
            )
        )
    session.info.setdefault(_QUEUED, []).append(job_id(mail))
    return mail


def mail_attachments(ctx: JobContext, mail_id: int) -> list[mailer.Attachment]:
    """The files of one message, read when it is sent (never by the owners' page)."""
    with ctx.db.session() as session:
        rows = session.exec(
            select(MailAttachment)
            .where(MailAttachment.mail_id == mail_id)
            .order_by(col(MailAttachment.id))
        ).all()
        return [(row.filename, row.content_type, row.data) for row in rows]


def after_commit(session: OrmSession) -> None:
    """Queue the jobs of the messages this commit stored (registered by app/wiring.py)."""
    for name in session.info.pop(_QUEUED, ()):
        mail_id = int(name.split("-")[1])
        jobs.enqueue(SEND_JOB, mail_id, job_id=name)


def after_rollback(session: OrmSession) -> None:
    session.info.pop(_QUEUED, None)


def _load(ctx: JobContext, mail_id: int) -> OutgoingMail | None:
    with ctx.db.write() as session:
        mail = session.get(OutgoingMail, mail_id)
        if mail is None or mail.status not in (MailStatus.queued, MailStatus.sending):
            return None
        if not ctx.settings.smtp_enabled:
            mail.status, mail.last_error, mail.secret = MailStatus.skipped, MSG_MAIL_OFF, ""
            session.add(mail)
            return None
        mail.status = MailStatus.sending
        mail.attempts += 1
        session.add(mail)
        session.flush()
        session.expunge(mail)
        return mail


def _record(ctx: JobContext, mail_id: int, **values: object) -> None:
    with ctx.db.write() as session:
        mail = session.get(OutgoingMail, mail_id)
        if mail is None:
            return
        for name, value in values.items():
            setattr(mail, name, value)
        session.add(mail)


def message_id(mail: OutgoingMail) -> str:
    return f"<touchstone-mail-{mail.id}.{mail.org_id}@touchstone>"


def mail_send(ctx: JobContext, mail_id: int) -> None:
    """The `mail.send` job: send the message once (see the module's note)."""
    mail = _load(ctx, mail_id)
    if mail is None:
        return
    try:
        mailer.deliver(
            settings=ctx.settings,
            to=mail.to_addr,
            subject=mail.subject,
            body=mail.body.replace(SECRET_MARK, mail.secret) if mail.secret else mail.body,
            message_id=message_id(mail),
            attachments=mail_attachments(ctx, mail_id),
        )
    except (OSError, smtplib.SMTPException) as exc:
        reason = f"{type(exc).__name__}: {exc}"[:500]
        _record(ctx, mail_id, status=MailStatus.queued, last_error=reason)
        raise RetryLater(reason) from exc
    _record(ctx, mail_id, status=MailStatus.sent, sent_at=utcnow(), last_error="", secret="")


def mail_give_up(ctx: JobContext, mail_id: int, reason: str) -> None:
    """Every try failed: the owners' page lists the message with the last error."""
    log.error("e-mail %s not sent after every try: %s", mail_id, reason)
    _record(ctx, mail_id, status=MailStatus.failed, failed_at=utcnow(), last_error=reason)


def mail_retry(*, session: Session, mail: OutgoingMail) -> OutgoingMail:
    """Send a failed message again (an owner asked): a new round with a job of its own."""
    if mail.status != MailStatus.failed:
        raise ConflictError(MSG_NOT_FAILED)
    mail.status = MailStatus.queued
    mail.round += 1
    mail.attempts = 0
    mail.failed_at = None
    session.add(mail)
    session.flush()
    session.info.setdefault(_QUEUED, []).append(job_id(mail))
    session.commit()
    return mail


def mail_sweep(ctx: JobContext) -> int:
    """The heartbeat's part: queue again the job of every message still waiting a while
    after it was stored (queueing a job that exists changes nothing). Returns how many."""
    cutoff = utcnow() - SWEEP_AFTER
    with ctx.db.session() as session:
        waiting = session.exec(
            select(OutgoingMail).where(
                col(OutgoingMail.status).in_((MailStatus.queued, MailStatus.sending)),
                col(OutgoingMail.created_at) < cutoff,
            )
        ).all()
    for mail in waiting:
        jobs.enqueue(SEND_JOB, ident(mail), job_id=job_id(mail))
    return len(waiting)


# --- notices to one person ----------------------------------------------------------------
# Security notices (a password changed, two-step login turned on or off) belong to a person,
# not to an organization, so they are not outbox rows for the owners' page: each is a job of
# its own, tried again like any message, its Message-ID kept across tries.

NOTICE_JOB = "mail.notice"


def notice_queue(*, settings: Settings, to: str, subject: str, body: str) -> BackgroundTask | None:
    """Queue a notice to `to`. When no queue takes it (JOBS=off, or the queue cannot be
    reached) it is sent after the response instead, once, so it is not lost: the returned
    task goes on the response."""
    if not settings.smtp_enabled:
        return None
    key = uuid.uuid4().hex
    if jobs.enqueue(NOTICE_JOB, to, subject, body, key, job_id=f"notice-{key}"):
        return None
    return BackgroundTask(mailer.send, settings=settings, to=to, subject=subject, body=body)


def notice_send(ctx: JobContext, to: str, subject: str, body: str, key: str) -> None:
    """The `mail.notice` job."""
    if not ctx.settings.smtp_enabled:
        return
    try:
        mailer.deliver(
            settings=ctx.settings,
            to=to,
            subject=subject,
            body=body,
            message_id=f"<touchstone-notice-{key}@touchstone>",
        )
    except (OSError, smtplib.SMTPException) as exc:
        raise RetryLater(f"{type(exc).__name__}: {exc}"[:500]) from exc


def notice_give_up(
    ctx: JobContext, to: str, subject: str, body: str, key: str, reason: str
) -> None:
    log.error("notice %s to %s not sent after every try: %s", key, to, reason)
