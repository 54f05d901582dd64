"""Load and crash: shoppers save answers while the server is killed with SIGKILL mid-way.

What it does (SQLite by default; `--database-url postgresql://...` for PostgreSQL):

1. migrates a fresh database and writes, through the services, one organization with the
   five-moments journey, N shopper accounts and one open shop per shopper (before the server
   runs, so setting up costs the measurement nothing);
2. starts `touchstone serve` (one worker, a real SECRET_KEY, no dev mode) in its own process
   group on a free port;
3. each shopper (a thread with its own connection) logs in through the login form (or, for
   the ones past `--form-logins`, gets its session written straight into the database) and then
   works like the phone (app/static/touchstone-queue.js): it gives one answer every `--think`
   seconds with an id made on the client, puts it at the end of its own queue, and sends the
   queue in order to the phone's endpoint (POST /shops/{id}/answers). An answer leaves the
   queue only on a 2xx; on no connection, a 5xx, 408 or 429 it stays and is tried again
   later (backing off), so answers given while the server is down wait in the queue;
4. once `--kill-at` of all answers are acknowledged, kills the server's whole process group
   with SIGKILL (no shutdown, no flush: what a power cut or the OOM killer does);
5. while the server is down (shoppers keep answering into their queues): every answer the
   server acknowledged must be in the database exactly once, under its id, with the value and
   comment sent; the database must pass its integrity check (SQLite: `PRAGMA integrity_check`
   and `PRAGMA foreign_key_check`; PostgreSQL: amcheck's `bt_index_check` with heapallindexed
   on every index of the answer table, so each index matches the table rows) and hold no
   duplicate answer id and no second answer to one question of one shop;
6. restarts the server on the same port; the queues drain; the same checks again, and now
   every answer given must be there: the count is exactly the number given.

It prints the figures (answers/s before the kill, acknowledged before it, queued at the
restart, time until the server answered and until every queue was empty). The exit status is
1 when a check fails. `tests/app/test_crash.py` runs a short form of it in CI.

Usage:  .venv/bin/python bench/crash.py [-n 100] [--answers 0] [--think 3] [--kill-at 0.4]
                                        [--outage 3] [--form-logins N] [--database-url URL]
                                        [--keep]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TOUCHSTONE = Path(sys.executable).parent / "touchstone"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
PASSWORD = "crash-test-password"
START_SECONDS = 90
LOGINS_AT_ONCE = 4
# Statuses after which the phone keeps an answer and tries again (touchstone-queue.js).
RETRY_STATUSES = frozenset({408, 429})


# --- what the shoppers give ------------------------------------------------------------------


@dataclass(frozen=True)
class Given:
    """One answer as the phone keeps it: the id it made, where it goes and what it says."""

    id: uuid.UUID
    shop_id: int
    question_id: int
    value: Any
    comment: str

    def body(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "question_id": self.question_id,
            "value": self.value,
            "not_applicable": False,
            "comment": self.comment,
        }


@dataclass
class Shopper:
    email: str
    to_give: list[Given]
    user_id: int = 0
    org_id: int = 0
    queue: deque[Given] = field(default_factory=deque)  # given, not yet acknowledged
    acked: dict[uuid.UUID, Given] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)  # 4xx the phone would show and drop
    failures: int = 0  # sends that got no answer, a 5xx, 408 or 429 (and were kept)
    server_errors: int = 0  # of which 5xx answers (while the server was up)
    latencies: list[float] = field(default_factory=list)


def sample_value(rng: random.Random, kind: str, config: dict[str, Any]) -> Any:
    """A valid answer of the question's kind, varied so that a wrong value would show."""
    if kind == "yes_no":
        return rng.choice([True, False])
    if kind == "scale":
        return rng.randint(1, 5)
    if kind == "number":
        return rng.randint(0, 30)
    if kind == "choice":
        return rng.randrange(len(config.get("options") or [None]))
    return f"Seen on visit {rng.randrange(10**6)}."


def prepare(database_url: str, shoppers: int, answers: int, seed: int = 7) -> list[Shopper]:
    """The organization, shopper accounts and their shops, straight into a fresh database.

    `answers` caps the answers each shopper gives (0: every question of the shop).
    """
    from sqlmodel import select

    from app.config import Settings
    from app.db import Database
    from app.migrate import migrate
    from app.modelbase import ident
    from app.orgs.models import Location, Membership, Organization, Role, User
    from app.security import hash_password
    from app.tenancy import scope_session
    from app.wiring import wire
    from audits import services
    from audits.queries import shop_sections
    from touchpoints.models import Touchpoint
    from touchpoints.services import template_apply

    wire()
    rng = random.Random(seed)
    resolved = Settings(_env_file=None, database_url=database_url, dev_mode=True)  # type: ignore[call-arg]
    db = Database(resolved.resolved_database_url)
    try:
        migrate(db.engine)
        made: list[Shopper] = []
        with db.session() as session:
            org = Organization(name="Crash Test Co", timezone="Europe/London")
            session.add(org)
            session.commit()
            org_id = ident(org)
            scope_session(session, org_id)
            password = hash_password(PASSWORD)  # one hash for all: argon2 is slow on purpose
            owner = User(email="owner@crash.example", name="Owner", password_hash=password)
            session.add(owner)
            session.flush()
            session.add(Membership(org_id=org_id, user_id=ident(owner), role=Role.owner))
            location = Location(org_id=org_id, name="High Street", region="North")
            session.add(location)
            session.commit()
            template_apply(session=session, org_id=org_id, set_key="five-moments")
            touchpoints = [
                ident(tp)
                for tp in session.exec(select(Touchpoint).order_by(Touchpoint.id))  # type: ignore[arg-type]
            ]
            for i in range(shoppers):
                email = f"shopper-{i}@crash.example"
                user = User(email=email, name=f"Shopper {i}", password_hash=password)
                session.add(user)
                session.flush()
                session.add(Membership(org_id=org_id, user_id=ident(user), role=Role.shopper))
                shop = services.shop_plan(
                    session=session,
                    org_id=org_id,
                    data=services.ShopPlan(
                        location_id=ident(location),
                        touchpoint_ids=touchpoints,
                        shopper_id=ident(user),
                        scenario="Crash test visit.",
                    ),
                    actor_id=ident(owner),
                )
                questions = [q for s in shop_sections(session, shop) for q in s.questions]
                if answers:
                    questions = questions[:answers]
                given = [
                    Given(
                        id=uuid.uuid4(),
                        shop_id=ident(shop),
                        question_id=ident(q),
                        value=sample_value(rng, str(q.kind), q.config or {}),
                        comment=f"note {i}-{n}",
                    )
                    for n, q in enumerate(questions)
                ]
                made.append(Shopper(email=email, to_give=given, user_id=ident(user), org_id=org_id))
            session.commit()
        return made
    finally:
        db.dispose()


# --- the server --------------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """`touchstone serve` in a process group of its own, so SIGKILL takes every process of
    it at once (the web worker and any PDF render workers), as a crash of the machine would."""

    env: dict[str, str]
    port: int
    workdir: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> float:
        """Start and wait until /healthz answers; returns the seconds that took."""
        began = time.monotonic()
        self.starts += 1
        log = (self.workdir / f"serve-{self.starts}.log").open("wb")
        self.proc = subprocess.Popen(
            [str(TOUCHSTONE), "serve", "--port", str(self.port)],
            cwd=self.workdir,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = began + START_SECONDS
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"touchstone serve exited:\n{self.log_tail()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return time.monotonic() - began
            except httpx.TransportError:
                pass
            time.sleep(0.05)  # polling a separate process
        raise RuntimeError(f"touchstone serve not up within {START_SECONDS} s:\n{self.log_tail()}")

    def kill(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def log_tail(self) -> str:
        path = self.workdir / f"serve-{self.starts}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


def server_env(database_url: str, data_dir: Path, port: int) -> dict[str, str]:
    """The server's environment as an operator would set it; none of the caller's settings."""
    from app.config import Settings

    env = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    env.update(
        SECRET_KEY="crash-" + secrets.token_urlsafe(32),
        DATABASE_URL=database_url,
        DATA_DIR=str(data_dir),
        BASE_URL=f"http://127.0.0.1:{port}",
        REPORT_WORKERS="1",
    )
    return env


# --- one shopper's phone ---------------------------------------------------------------------


class Phone:
    """One shopper's browser tab: cookies, the CSRF token and the queue of answers."""

    def __init__(self, shopper: Shopper, base_url: str, think: float, timeout: float) -> None:
        self.shopper = shopper
        self.base_url = base_url
        self.think = think
        self.client = httpx.Client(base_url=base_url, timeout=timeout)
        self.headers = {"Origin": base_url}

    def login(self) -> None:
        page = self.client.get("/login")
        match = CSRF_META.search(page.text)
        assert match, page.text[:300]
        form = {"csrf_token": match.group(1), "email": self.shopper.email}
        form |= {"password": PASSWORD, "next": "/"}
        response = self.client.post("/login", data=form, headers=self.headers)
        assert response.status_code == 303, (response.status_code, response.text[:300])
        # The login made a new session token; every page carries it.
        match = CSRF_META.search(self.client.get("/").text)
        assert match
        self.headers = {
            "Origin": self.base_url,
            "X-CSRF-Token": match.group(1),
            "Accept": "application/json",
        }

    def sign_in(self, database_url: str, secret_key: str) -> None:
        """A logged-in session without the form: the server-side row and the signed cookie a
        login makes (as tests/conftest.sign_in does). For runs that need many shoppers at
        once quickly; every login is an argon2 check, and they take turns per address."""
        import json
        from base64 import b64encode
        from datetime import timedelta

        from itsdangerous import TimestampSigner

        from app.config import Settings
        from app.db import Database
        from app.modelbase import utcnow
        from app.orgs.models import UserSession
        from app.security import digest, new_secret

        raw, csrf = new_secret(), new_secret()
        resolved = Settings(_env_file=None, database_url=database_url, dev_mode=True)  # type: ignore[call-arg]
        db = Database(resolved.resolved_database_url)
        try:
            with db.write() as session:
                session.add(
                    UserSession(
                        token_hash=digest(raw),
                        user_id=self.shopper.user_id,
                        org_id=self.shopper.org_id,
                        expires_at=utcnow() + timedelta(hours=2),
                    )
                )
        finally:
            db.dispose()
        payload = b64encode(json.dumps({"sid": raw, "csrf": csrf}).encode())
        self.client.cookies.set("touchstone", TimestampSigner(secret_key).sign(payload).decode())
        self.headers = {"Origin": self.base_url, "X-CSRF-Token": csrf, "Accept": "application/json"}

    def run(self, stop: threading.Event, delay: float = 0.0) -> None:
        """Give answers at the shopper's pace and send the queue, until all are sent.
        `delay` spreads the shoppers' first answers, as people do not all start at once."""
        me = self.shopper
        next_give = time.monotonic() + delay
        retry_at = 0.0
        backoff = 0.1
        while not stop.is_set() and (me.to_give or me.queue):
            now = time.monotonic()
            while me.to_give and now >= next_give:
                me.queue.append(me.to_give.pop(0))  # kept "on the phone" before it is sent
                next_give += self.think
            if me.queue and now >= retry_at:
                if self.send(me.queue[0]):
                    me.queue.popleft()
                    backoff = 0.1
                else:
                    retry_at = time.monotonic() + backoff
                    backoff = min(backoff * 2, 1.0)
                continue
            wake = next_give if me.to_give else now + 0.05
            if me.queue:
                wake = min(wake, retry_at)
            stop.wait(min(max(wake - now, 0.001), 0.05))

    def send(self, item: Given) -> bool:
        """True when the answer left the queue (kept, or refused for good)."""
        me = self.shopper
        started = time.monotonic()
        try:
            response = self.client.post(
                f"/shops/{item.shop_id}/answers", json=item.body(), headers=self.headers
            )
        except httpx.TransportError:  # no connection, reset, timeout: keep it
            me.failures += 1
            return False
        status = response.status_code
        if 200 <= status < 300:
            me.latencies.append(time.monotonic() - started)
            me.acked[item.id] = item
            return True
        if status >= 500 or status in RETRY_STATUSES:
            me.failures += 1
            if status >= 500:
                me.server_errors += 1
            return False
        # 401/403 (the phone would stop and ask to log in again) and other refusals are
        # failures of the test: nothing the shoppers send is wrong.
        me.refused.append(f"{status} {response.text[:200]}")
        return True

    def close(self) -> None:
        self.client.close()


# --- checking the database -------------------------------------------------------------------


@dataclass
class Check:
    integrity: str  # "ok", or what the check found
    answers: int  # rows in the answer table
    duplicate_ids: int
    duplicate_questions: int  # a second answer to one question of one shop
    missing: list[str]  # expected answers not found
    wrong: list[str]  # found with another value or comment

    @property
    def clean(self) -> bool:
        bad = self.duplicate_ids or self.duplicate_questions or self.missing or self.wrong
        return self.integrity == "ok" and not bad


def check_database(database_url: str, expected: dict[uuid.UUID, Given]) -> Check:
    """Read the database directly (the server is down, or idle) and compare."""
    from sqlalchemy import func
    from sqlmodel import select

    from app.config import Settings
    from app.db import Database
    from audits.models import Answer

    resolved = Settings(_env_file=None, database_url=database_url, dev_mode=True)  # type: ignore[call-arg]
    db = Database(resolved.resolved_database_url)
    try:
        integrity = integrity_check(db)
        with db.session() as session:
            rows = {
                row[0]: (row[1], row[2])
                for row in session.exec(select(Answer.id, Answer.value, Answer.comment))
            }
            duplicate_ids = len(
                session.exec(
                    select(Answer.id).group_by(Answer.id).having(func.count() > 1)  # type: ignore[arg-type]
                ).all()
            )
            duplicate_questions = len(
                session.exec(
                    select(Answer.shop_id, Answer.question_id)
                    .group_by(Answer.shop_id, Answer.question_id)  # type: ignore[arg-type]
                    .having(func.count() > 1)
                ).all()
            )
    finally:
        db.dispose()
    missing, wrong = [], []
    for answer_id, given in expected.items():
        found = rows.get(answer_id)
        if found is None:
            missing.append(str(answer_id))
        elif found != (given.value, given.comment):
            wrong.append(f"{answer_id}: {found!r} != {(given.value, given.comment)!r}")
    return Check(integrity, len(rows), duplicate_ids, duplicate_questions, missing, wrong)


def integrity_check(db: Any) -> str:
    """SQLite: integrity_check and foreign_key_check. PostgreSQL: amcheck on the answer
    table's indexes (every index entry points at a row and every row is in every index)."""
    from sqlalchemy import text

    with db.engine.connect() as conn:
        if db.is_sqlite:
            found = [row[0] for row in conn.execute(text("PRAGMA integrity_check"))]
            problems = [] if found == ["ok"] else found
            fk = conn.execute(text("PRAGMA foreign_key_check")).all()
            problems += [f"foreign key: {row}" for row in fk]
            return "ok" if not problems else "; ".join(map(str, problems))[:2000]
        schema = amcheck_schema(conn)
        indexes = conn.execute(
            text(
                "SELECT c.oid, c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "JOIN pg_am a ON a.oid = c.relam "
                "WHERE i.indrelid = 'answer'::regclass AND a.amname = 'btree'"
            )
        ).all()
        if not indexes:
            return "no indexes found on the answer table"
        problems = []
        for oid, name in indexes:
            try:
                check = f"SELECT {schema}.bt_index_check(CAST(:oid AS oid)::regclass, true)"
                conn.execute(text(check), {"oid": oid})
            except Exception as exc:  # amcheck raises on the first inconsistency it finds
                problems.append(f"{name}: {exc}")
                conn.rollback()
        return "ok" if not problems else "; ".join(problems)[:2000]


def amcheck_schema(conn: Any) -> str:
    """Where the amcheck extension lives, installing it (database-wide) when it is not yet."""
    from sqlalchemy import text

    find = text(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'amcheck'"
    )
    schema = conn.execute(find).scalar()
    if schema is None:
        try:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS amcheck WITH SCHEMA public"))
            conn.commit()
        except Exception:  # another run created it at the same moment
            conn.rollback()
        schema = conn.execute(find).scalar()
    if schema is None:
        raise RuntimeError("the amcheck extension is not available on this PostgreSQL server")
    return f'"{schema}"'


# --- the run ---------------------------------------------------------------------------------


@dataclass
class Result:
    shoppers: int
    given: int
    login_seconds: float
    before_kill_seconds: float
    acked_before_kill: int
    answers_per_second: float
    p95_ms: float
    queued_at_kill: int  # given, not yet acknowledged when the server died
    check_after_kill: Check
    queued_at_restart: int
    restart_seconds: float  # from the restart command until /healthz answers
    caught_up_seconds: float  # from the restart command until the queued answers were sent
    drain_seconds: float  # from the restart command until every queue is empty
    check_final: Check
    refused: list[str]
    failures: int
    server_errors: int
    answers: dict[uuid.UUID, Given] = field(default_factory=dict, repr=False)  # all given

    @property
    def ok(self) -> bool:
        return (
            self.check_after_kill.clean
            and self.check_final.clean
            and self.check_final.answers == self.given
            and not self.refused
        )


def crash_run(
    database_url: str,
    workdir: Path,
    *,
    shoppers: int = 100,
    answers: int = 0,
    think: float = 3.0,
    kill_at: float = 0.4,
    outage: float = 3.0,
    timeout: float = 30.0,
    drain_limit: float = 600.0,
    form_logins: int | None = None,
    say: Any = print,
) -> Result:
    """Everything above, against the database at `database_url` (empty; SQLite or PostgreSQL)."""
    prepared = prepare(database_url, shoppers, answers)
    given_total = sum(len(s.to_give) for s in prepared)
    everything = {g.id: g for s in prepared for g in s.to_give}
    say(
        f"{shoppers} shoppers, {given_total} answers to give, one every {think:g} s each "
        f"({shoppers / think:.0f} answers/s offered)"
    )

    port = free_port()
    server = Server(server_env(database_url, workdir / "data", port), port, workdir)
    server.start()
    phones = [Phone(s, server.url, think, timeout) for s in prepared]
    stop = threading.Event()
    threads: list[threading.Thread] = []
    try:
        began = time.monotonic()
        login_errors: list[BaseException] = []

        by_form = len(phones) if form_logins is None else min(form_logins, len(phones))

        def log_in(phone: Phone) -> None:
            try:
                if phones.index(phone) < by_form:
                    phone.login()
                else:
                    phone.sign_in(database_url, server.env["SECRET_KEY"])
            except BaseException as exc:  # reported below, in the main thread
                login_errors.append(exc)

        # A few at a time, as people arrive: each login is an argon2 check (deliberately slow),
        # and a hundred at once would queue behind each other past the client's timeout.
        with ThreadPoolExecutor(max_workers=LOGINS_AT_ONCE) as pool:
            list(pool.map(log_in, phones))
        if login_errors:
            raise RuntimeError(f"{len(login_errors)} logins failed: {login_errors[0]!r}")
        login_seconds = time.monotonic() - began
        say(
            f"logged in: {by_form} through the form, {len(phones) - by_form} by writing "
            f"their sessions directly: {login_seconds:.1f} s"
        )

        threads = [
            threading.Thread(target=p.run, args=(stop, think * i / len(phones)), daemon=True)
            for i, p in enumerate(phones)
        ]
        began = time.monotonic()
        for t in threads:
            t.start()
        target = max(1, int(given_total * kill_at))
        while (acked := sum(len(s.acked) for s in prepared)) < target:
            if not any(t.is_alive() for t in threads):
                raise RuntimeError("the shoppers finished before the kill point")
            if time.monotonic() - began > drain_limit:
                raise RuntimeError(
                    f"only {acked} of {given_total} answers acknowledged after {drain_limit:g} s "
                    f"({sum(s.server_errors for s in prepared)} 5xx answers): the server is stuck"
                )
            time.sleep(0.01)  # polling the shoppers' counters
        server.kill()
        before_kill = time.monotonic() - began
        # The server is dead: nothing more can be acknowledged until it is back.
        acked_at_kill = {k: v for s in prepared for k, v in s.acked.copy().items()}
        queued_at_kill = sum(len(s.queue) for s in prepared)
        latencies = sorted(x for s in prepared for x in s.latencies)
        say(
            f"SIGKILL after {before_kill:.1f} s: {len(acked_at_kill)} acknowledged "
            f"({len(acked_at_kill) / before_kill:.0f} answers/s)"
        )

        after_kill = check_database(database_url, acked_at_kill)
        say(
            f"after the kill: integrity {after_kill.integrity}; {after_kill.answers} answers "
            f"stored, acknowledged missing {len(after_kill.missing)}, wrong "
            f"{len(after_kill.wrong)}, duplicate ids {after_kill.duplicate_ids}, "
            f"duplicate questions {after_kill.duplicate_questions}"
        )
        stop.wait(max(0.0, outage - (time.monotonic() - began - before_kill)))

        backlog = {g.id for s in prepared for g in s.queue.copy()}
        queued = len(backlog)
        restarted = time.monotonic()
        restart_seconds = server.start()
        say(f"restarted in {restart_seconds:.1f} s with {queued} answers queued on the phones")
        while backlog:
            backlog -= {k for s in prepared for k in s.acked.copy()}
            if time.monotonic() - restarted > drain_limit:
                raise RuntimeError(f"{len(backlog)} queued answers not sent {drain_limit:g} s on")
            time.sleep(0.05)  # polling the shoppers' counters
        caught_up_seconds = time.monotonic() - restarted
        say(f"every answer queued at the restart sent {caught_up_seconds:.1f} s after it")
        for t in threads:
            t.join(timeout=max(0.0, drain_limit - (time.monotonic() - restarted)))
        drain_seconds = time.monotonic() - restarted
        if any(t.is_alive() for t in threads):
            left = sum(len(s.queue) + len(s.to_give) for s in prepared)
            raise RuntimeError(f"queues not empty {drain_limit:g} s after the restart: {left}")
        say(f"every queue empty {drain_seconds:.1f} s after the restart")
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=timeout)
        for p in phones:
            p.close()
        server.stop()

    final = check_database(database_url, everything)
    say(
        f"final: integrity {final.integrity}; {final.answers} answers stored of {given_total} "
        f"given, missing {len(final.missing)}, wrong {len(final.wrong)}, duplicate ids "
        f"{final.duplicate_ids}, duplicate questions {final.duplicate_questions}"
    )
    refused = [r for s in prepared for r in s.refused]
    k = min(len(latencies) - 1, int(0.95 * len(latencies))) if latencies else 0
    return Result(
        shoppers=shoppers,
        given=given_total,
        login_seconds=login_seconds,
        before_kill_seconds=before_kill,
        acked_before_kill=len(acked_at_kill),
        answers_per_second=len(acked_at_kill) / before_kill,
        p95_ms=latencies[k] * 1000 if latencies else float("nan"),
        queued_at_kill=queued_at_kill,
        check_after_kill=after_kill,
        queued_at_restart=queued,
        restart_seconds=restart_seconds,
        caught_up_seconds=caught_up_seconds,
        drain_seconds=drain_seconds,
        check_final=final,
        refused=refused,
        failures=sum(s.failures for s in prepared),
        server_errors=sum(s.server_errors for s in prepared),
        answers=everything,
    )


@contextmanager
def database(url: str, workdir: Path, *, keep: bool) -> Iterator[str]:
    """An empty database: a SQLite file in `workdir`, or a new schema in the PostgreSQL
    database `url` names (dropped afterwards unless kept)."""
    if not url:
        yield f"sqlite:///{workdir / 'crash.db'}"
        return
    from sqlalchemy import create_engine, text

    base = url.replace("postgresql+psycopg://", "postgresql://", 1)
    schema = f"crash_{uuid.uuid4().hex[:12]}"
    admin = create_engine("postgresql+psycopg://" + base.split("://", 1)[1])
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    finally:
        if keep:
            print(f"kept schema {schema}")
        else:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def machine() -> str:
    return (
        f"{os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}; load average {os.getloadavg()[0]:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-n", "--shoppers", type=int, default=100)
    parser.add_argument("--answers", type=int, default=0, help="per shopper (0: whole shop)")
    parser.add_argument(
        "--think", type=float, default=3.0, help="seconds between one shopper's answers"
    )
    parser.add_argument("--kill-at", type=float, default=0.4, help="share acknowledged first")
    parser.add_argument("--outage", type=float, default=3.0, help="seconds the server is down")
    parser.add_argument(
        "--database-url",
        default="",
        help="default: a new SQLite file; postgresql://...: a new schema in that database",
    )
    parser.add_argument(
        "--form-logins",
        type=int,
        default=None,
        help="how many shoppers log in through the form (default: all); the others get "
        "their sessions written directly (fast: logins are slow on purpose)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp directory")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="touchstone-crash-"))
    print(f"machine: {machine()}")
    try:
        with database(args.database_url, workdir, keep=args.keep) as database_url:
            print(f"database: {database_url.split('@')[-1]}")
            result = crash_run(
                database_url,
                workdir,
                shoppers=args.shoppers,
                answers=args.answers,
                think=args.think,
                kill_at=args.kill_at,
                outage=args.outage,
                form_logins=args.form_logins,
            )
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(
        f"figures: {result.given} answers by {result.shoppers} shoppers; "
        f"{result.answers_per_second:.0f} answers/s before the kill (p95 {result.p95_ms:.0f} ms); "
        f"{result.acked_before_kill} acknowledged before the kill, "
        f"{result.queued_at_kill} queued then; {result.queued_at_restart} queued at the restart; "
        f"server back in {result.restart_seconds:.1f} s, those sent "
        f"{result.caught_up_seconds:.1f} s after the restart, the last answer "
        f"{result.drain_seconds:.1f} s after it; {result.failures} sends kept for a retry "
        f"({result.server_errors} of them 5xx answers); "
        f"{len(result.refused)} refused"
    )
    for line in result.refused[:5]:
        print(f"  refused: {line}")
    for check in (result.check_after_kill, result.check_final):
        for line in (check.missing + check.wrong)[:5]:
            print(f"  problem: {line}")
    print("PASS" if result.ok else "FAIL")
    sys.exit(0 if result.ok else 1)


if __name__ == "__main__":
    main()
