"""Alerts for owners: raising them (approved shops, overdue recovery cases), listing,
dismissing, and e-mailing each new one to the organization's owners once.

An alert is keyed per organization (`Alert.key`), so raising the same one again — a shop
approved twice, the overdue check run by cron and by a page in the same minute — changes
nothing. Keys:

- `shop:<shop id>:critical:<question lineage>` — a critical question failed in an approved shop;
- `shop:<shop id>:below:<touchpoint id>` — a section of an approved shop scored at least the
  organization's `alert_margin` points under its touchpoint's target;
- `case:<case id>:overdue` — a recovery case not fixed (and not closed) once its 24-hour
  window has passed (`recovery.window`).

E-mail goes through the outbox (app/outbox): an alert is claimed by a conditional UPDATE
that sets `emailed_at` (only one worker can win it) in the same transaction that stores its
message, and the message's job sends it once, retrying while the mail server is down; owners
see a message that never got through under Settings → E-mail. The `alerts.overdue` job runs
the overdue check for every organization on the job system's heartbeat.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, cast, exists, func, literal, update
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.config import Settings
from app.db import WRITE_OPTION
from app.errors import ConflictError
from app.figures import score_text
from app.i18n.catalogs import N_
from app.jobs.runtime import JobContext
from app.modelbase import ident, utcnow
from app.orgs.models import Location, Organization
from app.orgs.queries import owner_addresses
from app.outbox.services import mail_queue
from app.webhooks.models import WebhookEvent
from app.webhooks.payloads import AlertData, AlertPayload
from app.webhooks.services import webhook_emit
from audits.models import Shop, ShopStatus
from audits.queries import shop_sections
from recovery.models import ALERT_LABELS, Alert, AlertKind, RecoveryCase
from recovery.webhooks import case_webhook
from recovery.window import WINDOW, is_overdue, local_words

log = logging.getLogger("touchstone.alerts")

MSG_ALREADY_DISMISSED = N_("This alert is already dismissed.")
MSG_NOT_DISMISSED = N_("This alert is not dismissed.")
# An alert older than this when SMTP is first configured (or after a long outage) is not
# mailed any more: a flood of stale messages helps nobody; the alerts page still lists it.
MAIL_MAX_AGE = timedelta(days=3)

# What to do next, per kind: shown on the alerts page and in the e-mail.
NEXT_STEP = {
    AlertKind.critical_fail: (
        "Read the shop, then talk it through with the team that owns this moment. If a "
        "customer was let down, open a recovery case so it gets fixed within a day."
    ),
    AlertKind.below_target: (
        "Open the touchpoint's trend: is this one weak visit or a slide? Bring it to the "
        "next staff meeting and agree one thing to change."
    ),
    AlertKind.case_overdue: (
        "The 24-hour promise has passed. Fix or replace it now, tell the customer what "
        "happened, and note in the triage what held it up."
    ),
}

# Headings for the groups on the alerts page, in the order they are shown.
GROUP_TITLES = {
    AlertKind.case_overdue: "Recovery cases past 24 hours",
    AlertKind.critical_fail: "Critical questions failed",
    AlertKind.below_target: "Sections below target",
}


def shop_key_critical(shop_id: int, lineage: str) -> str:
    return f"shop:{shop_id}:critical:{lineage}"


def shop_key_below(shop_id: int, touchpoint_id: int) -> str:
    return f"shop:{shop_id}:below:{touchpoint_id}"


def case_key_overdue(case_id: int) -> str:
    return f"case:{case_id}:overdue"


# --- raising -------------------------------------------------------------------------------

# Set when a session commits new alerts; the web app's delivery step (recovery.alerts.routes)
# looks at it after each response, so mail goes out without a query on every request.
_NEW_ALERTS = threading.Event()
_RAISED = "touchstone_alerts_raised"
# Set by the web app around each request: a list that gets an entry when the request commits
# new alerts, so the response can tell htmx to refresh the navigation's count.
REQUEST_RAISED: ContextVar[list[int] | None] = ContextVar("touchstone_alerts", default=None)


def after_commit(session: OrmSession) -> None:
    if session.info.pop(_RAISED, False):
        _NEW_ALERTS.set()
        box = REQUEST_RAISED.get()
        if box is not None:
            box.append(1)


def after_rollback(session: OrmSession) -> None:
    session.info.pop(_RAISED, None)


def new_alerts_pending() -> bool:
    """True once (and then reset) after new alerts were committed in this process."""
    if _NEW_ALERTS.is_set():
        _NEW_ALERTS.clear()
        return True
    return False


def alert_raise(
    *,
    session: Session,
    org_id: int,
    key: str,
    kind: AlertKind,
    message: str,
    now: datetime | None = None,
    shop_id: int | None = None,
    touchpoint_id: int | None = None,
    recovery_case_id: int | None = None,
    location_id: int | None = None,
) -> Alert | None:
    """Store an alert unless one with `key` exists already (dismissed or not); None then."""
    existing = session.exec(
        select(Alert.id).where(Alert.org_id == org_id, Alert.key == key)
    ).first()
    if existing is not None:
        return None
    alert = Alert(
        org_id=org_id,
        key=key,
        kind=kind,
        message=message,
        shop_id=shop_id,
        touchpoint_id=touchpoint_id,
        recovery_case_id=recovery_case_id,
        location_id=location_id,
        created_at=now or utcnow(),
    )
    session.add(alert)
    session.flush()
    session.info[_RAISED] = True
    _webhooks(session, alert)
    return alert


def _webhooks(session: Session, alert: Alert) -> None:
    """Record the alert's webhook deliveries with it; an overdue case is also its own event."""
    data = AlertData(
        id=ident(alert),
        kind=str(alert.kind),  # type: ignore[arg-type]
        message=alert.message,
        shop_id=alert.shop_id,
        recovery_case_id=alert.recovery_case_id,
        touchpoint_id=alert.touchpoint_id,
        location_id=alert.location_id,
        created_at=alert.created_at,
    )
    webhook_emit(
        session=session,
        org_id=alert.org_id,
        event=WebhookEvent.alert_raised,
        data=AlertPayload(alert=data),
    )
    if alert.kind == AlertKind.case_overdue and alert.recovery_case_id is not None:
        case = session.get(RecoveryCase, alert.recovery_case_id)
        if case is not None:
            case_webhook(session, case, WebhookEvent.case_overdue)


def _points(value: float) -> str:
    # The one score format (app.figures): 72.45 reads 72.5 here as on every page.
    return score_text(value)


def alerts_for_shop(*, session: Session, shop: Shop) -> list[Alert]:
    """The alerts an approved shop calls for (none twice): a failed critical question each,
    and each touchpoint section at least `alert_margin` points under its target.

    A section zeroed by a critical fail gets the critical alert only: its 0 % says nothing
    the failed question does not already say.
    """
    if shop.status != ShopStatus.approved:
        return []
    org = session.get(Organization, shop.org_id)
    location = session.get(Location, shop.location_id)
    if org is None:
        return []
    where = location.name if location is not None else "a former location"
    raised: list[Alert] = []
    for section in shop_sections(session, shop):
        touchpoint = section.touchpoint
        score = section.score()
        questions = {ident(q): q for q in section.questions}
        common = {
            "session": session,
            "org_id": shop.org_id,
            "shop_id": ident(shop),
            "touchpoint_id": ident(touchpoint),
            "location_id": shop.location_id,
        }
        for result in score.questions:
            if not result.critical_fail:
                continue
            question = questions[result.question_id]
            alert = alert_raise(
                key=shop_key_critical(ident(shop), question.lineage),
                kind=AlertKind.critical_fail,
                message=(
                    f"“{question.text}” failed in shop #{shop.id} at {where} "
                    f"({touchpoint.name}), so that section scores 0."
                ),
                **common,  # type: ignore[arg-type]
            )
            if alert is not None:
                raised.append(alert)
        percent = score.percent
        if score.critical_fail or percent is None:
            continue
        gap = round(touchpoint.target - percent, 1)
        if gap > 0 and gap >= org.alert_margin:
            alert = alert_raise(
                key=shop_key_below(ident(shop), ident(touchpoint)),
                kind=AlertKind.below_target,
                message=(
                    f"{touchpoint.name} scored {_points(percent)} in shop #{shop.id} at "
                    f"{where}: {_points(gap)} points under its target of "
                    f"{_points(touchpoint.target)}."
                ),
                **common,  # type: ignore[arg-type]
            )
            if alert is not None:
                raised.append(alert)
    return raised


def alerts_for_approved_shop(*, session: Session, shop: Shop) -> list[Alert]:
    """Listens for SHOP_APPROVED (from `audits.services.shop_approve`), inside its transaction.

    The alerts go in a savepoint: whatever goes wrong in here is logged and rolled back to
    that savepoint, and the approval is committed all the same. Losing an alert is bad;
    losing an owner's approval because of one would be worse.
    """
    session.flush()  # the approval itself: its errors are the approval's, not ours
    try:
        with session.begin_nested():
            return alerts_for_shop(session=session, shop=shop)
    except Exception:
        log.exception("could not raise the alerts of shop %s; the approval stands", shop.id)
        session.info.pop(_RAISED, None)
        return []


def _overdue_query(now: datetime) -> SelectOfScalar[RecoveryCase]:
    """Cases past their window, not fixed, not closed, without their alert yet (the NOT
    EXISTS looks the key up in the alert table's unique (org_id, key) index)."""
    key = literal("case:") + cast(col(RecoveryCase.id), String) + literal(":overdue")
    already = exists().where(col(Alert.org_id) == col(RecoveryCase.org_id), col(Alert.key) == key)
    return select(RecoveryCase).where(
        col(RecoveryCase.fixed_at).is_(None),
        col(RecoveryCase.closed_at).is_(None),
        col(RecoveryCase.reported_at) < now - WINDOW,
        ~already,
    )


def overdue_waiting(session: Session, now: datetime) -> bool:
    """Whether any case waits for its overdue alert: one cheap read before taking a lock."""
    return session.exec(_overdue_query(now).limit(1)).first() is not None


def alerts_refresh_overdue(*, session: Session, now: datetime) -> None:
    """Raise the overdue alerts of the session's organization now, in a transaction of their
    own: what the session read so far ends, the write takes SQLite's write lock before its
    first statement (a read transaction that later writes can fail at once with "database is
    locked"), and what the session reads next sees the new alerts. Rolls back on failure."""
    session.commit()  # only reads so far: end them
    try:
        session.connection(execution_options={WRITE_OPTION: True})
        alerts_check_overdue(session, now)
        session.commit()
    except BaseException:
        session.rollback()
        raise


def alerts_check_overdue(session: Session, now: datetime) -> list[Alert]:
    """Raise the alert of every recovery case whose 24 hours passed without a fix.

    In an organization-scoped session it sees that organization only; unscoped (the
    `touchstone alerts check` command), every organization. The caller commits.
    """
    cases = session.exec(_overdue_query(now).order_by(col(RecoveryCase.reported_at))).all()
    zones: dict[int, str] = {}
    raised = []
    for case in cases:
        if not is_overdue(case.reported_at, case.fixed_at, now):
            continue
        if case.org_id not in zones:
            org = session.get(Organization, case.org_id)
            zones[case.org_id] = org.timezone if org is not None else "UTC"
        location = session.get(Location, case.location_id) if case.location_id else None
        at = f" at {location.name}" if location is not None else ""
        alert = alert_raise(
            session=session,
            org_id=case.org_id,
            key=case_key_overdue(ident(case)),
            kind=AlertKind.case_overdue,
            message=(
                f"Recovery case {case.reference}{at}, reported "
                f"{local_words(case.reported_at, zones[case.org_id])}, is past its 24 hours "
                f"and not fixed yet."
            ),
            now=now,
            recovery_case_id=ident(case),
            touchpoint_id=case.touchpoint_id,
            location_id=case.location_id,
        )
        if alert is not None:
            raised.append(alert)
    return raised


# --- reading -------------------------------------------------------------------------------


def open_alert_count(session: Session, *, dismissed: bool = False) -> int:
    """Open (or dismissed) alerts of the session's organization: one COUNT."""
    state = col(Alert.dismissed_at)
    return int(
        session.exec(
            select(func.count())
            .select_from(Alert)
            .where(state.is_not(None) if dismissed else state.is_(None))
        ).one()
    )


@dataclass(frozen=True)
class AlertRow:
    """An alert with where it points and what to do about it."""

    alert: Alert
    label: str
    next_step: str
    links: tuple[tuple[str, str], ...]  # (words, path), the most useful first

    @property
    def id(self) -> int:
        return ident(self.alert)


def alert_links(alert: Alert) -> tuple[tuple[str, str], ...]:
    links: list[tuple[str, str]] = []
    if alert.recovery_case_id is not None:
        links.append(("Open the case", f"/recovery/{alert.recovery_case_id}"))
    if alert.shop_id is not None:
        links.append(("Read the shop", f"/shops/{alert.shop_id}"))
    if alert.touchpoint_id is not None and alert.kind != AlertKind.case_overdue:
        links.append(("See the trend", f"/reports/touchpoints/{alert.touchpoint_id}"))
    return tuple(links)


def alert_row(alert: Alert) -> AlertRow:
    kind = AlertKind(alert.kind)
    return AlertRow(alert, ALERT_LABELS[kind], NEXT_STEP[kind], alert_links(alert))


# The alerts page lists this many open alerts; above it the page says how many are left out.
PAGE_LIMIT = 200


def alerts_list(
    session: Session, *, dismissed: bool = False, limit: int = PAGE_LIMIT, offset: int = 0
) -> list[Alert]:
    """Open (or dismissed) alerts of the session's organization, newest first."""
    query = select(Alert)
    if dismissed:
        query = query.where(col(Alert.dismissed_at).is_not(None)).order_by(
            col(Alert.dismissed_at).desc(), col(Alert.id).desc()
        )
    else:
        query = query.where(col(Alert.dismissed_at).is_(None)).order_by(
            col(Alert.created_at).desc(), col(Alert.id).desc()
        )
    return list(session.exec(query.offset(offset).limit(limit)).all())


def cases_settled(session: Session, alerts: Sequence[Alert], tz: str) -> dict[int, str]:
    """For overdue alerts whose case has been fixed or closed since: words saying so, by
    alert id (one query). The alert stays until an owner dismisses it — late is still late —
    but the list says there is nothing left to chase."""
    ids = {a.recovery_case_id for a in alerts if a.recovery_case_id is not None}
    if not ids:
        return {}
    found = session.exec(
        select(RecoveryCase.id, RecoveryCase.fixed_at, RecoveryCase.closed_at).where(
            col(RecoveryCase.id).in_(ids)
        )
    ).all()
    words: dict[int, str] = {}
    for case_id, fixed_at, closed_at in found:
        if fixed_at is not None:
            words[case_id] = f"Fixed since, on {local_words(fixed_at, tz)}."  # type: ignore[index]
        elif closed_at is not None:
            words[case_id] = f"Closed since, on {local_words(closed_at, tz)}."  # type: ignore[index]
    return {
        ident(a): words[a.recovery_case_id]
        for a in alerts
        if a.recovery_case_id is not None and a.recovery_case_id in words
    }


def alerts_grouped(alerts: Sequence[Alert]) -> list[tuple[AlertKind, str, list[AlertRow]]]:
    """Open alerts by kind, in the page's order, each group newest first; empty groups out."""
    groups: dict[AlertKind, list[AlertRow]] = {kind: [] for kind in GROUP_TITLES}
    for alert in alerts:
        groups[AlertKind(alert.kind)].append(alert_row(alert))
    return [(kind, GROUP_TITLES[kind], rows) for kind, rows in groups.items() if rows]


# --- dismissing ----------------------------------------------------------------------------


def alert_dismiss(*, session: Session, alert: Alert, actor_id: int) -> Alert:
    if alert.dismissed_at is not None:
        raise ConflictError(MSG_ALREADY_DISMISSED)
    alert.dismissed_at = utcnow()
    alert.dismissed_by = actor_id
    session.add(alert)
    session.commit()
    return alert


def alert_undismiss(*, session: Session, alert: Alert) -> Alert:
    if alert.dismissed_at is None:
        raise ConflictError(MSG_NOT_DISMISSED)
    alert.dismissed_at = None
    alert.dismissed_by = None
    session.add(alert)
    session.commit()
    return alert


# --- e-mail --------------------------------------------------------------------------------


def alert_mail(alert: Alert, org: Organization, base_url: str) -> tuple[str, str]:
    """Subject and plain-text body of an alert's e-mail."""
    row = alert_row(alert)
    root = base_url.rstrip("/")
    lines = [
        f"{row.label} — {org.name}",
        "",
        alert.message,
        "",
        f"What to do next: {row.next_step}",
        "",
    ]
    lines += [f"{words}: {root}{path}" for words, path in row.links]
    lines += [
        f"All open alerts: {root}/alerts",
        "",
        "You get this because you are an owner of this organization on Touchstone.",
    ]
    # Names and question texts are the owners' own words: one line, never a header break.
    subject = " ".join(f"[{org.name}] {row.label}: {alert.message}".split())
    if len(subject) > 140:
        subject = subject[:139].rstrip() + "…"
    return subject, "\n".join(lines) + "\n"


def alerts_queue_mail(*, session: Session, base_url: str, now: datetime | None = None) -> int:
    """Put every alert not mailed yet (and not dismissed, and recent) in the outbox, one
    message to the organization's owners each; their jobs send them once this commits.

    An alert is claimed by a conditional UPDATE of `emailed_at` in the same transaction as
    its message, so two workers running this at once make one message. Commits; returns
    how many messages were queued."""
    now = now or utcnow()
    pending = session.exec(
        select(Alert, Organization)
        .join(Organization, col(Organization.id) == col(Alert.org_id))
        .where(
            col(Alert.emailed_at).is_(None),
            col(Alert.dismissed_at).is_(None),
            col(Alert.created_at) >= now - MAIL_MAX_AGE,
        )
        .order_by(col(Alert.id))
    ).all()
    session.commit()  # end the read before the write (SQLite: no lock upgrade)
    if not pending:
        return 0
    session.connection(execution_options={WRITE_OPTION: True})
    table = Alert.__table__  # type: ignore[attr-defined]
    owners: dict[int, list[str]] = {}
    queued = 0
    try:
        for alert, org in pending:
            if ident(org) not in owners:
                owners[ident(org)] = owner_addresses(session, ident(org))
            claimed = session.execute(
                update(table)
                .where(table.c.id == alert.id, table.c.emailed_at.is_(None))
                .values(emailed_at=now)
            )
            if claimed.rowcount != 1 or not owners[ident(org)]:  # type: ignore[attr-defined]
                continue  # another worker has it, or nobody to tell
            subject, body = alert_mail(alert, org, base_url)
            mail = mail_queue(
                session=session,
                org_id=alert.org_id,
                key=f"alert:{alert.id}",
                to=", ".join(owners[ident(org)]),
                subject=subject,
                body=body,
            )
            queued += mail is not None
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return queued


def alerts_mail_job(ctx: JobContext) -> int:
    """The `alerts.mail` job (after a request raised alerts, and on the heartbeat)."""
    with ctx.db.session() as session:
        return alerts_queue_mail(session=session, base_url=ctx.settings.base_url)


def alerts_overdue_job(ctx: JobContext) -> int:
    """The heartbeat's overdue check for every organization, then their e-mail: an overdue
    case raises its alert within a minute, whether or not anybody opens a page."""
    now = utcnow()
    with ctx.db.session() as session:
        if not overdue_waiting(session, now):
            raised = 0
        else:
            session.commit()
            session.connection(execution_options={WRITE_OPTION: True})
            try:
                raised = len(alerts_check_overdue(session, now))
                session.commit()
            except BaseException:
                session.rollback()
                raise
    alerts_mail_job(ctx)
    return raised


def alerts_check_all(*, session: Session, settings: Settings, now: datetime) -> list[str]:
    """`touchstone alerts check`: raise the overdue alerts of every organization, commit,
    then e-mail what has not been mailed yet. Returns the lines the command prints."""
    raised = alerts_check_overdue(session, now)
    names = {
        ident(org): org.name
        for org in session.exec(
            select(Organization).where(col(Organization.id).in_({a.org_id for a in raised}))
        ).all()
    }
    lines = [f"{names.get(a.org_id, a.org_id)}: {a.message}" for a in raised]
    session.commit()
    sent = alerts_queue_mail(session=session, base_url=settings.base_url, now=now)
    count = len(raised)
    lines.append(
        f"Raised {count} alert{'' if count == 1 else 's'} for recovery cases past 24 hours."
        if count
        else "No recovery case has passed its 24 hours without an alert."
    )
    if settings.smtp_enabled:
        lines.append(
            f"Queued {sent} alert e-mail{'' if sent == 1 else 's'} to owners; "
            f"the job workers send them."
        )
    else:
        lines.append("E-mail is off (SMTP_HOST is not set); owners see alerts at /alerts.")
    return lines
