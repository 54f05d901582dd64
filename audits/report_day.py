"""The columns the reports read, kept in step with what they are derived from, on every flush.

Reports aggregate over a million answers, so they do not parse JSON, convert time zones or
join shops per row. Stored values stand in, each derived by one rule from data that is
already stored, in this one place that every write path goes through (services, the demo,
test factories and anything else that flushes ORM objects):

- `Shop.report_day`: the calendar date, in the organization's time zone, of the shop's
  moment (`visited_at`, or `approved_at` when no visit time was recorded). Recomputed when
  either time changes, and for all of an organization's shops when its time zone changes.
- `ShopTouchpoint.report_day` and `Answer.report_day`: the shop's report day while the shop
  is approved, None otherwise; so a report reads one index range per touchpoint or
  question, already in day order, without joining the shop.
- `ShopTouchpoint.score_pct`: the section percent of the shop's score snapshot
  (`Shop.score_detail`, written by the scoring code at submission and approval), or None.
- `Answer.share`: the share 0..1 of the question's points the answer earns, by
  `touchpoints.scoring`; None when the answer does not count (N/A, empty, free text, weight 0).
  Question versions that answers point at never change their scoring (an edit that changes
  meaning makes a new version), so the share only moves when the answer does.

Writes that bypass the ORM unit of work (Core inserts in bench/reports.py, the migration's
backfill) compute the same values with the functions here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, inspect, select, update
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.orm.attributes import set_committed_value

from app.modelbase import ident
from app.orgs.models import Organization
from audits.models import Answer, Shop, ShopStatus, ShopTouchpoint
from touchpoints.models import Question
from touchpoints.preview import question_spec
from touchpoints.scoring import Given, QuestionSpec, fraction, score_question

_PENDING = "touchstone_report_pending"
M = TypeVar("M")


# --- the rules ----------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def report_day(visited_at: datetime | None, approved_at: datetime | None, tz: str) -> date | None:
    """The day the shop counts on in reports, in the time zone `tz`."""
    moment = visited_at or approved_at
    return None if moment is None else moment.astimezone(_zone(tz)).date()


def answer_share(spec: QuestionSpec, value: Any, not_applicable: bool) -> float | None:
    """Share 0..1 of the points, or None when the answer is left out of scoring."""
    if not score_question(spec, Given(value=value, not_applicable=not_applicable)).counted:
        return None
    return fraction(spec, value)


def section_percents(score_detail: Mapping[str, Any] | None) -> dict[int, float | None]:
    """touchpoint id -> section percent, from a stored score snapshot."""
    sections = (score_detail or {}).get("sections") or []
    return {int(s["touchpoint_id"]): s.get("percent") for s in sections}


# --- the hooks ----------------------------------------------------------------------------


def changed(obj: Any, *names: str) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def org_zone(session: Session, org_id: int, cache: dict[int, str]) -> str:
    if org_id not in cache:
        org = session.get(Organization, org_id)
        cache[org_id] = org.timezone if org is not None else "UTC"
    return cache[org_id]


def counted_day(shop: Shop | None) -> date | None:
    """The day the shop's sections and answers count on: its report day once approved."""
    if shop is None or shop.status != ShopStatus.approved:
        return None
    return shop.report_day


def _counted_before(shop: Shop) -> date | None:
    """counted_day as it was before this flush's changes."""
    attrs = inspect(shop).attrs

    def before(name: str) -> Any:
        history = attrs[name].history
        return (history.deleted or history.unchanged or [None])[0]

    return before("report_day") if before("status") == ShopStatus.approved else None


@dataclass
class _Pending:
    snapshots: list[Shop] = field(default_factory=list)  # score_detail changed
    days: list[Shop] = field(default_factory=list)  # counted day may have changed
    orgs: list[int] = field(default_factory=list)  # time zone changed


def before_flush(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    zones: dict[int, str] = {}
    pending = _Pending()
    new = session.new  # a fresh set on every access: read once
    for obj in [*new, *session.dirty]:
        is_new = obj in new
        if isinstance(obj, Shop):
            if is_new or changed(obj, "visited_at", "approved_at", "org_id"):
                tz = org_zone(session, obj.org_id, zones)
                obj.report_day = report_day(obj.visited_at, obj.approved_at, tz)
            if obj.score_detail if is_new else changed(obj, "score_detail"):
                pending.snapshots.append(obj)
            # Sections and answers follow the day the shop counts on (a new approved shop's
            # too: rows added with it in this flush could not know its id yet). Other status
            # changes (assigned -> in progress, say) write nothing more.
            if counted_day(obj) != (None if is_new else _counted_before(obj)):
                pending.days.append(obj)
        elif isinstance(obj, Answer):
            if is_new or changed(obj, "value", "not_applicable", "question_id"):
                question = session.get(Question, obj.question_id)
                obj.share = (
                    None
                    if question is None
                    else answer_share(question_spec(question), obj.value, obj.not_applicable)
                )
            if is_new or changed(obj, "shop_id"):
                obj.report_day = counted_day(session.get(Shop, obj.shop_id))
        elif isinstance(obj, ShopTouchpoint) and (is_new or changed(obj, "shop_id")):
            shop = session.get(Shop, obj.shop_id)
            obj.report_day = counted_day(shop)
            obj.score_pct = (
                None if shop is None else section_percents(shop.score_detail).get(obj.touchpoint_id)
            )
        elif isinstance(obj, Organization) and not is_new and changed(obj, "timezone"):
            pending.orgs.append(ident(obj))
    if pending.snapshots or pending.days or pending.orgs:
        session.info[_PENDING] = pending


def after_flush(session: Session, _context: UOWTransaction) -> None:
    pending: _Pending | None = session.info.pop(_PENDING, None)
    if pending is None:
        return
    # Core statements on the session's connection: the rows are those of shops the ORM's
    # tenancy hooks have just checked, and no ORM event needs to see these updates.
    connection = session.connection()
    st_table = ShopTouchpoint.__table__  # type: ignore[attr-defined]
    answer_table = Answer.__table__  # type: ignore[attr-defined]
    if pending.snapshots:
        rows = [
            {"s": shop.id, "t": tp_id, "p": pct}
            for shop in pending.snapshots
            for tp_id, pct in section_percents(shop.score_detail).items()
        ]
        cleared = [shop.id for shop in pending.snapshots if not shop.score_detail]
        if rows:
            connection.execute(
                update(st_table)
                .where(
                    st_table.c.shop_id == bindparam("s"), st_table.c.touchpoint_id == bindparam("t")
                )
                .values(score_pct=bindparam("p")),
                rows,
            )
        if cleared:
            connection.execute(
                update(st_table).where(st_table.c.shop_id.in_(cleared)).values(score_pct=None)
            )
        percents = {(r["s"], r["t"]): r["p"] for r in rows}
        for obj in _loaded(session, ShopTouchpoint):
            if (obj.shop_id, obj.touchpoint_id) in percents:
                set_committed_value(obj, "score_pct", percents[obj.shop_id, obj.touchpoint_id])
            elif obj.shop_id in cleared:
                set_committed_value(obj, "score_pct", None)
    if pending.days:
        days: list[dict[str, Any]] = [
            {"s": shop.id, "d": counted_day(shop)} for shop in pending.days
        ]
        for table in (st_table, answer_table):
            connection.execute(
                update(table)
                .where(table.c.shop_id == bindparam("s"))
                .values(report_day=bindparam("d")),
                days,
            )
        _sync_days(session, {row["s"]: row["d"] for row in days})
    for org_id in pending.orgs:
        _recompute_org(session, org_id)


def _loaded(session: Session, model: type[M]) -> list[M]:
    return [obj for obj in session.identity_map.values() if isinstance(obj, model)]


def _sync_days(session: Session, days: dict[Any, date | None]) -> None:
    """Tell loaded sections and answers what the UPDATEs wrote (no reload needed)."""
    loaded: list[ShopTouchpoint | Answer] = [
        *_loaded(session, ShopTouchpoint),
        *_loaded(session, Answer),
    ]
    for obj in loaded:
        if obj.shop_id in days:
            set_committed_value(obj, "report_day", days[obj.shop_id])


def _recompute_org(session: Session, org_id: int) -> None:
    """Every shop of the organization, and its sections and answers, after its time zone
    changed. Rare, and done in one transaction with the change."""
    org = session.get(Organization, org_id)
    if org is None:
        return
    shop = Shop.__table__  # type: ignore[attr-defined]
    connection = session.connection()
    found = connection.execute(
        select(shop.c.id, shop.c.visited_at, shop.c.approved_at, shop.c.status).where(
            shop.c.org_id == org_id
        )
    ).all()
    days = {sid: report_day(v, a, org.timezone) for sid, v, a, _ in found}
    if not days:
        return
    connection.execute(
        update(shop).where(shop.c.id == bindparam("sid")).values(report_day=bindparam("day")),
        [{"sid": sid, "day": day} for sid, day in days.items()],
    )
    counted = select(shop.c.report_day).where(shop.c.status == str(ShopStatus.approved))
    for table in (ShopTouchpoint.__table__, Answer.__table__):  # type: ignore[attr-defined]
        connection.execute(
            update(table)
            .where(table.c.org_id == org_id)
            .values(report_day=counted.where(shop.c.id == table.c.shop_id).scalar_subquery())
        )
    for obj in _loaded(session, Shop):
        if obj.id in days:
            set_committed_value(obj, "report_day", days[obj.id])
    approved = {sid for sid, _, _, status in found if status == ShopStatus.approved}
    _sync_days(session, {sid: days[sid] if sid in approved else None for sid in days})
