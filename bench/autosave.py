"""Benchmark: N secret shoppers saving answers at once against `touchstone serve` on SQLite.

What it does:

1. makes a temp directory with a fresh SQLite DATABASE_URL and runs `touchstone demo` in it;
2. adds up to max(N) shopper accounts to Demo Co, each with an API token and, for every run,
   a fresh shop covering all of Demo Co's touchpoints (written straight into the database
   through the services, before the server starts);
3. starts `touchstone serve` (DEV_MODE=1, one worker) on a free port on 127.0.0.1;
4. for each N: N shoppers (asyncio tasks, one connection each) save answers with
   PUT /api/v1/shops/{shop_id}/answers/{uuid}, one after another like a phone does,
   walking through their shop's questions and then replaying them (replays upsert);
   each shopper stops after --saves saves or when --seconds run out;
5. prints saves/s, p50/p95/p99 latency and errors per N, and stops the server.

Two ways to load the server:

  closed loop (default)  each shopper sends its next save as soon as the last one is answered:
                         the most the server can do, with N requests always in flight
  --rate R               the N shoppers together offer R saves/s (each one every N/R s): does
                         the server keep latency low at that rate?

Usage:  .venv/bin/python bench/autosave.py [-n 10,50,100] [--saves 60] [--seconds 20]
                                           [--rate 0] [--keep]
Prints figures; it is not a pass/fail test. The client runs on the same machine and takes
CPU from the server; the figures say what one box does with both.
"""

from __future__ import annotations

import argparse
import asyncio
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
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# BENCH_TOUCHSTONE: another launcher for the same CLI (to try a patched server, say).
TOUCHSTONE = Path(os.environ.get("BENCH_TOUCHSTONE") or Path(sys.executable).parent / "touchstone")


@dataclass
class Shopper:
    user_id: int
    token: str
    shops: dict[int, int] = field(default_factory=dict)  # N of the run -> shop id
    questions: dict[int, list[tuple[int, Any]]] = field(default_factory=dict)


@dataclass
class Result:
    n: int
    saves: int
    errors: Counter[str]
    latencies: list[float]
    elapsed: float


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


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


async def run(
    base: str,
    shoppers: list[Shopper],
    n: int,
    saves: int,
    seconds: float,
    rate: float,
    timeout: float,
) -> Result:
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    deadline = time.perf_counter() + seconds
    interval = n / rate if rate > 0 else 0.0
    limits = httpx.Limits(max_connections=n + 5, max_keepalive_connections=n + 5)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as client:

        async def shopper(index: int, who: Shopper) -> None:
            shop_id = who.shops[n]
            questions = who.questions[n]
            ids = [uuid.uuid4() for _ in questions]  # made "on the phone", reused on replay
            headers = {"Authorization": f"Bearer {who.token}"}
            if interval:  # spread the shoppers' first saves over one interval
                await asyncio.sleep(interval * index / n)
            next_at = time.perf_counter()
            for k in range(saves):
                if time.perf_counter() >= deadline:
                    break
                q = k % len(questions)
                question_id, value = questions[q]
                body = {
                    "question_id": question_id,
                    "value": value,
                    "not_applicable": False,
                    "comment": "" if k < len(questions) else f"replay {k}",
                }
                started = time.perf_counter()
                try:
                    response = await client.put(
                        f"/api/v1/shops/{shop_id}/answers/{ids[q]}", json=body, headers=headers
                    )
                    if response.status_code != 200:
                        errors[f"HTTP {response.status_code}: {response.text[:120]}"] += 1
                except httpx.HTTPError as exc:
                    errors[type(exc).__name__] += 1
                latencies.append(time.perf_counter() - started)
                if interval:
                    next_at += interval
                    await asyncio.sleep(max(0.0, next_at - time.perf_counter()))

        began = time.perf_counter()
        await asyncio.gather(*(shopper(i, s) for i, s in enumerate(shoppers[:n])))
        elapsed = time.perf_counter() - began
    return Result(n, len(latencies), errors, latencies, elapsed)


def wait_for(base: str, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise SystemExit("touchstone serve exited early")
        try:
            if httpx.get(base + "/login", timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("touchstone serve did not come up")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-n", default="10,50,100", help="shopper counts, comma-separated")
    parser.add_argument("--saves", type=int, default=60, help="saves per shopper at most")
    parser.add_argument("--seconds", type=float, default=20, help="time limit per run")
    parser.add_argument("--rate", type=float, default=0, help="total saves/s offered (0: max)")
    parser.add_argument("--timeout", type=float, default=15, help="client timeout per save")
    parser.add_argument("--keep", action="store_true", help="keep the temp directory")
    args = parser.parse_args()
    runs = [int(x) for x in args.n.split(",")]

    tmp = Path(tempfile.mkdtemp(prefix="touchstone-bench-"))
    try:
        bench(args, runs, tmp)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def bench(args: argparse.Namespace, runs: list[int], tmp: Path) -> None:
    database_url = f"sqlite:///{tmp / 'bench.db'}"
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
    shoppers = prepare(database_url, runs)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with (tmp / "serve.log").open("wb") as log:
        proc = subprocess.Popen(
            [str(TOUCHSTONE), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env={**env, "LOG_LEVEL": "warning"},
            cwd=tmp,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            report(args, runs, base, proc, shoppers)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def report(
    args: argparse.Namespace,
    runs: list[int],
    base: str,
    proc: subprocess.Popen[bytes],
    shoppers: list[Shopper],
) -> None:
    wait_for(base, proc)
    print(f"server pid {proc.pid} on {base}", flush=True)
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.platform()}, Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    mode = f"offered {args.rate:g} saves/s" if args.rate else "closed loop (no think time)"
    print(f"{mode}; at most {args.saves} saves per shopper or {args.seconds:g} s per run")
    print(
        f"{'N':>4} {'saves':>6} {'secs':>6} {'saves/s':>8} {'p50 ms':>7} {'p95 ms':>7}"
        f" {'p99 ms':>7} {'errors':>6}"
    )
    for n in runs:
        result = asyncio.run(
            run(base, shoppers, n, args.saves, args.seconds, args.rate, args.timeout)
        )
        ms = [x * 1000 for x in result.latencies]
        print(
            f"{n:>4} {result.saves:>6} {result.elapsed:>6.1f} "
            f"{result.saves / result.elapsed:>8.0f} {percentile(ms, 50):>7.0f} "
            f"{percentile(ms, 95):>7.0f} {percentile(ms, 99):>7.0f} "
            f"{sum(result.errors.values()):>6}",
            flush=True,
        )
        for message, count in result.errors.most_common(3):
            print(f"       {count} x {message}")


if __name__ == "__main__":
    main()
