"""When each API token was last used: noted at most once a minute, never at a request's cost.

The note is a convenience for the owner who wonders whether a token is still needed, so it
must not become a write on every API call, nor a reason for a call to fail or wait. The
authenticating query reads the time along with the token (app.security), so a use within
the minute costs nothing more. When a note is due, a request that writes makes it in its own
transaction (api_token_touch_within); one that only reads, in a short transaction of its own
with a short lock wait (api_token_touch), where any database error just leaves the old time
in place.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, bindparam, or_, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from app.db import SQLITE_BUSY_TIMEOUT_MS, Database
from app.orgs.models import ApiToken, User

log = logging.getLogger(__name__)

# How stale the stored time may get: a token used every second writes once a minute.
TOUCH_EVERY = timedelta(minutes=1)
# How long the note may wait for a lock before it is skipped for this request.
LOCK_WAIT_MS = 250


def api_token_use_due(last_used_at: datetime | None, now: datetime) -> bool:
    """Whether a use of a token last noted at `last_used_at` should be noted `now`."""
    return last_used_at is None or now - last_used_at >= TOUCH_EVERY


def api_token_touch(*, db: Database, token_hash: str, now: datetime) -> bool:
    """Note, in a short transaction of its own, that the token with this hash was used `now`,
    unless that was noted less than a minute ago or the token does not authenticate (unknown,
    revoked, its user switched off). For a request that only reads: the caller has just
    authenticated the token and seen that a note is due (api_token_use_due). True when a time
    was written; never raises for a database problem."""
    try:
        return _write(db, token_hash, now)
    except SQLAlchemyError as exc:  # a busy or unreachable database costs only this note
        log.warning("API token last-used time not noted: %s", exc.__class__.__name__)
        return False


def api_token_touch_within(*, session: Session, token_hash: str, now: datetime) -> None:
    """Note the use in the request's own write transaction, committed with its work (a
    request that fails notes nothing; the next use notes it).

    A second transaction would cost every saving request a connection and a statement
    more, and on SQLite it would wait in vain for the write lock this request holds from
    its first statement. On PostgreSQL a token row that another worker's request is noting
    at this moment is skipped (SKIP LOCKED), so the note never makes a request wait."""
    due = _due(now)
    if session.get_bind().dialect.name == "postgresql":
        free = select(ApiToken.id).where(due).with_for_update(skip_locked=True).scalar_subquery()
        due = col(ApiToken.id).in_(free)
    session.execute(
        update(ApiToken).where(due).values(last_used_at=now),
        {"used_hash": token_hash},
        execution_options={"synchronize_session": False},
    )


def _due(now: datetime) -> Any:
    """The token (bound parameter `used_hash`) still authenticates and its note is due; the
    condition is checked in the UPDATE itself, so two workers serving the same token at the
    same moment write the time once."""
    return and_(
        col(ApiToken.token_hash) == bindparam("used_hash"),
        col(ApiToken.revoked_at).is_(None),
        or_(
            col(ApiToken.last_used_at).is_(None),
            col(ApiToken.last_used_at) <= now - TOUCH_EVERY,
        ),
        col(ApiToken.user_id).in_(select(User.id).where(col(User.is_active).is_(True))),
    )


def _write(db: Database, token_hash: str, now: datetime) -> bool:
    with db.engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        try:
            if sqlite:
                conn.exec_driver_sql(f"PRAGMA busy_timeout={LOCK_WAIT_MS}")
            else:
                conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT_MS}ms'"))
            # The condition is checked again here: two workers serving the same token at
            # the same moment write the time once.
            done = conn.execute(
                update(ApiToken).where(_due(now)).values(last_used_at=now),
                {"used_hash": token_hash},
            )
            conn.commit()
            return done.rowcount > 0
        finally:
            if sqlite:
                _restore_patience(conn)


def _restore_patience(conn: Connection) -> None:
    """Give the pooled connection its usual lock wait back; if that fails, drop it."""
    try:
        conn.rollback()
        conn.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        conn.commit()
    except SQLAlchemyError:
        conn.invalidate()
        raise
