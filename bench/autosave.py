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
4. for each N, drives each server in turn with `wrk` (C, epoll: /usr/bin/wrk, Debian's
   `wrk` package) over N connections, with bench/autosave.lua choosing every request's
   shopper, question and answer id: PUT /api/v1/shops/{shop_id}/answers/{uuid}, first each
   answer once, then the same ids again (upserts), as a phone replaying its queue;
5. prints, per N and server: saves/s, p50/p95/p99 latency, errors (any status but 200, any
   socket error or timeout), the server's CPU per save, and Touchstone's share of the floor.

Two ways to load the servers:

  closed loop (default)  each connection sends its next save as soon as the last is answered:
                         the most the server can do with N saves always in flight
  --rate R               paced: the N connections together offer R saves/s (the Lua script
                         spaces each wrk thread's requests); "saves/s" below R means the
                         server did not keep up. Latency is measured from each send, so use
                         it to see what latency a rate below the maximum gets.

Usage:  .venv/bin/python bench/autosave.py [-n 10,50,100] [--seconds 10] [--rate 0]
            [--workers 1] [--database-url postgresql://...] [--no-floor] [--keep]
Prints figures; it is not a pass/fail test. wrk runs on the same machine and takes some
CPU from the server (much less than a Python client would: one that was tried capped at
about 150 requests/s here against a server that did nothing).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
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


@dataclass
class Shopper:
    user_id: int
    token: str
    shops: dict[int, int] = field(default_factory=dict)  # N of the run -> shop id
    questions: dict[int, list[tuple[int, Any]]] = field(default_factory=dict)


@dataclass
class Result:
    server: str
    n: int
    saves: int
    seconds: float
    p50: float
    p95: float
    p99: float
    errors: int
    cpu_per_save_ms: float

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


def prepare(database_url: str, runs: list[int]) -> list[Shopper]:
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
        password = hash_password("bench-shopper-password")  # one hash for all: argon2 is slow
        for i in range(max(runs)):
            user = User(
                email=f"bench-shopper-{i}@bench.example", name=f"Bench {i}", password_hash=password
            )
            session.add(user)
            session.flush()
            session.add(Membership(org_id=org_id, user_id=ident(user), role=Role.shopper))
            token = api_token_issue(
                session=session, user_id=ident(user), org_id=org_id, name="autosave bench"
            )
            shoppers.append(Shopper(user_id=ident(user), token=token))
        session.commit()
        for n in runs:
            for i, shopper in enumerate(shoppers[:n]):
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
                shopper.shops[n] = ident(shop)
                shopper.questions[n] = [
                    (ident(q), sample_value(str(q.kind), q.config or {}))
                    for section in shop_sections(session, shop)
                    for q in section.questions
                ]
    db.dispose()
    return shoppers


def items_file(path: Path, shoppers: list[Shopper], n: int) -> Path:
    """The saves of the run with N shoppers, one a line for bench/autosave.lua: line k is
    shopper k mod N's answer to question k div N, so neighbouring lines (sent at the same
    time) are different shoppers' answers. Each answer id is made once, as a phone makes it."""
    lines = []
    count = min(len(s.questions[n]) for s in shoppers[:n])
    for q in range(count):
        for who in shoppers[:n]:
            question_id, value = who.questions[n][q]
            lines.append(
                f"{who.token} {who.shops[n]} {question_id} {uuid.uuid4()} {json.dumps(value)}"
            )
    path.write_text("\n".join(lines) + "\n")
    return path


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
    base: str, items: Path, *, n: int, seconds: float, rate: float, threads: int, pid: int
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
    server: str, base: str, items: Path, args: argparse.Namespace, n: int, pid: int
) -> Result:
    f = wrk(base, items, n=n, seconds=args.seconds, rate=args.rate, threads=args.threads, pid=pid)
    errors = sum(f[k] for k in ("non200", "connect", "read", "write", "timeout"))
    saves = int(f["requests"])
    if f["stderr"] and errors:
        print("       " + f["stderr"].replace("\n", "\n       "))
    return Result(
        server,
        n,
        saves,
        float(f["seconds"]),
        f["p50"],
        f["p95"],
        f["p99"],
        errors,
        1000 * f["cpu"] / saves if saves else float("nan"),
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
    args.runs = [int(x) for x in args.n.split(",")]
    if min(args.runs) < 1 or args.seconds <= 0 or args.rate < 0 or args.workers < 1:
        parser.error("shopper counts, --seconds and --workers must be positive, --rate >= 0")
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
    if args.workers > 1:
        serve += ["--workers", str(args.workers)]
    floor = [sys.executable, str(FLOOR), "--db", str(floor_db), "--port", str(floor_port)]
    with (
        started(serve, {**env, "LOG_LEVEL": "warning"}, tmp / "serve.log", base, "/healthz") as pid,
        started(floor, env, tmp / "floor.log", floor_base, "/") as floor_pid,
    ):
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
    print(
        f"{'N':>4} {'server':<10} {'saves':>6} {'saves/s':>8} {'p50 ms':>7} {'p95 ms':>7}"
        f" {'p99 ms':>7} {'errors':>6} {'CPU/save':>8} {'share':>6}"
    )
    for n in args.runs:
        items = items_file(tmp / f"items-{n}.txt", shoppers, n)
        results = [measure("touchstone", touchstone[0], items, args, n, touchstone[1])]
        if not args.no_floor:
            results.append(measure("floor", floor[0], items, args, n, floor[1]))
        for r in results:
            share = (
                f"{100 * results[0].rate / results[1].rate:>5.1f}%"
                if len(results) > 1 and r.server == "touchstone" and results[1].rate
                else ""
            )
            print(
                f"{n:>4} {r.server:<10} {r.saves:>6} {r.rate:>8.0f} {r.p50:>7.1f} {r.p95:>7.1f}"
                f" {r.p99:>7.1f} {r.errors:>6} {r.cpu_per_save_ms:>6.2f}ms {share:>6}",
                flush=True,
            )


if __name__ == "__main__":
    main()
