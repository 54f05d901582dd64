"""Benchmark: the report trend queries on an organization with about a million answers.

What it does:

1. builds a synthetic organization (unless --reuse finds one already built): 100 locations in
   5 regions, 10 touchpoints of 10 questions each (yes/no with one critical and one that
   allows N/A, scale, number, choice), and for two years one approved shop per location per
   week covering every touchpoint: 10,400 shops, 104,000 sections, 1,040,000 answers.
   Answers are drawn from a seeded generator; every stored score (the shop's snapshot, the
   section percent, the answer share, the report day) is computed by the app's own code
   (touchpoints.scoring, audits.report_day) and written in bulk through the models' tables
   (executemany on SQLite, COPY on PostgreSQL);
2. times, per touchpoint, `touchpoint_trend`, `question_trend`, `critical_fails` and
   `location_comparison` (period: month), for all locations and for one region: the median
   of --runs runs after one warm-up run;
3. prints one line per touchpoint and query, and the median over touchpoints.

Databases: SQLite in a file (default /tmp/touchstone-bench-reports.db), or PostgreSQL with
--database-url postgresql://postgres@127.0.0.1:5432/test, where everything lives in its own
schema (--schema, default bench_reports) that a rebuild drops and creates again; no other
schema is touched.

Usage:  .venv/bin/python bench/reports.py [--database-url URL] [--schema NAME] [--reuse]
                                          [--runs 7] [--touchpoints 10] [--baseline FILE]
--baseline FILE times another implementation of the four queries (say the previous
reports/queries.py, saved from git) on the same data, for a before/after comparison.
Prints figures; it is not a pass/fail test.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import platform
import random
import sqlite3
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, text  # noqa: E402
from sqlalchemy.engine import Connection  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

from app.db import Database  # noqa: E402
from app.modelbase import ident, utcnow  # noqa: E402
from app.orgs.models import Location, Organization  # noqa: E402
from app.schema import metadata  # noqa: E402
from app.tenancy import scope_session  # noqa: E402
from app.wiring import wire  # noqa: E402
from audits.models import Answer, Shop, ShopStatus, ShopTouchpoint  # noqa: E402
from audits.report_day import answer_share, report_day  # noqa: E402
from touchpoints import services as journey  # noqa: E402
from touchpoints.models import Question, QuestionFields, Stage, Touchpoint  # noqa: E402
from touchpoints.preview import question_spec  # noqa: E402
from touchpoints.scoring import Given, score_section, score_shop, score_snapshot  # noqa: E402

DEFAULT_SQLITE = "sqlite:////tmp/touchstone-bench-reports.db"
ORG_NAME = "Bench Reports Co"
TIMEZONE = "America/New_York"
LOCATIONS = 100
REGIONS = ("North", "South", "East", "West", "Central")
WEEKS = 104
FIRST_MONDAY = date(2024, 11, 25)
SEED = 20261123
QUESTIONS: list[dict[str, Any]] = [
    {"kind": "yes_no", "text": "Greeted within a minute?"},
    {"kind": "yes_no", "text": "Asked what was needed?", "critical": True},
    {"kind": "yes_no", "text": "Offered an alternative?", "allow_na": True},
    {"kind": "yes_no", "text": "Thanked the customer?"},
    {"kind": "yes_no", "text": "Area tidy?"},
    {"kind": "yes_no", "text": "Name badge worn?"},
    {"kind": "scale", "text": "How friendly?", "scale_labels": ["1", "2", "3", "4", "5"]},
    {"kind": "scale", "text": "How clear?", "scale_labels": ["1", "2", "3", "4", "5"]},
    {"kind": "number", "text": "Minutes waited", "rule": "at_most", "threshold": 3},
    {
        "kind": "choice",
        "text": "Offer made",
        "options": [
            {"label": "none", "points": 0},
            {"label": "some", "points": 5},
            {"label": "full", "points": 10},
        ],
    },
]


# --- building the organization ---------------------------------------------------------------


def _schema_url(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def open_database(url: str, schema: str | None) -> Database:
    url = _schema_url(url)
    return Database(url, schema=schema if url.startswith("postgresql") else None)


def _existing_org(db: Database) -> int | None:
    try:
        with db.session() as session:
            org = session.exec(select(Organization).where(Organization.name == ORG_NAME)).first()
            if org is None:
                return None
            scope_session(session, ident(org))
            answers = session.exec(select(func.count()).select_from(Answer)).one()
            return ident(org) if answers else None
    except Exception:  # no tables yet
        return None


def _reset(url: str, schema: str) -> None:
    """An empty database: a new SQLite file, or the bench's own PostgreSQL schema re-made."""
    url = _schema_url(url)
    if url.startswith("sqlite"):
        path = Path(url.split(":///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    admin = Database(url)
    with admin.engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()


@dataclass
class Plan:
    org_id: int
    locations: list[tuple[int, str]]  # id, region
    touchpoints: list[Touchpoint]
    questions: dict[int, list[Question]]  # touchpoint id -> questions


def _journey(db: Database) -> Plan:
    """Organization, locations, touchpoints and questions, through the ORM and services."""
    with db.session() as session:
        org = Organization(name=ORG_NAME, timezone=TIMEZONE)
        session.add(org)
        session.commit()
        org_id = ident(org)
        scope_session(session, org_id)
        locations = [
            Location(org_id=org_id, name=f"Branch {n:03d}", region=REGIONS[n % len(REGIONS)])
            for n in range(LOCATIONS)
        ]
        stage = Stage(org_id=org_id, name="Visit", position=1)
        session.add_all([*locations, stage])
        session.commit()
        touchpoints = []
        questions: dict[int, list[Question]] = {}
        for n in range(10):
            tp = Touchpoint(
                org_id=org_id, stage_id=ident(stage), name=f"Touchpoint {n + 1}", position=n + 1
            )
            session.add(tp)
            session.commit()
            touchpoints.append(tp)
            questions[ident(tp)] = [
                journey.question_create(
                    session=session,
                    touchpoint=tp,
                    fields=QuestionFields.model_validate(q),
                    commit=False,
                )
                for q in QUESTIONS
            ]
            session.commit()
        return Plan(
            org_id,
            [(ident(loc), loc.region) for loc in locations],
            touchpoints,
            questions,
        )


def _value(rng: random.Random, question: Question, p: float) -> tuple[Any, bool]:
    kind = str(question.kind)
    if question.allow_na and rng.random() < 0.15:
        return None, True
    if kind == "yes_no":
        if question.critical:
            return rng.random() >= (1 - p) * 0.3, False
        return rng.random() < p, False
    if kind == "scale":
        return max(1, min(5, round(1 + 4 * p + rng.gauss(0, 0.8)))), False
    if kind == "number":
        return (rng.randint(0, 3) if rng.random() < p else rng.randint(4, 9)), False
    target = p + rng.gauss(0, 0.25)
    return (2 if target > 0.8 else 1 if target > 0.4 else 0), False


def _rows(
    plan: Plan,
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]]:
    """(shop row, its shop_touchpoint rows, its answer rows), every value computed here."""
    rng = random.Random(SEED)
    specs = {tp_id: [(q, question_spec(q)) for q in qs] for tp_id, qs in plan.questions.items()}
    skill = {loc_id: rng.gauss(0, 0.06) for loc_id, _ in plan.locations}
    shop_id = st_id = 0
    for week in range(WEEKS):
        monday = datetime.combine(FIRST_MONDAY + timedelta(weeks=week), datetime.min.time(), UTC)
        for loc_id, _region in plan.locations:
            shop_id += 1
            visited = monday + timedelta(minutes=rng.randrange(0, 7 * 24 * 60, 5))
            approved = visited + timedelta(days=2)
            day = report_day(visited, approved, TIMEZONE)  # approved: sections and answers count
            sections, st_rows, answers = [], [], []
            for position, tp in enumerate(plan.touchpoints, start=1):
                tp_id = ident(tp)
                p = max(
                    0.05,
                    min(
                        0.98,
                        0.7
                        + skill[loc_id]
                        + 0.1 * (position % 3 - 1) * week / WEEKS
                        + rng.gauss(0, 0.08),
                    ),
                )
                given = {}
                for question, spec in specs[tp_id]:
                    value, na = _value(rng, question, p)
                    given[spec.id] = Given(value, na)
                    answers.append(
                        {
                            "id": uuid.UUID(int=rng.getrandbits(128), version=4),
                            "org_id": plan.org_id,
                            "shop_id": shop_id,
                            "question_id": spec.id,
                            "value": value,
                            "not_applicable": na,
                            "comment": "",
                            "answered_at": visited,
                            "updated_at": visited,
                            "given_at": visited,
                            "revision": 1,
                            "share": answer_share(spec, value, na),
                            "report_day": day,
                        }
                    )
                section = score_section(tp_id, [s for _, s in specs[tp_id]], given)
                sections.append(section)
                st_id += 1
                st_rows.append(
                    {
                        "org_id": plan.org_id,
                        "id": st_id,
                        "shop_id": shop_id,
                        "touchpoint_id": tp_id,
                        "position": position,
                        "comment": "",
                        "score_pct": section.percent,
                        "report_day": day,
                    }
                )
            total = score_shop(sections)
            shop = {
                "org_id": plan.org_id,
                "id": shop_id,
                "location_id": loc_id,
                "shopper_id": None,
                "status": str(ShopStatus.approved),
                "scenario": "",
                "due_from": None,
                "due_until": None,
                "visited_at": visited,
                "duration_minutes": 20,
                "submitted_at": visited + timedelta(hours=1),
                "approved_at": approved,
                "score": total.percent,
                "score_detail": score_snapshot(total),
                "comment": "",
                "return_note": "",
                "wave_id": None,
                "created_at": visited - timedelta(days=7),
                "report_day": day,
            }
            yield shop, st_rows, answers


def _insert_sqlite(conn: Connection, batch: list[Any]) -> None:
    shops = [s for s, _, _ in batch]
    conn.execute(Shop.__table__.insert(), shops)  # type: ignore[attr-defined]
    conn.execute(ShopTouchpoint.__table__.insert(), [r for _, st, _ in batch for r in st])  # type: ignore[attr-defined]
    conn.execute(Answer.__table__.insert(), [r for _, _, a in batch for r in a])  # type: ignore[attr-defined]


def _copy_text(value: Any, json_column: bool) -> str:
    if value is None:
        return "\\N"
    if json_column:
        value = json.dumps(value)
    elif isinstance(value, bool):
        value = "t" if value else "f"
    elif isinstance(value, datetime | date):
        value = value.isoformat()
    out = str(value)
    return out.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _insert_postgres(conn: Connection, batch: list[Any]) -> None:
    raw: Any = conn.connection.dbapi_connection  # psycopg's own connection, for COPY
    assert raw is not None
    tables: list[tuple[str, list[dict[str, Any]], set[str]]] = [
        ("shop", [s for s, _, _ in batch], {"score_detail"}),
        ("shop_touchpoint", [r for _, st, _ in batch for r in st], set()),
        ("answer", [r for _, _, a in batch for r in a], {"value"}),
    ]
    with raw.cursor() as cur:
        for table, rows, json_columns in tables:
            columns = list(rows[0])
            buffer = io.StringIO()
            for row in rows:
                buffer.write(
                    "\t".join(_copy_text(row[c], c in json_columns) for c in columns) + "\n"
                )
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                copy.write(buffer.getvalue())


def build(url: str, *, schema: str = "bench_reports", reuse: bool = False) -> tuple[Database, int]:
    """The database with the synthetic organization; returns it and the organization's id."""
    db = open_database(url, schema)
    if reuse:
        org_id = _existing_org(db)
        if org_id is not None:
            print(f"reusing the organization already built in {url}")
            return db, org_id
    db.dispose()
    _reset(url, schema)
    db = open_database(url, schema)
    metadata.create_all(db.engine)
    started = time.perf_counter()
    plan = _journey(db)
    insert = _insert_sqlite if db.is_sqlite else _insert_postgres
    shops = answers = 0
    with db.engine.begin() as conn:
        batch: list[Any] = []
        for item in _rows(plan):
            batch.append(item)
            if len(batch) == 500:
                insert(conn, batch)
                shops += len(batch)
                answers += sum(len(a) for _, _, a in batch)
                batch = []
        if batch:
            insert(conn, batch)
            shops += len(batch)
            answers += sum(len(a) for _, _, a in batch)
        if not db.is_sqlite:
            for table in ("shop", "shop_touchpoint"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT MAX(id) FROM {table}))"
                    )
                )
    if not db.is_sqlite:
        # What autovacuum does soon after a bulk load: statistics, and the visibility map that
        # lets the covering indexes answer without reading the table. SQLite gets no ANALYZE:
        # the app never runs one, and the plans do not need it.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("shop", "shop_touchpoint", "answer"):
                conn.execute(text(f"VACUUM ANALYZE {table}"))
    print(f"built {shops:,} shops and {answers:,} answers in {time.perf_counter() - started:.0f} s")
    return db, plan.org_id


# --- timing the queries ------------------------------------------------------------------------


def _median_ms(call: Callable[[], object], runs: int) -> tuple[float, float, int]:
    """(median wall ms, median CPU ms of this process, rows returned). On SQLite the CPU time
    is the query's own work even when other programs load the machine."""
    result = call()  # warm-up: plans and pages cached, as on a dashboard in use
    walls, cpus = [], []
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        call()
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    rows = len(result) if isinstance(result, list) else 0
    return statistics.median(walls), statistics.median(cpus), rows


def bench_queries(
    db: Database,
    org_id: int,
    *,
    runs: int = 7,
    touchpoints: int = 10,
    queries: ModuleType | None = None,
) -> dict[str, list[float]]:
    """Median ms per touchpoint for each query (month period), all locations and one region."""
    if queries is None:
        from reports import queries as default

        queries = default
    results: dict[str, list[float]] = {}
    with db.session() as session:
        scope_session(session, org_id)
        tp_ids = [ident(tp) for tp in session.exec(select(Touchpoint).order_by(col(Touchpoint.id)))]
        region = REGIONS[0]
        q = queries
        cases: list[tuple[str, Callable[[Session, int, dict[str, Any]], object]]] = [
            ("touchpoint_trend", lambda s, t, kw: q.touchpoint_trend(s, t, period="month", **kw)),
            ("question_trend", lambda s, t, kw: q.question_trend(s, t, period="month", **kw)),
            ("critical_fails", lambda s, t, kw: q.critical_fails(s, t, **kw)),
            (
                "location_comparison",
                lambda s, t, kw: q.location_comparison(s, t, period="month", **kw),
            ),
        ]
        for scope in ("all", region):
            kw: dict[str, Any] = {} if scope == "all" else {"region": region}
            label = "all locations" if scope == "all" else f"region {scope}"
            for name, call in cases:
                key = f"{name} [{label}]"
                for tp_id in tp_ids[:touchpoints]:
                    ms, cpu, n = _median_ms(partial(call, session, tp_id, kw), runs)
                    results.setdefault(key, []).append(ms)
                    results.setdefault(key + " cpu", []).append(cpu)
                    print(
                        f"  touchpoint {tp_id:>3}  {key:<44} {ms:7.1f} ms "
                        f"(cpu here {cpu:6.1f} ms) {n:>5} rows",
                        flush=True,
                    )
            session.rollback()
    return results


def bench_render(db: Database, org_id: int, *, runs: int = 5, touchpoints: int = 10) -> None:
    """Print the PDF figures: one touchpoint's PDF (queries, HTML and render, nothing cached),
    the meeting pack, a cached repeat of each, and the render workers' peak memory."""
    import tempfile

    from pypdf import PdfReader

    from app.orgs.models import Organization
    from app.pdf import Renderer
    from reports.filters import parse_filters
    from reports.pdf.cache import PdfCache
    from reports.pdf.services import pack_pdf, touchpoint_pdf

    renderer = Renderer(workers=2, time_limit=120)
    started = time.perf_counter()
    renderer.warm(wait=True)
    print(f"\nrender workers started and warm in {time.perf_counter() - started:.1f} s")
    peaks: list[float] = []
    with db.session() as session, tempfile.TemporaryDirectory() as folder:
        scope_session(session, org_id)
        org = session.get(Organization, org_id)
        assert org is not None
        filters = parse_filters(session, org, period="month")
        tps = list(session.exec(select(Touchpoint).order_by(col(Touchpoint.id))))[:touchpoints]

        def fresh_cache() -> PdfCache:
            return PdfCache(Path(tempfile.mkdtemp(dir=folder)), 1000)

        singles, sizes = [], []
        for tp in tps:
            for _ in range(runs):
                cache = fresh_cache()
                t0 = time.perf_counter()
                printed = touchpoint_pdf(session, org, tp, filters, renderer=renderer, cache=cache)
                singles.append(time.perf_counter() - t0)
            sizes.append(len(printed.pdf))
            peaks.append(renderer.render("<p>peak</p>").peak_rss_mb)
        print(
            f"one touchpoint PDF, uncached: median {statistics.median(singles) * 1000:.0f} ms, "
            f"p90 {sorted(singles)[int(len(singles) * 0.9)] * 1000:.0f} ms over "
            f"{len(singles)} prints; {statistics.median(sizes) // 1024} KB"
        )
        cache = fresh_cache()
        touchpoint_pdf(session, org, tps[0], filters, renderer=renderer, cache=cache)
        repeats = []
        for _ in range(max(runs, 10)):
            t0 = time.perf_counter()
            hit = touchpoint_pdf(session, org, tps[0], filters, renderer=renderer, cache=cache)
            repeats.append(time.perf_counter() - t0)
            assert hit.cached
        print(
            f"one touchpoint PDF, cached repeat: median {statistics.median(repeats) * 1000:.1f} ms"
        )

        packs = []
        for _ in range(3):
            cache = fresh_cache()
            t0 = time.perf_counter()
            pack = pack_pdf(session, org, filters, renderer=renderer, cache=cache)
            packs.append(time.perf_counter() - t0)
        # Counted by pypdf: WeasyPrint writes its page objects into compressed object streams.
        pages = len(PdfReader(io.BytesIO(pack.pdf)).pages)
        print(
            f"meeting pack ({len(tps)} touchpoints, {pages} pages), uncached: median "
            f"{statistics.median(packs):.2f} s of {[round(p, 2) for p in packs]}"
        )
        t0 = time.perf_counter()
        assert pack_pdf(session, org, filters, renderer=renderer, cache=cache).cached
        print(f"meeting pack, cached repeat: {(time.perf_counter() - t0) * 1000:.1f} ms")
        session.rollback()
    bench_after_approval(db, org_id, renderer)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:  # reach both workers
        peaks += [r.peak_rss_mb for r in pool.map(renderer.render, ["<p>x</p>"] * 8)]
    print(f"render worker peak memory (RSS): {max(peaks):.0f} MB")
    renderer.close()


def bench_after_approval(db: Database, org_id: int, renderer: Any) -> None:
    """Approve a shop as an owner would, run the `reports.warm` job it queues (what a job
    worker does in the background), then print the touchpoint report and the meeting pack
    with the default filters as the report pages would: both should be cache hits. The shop
    is removed again afterwards, so the bench organization stays as built."""
    import tempfile
    from types import SimpleNamespace

    from app.config import Settings
    from app.jobs.runtime import JobContext
    from app.orgs.models import Organization
    from audits.services import shop_approve
    from reports.filters import parse_filters
    from reports.pdf.cache import pdf_cache
    from reports.pdf.models import ReportJob
    from reports.pdf.services import pack_pdf, touchpoint_pdf
    from reports.pdf.warm import KIND, warm_job

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(_env_file=None, dev_mode=True, data_dir=Path(folder))  # type: ignore[call-arg]
        ctx = JobContext(settings=settings, db=db, state=SimpleNamespace(renderer=renderer))
        cache = pdf_cache(settings)
        with db.session(write=True, writes_throughout=True) as session:
            scope_session(session, org_id)
            tp = session.exec(select(Touchpoint).order_by(col(Touchpoint.id))).first()
            location = session.exec(select(Location).order_by(col(Location.id))).first()
            assert tp is not None and location is not None
            shop = Shop(
                org_id=org_id,
                location_id=ident(location),
                status=ShopStatus.submitted,
                visited_at=utcnow() - timedelta(hours=1),
            )
            session.add(shop)
            session.flush()
            session.add(ShopTouchpoint(org_id=org_id, shop_id=ident(shop), touchpoint_id=ident(tp)))
            session.commit()
            t0 = time.perf_counter()
            shop_approve(session=session, shop=shop, actor_id=None)  # type: ignore[arg-type]
            approve = time.perf_counter() - t0
            job = session.exec(select(ReportJob).where(ReportJob.kind == KIND)).all()[-1]
            shop_id, job_id = ident(shop), str(job.id)
        t0 = time.perf_counter()
        rendered = warm_job(ctx, org_id, job_id)
        warm = time.perf_counter() - t0
        with db.session() as session:
            scope_session(session, org_id)
            org = session.get(Organization, org_id)
            tp = session.get(Touchpoint, ident(tp))
            assert org is not None and tp is not None
            filters = parse_filters(session, org)
            t0 = time.perf_counter()
            one = touchpoint_pdf(session, org, tp, filters, renderer=renderer, cache=cache)
            print_tp = time.perf_counter() - t0
            t0 = time.perf_counter()
            pack = pack_pdf(session, org, filters, renderer=renderer, cache=cache)
            print_pack = time.perf_counter() - t0
        print(
            f"after an approval ({approve * 1000:.0f} ms): the warm job rendered {rendered} PDFs "
            f"in the background in {warm:.2f} s; the print right after: touchpoint "
            f"{print_tp * 1000:.1f} ms ({'hit' if one.cached else 'MISS'}), meeting pack "
            f"{print_pack * 1000:.1f} ms ({'hit' if pack.cached else 'MISS'})"
        )
        with db.session(write=True) as session:
            scope_session(session, org_id)
            for row in session.exec(select(ReportJob).where(ReportJob.kind == KIND)).all():
                session.delete(row)
            gone = session.get(Shop, shop_id)
            if gone is not None:
                session.delete(gone)
            session.commit()


def _load(path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location("baseline_queries", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def main() -> None:
    wire()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_SQLITE)
    parser.add_argument("--schema", default="bench_reports", help="PostgreSQL schema to use")
    parser.add_argument("--reuse", action="store_true", help="keep an existing build")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--touchpoints", type=int, default=10, help="how many to time")
    parser.add_argument("--baseline", help="a queries module file to time instead")
    parser.add_argument("--render-only", action="store_true", help="skip the query timings")
    parser.add_argument("--no-render", action="store_true", help="skip the PDF timings")
    args = parser.parse_args()
    db, org_id = build(args.database_url, schema=args.schema, reuse=args.reuse)
    print(
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{db.engine.dialect.name}; load average before the runs: {os.getloadavg()}"
    )
    if not args.no_render:
        bench_render(db, org_id, runs=max(args.runs // 2, 2), touchpoints=args.touchpoints)
    if args.render_only:
        db.dispose()
        return
    queries = _load(args.baseline) if args.baseline else None
    results = bench_queries(
        db, org_id, runs=args.runs, touchpoints=args.touchpoints, queries=queries
    )
    print(f"\nload average after the runs: {os.getloadavg()}")
    print("median over touchpoints (each the median of its runs), ms:")
    for key, values in results.items():
        if not key.endswith(" cpu"):
            cpu = results[key + " cpu"]
            print(
                f"  {key:<44} {statistics.median(values):7.1f}  max {max(values):7.1f}"
                f"   cpu here {statistics.median(cpu):7.1f}"
            )
    db.dispose()


if __name__ == "__main__":
    main()
