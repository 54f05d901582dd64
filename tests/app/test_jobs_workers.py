"""Background jobs in real processes: `touchstone serve` and `touchstone worker`, killed with
SIGKILL in the middle of a job and started again, against a real SMTP server.

- A meeting pack printed from the page finishes after the server is killed mid-pack and
  started again, once (SQLite, the embedded default: the jobs run inside `serve`).
- An alert e-mail whose SMTP server is down at first arrives once when it comes back.
- A scheduled report whose worker is killed in the middle of sending it arrives once after
  the worker starts again.
- On PostgreSQL, two `touchstone worker` processes: the one holding a message in the middle
  of its SMTP conversation is killed; every message arrives exactly once.

Retries and the heartbeat are set to fractions of a second (JOBS_* settings), so each test
takes seconds. The test polls separate processes and databases for conditions; every
timeout is an upper bound for a busy machine.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import select

from app.config import Settings
from app.db import Database
from app.jobs import runtime as jobs
from app.orgs.models import Role
from app.outbox.models import MailStatus, OutgoingMail
from app.outbox.services import mail_queue
from reports.pdf.models import JobStatus
from reports.schedules.models import ReportSend
from tests.conftest import free_port, fresh_schema_url
from tests.factories import (
    make_alert,
    make_member,
    make_org,
    make_report_schedule,
    make_touchpoint,
)
from tests.helpers import pdf_text, smtp_running

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
TOUCHSTONE = Path(sys.executable).parent / "touchstone"
PASSWORD = "jobs-test-password-1"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
LIMIT = 240.0  # seconds: an upper bound for any one wait on a loaded machine

pytestmark = [pytest.mark.slow, pytest.mark.db]


def wait_for(condition: Callable[[], object], what: str, limit: float = LIMIT) -> object:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)  # polling other processes
    raise AssertionError(f"not within {limit} s: {what}")


def job_env(workdir: Path, database_url: str, **more: str) -> dict[str, str]:
    """The environment of an operator's process: nothing of the developer's settings."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    env.update(
        SECRET_KEY="jobs-test-" + uuid.uuid4().hex,
        DATABASE_URL=database_url,
        DATA_DIR=str(workdir / "data"),
        REPORT_WORKERS="1",
        JOBS_TICK_SECONDS="1",
        JOBS_POLL_SECONDS="0.1",
        JOBS_ATTEMPTS="50",
        JOBS_RETRY_SECONDS="0.2",
        JOBS_RETRY_MAX_SECONDS="0.5",
        **more,
    )
    return env


def run_command(env: dict[str, str], workdir: Path, *args: str) -> None:
    done = subprocess.run(
        [str(TOUCHSTONE), *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@contextmanager
def process(env: dict[str, str], workdir: Path, *args: str, log: str) -> Iterator[Proc]:
    """A `touchstone` process in a process group of its own (so SIGKILL takes its render
    workers too, as a crash of the machine would); stopped with SIGTERM at the end."""
    proc = Proc(env, workdir, args, workdir / log)
    try:
        yield proc
    finally:
        proc.stop()


class Proc:
    def __init__(self, env: dict[str, str], workdir: Path, args: tuple[str, ...], log: Path):
        self.args, self.env, self.workdir, self.log = args, env, workdir, log
        self.popen: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                [str(TOUCHSTONE), *self.args],
                cwd=self.workdir,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        """SIGKILL to the whole group: no clean-up of any kind runs."""
        assert self.popen is not None
        os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=60)
        self.popen = None

    def stop(self) -> None:
        if self.popen is None:
            return
        self.popen.terminate()
        try:
            self.popen.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()
        self.popen = None

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


# --- a meeting pack survives a restart of the server ----------------------------------------


def _login(client: httpx.Client, email: str) -> str:
    page = client.get("/login")
    csrf = CSRF_META.search(page.text)
    assert csrf, page.text[:500]
    answer = client.post(
        "/login", data={"csrf_token": csrf.group(1), "email": email, "password": PASSWORD}
    )
    assert answer.status_code == 303, answer.text[:500]
    reports = client.get("/reports")
    token = CSRF_META.search(reports.text)
    assert token
    return token.group(1)


def _pack_row(db_file: Path, job_id: str) -> tuple[str, int, int] | None:
    with sqlite3.connect(db_file) as conn:
        found = conn.execute(
            "SELECT status, done, total FROM report_job WHERE id = ?",
            (uuid.UUID(job_id).hex,),
        ).fetchone()
    return found  # type: ignore[no-any-return]


def test_a_meeting_pack_finishes_once_after_the_server_is_killed_mid_pack(
    tmp_path: Path,
) -> None:
    workdir = tmp_path
    db_file = workdir / "data" / "touchstone.db"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = job_env(workdir, f"sqlite:///{db_file}", BASE_URL=url)
    run_command(env, workdir, "demo", "--password", PASSWORD)

    with process(env, workdir, "serve", "--port", str(port), log="serve.log") as server:
        with httpx.Client(base_url=url, timeout=30, headers={"Origin": url}) as client:
            wait_for(lambda: _answers(url), "the server answers\n" + server.tail())
            csrf = _login(client, "owner@demo.example")
            started = client.post("/reports/pack", data={"csrf_token": csrf, "period": "month"})
            assert started.status_code == 303, started.text[:500]
            job_id = started.headers["location"].rsplit("/", 1)[1]

            def mid_pack() -> bool:
                row = _pack_row(db_file, job_id)
                return row is not None and row[0] == JobStatus.running and 1 <= row[1] < row[2]

            wait_for(mid_pack, "the pack is half printed\n" + server.tail())
            server.kill()
            status, done, total = _pack_row(db_file, job_id)  # type: ignore[misc]
            assert status == JobStatus.running and done < total

            server.start()
            wait_for(lambda: _answers(url), "the server answers again\n" + server.tail())
            wait_for(
                lambda: (_pack_row(db_file, job_id) or ("",))[0] == JobStatus.done,
                "the pack is finished after the restart\n" + server.tail(),
            )
            page = client.get(f"/reports/jobs/{job_id}")
            assert "The meeting pack is ready." in page.text
            pdf = client.get(f"/reports/jobs/{job_id}/pdf")
            assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    # Printed to the end once: the job's one recorded run is the one after the restart.
    with sqlite3.connect(workdir / "data" / "jobs.db") as conn:
        runs = conn.execute(
            "SELECT count(*) FROM operation_outputs WHERE workflow_uuid = ?", (f"pack-{job_id}",)
        ).fetchone()[0]
        state = conn.execute(
            "SELECT status, recovery_attempts FROM workflow_status WHERE workflow_uuid = ?",
            (f"pack-{job_id}",),
        ).fetchone()
    assert runs == 1
    assert state[0] == "SUCCESS" and state[1] >= 2  # started, then taken up again


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


# --- an alert e-mail waits for its SMTP server ----------------------------------------------


def _mails(db: Database) -> list[OutgoingMail]:
    with db.session() as session:
        return list(session.exec(select(OutgoingMail).order_by(OutgoingMail.id)).all())


def _ticks(jobs_db: Path) -> int:
    with sqlite3.connect(jobs_db) as conn:
        return int(
            conn.execute(
                "SELECT count(*) FROM workflow_status WHERE name = 'alerts.overdue' "
                "AND status = 'SUCCESS'"
            ).fetchone()[0]
        )


def test_an_alert_mail_whose_server_is_down_arrives_once_when_it_comes_back(
    tmp_path: Path,
) -> None:
    workdir = tmp_path
    database_url = f"sqlite:///{workdir / 'data' / 'touchstone.db'}"
    smtp_port = free_port()  # nothing listens there yet
    env = job_env(
        workdir,
        database_url,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp_port),
        SMTP_STARTTLS="0",
        SMTP_FROM="alerts@touchstone.example",
    )
    run_command(env, workdir, "migrate")
    db = Database(database_url)
    try:
        with db.session() as session:
            org = make_org(session, name="Lantern Books")
            make_member(session, org, Role.owner, email="owner@lantern.example")
            make_alert(session, org, message="Paying the bill scored 40.")

        with process(env, workdir, "worker", log="worker.log") as worker:
            # The heartbeat puts the alert's message in the outbox; the server is down.
            wait_for(
                lambda: [m for m in _mails(db) if m.attempts >= 2 and m.last_error],
                "two failed tries\n" + worker.tail(),
            )
            [waiting] = _mails(db)
            assert waiting.status in (MailStatus.queued, MailStatus.sending)
            assert "refused" in waiting.last_error.lower()

            with smtp_running(smtp_port) as smtp:
                wait_for(lambda: smtp.received, "the message arrives\n" + worker.tail())
                wait_for(lambda: _mails(db)[0].status == MailStatus.sent, "marked sent")
                # Three more heartbeats (each could have queued it again): still one.
                seen = _ticks(workdir / "data" / "jobs.db")
                wait_for(lambda: _ticks(workdir / "data" / "jobs.db") >= seen + 3, "ticks")
                assert len(smtp.received) == 1
                mail = smtp.received[0]
                assert mail.recipients == ["owner@lantern.example"]
                assert "Paying the bill scored 40." in mail.message["Subject"]
    finally:
        db.dispose()


# --- two workers on PostgreSQL, one killed mid-job --------------------------------------------


def _sent_keys(db: Database) -> set[str]:
    return {m.key for m in _mails(db) if m.status == MailStatus.sent}


def _queue_mails(db: Database, org_id: int, keys: list[str], to: str) -> None:
    with db.session(write=True) as session:
        for key in keys:
            mail_queue(session=session, org_id=org_id, key=key, to=to, subject=key, body="Hi.\n")
        session.commit()  # their jobs are queued as this commits (jobs.use below)


def _executor_of(db: Database, schema: str, job_id: str) -> str | None:
    with db.engine.connect() as conn:
        found = conn.execute(
            text(
                f'SELECT executor_id FROM "{schema}".workflow_status '
                "WHERE workflow_uuid = :id AND status = 'PENDING'"
            ),
            {"id": job_id},
        ).first()
    return None if found is None else str(found[0])


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="workers on PostgreSQL: set TEST_DATABASE_URL")
def test_two_workers_on_postgresql_one_killed_mid_job_every_mail_exactly_once(
    tmp_path: Path,
) -> None:
    assert TEST_DATABASE_URL
    workdir = tmp_path
    with fresh_schema_url(TEST_DATABASE_URL, "jobs") as database_url, smtp_running() as smtp:
        schema = database_url.rsplit("%3D", 1)[1]
        smtp.hold = {"slow@lantern.example"}
        base = job_env(
            workdir,
            database_url,
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=str(smtp.port),
            SMTP_STARTTLS="0",
        )
        run_command(base, workdir, "migrate")
        settings = Settings(_env_file=None, dev_mode=True, database_url=database_url, jobs="worker")  # type: ignore[call-arg]
        db = Database(settings.resolved_database_url)
        jobs.use(settings)  # this process queues into the workers' queue
        try:
            with db.session() as session:
                org_id = int(make_org(session, name="Lantern Books").id)  # type: ignore[arg-type]
            env = {name: {**base, "JOBS_EXECUTOR_ID": name} for name in ("a", "b")}
            with (
                process(env["a"], workdir, "worker", log="a.log") as a,
                process(env["b"], workdir, "worker", log="b.log") as b,
            ):
                workers = {"a": a, "b": b}
                first = [f"first-{n}" for n in range(8)]
                _queue_mails(db, org_id, first, "team@lantern.example")
                wait_for(lambda: set(first) <= _sent_keys(db), "the first mails are sent")

                # One message whose SMTP conversation stops half-way; kill its worker there.
                _queue_mails(db, org_id, ["slow"], "slow@lantern.example")
                wait_for(smtp.held.is_set, "a worker is in the middle of sending")
                slow = next(m for m in _mails(db) if m.key == "slow")
                name = wait_for(lambda: _executor_of(db, schema, f"mail-{slow.id}-0"), "owner")
                killed = workers[str(name)]
                survivor = workers["b" if name == "a" else "a"]
                killed.kill()

                # The other worker goes on alone.
                later = [f"later-{n}" for n in range(6)]
                _queue_mails(db, org_id, later, "team@lantern.example")
                wait_for(lambda: set(later) <= _sent_keys(db), "sent by the survivor")
                assert "slow" not in _sent_keys(db)

                # The killed worker comes back under its name and finishes what it held.
                smtp.release.set()
                killed.start()
                wait_for(lambda: "slow" in _sent_keys(db), "the held mail\n" + killed.tail())
                assert survivor.popen is not None and survivor.popen.poll() is None

            ids = Counter(str(m.message["Message-ID"]) for m in smtp.received)
            assert len(ids) == len(first) + len(later) + 1
            assert set(ids.values()) == {1}, ids
            subjects = Counter(str(m.message["Subject"]) for m in smtp.received)
            assert subjects["slow"] == 1
            assert all(m.status == MailStatus.sent for m in _mails(db))
        finally:
            jobs.use(settings.model_copy(update={"jobs": "off"}))
            db.dispose()


# --- a webhook retried by a real worker -----------------------------------------------------


def test_a_webhook_receiver_answering_500_twice_gets_it_three_times_from_a_worker(
    tmp_path: Path,
) -> None:
    """The acceptance of docs/webhooks.md with the job system itself doing the retries: the
    delivery is queued as the event commits in this process, and a `touchstone worker`
    sends it, waits (durably), sends again, and records one success."""
    from app.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
    from app.webhooks.models import WebhookEndpointCreate as Create
    from app.webhooks.services import endpoint_create
    from tests.helpers import hook_receiver

    workdir = tmp_path
    database_url = f"sqlite:///{workdir / 'data' / 'touchstone.db'}"
    env = job_env(workdir, database_url, WEBHOOK_RETRY_SECONDS="0.2")
    run_command(env, workdir, "migrate")
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        dev_mode=True,
        database_url=database_url,
        data_dir=workdir / "data",
        jobs="worker",
    )
    db = Database(database_url)
    jobs.use(settings)  # this process queues into the worker's queue
    try:
        with (
            hook_receiver(answers=[500, 500, 200]) as receiver,
            process(env, workdir, "worker", log="worker.log") as worker,
        ):
            with db.session() as session:
                org = make_org(session, name="Lantern Books")
                data = Create(url=receiver.url, events=["alert.raised"])
                endpoint_create(session=session, org_id=int(org.id), data=data)  # type: ignore[arg-type]
                make_alert(session, org, message="Paying the bill scored 40.")

            def delivered() -> WebhookDelivery | None:
                with db.session() as s:
                    row = s.exec(select(WebhookDelivery)).one()
                    return row if row.status == DeliveryStatus.delivered else None

            row = wait_for(delivered, "the delivery is delivered\n" + worker.tail())
            assert isinstance(row, WebhookDelivery)
            assert len(receiver.received) == 3
            assert {h.headers["Touchstone-Delivery"] for h in receiver.received} == {row.uuid}
            with db.session() as s:
                log = s.exec(select(WebhookAttempt).order_by(WebhookAttempt.id)).all()  # type: ignore[arg-type]
            assert [(a.status_code, a.ok) for a in log] == [(500, False), (500, False), (200, True)]
    finally:
        jobs.use(settings.model_copy(update={"jobs": "off"}))
        db.dispose()


# --- a scheduled report, its worker killed in the due minute ----------------------------------


def _report_rows(db: Database) -> tuple[list[ReportSend], list[OutgoingMail]]:
    with db.session() as session:
        sends = list(session.exec(select(ReportSend)).all())
    return sends, _mails(db)


def test_a_scheduled_report_whose_worker_is_killed_in_the_due_minute_arrives_once(
    tmp_path: Path,
) -> None:
    workdir = tmp_path
    database_url = f"sqlite:///{workdir / 'data' / 'touchstone.db'}"
    with smtp_running() as smtp:
        smtp.hold = {"held@harbour.example"}  # the first try stops half-way through SMTP
        env = job_env(
            workdir,
            database_url,
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=str(smtp.port),
            SMTP_STARTTLS="0",
            SMTP_FROM="reports@touchstone.example",
        )
        run_command(env, workdir, "migrate")
        db = Database(database_url)
        try:
            with db.session() as session:
                org = make_org(session, name="Harbour Bistro")
                tp = make_touchpoint(session, org, name="Paying the bill")
                # Due since long ago: the worker's first heartbeat finds it, on any date.
                make_report_schedule(
                    session,
                    org,
                    kind="touchpoint",
                    touchpoint_id=tp.id,
                    recipients="held@harbour.example",
                    handled_until=datetime(2000, 1, 3, tzinfo=UTC),
                )
            with process(env, workdir, "worker", log="worker.log") as worker:
                wait_for(smtp.held.is_set, "the report is being sent\n" + worker.tail())
                worker.kill()  # SIGKILL in the middle of the SMTP conversation
                sends, mails = _report_rows(db)
                assert len(sends) == 1 and len(mails) == 1 and not smtp.received
                assert mails[0].status == MailStatus.sending

                smtp.hold = set()
                smtp.release.set()
                worker.start()
                wait_for(lambda: smtp.received, "the report arrives\n" + worker.tail())
                wait_for(lambda: _mails(db)[0].status == MailStatus.sent, "marked sent")
                # Three more heartbeats (each could have made the occurrence again): still one.
                seen = _ticks(workdir / "data" / "jobs.db")
                wait_for(lambda: _ticks(workdir / "data" / "jobs.db") >= seen + 3, "ticks")
            sends, mails = _report_rows(db)
            assert len(sends) == 1 and len(mails) == 1 and len(smtp.received) == 1
            message = smtp.received[0].message
            [pdf] = list(message.iter_attachments())
            assert pdf.get_content_type() == "application/pdf"
            assert "Paying the bill" in pdf_text(pdf.get_content())
        finally:
            db.dispose()
