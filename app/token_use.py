"""When each API token was last used: noted at most once a minute, never at a request's cost.

The note is a convenience for the owner who wonders whether a token is still needed, so it
must not become a write on every API call, nor a reason for a call to fail or wait. It is
written in a short transaction of its own, with a short lock wait, before the request's own
transaction starts (on SQLite a request that writes holds the one write lock from its first
statement, and a second transaction of the same request would wait for it in vain); any
database error just leaves the old time in place.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import Connection, or_, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, select

from app.db import SQLITE_BUSY_TIMEOUT_MS, Database
from app.orgs.models import ApiToken, User

log = logging.getLogger(__name__)

# How stale the stored time may get: a token used every second writes once a minute.
TOUCH_EVERY = timedelta(minutes=1)
# How long the note may wait for a lock before it is skipped for this request.
LOCK_WAIT_MS = 250


def api_token_touch(*, db: Database, token_hash: str, now: datetime) -> bool:
    """Note that the token with this hash was used `now`, unless that was noted less than a
    minute ago, or the token does not authenticate (unknown, revoked, its user switched off).
    True when a time was written; never raises for a database problem."""
    try:
        with db.session() as session:
            # The same test get_optional_auth makes: only a use that authenticates counts.
            found = session.exec(
                select(ApiToken.last_used_at)
                .join(User, col(User.id) == col(ApiToken.user_id))
                .where(
                    ApiToken.token_hash == token_hash,
                    col(ApiToken.revoked_at).is_(None),
                    col(User.is_active).is_(True),
                )
            ).all()
        if not found or (found[0] is not None and now - found[0] < TOUCH_EVERY):
            return False
        return _write(db, token_hash, now)
    except SQLAlchemyError as exc:  # a busy or unreachable database costs only this note
        log.warning("API token last-used time not noted: %s", exc.__class__.__name__)
        return False


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
                update(ApiToken)
                .where(
                    col(ApiToken.token_hash) == token_hash,
                    col(ApiToken.revoked_at).is_(None),
                    or_(
                        col(ApiToken.last_used_at).is_(None),
                        col(ApiToken.last_used_at) <= now - TOUCH_EVERY,
                    ),
                )
                .values(last_used_at=now)
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
