"""The demo's year of service recovery tells its story in the numbers the reports print.

One test, because seeding the demo (a year of shops too) is the expensive part."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, select

from app.modelbase import ident, utcnow
from app.orgs.models import Organization
from audits.models import Shop
from recovery.demo import DONE_MONTHS_AGO, TROUBLE
from recovery.models import CaseSource, RecoveryCase
from reports.filters import parse_filters
from reports.loop.queries import recovery_rates
from reports.loop.summary import loop_report
from touchpoints.models import ActionItem, ActionStatus, Touchpoint

# slow: the demo year: seeding it (once per process) and reading a year of cases
pytestmark = [pytest.mark.db, pytest.mark.slow]


@pytest.fixture
def demo(demo_org: Organization) -> Organization:
    return demo_org


def months_back(org: Organization, n: int) -> str:
    """The key of the month n months before this one, in the organization's zone."""
    today = utcnow().astimezone(ZoneInfo(org.timezone)).date().replace(day=1)
    year, month = today.year, today.month - n
    while month < 1:
        year, month = year - 1, month + 12
    return f"{year}-{month:02d}"


def test_the_demo_year_tells_the_recovery_story(session: Session, demo: Organization) -> None:
    tps = {tp.name: tp for tp in session.exec(select(Touchpoint))}
    problem, bill = tps["Dealing with a problem"], tps["Paying the bill"]
    filters = parse_filters(session, demo, period="month")
    now = utcnow()

    def monthly(tp: Touchpoint) -> dict[str, tuple[int, int, int]]:
        rows = recovery_rates(session, ident(tp), period="month", now=now)
        return {r.period_key: (r.cases, r.due, r.fixed_in_window) for r in rows}

    # Problems: barely half fixed within 24 h in the trouble months, most of them after the
    # action item was done.
    rates = monthly(problem)
    trouble = [rates[months_back(demo, n)] for n in TROUBLE]
    after = [rates[months_back(demo, n)] for n in range(1, DONE_MONTHS_AGO)]
    before_rate = sum(r[2] for r in trouble) / sum(r[1] for r in trouble)
    after_rate = sum(r[2] for r in after) / sum(r[1] for r in after)
    assert before_rate < 0.6 < 0.8 < after_rate, (before_rate, after_rate)
    assert sum(r[0] for r in trouble) / len(trouble) > sum(r[0] for r in after) / len(after)

    # The billing cases rise with the new tills (the last three months).
    bills = monthly(bill)
    recent = sum(bills.get(months_back(demo, n), (0, 0, 0))[0] for n in range(3))
    earlier = sum(bills.get(months_back(demo, n), (0, 0, 0))[0] for n in range(3, 12))
    assert recent / 3 > 2 * earlier / 9, (recent, earlier)

    # The measures agree: complaints peak in the trouble months and fall after.
    loop = loop_report(session, demo, problem, parse_filters(session, demo, period="quarter"))
    complaints = next(m for m in loop.measures if m.info.name == "Complaints received")
    values = [c.value for c in complaints.cells if c is not None]
    assert max(values) > 2 * values[-1]
    solved = next(m for m in loop.measures if m.info.name == "Solved at the first contact")
    assert solved.latest is not None and solved.latest[1].value > 80

    # The item agreed at the meeting was done in its month; billing has an overdue item.
    items = session.exec(select(ActionItem).order_by(col(ActionItem.id))).all()
    fix = next(i for i in items if i.title.startswith("Let front-line staff replace"))
    assert fix.status == ActionStatus.done and fix.closed_at is not None
    zone = ZoneInfo(demo.timezone)
    assert f"{fix.closed_at.astimezone(zone):%Y-%m}" == months_back(demo, DONE_MONTHS_AGO)
    billing = loop_report(session, demo, bill, filters)
    assert [a.overdue for a in billing.open_items].count(True) == 1
    assert [a.row.title for a in billing.done_items] == [
        "Turn off the default service charge on the new tills"
    ]

    # Open right now: one past its 24 hours, one with time left, one from the public form.
    open_cases = session.exec(
        select(RecoveryCase).where(col(RecoveryCase.fixed_at).is_(None))
    ).all()
    fresh = [c for c in open_cases if now - c.reported_at < timedelta(days=3)]
    assert len(fresh) == 3
    overdue = [c for c in fresh if now - c.reported_at > timedelta(hours=24)]
    assert len(overdue) == 1 and overdue[0].touchpoint_id == bill.id
    form = [c for c in fresh if c.source == CaseSource.complaint_form]
    assert len(form) == 1 and form[0].touchpoint_id is None
    assert all(c.acknowledged_at for c in fresh if c.touchpoint_id is not None)

    # The rates over the whole demo year, against the same count in plain Python.
    window = timedelta(hours=24)
    for tp in session.exec(select(Touchpoint)):
        cases = session.exec(select(RecoveryCase).where(RecoveryCase.touchpoint_id == tp.id)).all()
        expected: dict[str, list[int]] = defaultdict(lambda: [0] * 6)
        for c in cases:
            row = expected[f"{c.reported_at.astimezone(zone):%Y-%m}"]
            row[0] += 1
            row[1] += c.fixed_at is not None or now - c.reported_at > window
            row[2] += c.fixed_at is not None and c.fixed_at - c.reported_at <= window
            row[3] += c.verdict == "satisfied"
            row[4] += c.surprised_at is not None
            row[5] += c.champion
        got = {
            r.period_key: [r.cases, r.due, r.fixed_in_window, r.satisfied, r.surprised, r.champions]
            for r in recovery_rates(session, ident(tp), period="month", now=now)
        }
        assert got == dict(expected), tp.name

    # The alerts list looks lived in: the last weeks' shops raised theirs when approved (the
    # same rules as an approval), older ones are dismissed, and the overdue case has its own.
    from recovery.alerts.services import alerts_for_shop
    from recovery.models import Alert, AlertKind

    alerts_now = session.exec(select(Alert)).all()
    open_ones = [a for a in alerts_now if a.dismissed_at is None]
    assert {a.kind for a in open_ones} >= {AlertKind.case_overdue}
    assert [a.recovery_case_id for a in open_ones if a.kind == AlertKind.case_overdue] == [
        overdue[0].id
    ]
    assert any(a.kind != AlertKind.case_overdue for a in open_ones)
    assert any(a.dismissed_at is not None for a in alerts_now)
    for alert in alerts_now:
        assert alert.emailed_at is not None  # a made-up past is never mailed to anybody
        if alert.shop_id is not None:
            shop = session.get(Shop, alert.shop_id)
            assert shop is not None and shop.approved_at == alert.created_at
            age = now - alert.created_at
            if abs(age - timedelta(days=14)) > timedelta(minutes=1):  # seeded a moment ago
                assert (alert.dismissed_at is None) == (age < timedelta(days=14))
    # Raising them again finds nothing new: each was what the approval rules call for.
    shops_alerted = {a.shop_id for a in alerts_now if a.shop_id is not None}
    for shop_id in shops_alerted:
        shop = session.get(Shop, shop_id)
        assert shop is not None and alerts_for_shop(session=session, shop=shop) == []
