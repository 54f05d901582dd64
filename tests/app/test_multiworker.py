"""`touchstone serve --workers 2` on PostgreSQL: the demo flow, login throttling and the PDF
cache hold across server worker processes.

The server runs as an operator would run it (a real SECRET_KEY, no dev mode) against a fresh
PostgreSQL schema and a temporary DATA_DIR. Requests are steered to a chosen worker: the test
opens connections until the kernel hands one to that worker, and checks in /proc which worker
process holds the server end of each connection it used. So "the second print was a cache hit"
is proven for a print answered by the *other* worker, not assumed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.config import Settings
from app.db import Database
from app.orgs.services import user_create
from tests.conftest import free_port, fresh_schema_url

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
TOUCHSTONE = Path(sys.executable).parent / "touchstone"
PASSWORD = "multi-worker-pw"
GUARDED = "guarded@demo.example"
RUSHED = "rushed@demo.example"
BURST = 12
WORKERS = 2
MAX_FAILURES = 5  # LOGIN_MAX_FAILURES_PER_ACCOUNT's default, set explicitly below
START_SECONDS = 180
KEEP_ALIVE_REUSE_SECONDS = 2
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')

pytestmark = [
    pytest.mark.slow,  # seeds the demo and starts several server processes
    pytest.mark.db,
    pytest.mark.skipif(
        not TEST_DATABASE_URL,
        reason="several server workers are a PostgreSQL deployment: set TEST_DATABASE_URL",
    ),
]


# --- which worker process answered ---------------------------------------------------------


def _ppid(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name in parentheses may contain spaces; the parent pid follows it.
    return int(stat.rpartition(")")[2].split()[1])


def _is_job_worker(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0").endswith(b"\0worker")
    except OSError:
        return False


def worker_pids(server_pid: int) -> set[int]:
    """The server's direct children that are uvicorn's worker processes (render workers are
    their children, one level further down; the job worker beside them is left out)."""
    pids = {int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()}
    return {pid for pid in pids if _ppid(pid) == server_pid and not _is_job_worker(pid)}


def _socket_inodes(pid: int) -> set[str]:
    inodes: set[str] = set()
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return inodes
    for fd in fds:
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def _server_side_inode(server_port: int, client_port: int) -> str | None:
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        cells = line.split()
        local, remote, inode = cells[1], cells[2], cells[9]
        if int(local.rsplit(":", 1)[1], 16) == server_port and (
            int(remote.rsplit(":", 1)[1], 16) == client_port
        ):
            return inode
    return None


@dataclass
class Server:
    url: str
    port: int
    pid: int
    workers: set[int]

    def served_by(self, response: httpx.Response) -> int:
        """The worker process holding the server end of the connection that got `response`
        (still open: the client keeps it alive in its pool)."""
        stream = response.extensions["network_stream"]
        client_port = stream.get_extra_info("client_addr")[1]
        inode = _server_side_inode(self.port, client_port)
        owners = [pid for pid in self.workers if inode and inode in _socket_inodes(pid)]
        assert len(owners) == 1, f"connection from port {client_port} held by {owners}"
        return owners[0]


# --- one person, reaching whichever worker the test chooses ---------------------------------


@dataclass
class Person:
    server: Server
    jar: CookieJar = field(default_factory=CookieJar)
    csrf: str = ""
    clients: list[httpx.Client] = field(default_factory=list)
    pinned: dict[int, tuple[httpx.Client, float]] = field(default_factory=dict)
    seen: set[int] = field(default_factory=set)
    turn: int = 0

    def on(self, worker: int) -> httpx.Client:
        """A client (sharing this person's cookies) whose one connection is to `worker`."""
        client, last_used = self.pinned.get(worker, (None, 0.0))
        # uvicorn closes a connection idle for 5 s; a younger one is still there to reuse.
        if client is not None and time.monotonic() - last_used < KEEP_ALIVE_REUSE_SECONDS:
            return client
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            client = httpx.Client(
                base_url=self.server.url,
                cookies=self.jar,
                limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
                timeout=60,
            )
            self.clients.append(client)
            probe = client.get("/healthz")
            assert probe.status_code == 200
            if self.server.served_by(probe) == worker:
                return client
            client.close()
        raise AssertionError(f"no connection reached worker {worker} within 20 s")

    def send(self, method: str, path: str, *, worker: int | None = None, **kw: Any) -> Any:
        """One request on a fresh connection to `worker` (by default the workers take turns),
        checked to have been answered there."""
        if worker is None:
            workers = sorted(self.server.workers)
            worker = workers[self.turn % len(workers)]
            self.turn += 1
        headers = {"Origin": self.server.url, **kw.pop("headers", {})}
        if self.csrf and method not in ("GET", "HEAD"):
            headers.setdefault("X-CSRF-Token", self.csrf)
        client = self.on(worker)
        response = client.request(method, path, headers=headers, **kw)
        assert self.server.served_by(response) == worker
        self.pinned[worker] = (client, time.monotonic())
        self.seen.add(worker)
        return response

    def login(self, email: str, password: str = PASSWORD, **kw: Any) -> httpx.Response:
        page = self.send("GET", "/login", **kw)
        match = CSRF_META.search(page.text)
        assert match, page.text[:300]
        form = {"csrf_token": match.group(1), "email": email, "password": password, "next": "/"}
        return self.send("POST", "/login", data=form, **kw)

    def logged_in(self, email: str) -> Person:
        response = self.login(email)
        assert response.status_code == 303, response.text[:500]
        # The login rotated the CSRF token; every page carries the new one.
        match = CSRF_META.search(self.send("GET", "/account").text)
        assert match
        self.csrf = match.group(1)
        return self

    def api(self, method: str, path: str, **kw: Any) -> Any:
        response = self.send(method, "/api/v1" + path, **kw)
        assert response.status_code < 300, (method, path, response.status_code, response.text)
        return response.json()

    def close(self) -> None:
        for client in self.clients:
            client.close()


# --- the server -----------------------------------------------------------------------------


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh schema, named in DATABASE_URL the way an operator could write it."""
    assert TEST_DATABASE_URL
    with fresh_schema_url(TEST_DATABASE_URL, "mw") as url:
        yield url


@pytest.fixture
def server(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("multiworker")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # Nothing of the developer's settings or `.env` (the working directory is a temp folder).
    env = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    env.update(
        SECRET_KEY="multi-worker-test-" + uuid.uuid4().hex,
        DATABASE_URL=postgres_url,
        DATA_DIR=str(workdir / "data"),
        BASE_URL=url,
        REPORT_WORKERS="1",
        LOGIN_MAX_FAILURES_PER_ACCOUNT=str(MAX_FAILURES),
    )
    seeded = subprocess.run(
        [str(TOUCHSTONE), "demo", "--password", PASSWORD],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,  # an upper bound for a busy machine
        check=False,
    )
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    # Accounts of their own for the throttling tests, so no test locks out another's login.
    settings = Settings(_env_file=None, database_url=postgres_url, dev_mode=True)  # type: ignore[call-arg]
    database = Database(settings.resolved_database_url)
    try:
        with database.write() as session:
            for email in (GUARDED, RUSHED):
                user_create(session=session, email=email, name=email, password=PASSWORD)
    finally:
        database.dispose()

    log_path = workdir / "serve.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [str(TOUCHSTONE), "serve", "--workers", str(WORKERS), "--port", str(port)],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            workers = _wait_for_workers(url, proc, log_path)
            yield Server(url=url, port=port, pid=proc.pid, workers=workers)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                pytest.fail("touchstone serve did not stop on SIGTERM within 60 s")
    assert proc.returncode == 0, log_path.read_text()[-3000:]


def _wait_for_workers(url: str, proc: subprocess.Popen[bytes], log: Path) -> set[int]:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"serve exited:\n{log.read_text()[-3000:]}"
        # The uvicorn workers are the children holding a socket (the shared listener); the
        # others (multiprocessing's resource tracker) hold none.
        workers = {pid for pid in worker_pids(proc.pid) if _socket_inodes(pid)}
        if len(workers) >= WORKERS:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    return workers
            except httpx.TransportError:
                pass
        time.sleep(0.1)  # polling a separate process
    raise AssertionError(f"not up within {START_SECONDS} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def people(server: Server) -> Iterator[list[Person]]:
    made: list[Person] = []
    yield made
    for person in made:
        person.close()


# --- the demo flow --------------------------------------------------------------------------


def _value(question: dict[str, Any]) -> Any:
    kind = question["kind"]
    return {"yes_no": True, "scale": 4, "number": 2, "choice": 0}.get(kind, "All fine.")


def _fill_and_submit(shopper: Person, shop_id: int) -> None:
    visited = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    shopper.api("PUT", f"/shops/{shop_id}/visit", json={"visited_at": visited})
    detail = shopper.api("GET", f"/shops/{shop_id}")
    for section in detail["sections"]:
        for question in section["questions"]:
            answer_id = question["answer"]["id"] if question["answer"] else str(uuid.uuid4())
            body = {"question_id": question["id"], "value": _value(question)}
            saved = shopper.api("PUT", f"/shops/{shop_id}/answers/{answer_id}", json=body)
            assert saved["id"] == answer_id
    assert shopper.api("POST", f"/shops/{shop_id}/submit")["status"] == "submitted"


def test_two_workers_on_postgresql(server: Server, people: list[Person], postgres_url: str) -> None:
    """One test, one server: with pytest-xdist, separate tests could each start their own."""
    _demo_flow_with_a_shared_pdf_cache(server, people)
    _failed_logins_count_across_workers(server, people)
    _a_burst_of_parallel_guesses_gets_no_more_checks_than_the_limit(server, people)
    _revoked_credentials_are_refused_at_the_next_save_in_every_worker(server, people, postgres_url)


def _demo_flow_with_a_shared_pdf_cache(server: Server, people: list[Person]) -> None:
    assert len(server.workers) == WORKERS
    first, second = sorted(server.workers)
    shopper, owner, staff = (Person(server) for _ in range(3))
    people += [shopper, owner, staff]
    shopper.logged_in("shopper@demo.example")
    owner.logged_in("owner@demo.example")
    staff.logged_in("staff@demo.example")

    open_shops = sorted(
        (s for s in shopper.api("GET", "/shops") if s["status"] in ("assigned", "in_progress")),
        key=lambda s: s["id"],
    )
    assert len(open_shops) >= 2, open_shops
    shop_a, shop_b = open_shops[0], open_shops[1]

    _fill_and_submit(shopper, shop_a["id"])
    approved = owner.api("POST", f"/shops/{shop_a['id']}/approve")
    assert approved["status"] == "approved" and approved["score"] is not None
    # Staff see the approved shop (without the shopper), whichever worker they reach.
    seen = staff.api("GET", f"/shops/{shop_a['id']}")
    assert seen["status"] == "approved" and "shopper_id" not in seen

    pdf_path = f"/api/v1/reports/touchpoints/{shop_a['touchpoint_ids'][0]}/pdf"
    printed = staff.send("GET", pdf_path, worker=first)
    assert printed.status_code == 200, printed.text[:500]
    assert printed.content.startswith(b"%PDF")
    assert printed.headers["X-Touchstone-Cache"] == "miss"
    again = staff.send("GET", pdf_path, worker=second)
    assert again.headers["X-Touchstone-Cache"] == "hit"  # printed by the other worker
    assert again.content == printed.content

    # A newly approved shop changes the report's data: a fresh PDF, then cached again.
    _fill_and_submit(shopper, shop_b["id"])
    assert owner.api("POST", f"/shops/{shop_b['id']}/approve")["status"] == "approved"
    fresh = staff.send("GET", pdf_path, worker=second)
    assert fresh.status_code == 200
    assert fresh.headers["X-Touchstone-Cache"] == "miss"
    assert staff.send("GET", pdf_path, worker=first).headers["X-Touchstone-Cache"] == "hit"

    # Every login (a session row and a signed cookie) worked on both workers.
    for person in (shopper, owner, staff):
        assert person.seen == server.workers


def _failed_logins_count_across_workers(server: Server, people: list[Person]) -> None:
    """Failures alternate between the workers; the limit is per account, not per worker."""
    email = GUARDED
    attacker = Person(server)
    people.append(attacker)
    statuses = [attacker.login(email, "wrong-password").status_code for _ in range(MAX_FAILURES)]
    assert statuses == [400] * MAX_FAILURES
    assert attacker.seen == server.workers

    # Now the right password too is refused, on either worker, until the window passes.
    for worker in sorted(server.workers):
        refused = Person(server)
        people.append(refused)
        response = refused.login(email, worker=worker)
        assert response.status_code == 429
        assert "Too many failed attempts" in response.text


def _a_burst_of_parallel_guesses_gets_no_more_checks_than_the_limit(
    server: Server, people: list[Person]
) -> None:
    """Guesses sent all at once, over both workers: only MAX_FAILURES passwords are checked.

    Counting the failures and recording a new one must not interleave, or every guess in
    the burst sees a count under the limit (before the fix, 19 of 20 were checked).
    """
    guessers = [Person(server) for _ in range(BURST)]
    people.extend(guessers)
    workers = sorted(server.workers)
    forms = []
    for n, guesser in enumerate(guessers):
        # Each guesser holds a login page (and its CSRF token) from one worker, turn about.
        client = guesser.on(workers[n % len(workers)])
        page = client.get("/login")
        match = CSRF_META.search(page.text)
        assert match
        form = {"csrf_token": match.group(1), "email": RUSHED, "password": f"guess-{n}"}
        forms.append((client, form))

    def guess(client: httpx.Client, form: dict[str, str]) -> int:
        return client.post("/login", data=form, headers={"Origin": server.url}).status_code

    with ThreadPoolExecutor(max_workers=BURST) as pool:
        statuses = list(pool.map(lambda pair: guess(*pair), forms))

    assert sorted(statuses) == [400] * MAX_FAILURES + [429] * (BURST - MAX_FAILURES)


# --- revocation reaches every worker at once ------------------------------------------------


@dataclass
class Saver:
    """A shopper of Demo Co with an API token, a membership and an open shop of their own."""

    email: str
    token: str
    token_id: int
    membership_id: int
    shop_id: int
    question_id: int
    value: Any
    answer_id: str = field(default_factory=lambda: str(uuid.uuid4()))


def _savers(postgres_url: str, count: int) -> list[Saver]:
    from sqlmodel import select

    from app.demo import DEMO_ORG
    from app.modelbase import ident
    from app.orgs.models import ApiToken, Location, Membership, Organization, Role
    from app.security import api_token_issue
    from app.tenancy import scope_session
    from audits import services
    from audits.queries import shop_sections
    from touchpoints.models import Touchpoint

    database = Database(postgres_url)
    made = []
    try:
        with database.write() as session:
            org = session.exec(select(Organization).where(Organization.name == DEMO_ORG)).one()
            org_id = ident(org)
            scope_session(session, org_id)
            owner = session.exec(
                select(Membership).where(Membership.org_id == org_id, Membership.role == Role.owner)
            ).first()
            assert owner is not None
            location = session.exec(select(Location)).first()
            touchpoint = session.exec(select(Touchpoint)).first()
            assert location is not None and touchpoint is not None
            for n in range(count):
                email = f"revoked-{n}@demo.example"
                user = user_create(session=session, email=email, name=email, password=PASSWORD)
                member = Membership(org_id=org_id, user_id=ident(user), role=Role.shopper)
                session.add(member)
                session.flush()
                raw = api_token_issue(
                    session=session, user_id=ident(user), org_id=org_id, name="phone"
                )
                session.flush()
                token = session.exec(select(ApiToken).where(ApiToken.user_id == ident(user))).one()
                shop = services.shop_plan(
                    session=session,
                    org_id=org_id,
                    data=services.ShopPlan(
                        location_id=ident(location),
                        touchpoint_ids=[ident(touchpoint)],
                        shopper_id=ident(user),
                        scenario="Revocation check.",
                    ),
                    actor_id=owner.user_id,
                )
                question = shop_sections(session, shop)[0].questions[0]
                made.append(
                    Saver(
                        email=email,
                        token=raw,
                        token_id=ident(token),
                        membership_id=ident(member),
                        shop_id=ident(shop),
                        question_id=ident(question),
                        value=_value({"kind": str(question.kind)}),
                    )
                )
    finally:
        database.dispose()
    return made


def _api_save(person: Person, saver: Saver, worker: int) -> httpx.Response:
    response: httpx.Response = person.send(
        "PUT",
        f"/api/v1/shops/{saver.shop_id}/answers/{saver.answer_id}",
        worker=worker,
        json={"question_id": saver.question_id, "value": saver.value},
        headers={"Authorization": f"Bearer {saver.token}"},
    )
    return response


def _page_save(person: Person, saver: Saver, worker: int) -> httpx.Response:
    """The phone's save (app/static/touchstone-queue.js): JSON to the page route."""
    response: httpx.Response = person.send(
        "POST",
        f"/shops/{saver.shop_id}/answers",
        worker=worker,
        json={"id": saver.answer_id, "question_id": saver.question_id, "value": saver.value},
        headers={"Accept": "application/json"},
    )
    return response


def _revoked_credentials_are_refused_at_the_next_save_in_every_worker(
    server: Server, people: list[Person], postgres_url: str
) -> None:
    """Each credential saves on both workers (so any worker that kept its identity would
    have it), is revoked through one worker, and its very next save is refused by both."""
    workers = sorted(server.workers)
    by_token, by_password, by_membership = _savers(postgres_url, 3)
    owner = Person(server).logged_in("owner@demo.example")
    phone = Person(server)  # the API token's client: no cookies
    people += [owner, phone]

    # A token revoked by the owner.
    for worker in workers:
        assert _api_save(phone, by_token, worker).status_code == 200
    assert owner.send("DELETE", f"/api/v1/tokens/{by_token.token_id}").status_code == 204
    for worker in workers:
        refused = _api_save(phone, by_token, worker)
        assert refused.status_code == 401, refused.text
        assert refused.json()["detail"] == "The API token is unknown or revoked."

    # A password changed on the laptop logs the phone out.
    logged_phone = Person(server).logged_in(by_password.email)
    laptop = Person(server).logged_in(by_password.email)
    people += [logged_phone, laptop]
    for worker in workers:
        assert _page_save(logged_phone, by_password, worker).status_code == 200
    form = {
        "current_password": PASSWORD,
        "new_password": "a fresh passphrase for the revocation check",
        "confirm_password": "a fresh passphrase for the revocation check",
    }
    changed = laptop.send("POST", "/account/password", data=form)
    assert changed.status_code == 303, changed.text[:500]
    for worker in workers:
        refused = _page_save(logged_phone, by_password, worker)
        assert refused.status_code == 401, refused.text
        assert refused.json()["login"] is True

    # A member the owner removes: neither the token nor the login saves any more.
    removed_phone = Person(server).logged_in(by_membership.email)
    people.append(removed_phone)
    for worker in workers:
        assert _api_save(phone, by_membership, worker).status_code == 200
        assert _page_save(removed_phone, by_membership, worker).status_code == 200
    gone = owner.send("POST", f"/people/{by_membership.membership_id}/remove")
    assert gone.status_code == 303, gone.text[:500]
    for worker in workers:
        refused = _api_save(phone, by_membership, worker)  # removing revokes their tokens
        assert refused.status_code == 401, refused.text
        assert refused.json()["detail"] == "The API token is unknown or revoked."
        refused = _page_save(removed_phone, by_membership, worker)
        assert refused.status_code == 403, refused.text
        assert "not a member of an organization" in refused.json()["detail"]
