"""A year of service recovery and measures for Demo Co, next to its shops.

The story, told by the numbers (the shops in `audits.demo` tell the same one):

- **Dealing with a problem.** Nine to six months ago a run of faulty returns arrives and the
  fixes drag: a replacement needs a manager's signature, so barely half are fixed within
  24 hours and complaints peak. Seven months ago a staff meeting agrees that front-line staff
  may replace a faulty item on the spot; it is done five months ago. From then on most cases
  are fixed the same day, more customers are surprised and the follow-ups find them
  satisfied; complaints fall and problems solved at the first contact rise.
- **Paying the bill.** A new till system arrives three months ago: wrong charges and queries
  about the bill rise, as the shoppers found too. A meeting last month agreed itemized
  receipts (being done, due in a few days) and a refresher on refunds for weekend staff,
  which is overdue.
- **First phone call.** Calls answered within three rings climb through the year.
- Open right now: a billing case past its 24 hours, a problem case with time left, and a
  complaint from the public form that nobody has filed under a touchpoint yet.

The year of closed history is written in one transaction, row for row what the services
would have written (a case through `case_open`, then the times and notes of its steps); the
cases still open and every measure go through the services themselves. The meetings'
action items are seeded after these, by `actions.demo`.
Everything comes from a seeded random generator, relative to "now", like the shops.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from app.modelbase import ident, utcnow
from app.orgs.models import Location, Organization
from audits.models import Shop, ShopStatus
from recovery import services
from recovery.alerts import services as alerts
from recovery.models import CaseSource, CauseCategory, RecoveryCase, Verdict
from touchpoints.measures import services as measures
from touchpoints.models import (
    Channel,
    MeasureAggregate,
    MeasurePeriod,
    Touchpoint,
)

SEED = 20250611
MONTHS = 12
# When the problem-handling trouble runs (months ago) and when its fix took hold.
TROUBLE = range(6, 10)
MEETING_MONTHS_AGO, DONE_MONTHS_AGO = 7, 5
NEW_TILL = range(0, 3)

STORIES: dict[Channel, list[tuple[str, str, str, CauseCategory, str, str]]] = {
    # (what the customer said, the fix, the surprise, cause, why, what we change)
    Channel.problem: [
        (
            "The kettle I bought last week stopped working; I was asked to come back another day.",
            "Replaced the kettle from stock and tested the new one with the customer.",
            "Added a box of tea and a voucher for the next visit.",
            CauseCategory.policy,
            "Replacements needed a manager's signature and none was on the floor.",
            "Let front-line staff replace faulty items up to £50 on the spot.",
        ),
        (
            "A part was missing from my delivery and nobody could say when it would come.",
            "Sent the missing part by courier the next morning.",
            "Refunded the delivery charge without being asked.",
            CauseCategory.supplier,
            "The supplier split the order and our system showed it as complete.",
            "Check split deliveries before marking an order done.",
        ),
        (
            "My repair was promised for Friday and still was not ready on Tuesday.",
            "Finished the repair the same day and delivered it to the customer's home.",
            "A handwritten apology card from the branch team.",
            CauseCategory.process,
            "Repairs had no owner once they left the counter.",
            "One named contact follows each repair until it is collected.",
        ),
        (
            "I was asked twice whether I had used the product properly.",
            "Exchanged the product and apologized for the questions.",
            "Upgraded the exchange to the newer model at no cost.",
            CauseCategory.people,
            "A new colleague followed an old returns script.",
            "Replace the old returns script with the 'hear, apologize, fix' card.",
        ),
    ],
    Channel.billing: [
        (
            "I was charged twice for the same item.",
            "Refunded the second charge at the till.",
            "Took 10 % off the rest of the bill.",
            CauseCategory.equipment,
            "The new till repeated a line when the card machine restarted.",
            "Switch on itemized receipts so a repeated line is seen before paying.",
        ),
        (
            "The bill showed a service charge nobody had mentioned.",
            "Removed the charge and printed a corrected bill.",
            "Coffee on the house while the bill was corrected.",
            CauseCategory.communication,
            "The charge was added by default on the new till.",
            "Turn off the default service charge on the new tills.",
        ),
        (
            "My refund has not appeared after two weeks.",
            "Traced the refund and paid it by bank transfer the same day.",
            "A gift card for the wait.",
            CauseCategory.process,
            "Refunds on the new till were queued for a weekly batch.",
            "Refresh weekend staff on the new till's refund screen.",
        ),
    ],
    Channel.walk_in: [
        (
            "I stood at the counter for ten minutes without anyone noticing me.",
            "The manager served the customer personally and apologized.",
            "A small bunch of flowers from the display.",
            CauseCategory.people,
            "Two colleagues were restocking at the back during a busy hour.",
            "Keep one person at the front at all times between 11 and 2.",
        ),
    ],
    Channel.phone: [
        (
            "Nobody called me back as promised.",
            "Called back within the hour and answered the question.",
            "Reserved the item the customer wanted for a week.",
            CauseCategory.process,
            "Call-back notes were kept on paper and got lost.",
            "Log every promised call-back in the shared list.",
        ),
    ],
    Channel.sales: [
        (
            "I was told the offer ended today; it ran all month.",
            "Honoured the offer price on a second item the customer wanted.",
            "Free delivery on the order.",
            CauseCategory.people,
            "A salesperson misread the promotion dates.",
            "Put the promotion dates on the till screen.",
        ),
    ],
}
SOURCES = [
    CaseSource.in_person,
    CaseSource.in_person,
    CaseSource.phone,
    CaseSource.phone,
    CaseSource.complaint_form,
    CaseSource.online_review,
]


@dataclass(frozen=True)
class DemoRecovery:
    cases: int
    open_cases: int
    measures: int
    values: int
    alerts: int = 0


def _month_starts(now: datetime, tz: ZoneInfo) -> list[datetime]:
    """First instants of the last MONTHS months in the organization's zone, oldest first."""
    local = now.astimezone(tz)
    year, month = local.year, local.month
    starts = []
    for _ in range(MONTHS):
        starts.append(datetime(year, month, 1, tzinfo=tz))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def month_day(now: datetime, tz: ZoneInfo, months_ago: int, day: int) -> date:
    """A day of the story's calendar: `day` of the month `months_ago` (actions.demo)."""
    start = _month_starts(now, tz)[MONTHS - 1 - months_ago].date()
    return start.replace(day=day)


def _case_count(channel: Channel, months_ago: int, rng: random.Random) -> int:
    if channel == Channel.problem:
        return rng.randint(11, 14) if months_ago in TROUBLE else rng.randint(5, 8)
    if channel == Channel.billing:
        return rng.randint(7, 10) if months_ago in NEW_TILL else rng.randint(1, 3)
    return rng.randint(0, 2)


def _on_time_chance(channel: Channel, months_ago: int) -> float:
    """How likely a fix lands within 24 hours: the story of the year."""
    if channel == Channel.problem:
        if months_ago in TROUBLE:
            return 0.45
        return 0.9 if months_ago < DONE_MONTHS_AGO else 0.72
    if channel == Channel.billing:
        return 0.8 if months_ago in NEW_TILL else 0.85
    return 0.75


def _history(
    session: Session,
    rng: random.Random,
    org: Organization,
    tps: dict[Channel, Touchpoint],
    locations: list[Location],
    owner_id: int,
    now: datetime,
) -> int:
    """A year of cases, walked through their steps at plausible times, all in the past."""
    tz = ZoneInfo(org.timezone)
    starts = _month_starts(now, tz)
    # History ends early enough that its slowest fix (under 81 hours) is done before now: the
    # only open cases are the three `_open_cases` makes, on whatever day the demo is seeded.
    latest = now - timedelta(days=4)
    count = 0
    for index, month_start in enumerate(starts):
        months_ago = MONTHS - 1 - index
        month_end = starts[index + 1] if index + 1 < MONTHS else latest
        span = (min(month_end, latest) - month_start).total_seconds()
        if span <= 0:
            continue
        for channel, tp in tps.items():
            on_time = _on_time_chance(channel, months_ago)
            after_fix = months_ago < DONE_MONTHS_AGO and channel == Channel.problem
            for _ in range(_case_count(channel, months_ago, rng)):
                story = rng.choice(STORIES[channel])
                reported = month_start + timedelta(seconds=rng.uniform(0, span))
                reported = reported.astimezone(UTC).replace(microsecond=0)
                location = rng.choice(
                    [loc for loc in locations if loc.name != "Customer Line"]
                    if channel == Channel.walk_in
                    else locations
                )
                case = services.case_open(
                    session=session,
                    org_id=ident(org),
                    data=services.CaseOpen(
                        summary=story[0],
                        source=rng.choice(SOURCES),
                        reported_at=reported,
                        touchpoint_id=ident(tp),
                        location_id=ident(location),
                    ),
                    actor_id=owner_id,
                )
                _walk(case, rng, story, on_time=on_time, after_fix=after_fix, now=now)
                count += 1
    session.commit()
    return count


def _walk(
    case: RecoveryCase,
    rng: random.Random,
    story: tuple[str, str, str, CauseCategory, str, str],
    *,
    on_time: float,
    after_fix: bool,
    now: datetime,
) -> None:
    """The steps of one past case, as the case page would have recorded them."""
    _, fix_note, surprise_note, cause, why, change = story
    reported = case.reported_at
    case.created_at = case.updated_at = reported + timedelta(minutes=rng.randint(2, 20))
    case.acknowledged_at = reported + timedelta(minutes=rng.randint(5, 120))
    case.acknowledged_note = "Apologized and said what would happen next."
    # Only recent cases may still wait for their follow-up call; none is left unfixed (an
    # open past case would be overdue and raise an alert the story does not tell).
    recent = now - reported < timedelta(days=21)
    if rng.random() < on_time:
        took = timedelta(minutes=rng.randint(40, 23 * 60))
    else:
        took = timedelta(hours=rng.randint(25, 80), minutes=rng.randint(0, 59))
    fixed = reported + took
    case.fixed_at, case.fix_note = fixed, fix_note
    steps = [fixed]
    if rng.random() < (0.6 if after_fix else 0.3):
        case.surprised_at = fixed + timedelta(hours=rng.randint(1, 30))
        case.surprise_note = surprise_note
        steps.append(case.surprised_at)
    followed = max(steps) + timedelta(days=rng.randint(2, 6), hours=rng.randint(0, 8))
    if followed > now or (recent and rng.random() < 0.12):
        case.updated_at = max(steps)
        return
    quick = took <= timedelta(hours=24)
    happy = (0.85 if quick else 0.45) + (0.08 if case.surprised_at else 0.0)
    roll = rng.random()
    verdict = (
        Verdict.satisfied
        if roll < happy
        else (Verdict.partly if roll < happy + 0.6 * (1 - happy) else Verdict.not_satisfied)
    )
    case.followed_up_at, case.verdict = followed, verdict
    case.follow_up_note = {
        Verdict.satisfied: "Called back: happy with how it was put right.",
        Verdict.partly: "Called back: fine now, but annoyed about the wait.",
        Verdict.not_satisfied: "Called back: still unhappy; offered a meeting with the manager.",
    }[verdict]
    case.champion = verdict == Verdict.satisfied and case.surprised_at is not None
    case.champion = case.champion and rng.random() < 0.35
    case.triage_what = case.summary
    case.cause_category, case.triage_why, case.triage_change = cause, why, change
    case.closed_at = min(followed + timedelta(days=1), now - timedelta(hours=1))
    case.updated_at = case.closed_at


def _open_cases(
    session: Session,
    org: Organization,
    tps: dict[Channel, Touchpoint],
    by_name: dict[str, Location],
    owner_id: int,
    now: datetime,
) -> int:
    """Cases still open, through the services as the board would show them."""
    org_id = ident(org)

    def where(name: str) -> int:
        return ident(by_name.get(name) or next(iter(by_name.values())))

    def open_acknowledged(
        summary: str,
        source: CaseSource,
        channel: Channel,
        place: str,
        *,
        reported_ago: timedelta,
        acknowledged_ago: timedelta,
        note: str,
    ) -> None:
        """A case the owner opened `reported_ago` and has acknowledged, but not yet fixed."""
        case = services.case_open(
            session=session,
            org_id=org_id,
            data=services.CaseOpen(
                summary=summary,
                source=source,
                reported_at=now - reported_ago,
                touchpoint_id=ident(tps[channel]) if channel in tps else None,
                location_id=where(place),
            ),
            actor_id=owner_id,
        )
        session.commit()
        services.case_step_record(
            session=session,
            case=case,
            step=services.Step.acknowledge,
            data=services.StepRecord(at=now - acknowledged_ago, note=note),
        )

    # Past its 24 hours and not fixed: the board shows it overdue.
    open_acknowledged(
        "Charged for two coffees and a cake I never had; the receipt shows no items.",
        CaseSource.in_person,
        Channel.billing,
        "High Street",
        reported_ago=timedelta(hours=31),
        acknowledged_ago=timedelta(hours=30),
        note="Apologized; the till log is being checked.",
    )
    # Still within its 24 hours.
    open_acknowledged(
        "The toaster I collected yesterday trips the fuse.",
        CaseSource.phone,
        Channel.problem,
        "Station Road",
        reported_ago=timedelta(hours=5),
        acknowledged_ago=timedelta(hours=4, minutes=30),
        note="Offered a replacement today; the customer will come in after work.",
    )
    # From the public complaint form: no touchpoint yet, the owner files it while triaging.
    services.case_open(
        session=session,
        org_id=org_id,
        data=services.CaseOpen(
            summary="Waited twenty minutes at the service desk and then was sent to another queue.",
            source=CaseSource.complaint_form,
            reported_at=now - timedelta(hours=2),
            location_id=where("Riverside Mall"),
            customer_name="Jo Example",
            customer_contact="jo@example.com",
        ),
        actor_id=None,
    )
    session.commit()
    return 3


# --- measures ---------------------------------------------------------------------------------

# (channel, name, unit, higher is better, period, aggregate)
MEASURES = [
    (Channel.problem, "Complaints received", "", False, MeasurePeriod.month, MeasureAggregate.sum),
    (
        Channel.problem,
        "Solved at the first contact",
        "%",
        True,
        MeasurePeriod.month,
        MeasureAggregate.mean,
    ),
    (Channel.billing, "Queries about a bill", "", False, MeasurePeriod.month, MeasureAggregate.sum),
    (
        Channel.phone,
        "Calls answered within three rings",
        "%",
        True,
        MeasurePeriod.month,
        MeasureAggregate.mean,
    ),
    (Channel.phone, "Calls abandoned", "", False, MeasurePeriod.week, MeasureAggregate.sum),
]


def _measure_value(name: str, months_ago: int, location: str, rng: random.Random) -> float | None:
    """One location's figure for one month: the story, with noise."""
    big = {"High Street": 1.2, "Riverside Mall": 1.0, "Station Road": 0.8, "Customer Line": 1.4}
    scale = big.get(location, 1.0)
    progress = (MONTHS - 1 - months_ago) / (MONTHS - 1)
    if name == "Complaints received":
        base = 9 if months_ago in TROUBLE else (6 if months_ago >= DONE_MONTHS_AGO else 3)
        return float(max(0, round(base * scale + rng.gauss(0, 1.2))))
    if name == "Solved at the first contact":
        base = 58 if months_ago >= DONE_MONTHS_AGO else 84
        return round(min(99.0, max(30.0, base + rng.gauss(0, 4))), 1)
    if name == "Queries about a bill":
        base = 14 if months_ago in NEW_TILL else 4
        return float(max(0, round(base * scale + rng.gauss(0, 1.5))))
    if name == "Calls answered within three rings":
        if location not in ("Customer Line", "High Street"):
            return None  # the other branches' phones go through the Customer Line
        return round(min(99.0, 60 + 30 * progress + rng.gauss(0, 3)), 1)
    return None


def _measures(
    session: Session,
    rng: random.Random,
    org: Organization,
    tps: dict[Channel, Touchpoint],
    locations: list[Location],
    owner_id: int,
    now: datetime,
) -> tuple[int, int]:
    tz = ZoneInfo(org.timezone)
    starts = [s.date() for s in _month_starts(now, tz)]
    today = now.astimezone(tz).date()
    made = values = 0
    for channel, name, unit, better, period, aggregate in MEASURES:
        tp = tps.get(channel)
        if tp is None:
            continue
        measure = measures.measure_create(
            session=session,
            org_id=ident(org),
            touchpoint=tp,
            data=measures.MeasureFields(
                name=name, unit=unit, higher_is_better=better, period=period, aggregate=aggregate
            ),
        )
        made += 1
        entries: list[measures.ValueEntry] = []
        if period == MeasurePeriod.week:
            line = next((loc for loc in locations if loc.name == "Customer Line"), locations[0])
            monday = starts[0] + timedelta(days=(7 - starts[0].weekday()) % 7)
            while monday + timedelta(days=6) < today:
                weeks_ago = (today - monday).days // 7
                base = 30 - 18 * (1 - min(weeks_ago, 52) / 52)
                calls = float(max(0, round(base + rng.gauss(0, 3))))
                entries.append(
                    measures.ValueEntry(location_id=ident(line), period_start=monday, value=calls)
                )
                monday += timedelta(days=7)
        else:
            # This month's figures are not in yet: every month up to the last one.
            for index, start in enumerate(starts[:-1]):
                months_ago = MONTHS - 1 - index
                for loc in locations:
                    figure = _measure_value(name, months_ago, loc.name, rng)
                    if figure is not None:
                        entries.append(
                            measures.ValueEntry(
                                location_id=ident(loc), period_start=start, value=figure
                            )
                        )
        measures.measure_values_set(
            session=session, measure=measure, entries=entries, actor_id=owner_id
        )
        values += len(entries)
    return made, values


def demo_touchpoints(session: Session, org: Organization) -> dict[Channel, Touchpoint]:
    """The touchpoint each story happens at: the first live one of the story's channel."""
    tps: dict[Channel, Touchpoint] = {}
    for tp in session.exec(
        select(Touchpoint)
        .where(Touchpoint.org_id == ident(org), col(Touchpoint.archived_at).is_(None))
        .order_by(col(Touchpoint.id))
    ):
        channel = Channel(tp.channel)
        if channel in STORIES:
            tps.setdefault(channel, tp)
    return tps


def demo_recovery(
    session: Session,
    org: Organization,
    *,
    owner_id: int,
    now: datetime | None = None,
    seed: int = SEED,
) -> DemoRecovery:
    """The year of cases and measures. Expects a session scoped to `org`.

    The action items, which point at these cases, come after it (actions.demo)."""
    rng = random.Random(seed)
    now = (now or utcnow()).replace(microsecond=0)
    locations = list(
        session.exec(
            select(Location).where(Location.org_id == ident(org)).order_by(col(Location.id))
        )
    )
    tps = demo_touchpoints(session, org)
    if not locations or not tps:
        return DemoRecovery(0, 0, 0, 0)
    history = _history(session, rng, org, tps, locations, owner_id, now)
    opened = _open_cases(session, org, tps, {loc.name: loc for loc in locations}, owner_id, now)
    made, values = _measures(session, rng, org, tps, locations, owner_id, now)
    raised = _alerts(session, org, owner_id, now)
    return DemoRecovery(history + opened, opened, made, values, raised)


# The alerts list of a business that uses it: the last few weeks' shops raised theirs as they
# were approved, and the owner has dismissed those older than a fortnight.
ALERT_DAYS = 42
ALERT_KEPT_DAYS = 14


def _alerts(session: Session, org: Organization, owner_id: int, now: datetime) -> int:
    """Raise, through the approval's own rules, the alerts of the shops approved in the last
    ALERT_DAYS, dated when each shop was approved; and the overdue case's alert."""
    recent = session.exec(
        select(Shop)
        .where(
            Shop.org_id == ident(org),
            Shop.status == ShopStatus.approved,
            col(Shop.approved_at) >= now - timedelta(days=ALERT_DAYS),
            col(Shop.approved_at) <= now,
        )
        .order_by(col(Shop.approved_at))
    ).all()
    count = 0
    for shop in recent:
        approved_at = shop.approved_at or now
        for alert in alerts.alerts_for_shop(session=session, shop=shop):
            alert.created_at = approved_at
            if approved_at < now - timedelta(days=ALERT_KEPT_DAYS):
                alert.dismissed_at = approved_at + timedelta(days=1)
                alert.dismissed_by = owner_id
            # Told already, as far as the demo is concerned: no mail for a made-up history.
            alert.emailed_at = alert.created_at
            count += 1
    for alert in alerts.alerts_check_overdue(session, now):
        alert.emailed_at = alert.created_at
        count += 1
    session.flush()
    return count
