"""The one background-job system: job kinds, enqueueing, retries, schedules, the worker.

DBOS (docs/jobs.md says why) keeps every job in a database — `data/jobs.db` beside the
embedded SQLite database, the application's PostgreSQL database in production — and runs it
in whichever process has called `start()`: the web process under `make run`, or `touchstone
worker` processes on machines of their own. A worker that dies in the middle of a job runs it
again when it starts again under the same name (`JOBS_EXECUTOR_ID`), so every job body is
written to be run twice: it checks what is already done in the application's database first.

A job kind is a name and a function `fn(context, *args)`. Its body runs as one DBOS step; a
body that raises `RetryLater` is tried again after a wait that doubles each time
(`JOBS_RETRY_SECONDS` up to `JOBS_RETRY_MAX_SECONDS`, `JOBS_ATTEMPTS` tries in all), the
waits being durable DBOS sleeps, so a restart does not start the count again. When the tries
run out the kind's `give_up` function records the failure where people can see it.

Kinds and schedules are registered by app/wiring.py (`define`, `every`), never on import.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from app.config import Settings
from app.db import Database, sqlite_file_create

log = logging.getLogger("touchstone.jobs")

QUEUE = "touchstone"
APP_NAME = "touchstone"
# Stamped on every job instead of DBOS's hash of the code, so that a job left behind by a
# crash is taken over by the next version too. Change it only when a job's arguments change
# meaning (a job queued by the old code must then not run under the new).
JOBS_VERSION = "touchstone-jobs-1"


class RetryLater(Exception):
    """Raised by a job body when it should be tried again later (an SMTP server down)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class JobContext:
    """What a job body gets: the settings, the database, and a state object for shared
    resources created on first use (the PDF renderer: `app.pdf.get_renderer(ctx.state)`)."""

    settings: Settings
    db: Database
    state: Any = field(default_factory=SimpleNamespace)


@dataclass(frozen=True)
class Kind:
    name: str
    run: Callable[..., Any]  # the DBOS workflow
    retry: bool


_kinds: dict[str, Kind] = {}
_schedules: dict[str, tuple[str, Callable[..., Any]]] = {}  # name -> (cron, workflow)
_context: JobContext | None = None
_target: Settings | None = None  # where this process enqueues (None: "off")
_client: Any = None
_lock = threading.Lock()


def context() -> JobContext:
    if _context is None:
        raise RuntimeError("the job runtime has not been started in this process")
    return _context


# How a kind retries: (tries in all, first wait, longest wait) from the settings.
Policy = Callable[[Settings], tuple[int, float, float]]


def default_policy(settings: Settings) -> tuple[int, float, float]:
    """E-mail's retries: JOBS_ATTEMPTS tries, JOBS_RETRY_SECONDS doubling up to
    JOBS_RETRY_MAX_SECONDS."""
    return settings.jobs_attempts, settings.jobs_retry_seconds, settings.jobs_retry_max_seconds


def _backoff(first: float, cap: float, attempt: int) -> float:
    return float(min(first * 2 ** (attempt - 1), cap))


def define(
    name: str,
    fn: Callable[..., Any],
    *,
    retry: bool = False,
    give_up: Callable[..., Any] | None = None,
    policy: Policy = default_policy,
) -> None:
    """Register the job kind `name`: `fn(context, *args)`; `give_up(context, *args, reason)`
    runs once the tries are spent, `policy` says how many and how far apart (webhooks try
    for a day, e-mail for less). Registering a name again changes nothing."""
    if name in _kinds:
        return
    from dbos import DBOS

    def attempt(*args: Any) -> Any:
        return fn(context(), *args)

    def gave_up(*args: Any) -> None:
        if give_up is not None:
            give_up(context(), *args)

    step = DBOS.step(name=f"{name}.attempt")(attempt)
    final = DBOS.step(name=f"{name}.give_up")(gave_up)

    def workflow(*args: Any) -> Any:
        tries = 0
        while True:
            tries += 1
            try:
                return step(*args)
            except RetryLater as exc:
                attempts, first, cap = policy(context().settings)
                if not retry or tries >= attempts:
                    final(*args, exc.reason)
                    return None
                # The id, not the arguments: a notice's arguments are a person's address.
                log.warning("job %s: %s; trying again", DBOS.workflow_id, exc.reason)
                DBOS.sleep(_backoff(first, cap, tries))

    workflow.__name__ = workflow.__qualname__ = name.replace(".", "_")
    _kinds[name] = Kind(name, DBOS.workflow(name=name)(workflow), retry)


def every(name: str, cron: str, fn: Callable[..., Any]) -> None:
    """Run `fn(context)` on a schedule — cron with seconds ("0 15 3 * * *" is 03:15:00 UTC
    daily), or "tick" for the heartbeat (`tick_cron`) — in one worker each time, however
    many there are."""
    if name in _schedules:
        return
    from dbos import DBOS

    step = DBOS.step(name=f"{name}.run")(lambda: fn(context()))

    def workflow(at: datetime, _ctx: Any) -> None:
        step()

    workflow.__name__ = workflow.__qualname__ = name.replace(".", "_")
    _schedules[name] = (cron, DBOS.workflow(name=name)(workflow))


def tick_cron(settings: Settings) -> str:
    """The heartbeat schedule: every `jobs_tick_seconds` (a divisor of a minute or hour)."""
    seconds = settings.jobs_tick_seconds
    if seconds < 60:
        return f"*/{seconds} * * * * *"
    return f"0 */{max(seconds // 60, 1)} * * * *"


# --- enqueueing ---------------------------------------------------------------------------


def use(settings: Settings) -> None:
    """Say where this process's jobs go (create_app, the worker). JOBS=off: nowhere."""
    global _target, _client
    with _lock:
        if _target is not None and _where(_target) == _where(settings):
            return
        _target = settings if settings.jobs != "off" else None
        if _client is not None:
            _client.destroy()
        _client = None


def _where(settings: Settings) -> tuple[str, str, str]:
    return settings.jobs, settings.resolved_jobs_database_url, settings.resolved_jobs_schema


def enabled() -> bool:
    return _target is not None


def _get_client() -> Any:
    global _client
    with _lock:
        if _client is None and _target is not None:
            from dbos import DBOSClient

            _client = DBOSClient(
                system_database_url=_target.resolved_jobs_database_url,
                dbos_system_schema=_target.resolved_jobs_schema,
                application_name=APP_NAME,
            )
        return _client


def enqueue(name: str, *args: Any, job_id: str) -> bool:
    """Queue a job; `job_id` makes it idempotent (the same id queued twice runs once).

    Never raises: the row that asked for the job stays in the application's database, and
    the heartbeat (`jobs.tick`) queues what is still waiting, so a failure here only delays
    the work. False when nothing was queued (jobs off, or the queue unreachable)."""
    if _target is None:
        return False
    try:
        client = _get_client()
        client.enqueue(
            {
                "workflow_name": name,
                "queue_name": QUEUE,
                "workflow_id": job_id,
                "app_version": JOBS_VERSION,
            },
            *args,
        )
    except Exception:
        log.exception("could not queue job %s (%s); the heartbeat will", name, job_id)
        return False
    return True


# --- running ------------------------------------------------------------------------------


def _config(settings: Settings) -> dict[str, Any]:
    url = settings.resolved_jobs_database_url
    if url.startswith("sqlite:///"):
        sqlite_file_create(Path(url.removeprefix("sqlite:///")))
    return {
        "name": APP_NAME,
        "system_database_url": url,
        "dbos_system_schema": settings.resolved_jobs_schema,
        "executor_id": settings.jobs_executor_id,
        "application_version": JOBS_VERSION,
        "log_level": "WARNING",
        "scheduler_polling_interval_sec": min(float(settings.jobs_tick_seconds), 30.0),
    }


def migrate(settings: Settings) -> None:
    """Create or upgrade the queue's tables (`touchstone migrate`, before any web process
    enqueues)."""
    from dbos import run_dbos_database_migrations

    config = _config(settings)
    run_dbos_database_migrations(config["system_database_url"], schema=config["dbos_system_schema"])


def start(settings: Settings, db: Database) -> None:
    """Run jobs in this process, from now until `stop()`; jobs this worker name left
    unfinished when its process died start again first."""
    global _context
    from dbos import DBOS

    _context = JobContext(settings=settings, db=db, state=SimpleNamespace(settings=settings))
    use(settings)
    DBOS(config=_config(settings))  # type: ignore[arg-type]
    DBOS.launch()
    DBOS.register_queue(
        QUEUE,
        worker_concurrency=settings.jobs_concurrency,
        polling_interval_sec=settings.jobs_poll_seconds,
        on_conflict="always_update",
    )
    cron = tick_cron(settings)
    DBOS.apply_schedules(
        [
            {
                "schedule_name": name,
                "workflow_fn": workflow,
                "schedule": cron if spec == "tick" else spec,
                "queue_name": QUEUE,
            }
            for name, (spec, workflow) in _schedules.items()
        ]
    )
    log.info("jobs running in this process as %r", settings.jobs_executor_id)


def stop() -> None:
    global _context
    from dbos import DBOS

    DBOS.destroy()
    if _context is not None:
        from app.pdf import close_renderer

        close_renderer(_context.state)
    _context = None
