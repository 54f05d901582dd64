"""Benchmark: answer saves per second that `touchstone serve` gives N shoppers, beside the floor.

What it does:

1. makes a temp directory with a fresh SQLite file (or, with --database-url postgresql://...,
   a fresh schema in that database) and runs `touchstone demo` on it;
2. adds max(N) shopper accounts to Demo Co, each with an API token and, for every run, a fresh
   shop covering all of Demo Co's touchpoints (54 questions; written straight into the
   database through the services, before the server starts);
3. starts `touchstone serve` (one worker, or --workers) and, beside it, the floor
   (bench/autosave_floor.py: a bare ASGI app under the same uvicorn that checks the bearer
   token, parses the JSON and upserts the answer into a WAL SQLite file under BEGIN
   IMMEDIATE, with none of Touchstone's guarantees);
4. for the page mode, logs each shopper in through the login form (GET /login, POST /login)
   and opens their fill page, as a phone does, for the session cookie and its CSRF token;
5. for each mode and N, drives each server in turn with `wrk` (C, epoll: /usr/bin/wrk,
   Debian's `wrk` package) over N connections, with bench/autosave.lua choosing every
   request's shopper, question and answer id, first each answer once, then the same ids
   again (upserts), as a phone replaying its queue:
     api   PUT /api/v1/shops/{shop_id}/answers/{uuid} with the shopper's API token;
     page  POST /shops/{shop_id}/answers, the fill page's save (what the phones use), with
           the login session's cookie, the X-CSRF-Token header and the Origin header;
6. prints, per mode, N and server: saves/s, p50/p95/p99 latency, errors (any status but
   200, any socket error or timeout), the server's CPU per save, and Touchstone's share of
   the floor (which takes the page mode's saves with the token in a cookie).

Two ways to load the servers:

  closed loop (default)  each connection sends its next save as soon as the last is answered:
                         the most the server can do with N saves always in flight
  --rate R               paced: the N connections together offer R saves/s (the Lua script
                         spaces each wrk thread's requests); "saves/s" below R means the
                         server did not keep up. Latency is measured from each send, so use
                         it to see what latency a rate below the maximum gets.

Usage:  .venv/bin/python bench/autosave.py [--mode api,page] [-n 10,50,100] [--seconds 10]
            [--rate 0] [--workers 1] [--database-url postgresql://...] [--no-floor] [--keep]
With no arguments it prints everything docs/performance.md gives (both modes, 10/50/100
shoppers, the floor and the share) in about three minutes.
Prints figures; it is not a pass/fail test. wrk runs on the same machine and takes some
CPU from the server (much less than a Python client would: one that was tried capped at
about 150 requests/s here against a server that did nothing).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# BENCH_TOUCHSTONE: another launcher for the same CLI (to try a patched server, say).
TOUCHSTONE = Path(os.environ.get("BENCH_TOUCHSTONE") or Path(sys.executable).parent / "touchstone")
WRK = os.environ.get("BENCH_WRK", "/usr/bin/wrk")
LUA = Path(__file__).resolve().parent / "autosave.lua"
FLOOR = Path(__file__).resolve().parent / "autosave_floor.py"
MODES = ("api", "page")
PASSWORD = "bench-shopper-password"
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


Run = tuple[str, int]  # (mode, N): each run saves into shops of its own


@dataclass
class Shopper:
    user_id: int
    token: str
    email: str = ""
    shops: dict[Run, int] = field(default_factory=dict)  # the run -> shop id
    questions: dict[Run, list[tuple[int, Any]]] = field(default_factory=dict)
    cookie: str = ""  # the page mode's "name=value" session cookie, after logging in
    csrf: str = ""  # and its CSRF token, as the fill page gives it


@dataclass
class Result:
    server: str
    mode: str
    n: int
    saves: int
    seconds: float
    p50: float
    p95: float
    p99: float
    errors: int
    cpu_per_save_ms: float
    load: float = 0.0  # the 1-minute load average as the run ended

    @property
    def rate(self) -> float:
        return self.saves / self.seconds if self.seconds else 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sample_value(kind: str, config: dict[str, Any]) -> Any:
    if kind == "yes_no":
        return True
    if kind == "scale":
        return 4
    if kind == "number":
        return config.get("threshold", 1)
    if kind == "choice":
        return 0
    return "Fine, nothing to add."


def prepare(database_url: str, runs: list[Run]) -> list[Shopper]:
    """Shopper accounts, tokens and one fresh shop per shopper per run, straight in the DB."""
    from sqlmodel import select

    from app.db import Database
    from app.demo import DEMO_ORG
    from app.modelbase import ident
    from app.orgs.models import Location, Membership, Organization, Role, User
    from app.security import api_token_issue, hash_password
    from app.tenancy import scope_session
    from app.wiring import wire
    from audits import services
    from audits.queries import shop_sections
    from touchpoints.models import Touchpoint

    wire()
    db = Database(database_url)
    shoppers: list[Shopper] = []
    with db.session() as session:
        org = session.exec(select(Organization).where(Organization.name == DEMO_ORG)).one()
        org_id = ident(org)
        scope_session(session, org_id)
        owner = session.exec(
            select(Membership).where(Membership.org_id == org_id, Membership.role == Role.owner)
        ).first()
        assert owner is not None
        locations = [ident(loc) for loc in session.exec(select(Location))]
        touchpoints = [ident(tp) for tp in session.exec(select(Touchpoint))]
        password = hash_password(PASSWORD)  # one hash for all: argon2 is slow
        for i in range(max(n for _, n in runs)):
            email = f"bench-shopper-{i}@bench.example"
            user = User(email=email, name=f"Bench {i}", password_hash=password)
            session.add(user)
            session.flush()
            session.add(Membership(org_id=org_id, user_id=ident(user), role=Role.shopper))
            token = api_token_issue(
                session=session, user_id=ident(user), org_id=org_id, name="autosave bench"
            )
            shoppers.append(Shopper(user_id=ident(user), token=token, email=email))
        session.commit()
        for run in runs:
            for i, shopper in enumerate(shoppers[: run[1]]):
                shop = services.shop_plan(
                    session=session,
                    org_id=org_id,
                    data=services.ShopPlan(
                        location_id=locations[i % len(locations)],
                        touchpoint_ids=touchpoints,
                        shopper_id=shopper.user_id,
                        scenario="Benchmark visit.",
                    ),
                    actor_id=owner.user_id,
                )
                shopper.shops[run] = ident(shop)
                shopper.questions[run] = [
                    (ident(q), sample_value(str(q.kind), q.config or {}))
                    for section in shop_sections(session, shop)
                    for q in section.questions
                ]
    db.dispose()
    return shoppers


def items_file(path: Path, shoppers: list[Shopper], run: Run, *, floor: bool = False) -> Path:
    """The saves of the run (mode, N), one a line for bench/autosave.lua: line k is
    shopper k mod N's answer to question k div N, so neighbouring lines (sent at the same
    time) are different shoppers' answers. Each answer id is made once, as a phone makes it.
    A page line starts with the session cookie and CSRF token (for the floor: its cookie with
    the shopper's token, and no CSRF token to check)."""
    mode, n = run
    lines = []
    count = min(len(s.questions[run]) for s in shoppers[:n])
    for q in range(count):
        for who in shoppers[:n]:
            question_id, value = who.questions[run][q]
            if mode == "api":
                credential = who.token
            elif floor:
                credential = f"floor={who.token} -"
            else:
                credential = f"{who.cookie} {who.csrf}"
            lines.append(
                f"{credential} {who.shops[run]} {question_id} {uuid.uuid4()} {json.dumps(value)}"
            )
    path.write_text("\n".join(lines) + "\n")
    return path


def log_in(base: str, shopper: Shopper, shop_id: int) -> None:
    """Log the shopper in through the login form and open a fill page, as a phone does:
    the session cookie and the CSRF token the page's saves then send."""
    with httpx.Client(base_url=base, timeout=60) as client:
        page = client.get("/login")
        csrf = _CSRF_META.search(page.text)
        if csrf is None:
            raise SystemExit(f"no CSRF token on the login page ({page.status_code})")
        done = client.post(
            "/login",
            data={"email": shopper.email, "password": PASSWORD, "csrf_token": csrf.group(1)},
        )
        if done.status_code != 303:
            raise SystemExit(f"{shopper.email} could not log in: {done.status_code}")
        fill = client.get(f"/shops/{shop_id}/fill")
        csrf = _CSRF_META.search(fill.text)
        if fill.status_code != 200 or csrf is None:
            raise SystemExit(f"{shopper.email}'s fill page: {fill.status_code}")
        cookies = list(client.cookies.jar)
        if len(cookies) != 1:
            raise SystemExit(f"expected one session cookie, got {[c.name for c in cookies]}")
        shopper.cookie = f"{cookies[0].name}={cookies[0].value}"
        shopper.csrf = csrf.group(1)


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and its children that are still running:
    the uvicorn workers under `--workers`."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            stat = (p / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(p.name) == pid or int(stat[1]) == pid:
            total += (int(stat[11]) + int(stat[12])) / tick
    return total


def wrk(
    base: str,
    items: Path,
    *,
    mode: str,
    n: int,
    seconds: float,
    rate: float,
    threads: int,
    pid: int,
) -> dict[str, Any]:
    threads = max(1, min(threads, n))
    cpu = process_cpu(pid)
    done = subprocess.run(
        [
            WRK,
            "-t",
            str(threads),
            "-c",
            str(n),
            "-d",
            f"{seconds:g}s",
            "--timeout",
            "15s",
            "-s",
            str(LUA),
            base,
            "--",
            str(items),
            str(threads),
            f"{rate:g}",
            mode,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    cpu = process_cpu(pid) - cpu
    line = next((x for x in done.stdout.splitlines() if x.startswith("AUTOSAVE ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no figures:\n{done.stdout}\n{done.stderr}")
    figures: dict[str, Any] = json.loads(line.removeprefix("AUTOSAVE "))
    figures["cpu"] = cpu
    figures["stderr"] = done.stderr.strip()
    return figures


def measure(
    server: str, base: str, items: Path, args: argparse.Namespace, run: Run, pid: int
) -> Result:
    mode, n = run
    f = wrk(
        base,
        items,
        mode=mode,
        n=n,
        seconds=args.seconds,
        rate=args.rate,
        threads=args.threads,
        pid=pid,
    )
    errors = sum(f[k] for k in ("non200", "connect", "read", "write", "timeout"))
    saves = int(f["requests"])
    if f["stderr"] and errors:
        print("       " + f["stderr"].replace("\n", "\n       "))
    return Result(
        server,
        mode,
        n,
        saves,
        float(f["seconds"]),
        f["p50"],
        f["p95"],
        f["p99"],
        errors,
        1000 * f["cpu"] / saves if saves else float("nan"),
        os.getloadavg()[0],
    )


def wait_for(base: str, proc: subprocess.Popen[bytes], path: str, timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise SystemExit(f"server {proc.args} exited early")
        try:
            httpx.get(base + path, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"server {proc.args} did not come up")


@contextmanager
def started(
    command: list[str], env: dict[str, str], log: Path, base: str, probe: str
) -> Iterator[int]:
    with log.open("wb") as out:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_for(base, proc, probe)
            yield proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def database(url: str, workdir: Path, *, keep: bool) -> Iterator[str]:
    """An empty database: a SQLite file in `workdir`, or a new schema in the PostgreSQL
    database `url` names (dropped afterwards unless kept); as bench/crash.py makes it."""
    if not url:
        yield f"sqlite:///{workdir / 'bench.db'}"
        return
    from sqlalchemy import create_engine, text

    base = url.replace("postgresql+psycopg://", "postgresql://", 1)
    schema = f"autosave_{uuid.uuid4().hex[:12]}"
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


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--mode",
        default="api,page",
        help="api (PUT with a token), page (the fill page's POST with a session), or both",
    )
    parser.add_argument(
        "-n", default="10,50,100", help="shopper counts (connections), comma-separated"
    )
    parser.add_argument("--seconds", type=float, default=10, help="length of each run")
    parser.add_argument(
        "--rate", type=float, default=0, help="total saves/s offered (0: closed loop)"
    )
    parser.add_argument("--workers", type=int, default=1, help="touchstone serve --workers")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--database-url", default="", help="default: a new SQLite file")
    parser.add_argument("--no-floor", action="store_true", help="measure Touchstone only")
    parser.add_argument("--keep", action="store_true", help="keep the temp directory")
    args = parser.parse_args(argv)
    args.modes = [m.strip() for m in args.mode.split(",") if m.strip()]
    if not args.modes or any(m not in MODES for m in args.modes):
        parser.error("--mode takes api, page or api,page")
    try:
        counts = [int(x) for x in args.n.split(",")]
    except ValueError:
        parser.error("-n takes whole numbers, comma-separated")
    if min(counts) < 1 or args.seconds <= 0 or args.rate < 0 or args.workers < 1:
        parser.error("shopper counts, --seconds and --workers must be positive, --rate >= 0")
    args.runs = [(mode, n) for mode in args.modes for n in counts]
    return args


def main() -> None:
    args = parse_args()
    if not Path(WRK).exists():
        raise SystemExit(f"{WRK} not found: apt-get install wrk")
    tmp = Path(tempfile.mkdtemp(prefix="touchstone-bench-"))
    try:
        with database(args.database_url, tmp, keep=args.keep) as url:
            bench(args, url, tmp)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def bench(args: argparse.Namespace, database_url: str, tmp: Path) -> None:
    sys.path.append(str(FLOOR.parent))  # after the project: bench/reports.py is no package
    from autosave_floor import floor_setup

    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")},
        "DEV_MODE": "1",
        "DATABASE_URL": database_url,
        "DATA_DIR": str(tmp),
    }
    subprocess.run(
        [str(TOUCHSTONE), "demo"], env=env, cwd=tmp, check=True, stdout=subprocess.DEVNULL
    )
    os.environ.update(env)
    shoppers = prepare(database_url, args.runs)
    floor_db = tmp / "floor.db"
    floor_setup(str(floor_db), [(s.token, s.user_id) for s in shoppers])

    port, floor_port = free_port(), free_port()
    base, floor_base = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{floor_port}"
    serve = [str(TOUCHSTONE), "serve", "--host", "127.0.0.1", "--port", str(port)]
    # The pages' own address, so that the Origin header a browser sends is ours.
    env["BASE_URL"] = base
    if args.workers > 1:
        serve += ["--workers", str(args.workers)]
    floor = [sys.executable, str(FLOOR), "--db", str(floor_db), "--port", str(floor_port)]
    with (
        started(serve, {**env, "LOG_LEVEL": "warning"}, tmp / "serve.log", base, "/healthz") as pid,
        started(floor, env, tmp / "floor.log", floor_base, "/") as floor_pid,
    ):
        page_runs = [run for run in args.runs if run[0] == "page"]
        if page_runs:
            widest = max(page_runs, key=lambda run: run[1])
            # argon2 checks each password: a moment each, so four at a time
            with ThreadPoolExecutor(4) as pool:
                list(pool.map(lambda s: log_in(base, s, s.shops[widest]), shoppers[: widest[1]]))
        report(args, database_url, shoppers, tmp, (base, pid), (floor_base, floor_pid))


def report(
    args: argparse.Namespace,
    database_url: str,
    shoppers: list[Shopper],
    tmp: Path,
    touchstone: tuple[str, int],
    floor: tuple[str, int],
) -> None:
    db = (
        "PostgreSQL"
        if database_url.startswith("postgresql")
        else f"SQLite {sqlite3.sqlite_version}"
    )
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.platform()}, Python "
        f"{platform.python_version()}, {db}, {args.workers} worker(s); floor: SQLite, 1 worker; "
        f"load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    mode = f"paced at {args.rate:g} saves/s" if args.rate else "closed loop"
    print(f"wrk {mode}, {args.threads} threads, {args.seconds:g} s per run")
    # "load": the machine's 1-minute load average as each run ended (others' work moves
    # every rate; CPU/save moves much less).
    print(
        f"{'N':>4} {'mode':<4} {'server':<10} {'saves':>6} {'saves/s':>8} {'p50 ms':>7}"
        f" {'p95 ms':>7} {'p99 ms':>7} {'errors':>6} {'CPU/save':>8} {'share':>6} {'load':>5}"
    )
    for run in args.runs:
        mode, n = run
        items = items_file(tmp / f"items-{mode}-{n}.txt", shoppers, run)
        results = [measure("touchstone", touchstone[0], items, args, run, touchstone[1])]
        if not args.no_floor:
            floor_items = items_file(tmp / f"floor-{mode}-{n}.txt", shoppers, run, floor=True)
            results.append(measure("floor", floor[0], floor_items, args, run, floor[1]))
        for r in results:
            share = (
                f"{100 * results[0].rate / results[1].rate:>5.1f}%"
                if len(results) > 1 and r.server == "touchstone" and results[1].rate
                else ""
            )
            print(
                f"{n:>4} {r.mode:<4} {r.server:<10} {r.saves:>6} {r.rate:>8.0f} {r.p50:>7.1f}"
                f" {r.p95:>7.1f} {r.p99:>7.1f} {r.errors:>6} {r.cpu_per_save_ms:>6.2f}ms"
                f" {share:>6} {r.load:>5.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
