"""The `touchstone` command: serve, migrate, demo data, users, organizations, API tokens,
and resetting a lost two-step login."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
from sqlmodel import select

from app.clikit import database as _db
from app.clikit import fail as _fail
from app.clikit import settings as _settings
from app.wiring import wire
from reports.cli import report_cli

cli = typer.Typer(
    help="Touchstone: moments-of-truth journeys and mystery-shop audits.", no_args_is_help=True
)
user_cli = typer.Typer(help="Manage user accounts.", no_args_is_help=True)
org_cli = typer.Typer(help="Manage organizations.", no_args_is_help=True)
token_cli = typer.Typer(help="Manage API tokens.", no_args_is_help=True)
cli.add_typer(user_cli, name="user")
cli.add_typer(org_cli, name="org")
cli.add_typer(token_cli, name="token")

cli.add_typer(report_cli, name="report")
alerts_cli = typer.Typer(help="Alerts for owners.", no_args_is_help=True)
cli.add_typer(alerts_cli, name="alerts")

WORKER_HEALTHCHECK_SECONDS = 30


@cli.callback()
def start() -> None:
    """Every command starts here: the session listeners and the rest of app/wiring.py."""
    wire()


@cli.command()
def migrate() -> None:
    """Apply every database migration, the job queue's included (safe to run again)."""
    from app.db import sqlite_statistics_refresh
    from app.jobs import runtime as jobs

    db = _db()
    typer.echo(f"Database is up to date ({db.engine.url.render_as_string(hide_password=True)}).")
    sqlite_statistics_refresh(db.engine)
    db.dispose()
    settings = _settings()
    if settings.jobs != "off":
        jobs.migrate(settings)


@cli.command()
def worker() -> None:
    """Run background jobs (e-mail, meeting packs, the periodic checks) until stopped.

    Start as many as you like, on machines of their own, each with its own JOBS_EXECUTOR_ID
    that stays the same across restarts: a worker that comes back finishes the jobs it was
    running when it died. Migrates first."""
    import signal
    import threading

    from app.jobs import runtime as jobs

    settings = _settings()
    db = _db()
    jobs.migrate(settings)
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    jobs.start(settings, db)
    typer.echo(f"Running jobs as {settings.jobs_executor_id!r}; Ctrl+C stops.")
    try:
        stopping.wait()
    finally:
        jobs.stop()
        db.dispose()


@cli.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, min=1, help="Worker processes."),
    reload: bool = typer.Option(False, help="Reload on code changes (development)."),
) -> None:
    """Apply migrations, then serve the web app (and, with JOBS=web, run the jobs too)."""
    import uvicorn

    settings = _settings()  # refuse to start on a default secret before anything else
    migrate()
    if settings.jobs == "web" and (workers > 1 or reload):
        # Several web processes must not each run the jobs under one worker name: one job
        # worker process beside them does, and stops with this command.
        _job_worker_beside()
    uvicorn.run(
        "app.asgi:app",
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
        # With --workers, uvicorn kills a worker that does not answer its health ping within
        # this time. A new worker answers only after its imports, which on a busy machine take
        # longer than uvicorn's 5 s, so workers were killed and respawned while starting.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )


def _job_worker_beside() -> None:
    import os
    import subprocess
    import sys

    os.environ["JOBS"] = "worker"  # the web processes only queue
    command = [sys.executable, "-c", "from app.cli import main; main()", "worker"]
    subprocess.Popen(command, preexec_fn=_die_with_parent)


def _die_with_parent() -> None:
    """Linux: the job worker gets SIGTERM when `touchstone serve` ends, however it ends."""
    import ctypes
    import signal

    ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@cli.command()
def demo(
    password: str = typer.Option(None, help="Password for the demo logins."),
    if_empty: bool = typer.Option(False, "--if-empty", help="Only seed a database with no users."),
    now: str = typer.Option(
        None,
        "--now",
        help="Tell the demo's year as if it were this moment (ISO 8601, e.g. "
        "2027-03-28T01:30:00+00:00; no offset means UTC). Default: the real now.",
    ),
) -> None:
    """Create the demo organization "Demo Co" (migrates first) and print its logins."""
    from app.clock import moved_to, utcnow
    from app.demo import DEMO_PASSWORD, demo_exists, demo_seed
    from app.errors import DomainError
    from app.orgs.models import User
    from app.security import password_problem

    # Checked before anything is written: a refused password must not leave half a demo.
    problem = password_problem(password) if password else None
    if problem:
        raise _fail(f"--password: {problem}")
    try:
        moment = datetime.fromisoformat(now) if now else utcnow()
    except ValueError:
        raise _fail(
            f"--now: “{now}” is not a date and time; write it like 2027-03-28T01:30:00+00:00."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    migrate()
    db = _db()
    with db.write() as session, moved_to(moment):
        has_users = session.exec(select(User)).first() is not None
        if if_empty and has_users and not demo_exists(session):
            typer.echo("Database already has users; demo data not added.")
            result = None
        else:
            try:
                result = demo_seed(session, password=password or DEMO_PASSWORD)
            except DomainError as exc:
                raise _fail(exc.message) from exc
    if result is not None:
        state = "created" if result.created else "already present (passwords unchanged)"
        typer.echo(f"Demo Co {state}. Logins:")
        shown = password or DEMO_PASSWORD
        for email, role in result.logins:
            pw = shown if result.created else "(as set before)"
            typer.echo(f"  {role:<8} {email:<24} password: {pw}")
    db.dispose()


@cli.command()
def backup(
    out: Path = typer.Option(..., "--out", help="The backup file to write (.tar.gz)."),
) -> None:
    """Back up the database and the photos into one file (safe while the server runs)."""
    from app.backup import BackupError
    from app.backup import backup as run

    settings = _settings()
    try:
        manifest = run(settings.resolved_database_url, settings.data_dir, out)
    except BackupError as exc:
        raise _fail(exc.message) from exc
    rows = sum(manifest.counts.values())
    typer.echo(f"Saved {out}: {manifest.kind} database, {rows} rows, {manifest.photos} photos.")
    for table, number in sorted(manifest.counts.items()):
        typer.echo(f"  {table:<28} {number}")


@cli.command()
def restore(
    file: Path = typer.Argument(..., help="A file made by `touchstone backup`."),
    force: bool = typer.Option(False, "--force", help="Replace a database that has data."),
) -> None:
    """Restore a backup into the configured database and data folder (stop the server first)."""
    from app.backup import BackupError
    from app.backup import restore as run

    settings = _settings()
    try:
        manifest = run(file, settings.resolved_database_url, settings.data_dir, force=force)
    except BackupError as exc:
        raise _fail(exc.message) from exc
    rows = sum(manifest.counts.values())
    typer.echo(
        f"Restored {file} (taken {manifest.created_at}): {rows} rows, {manifest.photos} photos."
    )


@cli.command()
def cleanup() -> None:
    """Daily clean-up: remove customer contact details (and visits' location checks) kept
    past each organization's limit, and photo uploads a stopped server left unfinished."""
    from app.modelbase import utcnow
    from audits.photos.services import photo_drafts_remove
    from audits.proof.services import location_checks_purge
    from recovery.retention import contacts_purge

    db = _db()
    try:
        with db.write() as session:
            now = utcnow()
            counts = contacts_purge(session=session, now=now)
            checks = location_checks_purge(session=session, now=now)
    finally:
        db.dispose()
    if checks:
        typer.echo(
            f"Removed {checks} visit location check{'' if checks == 1 else 's'} kept past "
            "the contact-details limit."
        )
    drafts = photo_drafts_remove(_settings().data_dir)
    if drafts:
        typer.echo(f"Removed {drafts} unfinished photo upload{'' if drafts == 1 else 's'}.")
    if not counts:
        typer.echo("No organization limits how long contact details are kept; nothing to do.")
    for c in counts:
        typer.echo(
            f"{c.org_name}: contact details removed from {c.removed} recovery case"
            f"{'' if c.removed == 1 else 's'} reported more than {c.retention_days} days ago."
        )


@alerts_cli.command("check")
def alerts_check() -> None:
    """Alert owners to recovery cases past their 24 hours (every organization), then queue
    the e-mail of alerts not mailed yet. The job workers do this every minute by themselves;
    safe to run as well, e.g. from cron."""
    from app.jobs import runtime as jobs
    from app.modelbase import utcnow
    from recovery.alerts.services import alerts_check_all

    settings = _settings()
    jobs.use(settings)  # the messages' jobs are queued as they are committed
    db = _db()
    try:
        with db.write() as session:
            lines = alerts_check_all(session=session, settings=settings, now=utcnow())
    finally:
        db.dispose()
    for line in lines:
        typer.echo(line)


@cli.command("two-step-reset")
def two_step_reset(
    email: str = typer.Argument(..., help="E-mail address of the user who lost their phone."),
) -> None:
    """Turn two-step login off for a user who lost their phone, and log them out everywhere.

    Check who is asking first: this leaves the account protected by its password alone.
    """
    from app.accounts import services as two_step
    from app.orgs import services

    settings = _settings()
    db = _db()
    try:
        with db.write() as session:
            user = services.user_by_email(session=session, email=email)
            if user is None:
                raise _fail(f"No user with e-mail {email}; nothing was changed.")
            if not user.two_step_on:
                typer.echo(f"Two-step login is already off for {user.email}; nothing to do.")
                return
            ended = two_step.two_step_reset(session=session, user=user)
            address = user.email
    finally:
        db.dispose()
    sessions = "1 session was" if ended == 1 else f"{ended} sessions were"
    typer.echo(
        f"Two-step login is off for {address}: its key and recovery codes are deleted, and "
        f"{sessions} logged out. The password alone now logs in; they can set two-step "
        f"login up again on their account page."
    )
    if two_step.reset_notice(settings=settings, email=address):
        typer.echo(f"An e-mail telling {address} about this was sent.")
    elif settings.smtp_enabled:
        typer.echo(f"The e-mail to {address} could not be sent (see the log); tell them yourself.")
    else:
        typer.echo("SMTP is not set up, so no e-mail was sent; tell them yourself.")


@user_cli.command("create")
def user_create(
    email: str = typer.Option(..., help="E-mail address (the login)."),
    name: str = typer.Option("", help="Display name."),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
) -> None:
    """Create a user account."""
    from app.errors import DomainError
    from app.orgs import services

    db = _db()
    try:
        with db.write() as session:
            user = services.user_create(session=session, email=email, name=name, password=password)
            typer.echo(f"Created user {user.email} (id {user.id}).")
    except DomainError as exc:
        raise _fail(exc.message) from exc
    finally:
        db.dispose()


@org_cli.command("create")
def org_create(
    name: str = typer.Option(..., help="Organization name."),
    timezone: str = typer.Option("UTC", help="IANA time zone, e.g. Europe/Berlin."),
    owner: str = typer.Option(None, help="E-mail of an existing user to make owner."),
) -> None:
    """Create an organization, optionally with an owner."""
    from pydantic import ValidationError

    from app.orgs import services
    from app.orgs.models import OrganizationCreate

    try:
        data = OrganizationCreate(name=name, timezone=timezone)
    except ValidationError as exc:
        raise _fail("; ".join(e["msg"] for e in exc.errors())) from exc
    db = _db()
    try:
        with db.write() as session:
            user = services.user_by_email(session=session, email=owner) if owner else None
            if owner and user is None:
                raise _fail(
                    f"No user with e-mail {owner}; create it with `touchstone user create`."
                )
            org = services.org_create(session=session, data=data, owner=user)
            typer.echo(f"Created organization {org.name!r} (id {org.id}).")
    finally:
        db.dispose()


def _token_org(session: object, org: str) -> object:
    from app.orgs.models import Organization

    query = select(Organization).where(
        (Organization.id == int(org)) if org.isdigit() else (Organization.name == org)
    )
    organization = session.exec(query).first()  # type: ignore[attr-defined]
    if organization is None:
        raise _fail(f"No organization {org!r}.")
    return organization


@token_cli.command("create")
def token_create(
    email: str = typer.Option(..., help="The user the token acts as."),
    org: str = typer.Option(..., help="Organization name or id."),
    name: str = typer.Option("cli", help="A label to recognise the token by."),
    scope: str = typer.Option("write", help="read (GET only) or write."),
    expires_days: int = typer.Option(0, help="Days until it stops working; 0: never."),
) -> None:
    """Create an API token for a user in one organization; it is printed once."""
    from pydantic import ValidationError

    from app.orgs import services
    from app.orgs.models import ApiTokenCreate, Membership
    from app.orgs.tokens import services as tokens

    try:
        data = ApiTokenCreate(name=name, scope=scope, expires_in_days=expires_days or None)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise _fail("; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())) from exc
    db = _db()
    try:
        with db.write() as session:
            user = services.user_by_email(session=session, email=email)
            if user is None:
                raise _fail(f"No user with e-mail {email}.")
            organization: Any = _token_org(session, org)
            member = session.exec(
                select(Membership).where(
                    Membership.user_id == user.id, Membership.org_id == organization.id
                )
            ).first()
            if member is None:
                raise _fail(f"{email} is not a member of {organization.name}.")
            token, raw = tokens.api_token_create(
                session=session, user=user, org_id=organization.id, data=data
            )
            until = f", until {token.expires_at:%Y-%m-%d %H:%M} UTC" if token.expires_at else ""
            label = "read-only" if token.scope == "read" else "read-write"
        typer.echo(raw)
        typer.echo(
            f"API token {token.id} ({label}{until}) for {email} in {organization.name} "
            f"({member.role}). Keep it secret; it is not shown again.",
            err=True,
        )
    finally:
        db.dispose()


@token_cli.command("list")
def token_list(
    org: str = typer.Option(..., help="Organization name or id."),
) -> None:
    """The organization's tokens that are not revoked: id, name, access, user, expiry."""
    from app.modelbase import utcnow
    from app.orgs.tokens import services as tokens

    db = _db()
    try:
        with db.session() as session:
            organization: Any = _token_org(session, org)
            rows = tokens.api_tokens_live(session=session, org_id=organization.id)
            now = utcnow()
            if not rows:
                typer.echo(f"{organization.name} has no API tokens.")
            for token, user in rows:
                label = "read-only" if token.scope == "read" else "read-write"
                if token.expires_at is None:
                    until = "no expiry"
                else:
                    state = "expired" if tokens.token_expired(token, now) else "expires"
                    until = f"{state} {token.expires_at:%Y-%m-%d %H:%M} UTC"
                typer.echo(
                    f"{token.id}\t{token.name}\t{token.prefix}…\t{label}\t{user.email}\t{until}"
                )
    finally:
        db.dispose()


@token_cli.command("revoke")
def token_revoke(
    token_id: int = typer.Argument(..., help="The token's id, as `touchstone token list` shows."),
) -> None:
    """Revoke an API token: programs using it are refused from now on."""
    from app.orgs.models import ApiToken
    from app.orgs.tokens import services as tokens

    db = _db()
    try:
        with db.write() as session:
            token = session.get(ApiToken, token_id)
            if token is None:
                raise _fail(f"No API token {token_id}.")
            if token.revoked_at is not None:
                typer.echo(f"Token {token_id} ({token.name}) was already revoked.")
                return
            tokens.api_token_revoke(session=session, token=token)
            typer.echo(f"Token {token_id} ({token.name}) is revoked.")
    finally:
        db.dispose()


def main() -> None:
    cli()
