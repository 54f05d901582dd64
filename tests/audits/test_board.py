"""The job board's services: posting, claims (one winner when two press at once), the visit
rules, the window check at the start, no-shows on the settable clock, shoppers' records."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from app import clock
from app.config import Settings
from app.db import Database
from app.errors import ConflictError, DomainError, ForbiddenError, NotFoundError
from app.jobs.runtime import JobContext
from app.orgs.models import Location, Membership, Organization, Role, User
from app.outbox.models import OutgoingMail
from app.tenancy import scope_session, unscoped
from audits import services
from audits.board import queries as board_queries
from audits.board import services as board
from audits.board.models import NoShowRule, ShopRelease, WindowRule
from audits.models import Shop, ShopEvent, ShopStatus
from audits.services import AnswerInput, ShopPlan, WavePlan
from tests.factories import make_location, make_member, make_org, make_question, make_touchpoint
from touchpoints.models import Touchpoint

pytestmark = pytest.mark.db


# A Monday; the organization is in Berlin (UTC+1 in winter).
def _monday_ahead() -> datetime:
    """09:00 UTC on a Monday one to two weeks from now: jobs in the future whatever the day
    the suite runs."""
    today = clock.utcnow().date()
    day = today + timedelta(days=7 + (7 - today.weekday()) % 7)
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)


MONDAY = _monday_ahead()
BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_WORDS = f"Monday {MONDAY.day} {MONDAY:%B %Y}"


@dataclass
class World:
    org: Organization
    owner: User
    ann: User
    bob: User
    place: Location
    other_place: Location
    touchpoint: Touchpoint


def _world(session: Session) -> World:
    org = make_org(session, name="Board Co", timezone="Europe/Berlin")
    owner = make_member(session, org, Role.owner)
    ann = make_member(session, org, Role.shopper, name="Ann", email="ann@board.example")
    bob = make_member(session, org, Role.shopper, name="Bob", email="bob@board.example")
    place = make_location(session, org, name="High Street", address="1 High Street, Leeds")
    other = make_location(session, org, name="Mill Lane", address="4 Mill Lane, York")
    tp = make_touchpoint(session, org)
    make_question(session, tp)
    scope_session(session, org.id)  # type: ignore[arg-type]
    return World(org, owner, ann, bob, place, other, tp)


def _post(session: Session, w: World, place: Location | None = None, **kw: object) -> Shop:
    """A shop planned straight onto the board, its window the given day (default Monday)."""
    start = kw.pop("start", MONDAY)
    assert isinstance(start, datetime)
    plan = ShopPlan(
        location_id=(place or w.place).id,  # type: ignore[arg-type]
        touchpoint_ids=[w.touchpoint.id],  # type: ignore[list-item]
        due_from=start,
        due_until=start + timedelta(hours=8),
        fee_minor=kw.pop("fee_minor", 2550),
        fee_currency="eur",
        post=True,
    )
    shop = services.shop_plan(session=session, org_id=w.org.id, data=plan, actor_id=w.owner.id)  # type: ignore[arg-type]
    if kw:
        for name, value in kw.items():
            setattr(shop, name, value)
        session.add(shop)
        session.commit()
    return shop


def _claim(session: Session, w: World, shop: Shop, user: User) -> Shop:
    return board.job_claim(
        session=session,
        shop_id=shop.id,  # type: ignore[arg-type]
        user_id=user.id,  # type: ignore[arg-type]
        tz=w.org.timezone,
    )


def _rules(session: Session, w: World, **kw: object) -> None:
    values = {"lockout_days": 0, "daily_limit": 0, "window_rule": "flag", "no_show": "board"}
    board.visit_rules_update(
        session=session,
        org_id=w.org.id,  # type: ignore[arg-type]
        data=board.VisitRulesUpdate.model_validate({**values, **kw}),
    )


# --- posting and claiming ------------------------------------------------------------------


def test_a_posted_shop_is_open_with_its_fee_and_a_shopper_claims_it(session: Session) -> None:
    w = _world(session)
    shop = _post(session, w)
    assert (shop.status, shop.shopper_id, shop.fee_minor, shop.fee_currency) == (
        ShopStatus.open,
        None,
        2550,
        "EUR",
    )
    assert [s.id for s in board_queries.jobs_for_shopper(session, w.ann.id)] == [shop.id]  # type: ignore[arg-type]
    claimed = _claim(session, w, shop, w.ann)
    assert (claimed.status, claimed.shopper_id) == (ShopStatus.assigned, w.ann.id)
    assert board_queries.jobs_for_shopper(session, w.bob.id) == []  # type: ignore[arg-type]
    with pytest.raises(ConflictError) as refused:
        _claim(session, w, shop, w.bob)
    assert refused.value.message == board.MSG_TAKEN
    notes = session.exec(select(ShopEvent.note).where(ShopEvent.shop_id == shop.id)).all()
    assert notes == ["planned and posted on the job board", "claimed from the job board"]
    # Pressing again is harmless.
    assert _claim(session, w, shop, w.ann).shopper_id == w.ann.id


def test_a_claim_that_lost_the_race_is_refused_by_the_conditional_update(
    session: Session, db: Database
) -> None:
    """The claimant's session still believes the job is open (read before the other claim
    committed): the UPDATE ... WHERE status = 'open' matches nothing, and nothing changes."""
    w = _world(session)
    shop = _post(session, w)
    stale = session.get(Shop, shop.id)
    session.commit()  # the object stays loaded, as it was read
    with db.session(write=True) as other:
        scope_session(other, w.org.id)  # type: ignore[arg-type]
        _claim(other, w, shop, w.bob)
    assert stale is not None and stale.status == ShopStatus.open  # still the old reading
    with pytest.raises(ConflictError) as refused:
        _claim(session, w, stale, w.ann)
    assert refused.value.message == board.MSG_TAKEN
    session.expire_all()
    again = session.get(Shop, shop.id)
    assert again is not None and again.shopper_id == w.bob.id


def test_two_shoppers_claiming_at_the_same_moment_get_one_claim(
    session: Session, db: Database
) -> None:
    w = _world(session)
    shop = _post(session, w)
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def press(user: User) -> None:
        with db.session(write=True) as mine:
            scope_session(mine, w.org.id)  # type: ignore[arg-type]
            start.wait(timeout=30)
            try:
                _claim(mine, w, shop, user)
                outcomes[user.name] = "claimed"
            except ConflictError as exc:
                outcomes[user.name] = exc.message

    threads = [threading.Thread(target=press, args=(u,)) for u in (w.ann, w.bob)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes.values()) == sorted(["claimed", board.MSG_TAKEN])
    session.expire_all()
    stored = session.get(Shop, shop.id)
    winner = next(name for name, outcome in outcomes.items() if outcome == "claimed")
    assert stored is not None and stored.status == ShopStatus.assigned
    assert stored.shopper_id == (w.ann if winner == "Ann" else w.bob).id
    claims = session.exec(
        select(ShopEvent).where(
            ShopEvent.shop_id == shop.id, ShopEvent.note == "claimed from the job board"
        )
    ).all()
    assert len(claims) == 1


def test_qualifications_and_region_limit_who_sees_and_claims_a_job(session: Session) -> None:
    w = _world(session)
    shop = _post(session, w, job_tags=["has a car", "speaks German"], job_region="North")
    assert board_queries.jobs_for_shopper(session, w.ann.id) == []  # type: ignore[arg-type]
    with pytest.raises(ForbiddenError) as refused:
        _claim(session, w, shop, w.ann)
    assert refused.value.message == (
        "This job asks for “has a car”, “speaks German”, which your profile does not show."
    )
    ann = session.exec(select(Membership).where(Membership.user_id == w.ann.id)).one()
    ann.tags = ["Has a car", "speaks german"]
    session.add(ann)
    session.commit()
    with pytest.raises(ForbiddenError) as refused:
        _claim(session, w, shop, w.ann)
    assert refused.value.message == "This job is for shoppers in the region North."
    ann.region = "north"
    session.add(ann)
    session.commit()
    assert [s.id for s in board_queries.jobs_for_shopper(session, w.ann.id)] == [shop.id]  # type: ignore[arg-type]
    assert _claim(session, w, shop, w.ann).shopper_id == w.ann.id


def test_a_wave_posts_every_shop_with_its_fee(session: Session) -> None:
    w = _world(session)
    wave, shops = services.wave_plan(
        session=session,
        org_id=w.org.id,  # type: ignore[arg-type]
        data=WavePlan(
            name="January",
            location_ids=[w.place.id, w.other_place.id],  # type: ignore[list-item]
            touchpoint_ids=[w.touchpoint.id],  # type: ignore[list-item]
            starts=MONDAY,
            ends=MONDAY + timedelta(days=2),
            post=True,
            fee_minor=1500,
            fee_currency="GBP",
        ),
        actor_id=w.owner.id,  # type: ignore[arg-type]
    )
    assert [(s.status, s.shopper_id, s.fee_minor, s.fee_currency) for s in shops] == [
        (ShopStatus.open, None, 1500, "GBP")
    ] * 2
    with pytest.raises(ValueError, match=services.MSG_SHOPPERS_OR_POST):
        WavePlan(
            name="x",
            location_ids=[1],
            touchpoint_ids=[1],
            starts=MONDAY,
            ends=MONDAY + timedelta(days=1),
        )


def test_posting_an_assigned_wave_takes_its_shops_off_their_shoppers(session: Session) -> None:
    w = _world(session)
    wave, shops = services.wave_plan(
        session=session,
        org_id=w.org.id,  # type: ignore[arg-type]
        data=WavePlan(
            name="February",
            location_ids=[w.place.id, w.other_place.id],  # type: ignore[list-item]
            touchpoint_ids=[w.touchpoint.id],  # type: ignore[list-item]
            shopper_ids=[w.ann.id],  # type: ignore[list-item]
            starts=MONDAY,
            ends=MONDAY + timedelta(days=2),
        ),
        actor_id=w.owner.id,  # type: ignore[arg-type]
    )
    posted = board.jobs_post(
        session=session,
        data=board.JobPost(wave_id=wave.id, tags="certified", fee_minor=0, fee_currency="EUR"),
        actor_id=w.owner.id,  # type: ignore[arg-type]
    )
    assert sorted(s.id for s in posted) == sorted(s.id for s in shops)  # type: ignore[type-var]
    assert {(s.status, s.shopper_id, tuple(s.job_tags or ())) for s in posted} == {
        (ShopStatus.open, None, ("certified",))
    }
    releases = session.exec(select(ShopRelease)).all()
    assert [(r.shopper_id, r.reason) for r in releases] == [(w.ann.id, "taken_back")] * 2


def test_bad_fees_and_windows_are_refused_and_nothing_is_written(session: Session) -> None:
    w = _world(session)
    with pytest.raises(ValueError, match=board.MSG_FEE):
        ShopPlan(location_id=1, touchpoint_ids=[1], fee_minor=-1)
    with pytest.raises(ValueError, match=services.MSG_WINDOW):
        ShopPlan(location_id=1, touchpoint_ids=[1], due_from=MONDAY, due_until=MONDAY)
    plan = ShopPlan(
        location_id=w.place.id,  # type: ignore[arg-type]
        touchpoint_ids=[w.touchpoint.id],  # type: ignore[list-item]
        fee_minor=100,
        fee_currency="E1",
    )
    with pytest.raises(DomainError) as refused:
        services.shop_plan(session=session, org_id=w.org.id, data=plan, actor_id=w.owner.id)  # type: ignore[arg-type]
    assert (refused.value.field, refused.value.message) == ("fee_currency", board.MSG_CURRENCY)
    session.rollback()
    assert session.exec(select(Shop)).all() == []
    shop = _post(session, w)
    with pytest.raises(ValueError, match=board.MSG_FEE):
        board.JobPost(shop_ids=[shop.id], fee_minor=-5, fee_currency="EUR")  # type: ignore[list-item]


# --- owner: assign, take back --------------------------------------------------------------


def test_the_owner_assigns_a_job_and_takes_it_back(session: Session) -> None:
    w = _world(session)
    shop = _post(session, w)
    board.job_assign(session=session, shop=shop, shopper_id=w.bob.id, actor_id=w.owner.id, tz="UTC")  # type: ignore[arg-type]
    assert (shop.status, shop.shopper_id) == (ShopStatus.assigned, w.bob.id)
    board.job_take_back(session=session, shop=shop, actor_id=w.owner.id)  # type: ignore[arg-type]
    assert (shop.status, shop.shopper_id, shop.posted_at) == (ShopStatus.assigned, None, None)
    with pytest.raises(NotFoundError):
        _claim(session, w, shop, w.ann)  # off the board now
    board.jobs_post(
        session=session,
        data=board.JobPost(shop_ids=[shop.id]),  # type: ignore[list-item]
        actor_id=w.owner.id,  # type: ignore[arg-type]
    )
    assert shop.status == ShopStatus.open and shop.fee_minor == 2550  # the fee stays


# --- visit rules ---------------------------------------------------------------------------


def test_the_lockout_refuses_a_second_shop_at_the_same_location(session: Session) -> None:
    w = _world(session)
    _rules(session, w, lockout_days=30)
    first = _post(session, w)
    second = _post(session, w, start=MONDAY + timedelta(days=10))
    elsewhere = _post(session, w, place=w.other_place, start=MONDAY + timedelta(days=10))
    _claim(session, w, first, w.ann)
    with pytest.raises(ConflictError) as refused:
        _claim(session, w, second, w.ann)
    assert refused.value.message == (
        "Refused by the visit rule “no second visit to a location within 30 days”: this "
        f"shopper has a shop at High Street on {MONDAY_WORDS}."
    )
    assert "no second visit to a location within 30 days" in refused.value.message
    session.expire_all()
    assert session.get(Shop, second.id).status == ShopStatus.open  # type: ignore[union-attr]
    _claim(session, w, elsewhere, w.ann)  # another location is fine
    # The owner's assignment is refused alike, and so is planning one for her.
    with pytest.raises(ConflictError) as refused:
        board.job_assign(
            session=session, shop=second, shopper_id=w.ann.id, actor_id=w.owner.id, tz="UTC"
        )  # type: ignore[arg-type]
    assert refused.value.field == "shopper_id"
    plan = ShopPlan(
        location_id=w.place.id,  # type: ignore[arg-type]
        touchpoint_ids=[w.touchpoint.id],  # type: ignore[list-item]
        shopper_id=w.ann.id,
        due_from=MONDAY + timedelta(days=29),
    )
    with pytest.raises(ConflictError):
        services.shop_plan(session=session, org_id=w.org.id, data=plan, actor_id=w.owner.id)  # type: ignore[arg-type]
    session.rollback()
    # Bob has no shop there: he may.
    assert _claim(session, w, second, w.bob).shopper_id == w.bob.id


def test_at_most_k_shops_a_day(session: Session) -> None:
    w = _world(session)
    _rules(session, w, daily_limit=1)
    first = _post(session, w)
    same_day = _post(session, w, place=w.other_place, start=MONDAY + timedelta(hours=2))
    next_day = _post(session, w, place=w.other_place, start=MONDAY + timedelta(days=1))
    _claim(session, w, first, w.ann)
    with pytest.raises(ConflictError) as refused:
        _claim(session, w, same_day, w.ann)
    assert refused.value.message == (
        "Refused by the visit rule “at most 1 shop a day”: this shopper already has 1 on "
        f"{MONDAY_WORDS}."
    )
    assert _claim(session, w, next_day, w.ann).shopper_id == w.ann.id


def test_a_visit_before_its_window_is_refused_or_flagged(session: Session) -> None:
    w = _world(session)
    shop = _post(session, w, start=MONDAY + timedelta(days=3))
    _claim(session, w, shop, w.ann)
    question = make_question(session, w.touchpoint)
    scope_session(session, w.org.id)  # type: ignore[arg-type]
    answer = AnswerInput(id=__import__("uuid").uuid4(), question_id=question.id, value=True)  # type: ignore[arg-type]
    _rules(session, w, window_rule="refuse")
    with clock.moved_to(MONDAY):
        with pytest.raises(ConflictError) as refused:
            services.answer_record(session=session, shop=shop, actor_id=w.ann.id, data=answer)  # type: ignore[arg-type]
        session.rollback()
        assert refused.value.message == board_queries.MSG_WINDOW_EARLY % {
            "when": f"{(MONDAY + timedelta(days=3)).astimezone(BERLIN):%A %H:%M}"
        }
        session.expire_all()
        shop = session.get(Shop, shop.id)  # type: ignore[assignment]
        assert shop.status == ShopStatus.assigned
        _rules(session, w, window_rule="flag")
        services.answer_record(session=session, shop=shop, actor_id=w.ann.id, data=answer)  # type: ignore[arg-type]
    assert (shop.status, shop.window_flag) == (ShopStatus.in_progress, "early")


def test_window_words_in_the_organizations_time_zone() -> None:
    shop = Shop(
        org_id=1,
        location_id=1,
        due_from=datetime(2027, 1, 3, 8, 0, tzinfo=UTC),  # 09:00 in Berlin, a Sunday
        due_until=datetime(2027, 1, 8, 17, 0, tzinfo=UTC),  # Friday 18:00 in Berlin
    )
    before = board_queries.window_of(shop, "Europe/Berlin", datetime(2026, 12, 20, tzinfo=UTC))
    # Another year: it says which.
    assert before.words == "Opens on 3 January 2027 09:00 · due by 8 January 2027 18:00"
    during = board_queries.window_of(shop, "Europe/Berlin", datetime(2027, 1, 5, tzinfo=UTC))
    assert (during.words, during.state) == ("Due by Friday 18:00", "open")
    after = board_queries.window_of(shop, "Europe/Berlin", datetime(2027, 1, 9, tzinfo=UTC))
    assert (after.words, after.state) == ("Late: was due by Friday 18:00", "late")
    assert board_queries.fee_words(2550, "EUR") == "EUR 25.50"
    assert board_queries.fee_words(3000, "JPY") == "JPY 3000"
    links = board_queries.map_links("1 High Street, Leeds")
    assert links["geo"] == "geo:0,0?q=1%20High%20Street%2C%20Leeds"
    assert links["osm"] == "https://www.openstreetmap.org/search?query=1+High+Street%2C+Leeds"


# --- no-shows ------------------------------------------------------------------------------


def test_a_no_show_goes_back_to_the_board_the_shopper_is_told_and_it_counts(
    session: Session,
) -> None:
    w = _world(session)
    shop = _post(session, w)
    _claim(session, w, shop, w.ann)
    deadline = shop.due_until
    assert deadline is not None
    with clock.moved_to(deadline - timedelta(minutes=1)):
        assert board.no_shows_release(session=session, now=clock.utcnow()) == []
    with clock.moved_to(deadline + timedelta(minutes=1)):
        released = board.no_shows_release(session=session, now=clock.utcnow())
        session.commit()
    assert [s.id for s in released] == [shop.id]
    session.expire_all()
    stored = session.get(Shop, shop.id)
    assert stored is not None and (stored.status, stored.shopper_id) == (ShopStatus.open, None)
    assert [s.id for s in board_queries.jobs_for_shopper(session, w.bob.id)] == [shop.id]  # type: ignore[arg-type]
    event = session.exec(select(ShopEvent).where(ShopEvent.shop_id == shop.id)).all()[-1]
    assert (event.from_status, event.to_status) == ("assigned", "open")
    assert event.note.startswith("no-show: not started by its deadline")
    mail = session.exec(select(OutgoingMail)).one()
    assert mail.to_addr == "ann@board.example"
    assert mail.subject == board.NO_SHOW_SUBJECT % {"location": "High Street"}
    record = board_queries.shopper_records(session, w.ann.id)[0]  # type: ignore[arg-type]
    assert (record.on_time, record.late, record.dropped, record.returned) == (0, 0, 1, 0)
    # Run again: nothing more, no second mail.
    assert board.no_shows_release(session=session, now=deadline + timedelta(hours=1)) == []
    session.commit()
    assert len(session.exec(select(OutgoingMail)).all()) == 1


def test_a_no_show_can_go_to_the_owner_instead(session: Session) -> None:
    w = _world(session)
    _rules(session, w, no_show="owner")
    shop = _post(session, w)
    _claim(session, w, shop, w.ann)
    assert shop.due_until is not None
    board.no_shows_release(session=session, now=shop.due_until + timedelta(minutes=5))
    session.commit()
    session.expire_all()
    stored = session.get(Shop, shop.id)
    assert stored is not None and (stored.status, stored.shopper_id) == (ShopStatus.assigned, None)
    assert board_queries.open_jobs(session) == []
    assert NoShowRule.owner == "owner" and WindowRule.refuse == "refuse"


def test_records_count_on_time_late_and_returned(session: Session) -> None:
    w = _world(session)
    on_time = _post(session, w)
    late = _post(session, w, place=w.other_place, start=MONDAY + timedelta(days=40))
    for shop in (on_time, late):
        _claim(session, w, shop, w.ann)
    on_time.status, on_time.submitted_at = ShopStatus.approved, MONDAY + timedelta(hours=1)
    late.status, late.submitted_at = ShopStatus.submitted, MONDAY + timedelta(days=41)
    session.add_all([on_time, late])
    session.commit()
    services.shop_return(session=session, shop=late, actor_id=w.owner.id, note="Add the receipt")  # type: ignore[arg-type]
    records = {r.name: r for r in board_queries.shopper_records(session)}
    ann = records["Ann"]
    assert (ann.on_time, ann.late, ann.dropped, ann.returned, ann.open_now) == (1, 1, 0, 1, 1)
    assert (records["Bob"].on_time, records["Bob"].late) == (0, 0)


def test_the_periodic_job_releases_no_shows_of_every_organization(
    session: Session, db: Database, settings: Settings
) -> None:
    """The heartbeat's body (registered in app.wiring) runs unscoped: each organization's
    no-shows follow that organization's rules."""
    from app import wiring

    assert (board.NO_SHOW_JOB, "tick", board.no_shows_job) in wiring.SCHEDULES
    w = _world(session)
    shop = _post(session, w)
    _claim(session, w, shop, w.ann)
    with unscoped(session):
        other = make_org(session, name="Elsewhere Ltd")
        elsewhere_shopper = make_member(session, other, Role.shopper)
        place = make_location(session, other)
    scope_session(session, other.id)  # type: ignore[arg-type]
    theirs = Shop(
        org_id=other.id,  # type: ignore[arg-type]
        location_id=place.id,  # type: ignore[arg-type]
        shopper_id=elsewhere_shopper.id,
        due_from=MONDAY,
        due_until=MONDAY + timedelta(hours=8),
    )
    session.add(theirs)
    session.commit()
    _rules(
        session, World(other, w.owner, w.ann, w.bob, place, place, w.touchpoint), no_show="owner"
    )
    ctx = JobContext(settings=settings, db=db)
    with clock.moved_to(MONDAY + timedelta(hours=7)):
        assert board.no_shows_job(ctx) == 0
    with clock.moved_to(MONDAY + timedelta(hours=9)):
        assert board.no_shows_job(ctx) == 2
        assert board.no_shows_job(ctx) == 0  # run again: nothing more
    session.rollback()
    session.expire_all()
    with db.session() as fresh:
        mine, yours = fresh.get(Shop, shop.id), fresh.get(Shop, theirs.id)
        assert mine is not None and (mine.status, mine.shopper_id) == (ShopStatus.open, None)
        assert yours is not None and (yours.status, yours.shopper_id) == (ShopStatus.assigned, None)
        mails = fresh.exec(select(OutgoingMail.org_id, OutgoingMail.to_addr)).all()
        assert sorted(mails) == sorted(
            [(w.org.id, "ann@board.example"), (other.id, elsewhere_shopper.email)]
        )


def test_a_record_counts_a_shop_handed_in_without_a_time_or_a_window_as_on_time(
    session: Session,
) -> None:
    w = _world(session)
    for due_until, submitted_at in ((None, MONDAY), (MONDAY, None)):
        session.add(
            Shop(
                org_id=w.org.id,  # type: ignore[arg-type]
                location_id=w.place.id,  # type: ignore[arg-type]
                shopper_id=w.bob.id,
                status=ShopStatus.approved,
                due_until=due_until,
                submitted_at=submitted_at,
            )
        )
    session.commit()
    bob = board_queries.shopper_records(session, w.bob.id)[0]  # type: ignore[arg-type]
    assert (bob.on_time, bob.late, bob.open_now) == (2, 0, 0)


def test_a_job_whose_window_ended_is_not_offered_to_shoppers(session: Session) -> None:
    w = _world(session)
    shop = _post(session, w)
    assert shop.due_until is not None
    with clock.moved_to(shop.due_until + timedelta(minutes=1)):
        assert board_queries.jobs_for_shopper(session, w.ann.id) == []  # type: ignore[arg-type]
        assert [s.id for s in board_queries.open_jobs(session)] == [shop.id]  # the owner's
        with pytest.raises(ConflictError) as refused:
            _claim(session, w, shop, w.ann)
        assert refused.value.message == board_queries.MSG_JOB_OVER


def test_one_shopper_claiming_two_jobs_of_one_day_at_once_gets_one_under_a_limit_of_one(
    session: Session, db: Database
) -> None:
    w = _world(session)
    _rules(session, w, daily_limit=1)
    jobs = [_post(session, w), _post(session, w, place=w.other_place)]
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def press(job: Shop) -> None:
        with db.session(write=True) as mine:
            scope_session(mine, w.org.id)  # type: ignore[arg-type]
            start.wait(timeout=30)
            try:
                _claim(mine, w, job, w.ann)
                outcomes.append("claimed")
            except ConflictError as exc:
                outcomes.append(exc.message)

    threads = [threading.Thread(target=press, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert outcomes.count("claimed") == 1
    assert any("at most 1 shop a day" in o for o in outcomes)
    session.rollback()
    session.expire_all()
    held = session.exec(select(Shop).where(Shop.shopper_id == w.ann.id)).all()
    assert len(held) == 1
