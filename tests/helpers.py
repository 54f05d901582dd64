"""Small functions that several test modules share (fixtures live in conftest.py, test data in
factories.py)."""

from __future__ import annotations

import http.server
import io
import socketserver
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from app.config import Settings
from app.orgs.models import Role


def shown(value: float) -> str:
    """A score as every page, PDF and chart shows it, worked out here apart from the code
    under test (app.figures): rounded once, half away from zero, to one decimal, whole
    numbers bare. 46.666… shows 46.7, 46.65 shows 46.7, 50.335 shows 50.3."""
    text = f"{Decimal(repr(float(value))).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):f}"
    text = text.removesuffix(".0")
    return "0" if text == "-0" else text


def _reader(pdf: bytes | Path) -> PdfReader:
    return PdfReader(io.BytesIO(pdf.read_bytes() if isinstance(pdf, Path) else pdf))


def pdf_text(pdf: bytes | Path) -> str:
    """The text of every page of a PDF (its bytes or a saved file), as one line: runs of
    whitespace, line breaks included, become one space, so a sentence that wraps still
    matches."""
    return " ".join(" ".join((page.extract_text() or "").split()) for page in _reader(pdf).pages)


def pdf_pages(pdf: bytes | Path) -> int:
    """How many pages a PDF has."""
    return len(_reader(pdf).pages)


def print_in(db: Any, lang: str, also: tuple[str, ...] = ()) -> None:
    """Every organization of the test prints in `lang`: its report language (and so one of its
    languages), set in the database as an owner would on the settings page."""
    from sqlmodel import Session, select

    from app.orgs.models import Organization

    with Session(db.engine) as s:
        for org in s.exec(select(Organization)).all():
            org.languages = list(dict.fromkeys([*org.languages, lang, *also]))
            org.report_language = lang
            s.add(org)
        s.commit()


def make_shopper_shop(session: Any, db: Any, client: Any) -> dict[str, object]:
    """An organization whose shopper, signed in on `client`, has a shop with two answers
    ("answer" and "other", client-made UUIDs), and an owner; with the shopper's API token."""
    from tests.conftest import sign_in
    from tests.factories import (
        make_answer,
        make_member,
        make_org,
        make_question,
        make_shop,
        make_token,
        make_touchpoint,
    )

    org = make_org(session)
    shopper = make_member(session, org, Role.shopper)
    owner = make_member(session, org, Role.owner)
    tp = make_touchpoint(session, org)
    first, second = make_question(session, tp), make_question(session, tp)
    shop = make_shop(session, org, touchpoints=[tp], shopper_id=shopper.id)
    answer = make_answer(session, shop, first, id=uuid.uuid4())
    other = make_answer(session, shop, second, id=uuid.uuid4())
    sign_in(client, db, shopper, org)
    return {
        "org": org,
        "shop": shop,
        "answer": answer,
        "other": other,
        "owner": owner,
        "token": make_token(session, org, shopper),
    }


# --- a test SMTP server ----------------------------------------------------------------


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class SmtpServer:
    """What the `smtp` fixture's server (tests/conftest.py) received, and its port."""

    port: int
    received: list[Received] = field(default_factory=list)
    # A recipient in `hold` makes its connection wait at RCPT until `release` is set (a
    # worker can be killed in the middle of sending); `held` is set when one arrives.
    hold: set[str] = field(default_factory=set)
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: greeting, EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    def _say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        box: SmtpServer = self.server.box  # type: ignore[attr-defined]
        sender, recipients = "", []
        self._say("220 test.local ESMTP")
        while line := self.rfile.readline():
            command = line.decode("ascii", "replace").strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self._say("250 test.local")
            elif command.upper().startswith("MAIL FROM:"):
                sender, recipients = command[10:].strip(" <>"), []
                self._say("250 OK")
            elif command.upper().startswith("RCPT TO:"):
                recipients.append(command[8:].strip(" <>"))
                if recipients[-1] in box.hold:
                    box.held.set()
                    box.release.wait(timeout=120)
                self._say("250 OK")
            elif verb == "DATA":
                self._say("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while (body := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(body[1:] if body.startswith(b"..") else body)
                message = message_from_bytes(b"".join(lines), policy=policy.default)
                box.received.append(Received(sender, recipients, message))  # type: ignore[arg-type]
                self._say("250 OK: queued")
            elif verb in ("RSET", "NOOP"):
                self._say("250 OK")
            elif verb == "QUIT":
                self._say("221 Bye")
                return
            else:
                self._say("502 Not implemented")


def smtp_settings(settings: Settings, port: int) -> Settings:
    """`settings` sending mail to the test SMTP server on `port`."""
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_starttls": False,
            "smtp_from": "alerts@touchstone.example",
        }
    )


def smtp_server(port: int = 0) -> tuple[socketserver.ThreadingTCPServer, SmtpServer]:
    """A few lines of the SMTP protocol on a thread (socketserver), listening on a free local
    port (or `port`): smtplib in app.mailer talks to it over TCP exactly as to a real relay."""
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    server = socketserver.ThreadingTCPServer(("127.0.0.1", port), _SmtpHandler)
    server.daemon_threads = True
    box = SmtpServer(port=server.server_address[1])
    server.box = box  # type: ignore[attr-defined]
    return server, box


@contextmanager
def smtp_running(port: int = 0) -> Iterator[SmtpServer]:
    """The test SMTP server on a thread for the `with` block."""
    server, box = smtp_server(port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box
    finally:
        box.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=30)


# --- background jobs, in the test's own process ----------------------------------------------


def run_jobs(app: Any) -> None:
    """Run, in this process, what a job worker would run next for `app` (the suite runs with
    JOBS=off, so nothing else does): the same job bodies, called directly. Alert e-mails are
    put in the outbox, scheduled reports that are due made and put in the outbox, waiting
    packs printed, reports rendered ahead after approvals, waiting e-mails sent (one try
    each)."""
    from sqlmodel import col, select

    from app.jobs.runtime import JobContext, RetryLater
    from app.outbox.models import MailStatus, OutgoingMail
    from app.outbox.services import mail_send
    from recovery.alerts.services import alerts_mail_job
    from reports.pdf.jobs import pack_print_job
    from reports.pdf.models import JobStatus, ReportJob
    from reports.pdf.warm import KIND as WARM
    from reports.pdf.warm import warm_job
    from reports.schedules.jobs import report_send_job, schedules_due_job
    from reports.schedules.models import ReportSend

    ctx = JobContext(settings=app.state.settings, db=app.state.db, state=app.state)
    alerts_mail_job(ctx)
    schedules_due_job(ctx)
    with ctx.db.session() as session:
        sends = session.exec(
            select(ReportSend.id).where(col(ReportSend.mail_id).is_(None), ReportSend.error == "")
        ).all()
    for send_id in sends:
        report_send_job(ctx, send_id)  # type: ignore[arg-type]
    with ctx.db.session() as session:
        packs = session.exec(select(ReportJob).where(ReportJob.status == JobStatus.queued)).all()
        mails = session.exec(
            select(OutgoingMail.id).where(
                col(OutgoingMail.status).in_((MailStatus.queued, MailStatus.sending))
            )
        ).all()
    for pack in packs:
        if pack.kind == WARM:
            warm_job(ctx, pack.org_id, str(pack.id))
        else:
            pack_print_job(ctx, pack.org_id, str(pack.id))
    for mail_id in mails:
        try:
            mail_send(ctx, mail_id)  # type: ignore[arg-type]
        except RetryLater:
            pass


# --- a webhook receiver: a real HTTP server on a free port, on a thread -----------------------


@dataclass
class Hook:
    """One request a webhook receiver got."""

    headers: dict[str, str]
    body: bytes


@dataclass
class HookReceiver:
    """A receiver that answers with the next of `answers` (then 200 for ever after) and
    keeps every request it gets."""

    port: int
    answers: list[int] = field(default_factory=list)
    received: list[Hook] = field(default_factory=list)
    redirect_to: str = "http://127.0.0.1:1/elsewhere"
    # With `hold_first`, the first request waits for `release` before it is answered (a
    # worker can be killed while it waits for the answer); `held` is set when it arrives.
    hold_first: bool = False
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/touchstone"


class _HookHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
        box: HookReceiver = self.server.box  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        box.received.append(Hook(headers=dict(self.headers.items()), body=body))
        if box.hold_first and not box.held.is_set():
            box.held.set()
            box.release.wait(timeout=300)
        code = box.answers.pop(0) if box.answers else 200
        answer = b"ok" if code < 300 else f"receiver says {code}".encode()
        try:
            self.send_response(code)
            if 300 <= code < 400:
                self.send_header("Location", box.redirect_to)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
        except OSError:  # the sender was killed while this request was held
            pass

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@contextmanager
def hook_receiver(answers: list[int] | None = None) -> Iterator[HookReceiver]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HookHandler)
    box = HookReceiver(port=server.server_address[1], answers=list(answers or []))
    server.box = box  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=30)
