"""Throttling the public complaint form by client address, counted in the database.

Posts are kept as `PublicPost` rows (an address and a time, no content), so every server
worker sees the same count, as with failed logins in app.security. Two limits apply: a few
posts in a short window (a person sending a second thought is fine, a script is not) and a
ceiling per day. Refused posts are not recorded, so a flood cannot grow the table.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, text
from sqlmodel import Session, col, select

from app.config import Settings
from app.errors import ThrottledError
from app.i18n.catalogs import N_, gettext, ngettext
from app.i18n.formats import local_time, number_text
from app.i18n.languages import DEFAULT_LANGUAGE
from app.modelbase import utcnow
from recovery.models import PublicPost

MSG_THROTTLED = N_(
    "We have received several messages from your connection in a short time, so we are "
    "pausing new ones for a while. Your message has not been sent yet: please try again in "
    "%(minutes)s, after %(at)s."
)
# Rows older than the longest window count for nothing and are removed as posts come in.
KEEP = timedelta(days=1)


class PostsThrottled(ThrottledError):
    """Too many posts from one address; `retry_at` is when the next one is accepted."""

    def __init__(self, retry_at: datetime) -> None:
        super().__init__(self.message_in("UTC", retry_at))
        self.retry_at = retry_at

    @property
    def retry_after_seconds(self) -> int:
        return max(1, int((self.retry_at - utcnow()).total_seconds()) + 1)

    @staticmethod
    def message_in(timezone: str, retry_at: datetime, lang: str = DEFAULT_LANGUAGE) -> str:
        """The message with the time to come back, as the clocks of `timezone` show it, in
        the language `lang`."""
        minutes = max(1, -(-int((retry_at - utcnow()).total_seconds()) // 60))
        fmt = "%H:%M" if minutes < 12 * 60 else gettext("%H:%M on %d %b", lang)
        num = f"{minutes:,}" if lang == DEFAULT_LANGUAGE else number_text(minutes, lang)
        return gettext(
            MSG_THROTTLED,
            lang,
            minutes=ngettext("%(num)s minute", "%(num)s minutes", minutes, lang, num=num),
            at=local_time(retry_at, timezone, fmt, lang=lang),
        )


def _address(address: str) -> str:
    # Clipped to the column: an over-long address is still counted, not an error.
    return address[:64]


def public_posts_take_turns(*, session: Session, address: str) -> None:
    """Make concurrent posts from one address count one after another.

    Checking the count and recording the post must be one step, or a burst of parallel
    posts would all see the count under the limit. SQLite runs write transactions one at
    a time already; on PostgreSQL a transaction-scoped advisory lock does it.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"public-post:{_address(address)}"},
    )


def _retry_at(times: list[datetime], limit: int, window: timedelta) -> datetime | None:
    """`times` newest first, all inside `window`: when the count drops below `limit`."""
    if len(times) < limit:
        return None
    return times[limit - 1] + window


def public_post_check(*, session: Session, address: str, settings: Settings) -> None:
    """Raise PostsThrottled when `address` has used up either limit; else return."""
    address = _address(address)
    public_posts_take_turns(session=session, address=address)
    now = utcnow()
    day = timedelta(days=1)
    window = timedelta(minutes=settings.complaint_window_minutes)
    times = list(
        session.exec(
            select(PublicPost.created_at)
            .where(PublicPost.address == address, PublicPost.created_at > now - day)
            .order_by(col(PublicPost.created_at).desc())
            .limit(max(settings.complaint_max_per_day, settings.complaint_max_per_window))
        ).all()
    )
    recent = [t for t in times if t > now - window]
    waits = [
        at
        for at in (
            _retry_at(recent, settings.complaint_max_per_window, window),
            _retry_at(times, settings.complaint_max_per_day, day),
        )
        if at is not None
    ]
    if waits:
        raise PostsThrottled(max(waits))


def public_post_record(*, session: Session, address: str, commit: bool = False) -> None:
    """Count one post from `address` and forget posts past the window. The count is usually
    committed with what the post stores (`recovery.services.complaint_open`); `commit=True`
    keeps the count of a post that stores nothing else."""
    now = utcnow()
    session.execute(delete(PublicPost).where(col(PublicPost.created_at) < now - KEEP))
    session.add(PublicPost(address=_address(address), created_at=now))
    if commit:
        session.commit()
