"""Reads of the job board: visit rules and whether a shopper breaks them, the open jobs a
shopper qualifies for, what a shopper needs to go (address, map, window, fee) and each
shopper's record."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import quote, quote_plus
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlalchemy import and_, case, func, not_, or_
from sqlmodel import Session, col, select

from app.i18n.catalogs import N_, gettext, pgettext
from app.i18n.languages import DEFAULT_LANGUAGE, locale_of
from app.i18n.message import Localized, message
from app.modelbase import utcnow
from app.orgs.models import Location, Membership, Role, User
from audits.board.models import ReleaseReason, ShopRelease, VisitRules, WindowRule
from audits.models import Shop, ShopEvent, ShopStatus
from audits.queries import shop_rows

# --- messages (the pages, the API and the tests share them) --------------------------------

# Each refusal names its visit rule in whole sentences (the rules' words are inside them, so
# a translation can order them as its language does); values go in at display time.
MSG_LOCKOUT = N_(
    "Refused by the visit rule “no second visit to a location within %(days)s days”: this "
    "shopper has a shop at %(location)s on %(day)s."
)
MSG_DAILY_ONE = N_(
    "Refused by the visit rule “at most 1 shop a day”: this shopper already has %(count)s on "
    "%(day)s."
)
MSG_DAILY = N_(
    "Refused by the visit rule “at most %(limit)s shops a day”: this shopper already has "
    "%(count)s on %(day)s."
)
MSG_WINDOW_EARLY = N_(
    "Refused by the visit rule “visits inside their window”: this shop opens on %(when)s."
)
MSG_WINDOW_LATE = N_(
    "Refused by the visit rule “visits inside their window”: this shop was due by %(when)s."
)
MSG_NOT_QUALIFIED = N_("This job asks for %(what)s, which your profile does not show.")
MSG_WRONG_REGION = N_("This job is for shoppers in the region %(region)s.")
MSG_JOB_OVER = "This job's visit window has ended, so it is no longer offered."

# Currencies whose amounts have no minor unit (ISO 4217 exponent 0); every other has two.
NO_MINOR_UNIT = frozenset({"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG"})
NO_MINOR_UNIT |= frozenset({"RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"})


def visit_rules(session: Session) -> VisitRules:
    """The organization's rules; the defaults (not stored) when it never set them."""
    return session.exec(select(VisitRules)).first() or VisitRules(org_id=0)  # never stored


# --- what the shopper needs to go ----------------------------------------------------------


def fee_words(fee_minor: int | None, currency: str) -> str:
    """ "EUR 25.00", "JPY 3000"; "" without a fee."""
    if fee_minor is None:
        return ""
    if currency in NO_MINOR_UNIT:
        return f"{currency} {fee_minor}"
    return f"{currency} {fee_minor // 100}.{fee_minor % 100:02d}".strip()


def map_links(
    address: str, latitude: float | None = None, longitude: float | None = None
) -> dict[str, str]:
    """Links that open the place in the phone's map app (a `geo:` URI) and on
    OpenStreetMap: no script, no tracking. The location's coordinates when the owner gave
    them (the exact door, not a search), else a search for the address; {} with neither."""
    if latitude is not None and longitude is not None:
        point = f"{_degrees(latitude)},{_degrees(longitude)}"
        lat, lon = _degrees(latitude), _degrees(longitude)
        return {
            "geo": f"geo:{point}?q={point}",
            "osm": f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}",
        }
    if not address.strip():
        return {}
    return {
        "geo": "geo:0,0?q=" + quote(address.strip(), safe=""),
        "osm": "https://www.openstreetmap.org/search?query=" + quote_plus(address.strip()),
    }


def _degrees(value: float) -> str:
    """Degrees as a map link writes them: at most 6 decimals (about 10 cm), no trailing 0."""
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _day_words(moment: datetime, now: datetime, lang: str = DEFAULT_LANGUAGE) -> str:
    """ "Friday 18:00" within the coming week, "3 January 18:00" further off (a year when it
    is not the current one); the time left out at midnight. In `lang`'s words."""
    clock = "" if (moment.hour, moment.minute) == (0, 0) else f" {moment:%H:%M}"
    locale = locale_of(lang)
    if moment.date() == now.date():
        return gettext("today", lang) + clock
    if now.date() - timedelta(days=6) <= moment.date() < now.date() + timedelta(days=7):
        if lang == DEFAULT_LANGUAGE:
            return f"{moment:%A}{clock}"
        day = format_date(moment, "EEEE", locale=locale) + clock
    else:
        year = "" if moment.year == now.year else f" {moment.year}"
        if lang == DEFAULT_LANGUAGE:
            return f"{moment.day} {moment:%B}{year}{clock}"
        day = format_date(moment, "d 'de' MMMM", locale=locale) + year + clock
    # A day or a date, as against "today": Spanish puts an article before it ("el jueves").
    return pgettext("a day, not today", "%(when)s", lang, when=day)


@dataclass(frozen=True)
class Window:
    """A shop's visit window, in the organization's time zone, and in words in any language
    (`words_in(lang)`); `opens`, `due` and `words` are the English ones."""

    opens_at: datetime | None  # local; set only while the window has not opened yet
    due_at: datetime | None  # local
    local_now: datetime
    late: bool
    same_day: bool  # opens and is due on the same day: "due by 18:00" says enough
    state: str  # "early", "open", "late" or "" (no window)

    def opens_in(self, lang: str) -> str:
        """ "opens on 3 January"; "" once open (or without a start)."""
        if self.opens_at is None:
            return ""
        when = _day_words(self.opens_at, self.local_now, lang)
        return gettext("opens on %(when)s", lang, when=when)

    def due_when_in(self, lang: str) -> str:
        """ "Friday 18:00": when it is due, in `lang`; "" without an end."""
        if self.due_at is None:
            return ""
        if self.same_day:
            return f"{self.due_at:%H:%M}"
        return _day_words(self.due_at, self.local_now, lang)

    def due_in(self, lang: str) -> str:
        """ "due by Friday 18:00", "was due by ..."; "" without an end."""
        if self.due_at is None:
            return ""
        when = self.due_when_in(lang)
        if self.late:
            return gettext("was due by %(when)s", lang, when=when)
        return gettext("due by %(when)s", lang, when=when)

    def words_in(self, lang: str) -> str:
        parts = [p for p in (self.opens_in(lang), self.due_in(lang)) if p]
        text = " · ".join(parts)
        if self.state == "late":
            return gettext("Late: %(when)s", lang, when=text)
        return text[:1].upper() + text[1:]

    @property
    def opens(self) -> str:
        return self.opens_in(DEFAULT_LANGUAGE)

    @property
    def due(self) -> str:
        return self.due_in(DEFAULT_LANGUAGE)

    @property
    def words(self) -> str:
        return self.words_in(DEFAULT_LANGUAGE)


def window_of(shop: Shop, tz: str, now: datetime) -> Window:
    zone = ZoneInfo(tz or "UTC")
    local_now = now.astimezone(zone)
    opens_at = due_at = None
    late = False
    state = "open" if (shop.due_from or shop.due_until) else ""
    if shop.due_from is not None and now < shop.due_from:
        opens_at = shop.due_from.astimezone(zone)
        state = "early"
    same_day = False
    if shop.due_until is not None:
        due_at = shop.due_until.astimezone(zone)
        # "Opens on Thursday 08:00 · due by 18:00": the day once is enough.
        same_day = opens_at is not None and opens_at.date() == due_at.date()
        late = now > shop.due_until
        if late:
            state = "late"
    return Window(opens_at, due_at, local_now, late, same_day, state)


def window_breach(shop: Shop, now: datetime) -> str:
    """ "early" or "late" when a visit started now falls outside the window; "" inside."""
    if shop.due_from is not None and now < shop.due_from:
        return "early"
    if shop.due_until is not None and now > shop.due_until:
        return "late"
    return ""


def window_refusal(rules: VisitRules, shop: Shop, tz: str, now: datetime) -> str | None:
    """The message refusing a start now, when the rules refuse visits outside the window."""
    breach = window_breach(shop, now)
    if not breach or rules.window_rule != WindowRule.refuse:
        return None
    zone = ZoneInfo(tz or "UTC")
    if breach == "early":
        assert shop.due_from is not None
        return message(MSG_WINDOW_EARLY, when=_day_value(shop.due_from, zone, now))
    assert shop.due_until is not None
    return message(MSG_WINDOW_LATE, when=_day_value(shop.due_until, zone, now))


def _day_value(moment: datetime, zone: ZoneInfo, now: datetime) -> Localized:
    """ "Friday 18:00" as against now, in the language the refusal is read in."""
    at, local_now = moment.astimezone(zone), now.astimezone(zone)
    return Localized(lambda lang: _day_words(at, local_now, lang))


# --- who may take a job --------------------------------------------------------------------


def shopper_profile(session: Session, user_id: int, *, lock: bool = False) -> Membership | None:
    """The shopper's membership in this organization (their qualifications and region).
    `lock`: held until the transaction ends (PostgreSQL; SQLite has one writer anyway), so
    that one shopper's claims are judged against the visit rules one after the other."""
    query = select(Membership).where(Membership.user_id == user_id, Membership.role == Role.shopper)
    return session.exec(query.with_for_update() if lock else query).first()


def qualification_gap(shop: Shop, member: Membership | None) -> str | None:
    """Why this shopper may not take this job (qualifications, region), or None."""
    have = {t.casefold() for t in (member.tags or [])} if member else set()
    missing = [t for t in (shop.job_tags or []) if t.casefold() not in have]
    if missing:
        what = ", ".join(f"“{t}”" for t in missing)
        return message(MSG_NOT_QUALIFIED, what=what)
    region = shop.job_region.strip()
    if region and (member is None or member.region.strip().casefold() != region.casefold()):
        return message(MSG_WRONG_REGION, region=region)
    return None


def _moment(shop: Shop) -> datetime | None:
    """When a shop happens, for the visit rules: the visit, else its window's start, else
    its end."""
    return shop.visited_at or shop.due_from or shop.due_until


def rule_breach(
    session: Session, *, shop: Shop, shopper_id: int, tz: str, now: datetime
) -> str | None:
    """The message of the first visit rule giving `shop` to this shopper would break, or
    None. The shopper's other shops count whatever their state, except those taken off
    them (they no longer hold them)."""
    rules = visit_rules(session)
    if not rules.lockout_days and not rules.daily_limit:
        return None
    zone = ZoneInfo(tz or "UTC")
    when = _moment(shop) or now
    others = session.exec(
        select(Shop).where(Shop.shopper_id == shopper_id, col(Shop.id) != shop.id)
    ).all()
    if rules.lockout_days:
        reach = timedelta(days=rules.lockout_days)
        for other in others:
            at = _moment(other) or other.created_at
            if other.location_id == shop.location_id and abs(at - when) < reach:
                location = session.get(Location, shop.location_id)
                return message(
                    MSG_LOCKOUT,
                    days=rules.lockout_days,
                    location=location.name if location else _THIS_LOCATION,
                    day=_long_day(at.astimezone(zone).date()),
                )
    if rules.daily_limit:
        day = when.astimezone(zone).date()
        same_day = [
            o for o in others if (m := _moment(o)) is not None and m.astimezone(zone).date() == day
        ]
        if len(same_day) >= rules.daily_limit:
            limit = rules.daily_limit
            return message(
                MSG_DAILY_ONE if limit == 1 else MSG_DAILY,
                limit=limit,
                count=len(same_day),
                day=_long_day(day),
            )
    return None


def _long_day(day: date) -> Localized:
    """ "Monday 7 December 2026", "lunes, 7 de diciembre de 2026": in the reader's language."""

    def words(lang: str) -> str:
        if lang == DEFAULT_LANGUAGE:
            return f"{day:%A} {day.day} {day:%B %Y}"
        return format_date(day, "full", locale=locale_of(lang))

    return Localized(words)


_THIS_LOCATION = Localized(lambda lang: gettext("this location", lang))


# --- the board -----------------------------------------------------------------------------


def open_jobs(session: Session) -> list[Shop]:
    """Every job on the board, the soonest due first."""
    rows = session.exec(
        select(Shop).where(Shop.status == ShopStatus.open, col(Shop.shopper_id).is_(None))
    ).all()
    return sorted(rows, key=lambda s: (s.due_until is None, s.due_until or s.created_at, s.id))


def jobs_for_shopper(session: Session, user_id: int, now: datetime | None = None) -> list[Shop]:
    """The open jobs this shopper qualifies for and can still do in time (none of other
    shoppers' shops). A job whose window has ended stays on the owner's board, marked late."""
    member = shopper_profile(session, user_id)
    now = now or utcnow()
    return [
        s
        for s in open_jobs(session)
        if qualification_gap(s, member) is None and not (s.due_until and s.due_until < now)
    ]


def waiting_for_owner(session: Session) -> list[Shop]:
    """Shops without a shopper that are not on the board: taken back, or no-shows the
    visit rules send to the owner."""
    return list(
        session.exec(
            select(Shop)
            .where(Shop.status == ShopStatus.assigned, col(Shop.shopper_id).is_(None))
            .order_by(col(Shop.id))
        )
    )


def wave_shops(session: Session, wave_id: int) -> list[Shop]:
    return list(session.exec(select(Shop).where(Shop.wave_id == wave_id).order_by(col(Shop.id))))


def shop_releases(session: Session, shop_id: int) -> list[ShopRelease]:
    """Every time the shop was taken off a shopper, oldest first."""
    return list(
        session.exec(
            select(ShopRelease)
            .where(ShopRelease.shop_id == shop_id)
            .order_by(col(ShopRelease.at), col(ShopRelease.id))
        )
    )


@dataclass
class JobCard:
    """One shop as a shopper (or the owner) reads it before going: where, the map, when,
    the brief and the fee."""

    shop: Shop
    location_name: str
    address: str
    region: str
    maps: dict[str, str]
    window: Window
    fee: str
    touchpoint_names: list[str] = field(default_factory=list)


def job_cards(session: Session, shops: Sequence[Shop], *, tz: str, now: datetime) -> list[JobCard]:
    rows = shop_rows(session, list(shops), with_shopper=False)
    ids = {s.location_id for s in shops}
    locations = {
        loc.id: loc for loc in session.exec(select(Location).where(col(Location.id).in_(ids)))
    }
    cards = []
    for row in rows:
        loc = locations.get(row.shop.location_id)
        address = loc.address if loc else ""
        cards.append(
            JobCard(
                shop=row.shop,
                location_name=row.location_name,
                address=address,
                region=loc.region if loc else "",
                maps=map_links(address, loc.latitude, loc.longitude) if loc else {},
                window=window_of(row.shop, tz, now),
                fee=fee_words(row.shop.fee_minor, row.shop.fee_currency),
                touchpoint_names=row.touchpoint_names,
            )
        )
    return cards


# --- shoppers' records ---------------------------------------------------------------------


@dataclass
class ShopperRecord:
    """How a shopper has kept their shops (docs/definitions.md, "A shopper's record")."""

    user_id: int
    name: str
    email: str
    tags: list[str]
    region: str
    membership_id: int
    on_time: int = 0
    late: int = 0
    dropped: int = 0
    returned: int = 0
    open_now: int = 0


_HANDED_IN = (ShopStatus.submitted, ShopStatus.approved)


def shopper_records(session: Session, user_id: int | None = None) -> list[ShopperRecord]:
    """Every shopper's record (or one shopper's), by name: handed in on time or late (the
    last hand-in against the window's end), dropped (not started by the deadline), returned
    (sent back by a reviewer), and shops held now."""
    query = (
        select(Membership, User)
        .join(User, col(User.id) == col(Membership.user_id))
        .where(Membership.role == Role.shopper)
        .order_by(col(User.name))
    )
    if user_id is not None:
        query = query.where(Membership.user_id == user_id)
    records = {
        u.id: ShopperRecord(
            user_id=u.id,
            name=u.name,
            email=u.email,
            tags=list(m.tags or []),
            region=m.region,
            membership_id=m.id,
        )
        for m, u in session.exec(query)
        if u.id is not None and m.id is not None
    }
    if not records:
        return []
    ids = list(records)
    # Counted in SQL: a long-serving shopper has hundreds of shops.
    status, submitted, due = col(Shop.status), col(Shop.submitted_at), col(Shop.due_until)
    handed_in = or_(
        status.in_(list(_HANDED_IN)),
        and_(status == ShopStatus.returned, submitted.is_not(None)),
    )
    late = and_(handed_in, due.is_not(None), submitted.is_not(None), submitted > due)
    holding = status.in_([ShopStatus.assigned, ShopStatus.in_progress, ShopStatus.returned])
    for holder, on_time, late_count, open_now in session.exec(
        select(
            Shop.shopper_id,
            func.sum(case((and_(handed_in, not_(late)), 1), else_=0)),
            func.sum(case((late, 1), else_=0)),
            func.sum(case((holding, 1), else_=0)),
        )
        .where(col(Shop.shopper_id).in_(ids))
        .group_by(col(Shop.shopper_id))
    ):
        if holder is not None:
            record = records[holder]
            record.on_time, record.late = int(on_time or 0), int(late_count or 0)
            record.open_now = int(open_now or 0)
    for shopper_id, count in session.exec(
        select(ShopRelease.shopper_id, func.count())
        .where(col(ShopRelease.shopper_id).in_(ids), ShopRelease.reason == ReleaseReason.no_show)
        .group_by(col(ShopRelease.shopper_id))
    ):
        records[shopper_id].dropped = int(count)
    for holder, count in session.exec(
        select(Shop.shopper_id, func.count())
        .join(ShopEvent, col(ShopEvent.shop_id) == col(Shop.id))
        .where(col(Shop.shopper_id).in_(ids), ShopEvent.to_status == ShopStatus.returned)
        .group_by(col(Shop.shopper_id))
    ):
        if holder is not None:
            records[holder].returned = int(count)
    return list(records.values())
