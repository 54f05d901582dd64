"""A year of mystery shops for Demo Co, so reports and the shopper home have a story to show.

The story, told by the numbers and the comments:

- the first phone call gets steadily better over the year (the phones were reorganized);
- walking in the door improves too, most of all at Riverside Mall;
- paying the bill was good for nine months and slips in the last three (a new till system),
  with wrong charges showing up as critical fails;
- the rest holds steady, Station Road a little behind the others.

The approved history is written in bulk, in one transaction, but row for row what the
services would have written: the same Shop, ShopTouchpoint, Answer and ShopEvent rows, the
score snapshot computed by the same scoring code over the same sections that
`audits.queries.shop_sections` builds, and a state log assigned → in_progress → submitted →
approved at plausible times in the past. The open shops for the demo shopper go through the
services themselves. Everything is drawn from a seeded random generator, and dates are
relative to "now", so the demo always ends in the current month.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from app.modelbase import ident, utcnow
from app.orgs.models import Location, Organization
from audits import services
from audits.models import Answer, Shop, ShopEvent, ShopStatus, ShopTouchpoint, Wave
from audits.queries import Section
from touchpoints.models import Channel, Question, QuestionStatus, Touchpoint
from touchpoints.preview import question_spec
from touchpoints.scoring import fraction, score_shop, score_snapshot

SEED = 20240917
MONTHS = 12

# Which touchpoints a location can be shopped on: the phone and e-mail team has no door.
REMOTE = (Channel.phone, Channel.problem, Channel.billing, Channel.other)
LOCATION_OFFSET = {"High Street": 0.04, "Riverside Mall": -0.02, "Station Road": -0.06}

SCENARIOS = {
    Channel.phone: [
        "Call the branch to ask whether an item can be reserved for collection on Saturday.",
        "Phone to ask about opening hours over the bank holiday and whether parking is free.",
        "Ring with a question about the difference between the standard and extended plans.",
    ],
    Channel.walk_in: [
        "Walk in late morning and look around for a few minutes before asking for help.",
        "Visit at lunchtime, when it is likely to be busy, and wait to be noticed.",
    ],
    Channel.sales: [
        "Ask for advice on a replacement for a five-year-old model; budget around £400.",
        "Say you are buying a gift and are unsure what to choose; let the salesperson lead.",
    ],
    Channel.problem: [
        "Bring back an item bought last month that has stopped working; you have the receipt.",
        "Say a delivery arrived a week late and one part was missing.",
    ],
    Channel.billing: [
        "Ask about a charge on last month's bill that you do not recognize.",
        "Pay for a small purchase and ask whether you could spread a larger one over months.",
    ],
    Channel.other: [
        "Ask to change the address on your account and to be told when it is done.",
        "Request a copy of an old invoice and see how easily it is found.",
    ],
}

# Remarks a shopper might write on an answer that went badly, or well, per channel.
FAIL_REMARKS = {
    Channel.phone: [
        "It rang seven times and then went to a recorded message.",
        "The person sounded rushed and did not give the business name.",
        "I was put on hold twice without being told why.",
        "I was told someone would call back, but not when.",
        "Background noise made it hard to hear the answer.",
    ],
    Channel.walk_in: [
        "Two staff were talking behind the counter and did not look up for a while.",
        "The entrance mat was soaked and a display by the door had fallen over.",
        "I had to ask a customer where the service desk was.",
        "No one acknowledged me until I went up to the counter myself.",
    ],
    Channel.sales: [
        "A product was recommended before I had said what I needed it for.",
        "The price of the extended cover only came up when I asked directly.",
        "I was told the offer ended today, which felt like pressure.",
        "The salesperson left to serve someone else mid-conversation.",
    ],
    Channel.problem: [
        "I was asked twice whether I had used the item correctly.",
        "The member of staff said it was the manufacturer's problem, not theirs.",
        "No one summed up what would happen next; I left unsure.",
        "I was interrupted before I had finished explaining.",
    ],
    Channel.billing: [
        "The receipt showed a service charge nobody had mentioned.",
        "The new till printed a total only; the items were not listed.",
        "I was charged twice for one item; it was refunded after I pointed it out.",
        "The queue to pay moved slowly while the card machine restarted.",
        "My question about the charge was passed between two people with no clear answer.",
    ],
    Channel.other: [
        "I had to explain the request three times to different people.",
        "The form asked for the same details on two pages.",
        "I was told it would be done the same day; it took four days.",
        "Nobody could see my earlier contact, so I started again from the beginning.",
    ],
}
GOOD_REMARKS = {
    Channel.phone: [
        "Answered on the second ring, with the business name and a friendly tone.",
        "The answer was clear and I was told exactly what to do next.",
    ],
    Channel.walk_in: [
        "Greeted within a minute, with eye contact and a smile.",
        "The entrance was tidy and signs made it easy to find the right desk.",
    ],
    Channel.sales: [
        "Good questions about how I would use it before any suggestion.",
        "Two options were compared side by side, including running costs.",
    ],
    Channel.problem: [
        "The staff member apologized straight away and offered a replacement on the spot.",
        "My problem was repeated back to me to check it had been understood.",
    ],
    Channel.billing: [
        "Every line on the bill was explained without my asking.",
        "Paying took under two minutes and I was thanked.",
    ],
    Channel.other: [
        "The change was confirmed by e-mail the same afternoon.",
        "My history was on screen before I had finished saying my name.",
    ],
}
SECTION_GOOD = [
    "A smooth experience overall; nothing I would change in a hurry.",
    "Friendly and efficient from start to finish.",
    "Better than my last visit here.",
    "Staff seemed to know what they were doing and took their time with me.",
]
SECTION_POOR = [
    "Polite enough, but I came away without what I needed.",
    "Felt rushed throughout; the basics were there but little else.",
    "Several small things added up to a disappointing experience.",
    "Not what the checklist describes; this part needs attention.",
]
SHOP_REMARKS = [
    "The branch was busy but calm.",
    "Quiet mid-week visit; plenty of staff on the floor.",
    "Visited just before closing time.",
    "Saturday visit; a queue of four or five people most of the time.",
    "Roadworks outside made the entrance hard to find.",
    "Light rain; the entrance floor was wet.",
]
SUGGESTIONS = {
    Channel.phone: ["Tell callers how long the wait will be.", "Give a name to call back."],
    Channel.walk_in: ["A quick nod to waiting customers.", "Clearer signs to the service desk."],
    Channel.sales: ["Ask what I need before showing products.", "Put all prices on one sheet."],
    Channel.problem: ["Say sorry first.", "Give a date for the fix, not just 'soon'."],
    Channel.billing: ["An itemized receipt.", "Explain new charges before I pay."],
    Channel.other: ["One person to follow a request through.", "A confirmation message."],
}


@dataclass(frozen=True)
class DemoShops:
    approved: int
    answers: int
    open: int


def _quality(channel: Channel, months_ago: int, location: str) -> float:
    """The chance that a moment goes right, before noise: the story of the year."""
    progress = (MONTHS - 1 - months_ago) / (MONTHS - 1)  # 0 a year ago .. 1 this month
    base = {
        Channel.phone: 0.58 + 0.32 * progress,
        Channel.walk_in: 0.68 + 0.18 * progress,
        Channel.sales: 0.78,
        Channel.problem: 0.70 + 0.06 * progress,
        Channel.billing: 0.88 if months_ago > 2 else 0.60,
        Channel.other: 0.76,
    }.get(channel, 0.75)
    if channel == Channel.walk_in and location == "Riverside Mall":
        base += 0.12 * progress - 0.06
    return base + LOCATION_OFFSET.get(location, 0.0)


def _value(rng: random.Random, question: Question, p: float) -> Any:
    """An answer drawn around the chance `p` that this moment went right."""
    kind = str(question.kind)
    config = question.config or {}
    if kind == "yes_no":
        if question.critical:  # critical failures are rare, and rarer the better it goes
            return rng.random() >= (1 - p) * 0.3
        return rng.random() < p
    if kind == "scale":
        return max(1, min(5, round(1 + 4 * p + rng.gauss(0, 0.75))))
    if kind == "number":
        threshold = int(float(config["threshold"]))
        passed = rng.random() < p
        if config["rule"] == "at_most":
            low = 1 if threshold >= 1 else 0
            return rng.randint(low, threshold) if passed else threshold + rng.randint(1, 5)
        return threshold + rng.randint(0, 10) if passed else rng.randint(1, max(1, threshold - 1))
    if kind == "choice":
        points = [float(o["points"]) for o in config["options"]]
        best = max(points) or 1.0
        target = max(0.0, min(1.0, p + rng.gauss(0, 0.25)))
        return min(range(len(points)), key=lambda i: (abs(points[i] / best - target), i))
    return None


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _month_starts(now: datetime) -> list[datetime]:
    """First instants (UTC) of the last MONTHS months, oldest first, ending with this one."""
    year, month = now.year, now.month
    starts = []
    for _ in range(MONTHS):
        starts.append(datetime(year, month, 1, tzinfo=UTC))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def demo_shops(
    session: Session,
    org: Organization,
    *,
    owner_id: int,
    shopper_id: int,
    now: datetime | None = None,
    seed: int = SEED,
) -> DemoShops:
    """Twelve months of approved shops across the organization's locations, and a few open
    ones for the shopper. Expects a session scoped to `org` (app.tenancy)."""
    rng = random.Random(seed)
    now = now or utcnow()
    org_id = ident(org)
    locations = session.exec(
        select(Location).where(Location.org_id == org_id).order_by(col(Location.id))
    ).all()
    touchpoints = session.exec(
        select(Touchpoint)
        .where(Touchpoint.org_id == org_id, col(Touchpoint.archived_at).is_(None))
        .order_by(col(Touchpoint.id))
    ).all()
    questions: dict[int, list[Question]] = {ident(tp): [] for tp in touchpoints}
    for question in session.exec(
        select(Question)
        .where(Question.org_id == org_id, Question.status == QuestionStatus.active)
        .order_by(col(Question.position), col(Question.id))
    ):
        if question.touchpoint_id in questions:
            questions[question.touchpoint_id].append(question)
    touchpoints = [tp for tp in touchpoints if questions[ident(tp)]]
    if not locations or not touchpoints:
        return DemoShops(0, 0, 0)

    # Plan every approved shop first, so that one flush stores them all.
    planned: list[tuple[Shop, Location, int, list[Touchpoint]]] = []
    starts = _month_starts(now)
    for index, month_start in enumerate(starts):
        months_ago = MONTHS - 1 - index
        wave = Wave(org_id=org_id, name=f"Visits {month_start:%B %Y}")
        session.add(wave)
        session.flush()
        # Visits from the 2nd to the 27th; this month's only up to a few hours ago.
        first = month_start + timedelta(days=1)
        last = month_start + timedelta(days=27)
        if months_ago == 0:
            margin = min(timedelta(hours=5), (now - month_start) / 2)
            first = min(first, month_start + margin / 2)
            last = max(first, min(last, now - margin))
        for location in locations:
            choices = [
                tp for tp in touchpoints if location.name != "Customer Line" or tp.channel in REMOTE
            ]
            count = rng.choice((3, 3, 4, 4)) if months_ago else rng.choice((2, 3))
            for _ in range(count):
                covered = rng.sample(choices, k=min(len(choices), rng.randint(2, 4)))
                covered.sort(key=lambda tp: touchpoints.index(tp))
                visited = first + (last - first) * rng.random()
                visited = visited.replace(
                    hour=rng.randint(9, 16), minute=rng.randrange(0, 60, 5), second=0, microsecond=0
                )
                visited = max(first, min(last, visited))
                planned_at = visited - timedelta(days=rng.randint(7, 20), hours=rng.randint(0, 6))
                shop = Shop(
                    org_id=org_id,
                    location_id=ident(location),
                    shopper_id=shopper_id,
                    status=ShopStatus.approved,
                    scenario=" ".join(rng.choice(SCENARIOS[Channel(tp.channel)]) for tp in covered),
                    due_from=(visited - timedelta(days=rng.randint(2, 5))).replace(
                        hour=0, minute=0, second=0, microsecond=0
                    ),
                    due_until=(visited + timedelta(days=rng.randint(2, 5))).replace(
                        hour=0, minute=0, second=0, microsecond=0
                    ),
                    visited_at=visited,
                    duration_minutes=rng.choice((10, 15, 20, 25, 30, 40, 45)),
                    comment=rng.choice(SHOP_REMARKS) if rng.random() < 0.45 else "",
                    wave_id=ident(wave),
                    created_at=planned_at,
                )
                planned.append((shop, location, months_ago, covered))
    session.add_all([shop for shop, *_ in planned])
    session.flush()

    rows: list[Any] = []
    answer_count = 0
    for shop, location, months_ago, covered in planned:
        shop_id = ident(shop)
        assert shop.visited_at is not None
        visited = shop.visited_at
        # Handed in an hour or two after the visit, approved a day or three later; all past.
        submitted = visited + min(timedelta(minutes=rng.randint(30, 180)), (now - visited) / 3)
        approved = submitted + min(
            timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 8)), (now - submitted) / 2
        )
        clock = visited + timedelta(minutes=2)
        sections = []
        for position, tp in enumerate(covered, start=1):
            channel = Channel(tp.channel)
            p = max(
                0.05, min(0.98, _quality(channel, months_ago, location.name) + rng.gauss(0, 0.07))
            )
            section = Section(tp)
            for question in questions[ident(tp)]:
                if question.kind == "text":
                    if rng.random() >= 0.35:
                        continue  # free text is optional; most visits leave it empty
                    value: Any = rng.choice(SUGGESTIONS[channel])
                    na = False
                elif question.allow_na and rng.random() < 0.2:
                    value, na = None, True
                else:
                    value, na = _value(rng, question, p), False
                comment = ""
                if not na and question.kind != "text":
                    share = fraction(question_spec(question), value)
                    if share < 0.5 and rng.random() < 0.55:
                        comment = rng.choice(FAIL_REMARKS[channel])
                    elif share >= 1 and rng.random() < 0.08:
                        comment = rng.choice(GOOD_REMARKS[channel])
                clock += timedelta(seconds=rng.randint(20, 150))
                answer = Answer(
                    id=_uuid(rng),
                    org_id=org_id,
                    shop_id=shop_id,
                    question_id=ident(question),
                    value=value,
                    not_applicable=na,
                    comment=comment,
                    answered_at=min(clock, submitted),
                    updated_at=min(clock, submitted),
                )
                section.questions.append(question)
                section.answers[ident(question)] = answer
                rows.append(answer)
            sections.append(section)
            score = section.score()
            remark = ""
            if rng.random() < 0.35:
                good = score.percent is not None and score.percent >= tp.target
                remark = rng.choice(SECTION_GOOD if good else SECTION_POOR)
            rows.append(
                ShopTouchpoint(
                    org_id=org_id,
                    shop_id=shop_id,
                    touchpoint_id=ident(tp),
                    position=position,
                    comment=remark,
                )
            )
            answer_count += len(section.answers)
        total = score_shop(s.score() for s in sections)
        shop.score = total.percent
        shop.score_detail = score_snapshot(total)
        shop.submitted_at = submitted
        shop.approved_at = approved
        for actor, before, after, note, at in (
            (owner_id, None, ShopStatus.assigned, "planned", shop.created_at),
            (shopper_id, ShopStatus.assigned, ShopStatus.in_progress, "first answer", visited),
            (shopper_id, ShopStatus.in_progress, ShopStatus.submitted, "", submitted),
            (owner_id, ShopStatus.submitted, ShopStatus.approved, "", approved),
        ):
            rows.append(
                ShopEvent(
                    org_id=org_id,
                    shop_id=shop_id,
                    actor_id=actor,
                    from_status=None if before is None else str(before),
                    to_status=str(after),
                    note=note,
                    at=at,
                )
            )
    session.add_all(rows)
    session.commit()

    opened = _open_shops(
        session, rng, org_id, locations, touchpoints, questions, owner_id, shopper_id, now
    )
    return DemoShops(approved=len(planned), answers=answer_count, open=opened)


def _open_shops(
    session: Session,
    rng: random.Random,
    org_id: int,
    locations: Sequence[Location],
    touchpoints: list[Touchpoint],
    questions: dict[int, list[Question]],
    owner_id: int,
    shopper_id: int,
    now: datetime,
) -> int:
    """Shops still to do, planned and started through the services as the pages would."""
    by_channel = {Channel(tp.channel): ident(tp) for tp in touchpoints}
    by_name = {loc.name: ident(loc) for loc in locations}
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)

    def pick(*channels: Channel) -> list[int]:
        return [by_channel[c] for c in channels if c in by_channel] or [ident(touchpoints[0])]

    def where(name: str) -> int:
        return by_name.get(name, ident(locations[0]))

    plans = [
        services.ShopPlan(
            location_id=where("High Street"),
            touchpoint_ids=pick(Channel.walk_in, Channel.sales, Channel.billing),
            shopper_id=shopper_id,
            scenario=(
                "Walk in and ask for advice on a replacement kettle and toaster, budget about "
                "£80. Pay by card and ask for an itemized receipt."
            ),
            due_from=day - timedelta(days=1),
            due_until=day + timedelta(days=2),
            fee_minor=2500,
            fee_currency="GBP",
        ),
        services.ShopPlan(
            location_id=where("Customer Line"),
            touchpoint_ids=pick(Channel.phone, Channel.problem),
            shopper_id=shopper_id,
            scenario=(
                "Call about an order that arrived with a part missing. Note how long it takes "
                "to reach someone and whether you are given a date for the fix."
            ),
            due_from=day - timedelta(days=3),
            due_until=day + timedelta(days=4),
            fee_minor=1500,
            fee_currency="GBP",
        ),
        services.ShopPlan(
            location_id=where("Station Road"),
            touchpoint_ids=pick(Channel.walk_in, Channel.problem, Channel.other),
            shopper_id=shopper_id,
            scenario=(
                "Return an item bought last month that has stopped working (receipt in hand) "
                "and ask for your address to be updated while you are there."
            ),
            due_from=day + timedelta(days=5),
            due_until=day + timedelta(days=12),
            fee_minor=3000,
            fee_currency="GBP",
        ),
    ]
    shops = [
        services.shop_plan(session=session, org_id=org_id, data=plan, actor_id=owner_id)
        for plan in plans
    ]
    # Two jobs on the job board (audits/board) for any shopper to claim, with their fees.
    for name, scenario, start, fee in (
        (
            "Riverside Mall",
            "Ask to try on a jacket in two sizes and whether it can be held until Saturday.",
            8,
            2200,
        ),
        (
            "Station Road",
            "Ask how to move a delivery to another day, then change your mind.",
            15,
            1800,
        ),
    ):
        services.shop_plan(
            session=session,
            org_id=org_id,
            data=services.ShopPlan(
                location_id=where(name),
                touchpoint_ids=pick(Channel.walk_in),
                scenario=scenario,
                due_from=day + timedelta(days=start),
                due_until=day + timedelta(days=start + 3),
                fee_minor=fee,
                fee_currency="GBP",
                post=True,
            ),
            actor_id=owner_id,
        )
    # The second one is under way: the visit logged and the first few answers in.
    started = shops[1]
    services.shop_visit_record(
        session=session,
        shop=started,
        actor_id=shopper_id,
        visited_at=now - timedelta(hours=2),
        duration_minutes=12,
    )
    first_tp = pick(Channel.phone)[0]
    for question in [q for q in questions[first_tp] if q.kind != "text"][:3]:
        p = _quality(Channel.phone, 0, "Customer Line")
        services.answer_record(
            session=session,
            shop=started,
            actor_id=shopper_id,
            data=services.AnswerInput(
                id=_uuid(rng),
                question_id=ident(question),
                value=_value(rng, question, p),
                comment="Answered after four rings." if question.kind == "number" else "",
            ),
        )
    return len(shops)
