"""What an owner's start page says to do today: the journey's score and where it stands
against the targets, the shops due this week, the shops waiting for review, and the recovery
cases and action items that are overdue. Each part links to the place where it is done.

It only reads, with the reports' usual range (12 months by month), so the score here is the
one the journey map and the meeting pack show for the same period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, select

from actions.services import ActionFilter, action_item_is_overdue, action_items_list
from app.orgs.models import Organization
from audits.models import Shop
from audits.queries import ShopRow, review_queue, shop_rows, shops_due
from recovery.models import RecoveryCase
from recovery.queries import CaseRow, case_rows, cases_list, overdue_clause
from reports.charts import sparkline
from reports.filters import org_today, parse_filters
from reports.pdf.pack import JourneyScore, journey_scores
from reports.periods import coverage_words
from reports.summary import CardSummary, card_summaries
from touchpoints import queries as journey_queries
from touchpoints.models import ActionItem, Touchpoint

# Each list names this many and counts the rest, with a link to the whole list.
LISTED = 5


@dataclass(frozen=True)
class TouchpointLine:
    touchpoint: Touchpoint
    card: CardSummary


@dataclass
class JourneyGlance:
    latest: JourneyScore | None
    previous: JourneyScore | None
    spark: str
    below: list[TouchpointLine]
    near: list[TouchpointLine]
    met: int
    shopped: int  # touchpoints with a score in the range
    touchpoints: int
    partial: str  # "to date, 7 of 31 days" when the latest period is not over yet, else ""

    @property
    def change(self) -> float | None:
        if self.latest is None or self.previous is None:
            return None
        return self.latest.score - self.previous.score


@dataclass
class DueShop:
    row: ShopRow
    overdue: bool


@dataclass
class OwnerDay:
    journey: JourneyGlance
    week_ends: date  # the last day of this week (Sunday), in the organization's zone
    due: list[DueShop]
    due_count: int
    overdue_shops: int
    review: list[ShopRow]
    review_count: int
    cases: list[CaseRow]
    case_count: int
    actions: list[tuple[ActionItem, str]]  # the item and its touchpoint's name
    action_count: int

    @property
    def nothing_to_do(self) -> bool:
        return not (self.due_count or self.review_count or self.case_count or self.action_count)


def journey_glance(session: Session, org: Organization) -> JourneyGlance:
    filters = parse_filters(session, org)
    touchpoints = [tp for view in journey_queries.journey(session) for tp in view.touchpoints]
    cards = card_summaries(session, touchpoints, filters, near=org.near_target)
    lines = [TouchpointLine(tp, cards[tp.id or 0]) for tp in touchpoints]
    scores = journey_scores(filters, {key: card.periods for key, card in cards.items()})
    by_slot = {s.slot.key: s.score for s in scores}
    statuses = [(line, line.card.status) for line in lines]
    return JourneyGlance(
        latest=scores[-1] if scores else None,
        previous=scores[-2] if len(scores) > 1 else None,
        spark=sparkline([by_slot.get(slot.key) for slot in filters.slots], target=None),
        below=[line for line, st in statuses if st is not None and st.key == "below"],
        near=[line for line, st in statuses if st is not None and st.key == "near"],
        met=sum(1 for _, st in statuses if st is not None and st.key == "met"),
        shopped=sum(1 for _, st in statuses if st is not None),
        touchpoints=len(lines),
        partial=coverage_words(scores[-1].slot, filters.start, filters.end, today=org_today(org))
        if scores
        else "",
    )


def week_end(today: date) -> date:
    """The Sunday that ends `today`'s week (Monday to Sunday)."""
    return today + timedelta(days=6 - today.weekday())


def owner_day(session: Session, org: Organization, *, now: datetime) -> OwnerDay:
    """Everything the owner's start page lists, as of `now` (UTC)."""
    zone = ZoneInfo(org.timezone)
    today = now.astimezone(zone).date()
    last_day = week_end(today)
    # Due before the next Monday begins where the organization is.
    next_monday = datetime.combine(last_day + timedelta(days=1), datetime.min.time(), zone)
    due_shops = shops_due(session, before=next_monday)
    due_rows = shop_rows(session, due_shops[:LISTED], with_shopper=True)
    waiting = review_queue(session)
    case_count = session.exec(
        select(func.count()).select_from(RecoveryCase).where(overdue_clause(now))
    ).one()
    cases = cases_list(session, now=now, closed=False, overdue=True, limit=LISTED)
    items = [
        item
        for item in action_items_list(session, filters=ActionFilter(), today=today)
        if action_item_is_overdue(item, today)
    ]
    names = {tp.id: tp.name for view in journey_queries.journey(session) for tp in view.touchpoints}
    return OwnerDay(
        journey=journey_glance(session, org),
        week_ends=last_day,
        due=[DueShop(row, _before(row.shop, now)) for row in due_rows],
        due_count=len(due_shops),
        overdue_shops=sum(1 for s in due_shops if _before(s, now)),
        review=shop_rows(session, waiting[:LISTED], with_shopper=True),
        review_count=len(waiting),
        cases=case_rows(session, cases, now=now, tz=org.timezone),
        case_count=case_count,
        actions=[(item, names.get(item.touchpoint_id, "")) for item in items[:LISTED]],
        action_count=len(items),
    )


def _before(shop: Shop, now: datetime) -> bool:
    """Whether the shop's window has closed (its due time is past)."""
    return shop.due_until is not None and shop.due_until < now
