"""A touchpoint's results put together for people: the data behind its dashboard and its PDF.

Both the HTML page and the printed report are drawn from `touchpoint_report`, so the numbers a
staff member sees on screen are the ones on paper. Everything here is read from the trend
queries (aggregated in SQL); this module only arranges, compares and words them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from app.clock import utcnow
from app.figures import rounded
from app.orgs.models import Location, Organization
from app.orgs.staff_names import mask_staff
from app.status import Status, target_status
from reports import queries
from reports.charts import FEW_SHOPS, TrendPoint, line_chart, sparkline
from reports.filters import ReportFilters, parse_filters
from reports.language import _, ngettext, period_word
from reports.language import score as fmt_value
from reports.loop.summary import LoopReport, Medium, loop_report
from reports.periods import TABLE_PERIODS, PeriodSlot
from reports.stats import Change, Interval, change_call, mean_interval, ranked
from touchpoints.models import Question, Stage, Touchpoint
from touchpoints.translations.queries import texts_in, touchpoint_in

# How many questions the "pulled the score down" and "biggest movers" lists name.
TOP_QUESTIONS = 3
# Anonymous comments printed from the latest period; the newest first.
MAX_COMMENTS = 12
# Critical fails listed one by one; older ones are counted, not listed.
MAX_CRITICAL = 15


@dataclass(frozen=True)
class PeriodScore:
    slot: PeriodSlot
    score: float | None
    shops: int
    sd: float | None = None  # sample standard deviation of the shop scores; None: 0 or 1 shop

    @property
    def interval(self) -> Interval | None:
        """The 95 % interval of the mean (reports.stats); None with fewer than 2 shops."""
        return mean_interval(self.score, self.sd, self.shops)


def period_change(previous: PeriodScore | None, latest: PeriodScore | None) -> Change | None:
    """Latest against previous, called up / down only beyond the noise (reports.stats)."""
    if previous is None or latest is None or previous.score is None or latest.score is None:
        return None
    return change_call(
        (previous.score, previous.sd, previous.shops), (latest.score, latest.sd, latest.shops)
    )


@dataclass(frozen=True)
class QuestionCell:
    pct: float | None
    answers: int
    fails: int


@dataclass
class QuestionLine:
    lineage: str
    text: str
    weight: float
    critical: bool
    cells: list[QuestionCell | None]  # one per table slot; None: not asked that period
    latest: QuestionCell | None = None
    previous: QuestionCell | None = None

    @property
    def exact_change(self) -> float | None:
        """Latest minus previous share of points, at full precision (the API's figure)."""
        if self.latest is None or self.previous is None:
            return None
        if self.latest.pct is None or self.previous.pct is None:
            return None
        return self.latest.pct - self.previous.pct

    @property
    def change(self) -> float | None:
        """The change as shown: the exact change rounded once (`app.figures.rounded`)."""
        exact = self.exact_change
        return None if exact is None else rounded(exact)

    @property
    def shortfall(self) -> float:
        """Points the question cost the section in the latest period: the share it missed,
        times its weight (so a heavy question missed a little can outrank a light one)."""
        if self.latest is None or self.latest.pct is None:
            return 0.0
        return round((100.0 - self.latest.pct) * self.weight / 100.0, 2)


@dataclass(frozen=True)
class Comment:
    day: date
    location: str
    about: str  # the question's wording, or "" for a comment on the whole touchpoint
    text: str


@dataclass(frozen=True)
class CriticalGroup:
    """Every critical fail of one question in the range: a question failed eight times is
    one line with its count and days, not eight lines."""

    lineage: str
    text: str  # the newest wording among the fails
    fails: list[queries.CriticalFailRow]  # newest first

    @property
    def count(self) -> int:
        return len(self.fails)


def critical_groups(rows: list[queries.CriticalFailRow]) -> list[CriticalGroup]:
    """The fails grouped by question (lineage), the most frequent first, then the newest."""
    by_lineage: dict[str, list[queries.CriticalFailRow]] = {}
    for row in sorted(rows, key=lambda r: (r.day, r.at), reverse=True):
        by_lineage.setdefault(row.lineage, []).append(row)
    groups = [CriticalGroup(lineage, fails[0].text, fails) for lineage, fails in by_lineage.items()]
    groups.sort(key=lambda g: (-g.count, -g.fails[0].day.toordinal(), g.text))
    return groups


@dataclass
class TouchpointReport:
    org: Organization
    touchpoint: Touchpoint
    stage: Stage
    filters: ReportFilters
    generated_at: datetime
    periods: list[PeriodScore]
    table_slots: list[PeriodSlot]
    questions: list[QuestionLine]
    critical: list[queries.CriticalFailRow]
    critical_total: int
    comments: list[Comment]
    locations: list[queries.LocationRow]  # ranked ones first (best first), then the unranked
    # Sections that later features add (recovery rates, measures, action items) plug in
    # here as (title, html) pairs, so the dashboard and the PDF show them in one place.
    extra_sections: list[tuple[str, str]] = field(default_factory=list)
    # Recovery rates, measures and action items (reports.loop.summary), drawn into extra_sections.
    loop: LoopReport | None = None
    # Each location's rank, beside `locations`; None: too few shops to rank (reports.stats).
    location_ranks: list[int | None] = field(default_factory=list)
    # Every critical fail of the range by question (the printed reports list these).
    critical_groups: list[CriticalGroup] = field(default_factory=list)

    # --- the latest result and how it moved ---------------------------------------------

    @property
    def with_data(self) -> list[PeriodScore]:
        return [p for p in self.periods if p.score is not None]

    @property
    def latest(self) -> PeriodScore | None:
        return self.with_data[-1] if self.with_data else None

    @property
    def previous(self) -> PeriodScore | None:
        return self.with_data[-2] if len(self.with_data) > 1 else None

    @property
    def exact_change(self) -> float | None:
        """Latest minus previous period score, at full precision (the API's figure)."""
        latest, previous = self.latest, self.previous
        if latest is None or previous is None:
            return None
        return (latest.score or 0) - (previous.score or 0)

    @property
    def change(self) -> float | None:
        """The change as shown: the exact change rounded once (`app.figures.rounded`)."""
        exact = self.exact_change
        return None if exact is None else rounded(exact)

    @property
    def change_detail(self) -> Change | None:
        """The change with its Welch interval and its call (up, down, about the same)."""
        return period_change(self.previous, self.latest)

    @property
    def target_gap(self) -> float | None:
        """Latest score minus target: negative is below target."""
        if self.latest is None or self.latest.score is None:
            return None
        return rounded(self.latest.score - self.touchpoint.target)

    @property
    def status(self) -> Status | None:
        """The latest score against the target by the one status rule (app/status.py)."""
        score = self.latest.score if self.latest else None
        return target_status(score, self.touchpoint.target, self.org.near_target)

    @property
    def headline(self) -> str:
        return headline(self.latest, self.previous, self.touchpoint.target)

    @property
    def total_shops(self) -> int:
        return sum(p.shops for p in self.periods)

    @property
    def unranked_locations(self) -> list[queries.LocationRow]:
        """Locations listed but not ranked: fewer than RANK_MIN shops in the period."""
        pairs = zip(self.location_ranks, self.locations, strict=False)
        return [row for rank, row in pairs if rank is None]

    @property
    def few_shop_periods(self) -> list[PeriodScore]:
        return [p for p in self.periods if 0 < p.shops < FEW_SHOPS]

    # --- questions ------------------------------------------------------------------------

    @property
    def pulled_down(self) -> list[QuestionLine]:
        lines = [q for q in self.questions if q.shortfall > 0]
        lines.sort(key=lambda q: (-q.shortfall, q.text))
        return lines[:TOP_QUESTIONS]

    @property
    def movers(self) -> list[QuestionLine]:
        lines = [q for q in self.questions if q.change]
        lines.sort(key=lambda q: (-abs(q.change or 0), q.text))
        return lines[:TOP_QUESTIONS]

    # --- charts -----------------------------------------------------------------------------

    def trend_chart(self, *, width: int = 640, height: int = 230) -> str:
        points = [
            TrendPoint(
                p.slot.short,
                p.score,
                p.shops,
                p.interval.low if p.interval else None,
                p.interval.high if p.interval else None,
            )
            for p in self.periods
        ]
        return line_chart(
            points,
            target=self.touchpoint.target,
            width=width,
            height=height,
            title=_(
                "%(touchpoint)s: score per %(period)s",
                touchpoint=self.touchpoint.name,
                period=period_word(self.filters.period),
            ),
        )

    def sparkline(self) -> str:
        return sparkline([p.score for p in self.periods], target=self.touchpoint.target)


def headline(latest: PeriodScore | None, previous: PeriodScore | None, target: float) -> str:
    """The result in plain words: "72 in November 2026: up 6 points since October 2026,
    4 below target." — what a manager reads out at the start of the meeting. A change is
    called up or down only when it is bigger than the noise (reports.stats); otherwise
    "about the same as October 2026 (+1.2 points, within the noise)"."""
    if latest is None or latest.score is None:
        return _("No approved shops in this range yet.")
    first = _("%(score)s in %(period)s", score=fmt_value(latest.score), period=latest.slot.label)
    moves: list[str] = []
    change = period_change(previous, latest)
    if previous is not None and change is not None:
        moves.append(change_sentence(change, previous.slot.label))
    gap = rounded(latest.score - target)
    if gap < 0:
        moves.append(_("%(points)s below target", points=fmt_value(-gap)))
    elif gap > 0:
        moves.append(_("%(points)s above target", points=fmt_value(gap)))
    else:
        moves.append(_("right on target"))
    return _("%(first)s: %(moves)s.", first=first, moves=", ".join(moves))


def _points(value: float) -> str:
    return ngettext(
        "%(points)s point", "%(points)s points", 1 if value == 1 else 2, points=fmt_value(value)
    )


def signed_points(value: float) -> str:
    """A change as a signed figure, "+1.2", "−0.4", "±0" (no word for its direction)."""
    shown = rounded(value)
    if shown == 0:
        return "±0"
    return ("+" if shown > 0 else "−") + fmt_value(abs(shown))


def change_sentence(change: Change, since: str) -> str:
    """The change in words, as the headline says it: only a change bigger than the noise is
    "up" or "down"."""
    diff = rounded(change.diff)
    if change.call == "up":
        return _("up %(points)s since %(since)s", points=_points(diff), since=since)
    if change.call == "down":
        return _("down %(points)s since %(since)s", points=_points(-diff), since=since)
    amount = signed_points(change.diff)
    n = 1 if abs(diff) == 1 else 2
    if change.call == "about the same":
        return ngettext(
            "about the same as %(since)s (%(amount)s point, within the noise)",
            "about the same as %(since)s (%(amount)s points, within the noise)",
            n,
            since=since,
            amount=amount,
        )
    return ngettext(
        "%(amount)s point on %(since)s, too few shops to tell a change from noise",
        "%(amount)s points on %(since)s, too few shops to tell a change from noise",
        n,
        since=since,
        amount=amount,
    )


# --- building ---------------------------------------------------------------------------------


def period_scores(
    session: Session, touchpoint: Touchpoint, filters: ReportFilters
) -> list[PeriodScore]:
    """The touchpoint's score in every period of the filters, None where no shop was."""
    rows = {
        row.period_key: row
        for row in queries.touchpoint_trend(
            session,
            touchpoint.id or 0,
            period=filters.period,
            **filters.query_args(),  # type: ignore[arg-type]
        )
    }
    return [
        PeriodScore(slot, rows[slot.key].mean_score, rows[slot.key].shops, rows[slot.key].sd)
        if slot.key in rows
        else PeriodScore(slot, None, 0)
        for slot in filters.slots
    ]


def touchpoint_report(
    session: Session,
    org: Organization,
    touchpoint: Touchpoint,
    filters: ReportFilters,
    *,
    medium: Medium = "screen",
) -> TouchpointReport:
    """Everything the touchpoint's dashboard (`medium="screen"`) or PDF (`"print"`) shows,
    for these filters."""
    args = filters.query_args()
    slots = filters.slots
    # Reports name the touchpoint and its questions in the organization's report language,
    # the primary wording where no translation was given (touchpoints/translations).
    language = org.report_language if org.report_language != org.primary_language else None
    touchpoint = touchpoint_in(touchpoint, language)
    periods = period_scores(session, touchpoint, filters)
    table_slots = slots[-TABLE_PERIODS:]
    questions = _question_lines(session, touchpoint, filters, periods, table_slots)
    critical = queries.critical_fails(session, touchpoint.id or 0, **args)  # type: ignore[arg-type]
    worded = texts_in(_all_versions(session, touchpoint.id or 0), language) if language else {}
    questions = [replace(q, text=worded.get(q.text, q.text)) for q in questions]
    stage = session.get(Stage, touchpoint.stage_id)
    assert stage is not None
    with_data = [p for p in periods if p.score is not None]
    latest_slot = with_data[-1].slot if with_data else None
    locations = queries.location_comparison(
        session,
        touchpoint.id or 0,
        period=filters.period,
        **args,  # type: ignore[arg-type]
    )
    loop = loop_report(session, org, touchpoint, filters)
    ranks = ranked(locations, [r.mean_score for r in locations], [r.shops for r in locations])
    return TouchpointReport(
        org=org,
        touchpoint=touchpoint,
        stage=stage,
        filters=filters,
        generated_at=utcnow().astimezone(ZoneInfo(org.timezone)),
        periods=periods,
        table_slots=table_slots,
        questions=questions,
        critical=critical[:MAX_CRITICAL],
        critical_total=len(critical),
        comments=[
            replace(c, about=worded.get(c.about, c.about))
            for c in (_comments(session, touchpoint, filters, latest_slot) if latest_slot else [])
        ],
        locations=[row for _, row in ranks],
        location_ranks=[rank for rank, _ in ranks],
        extra_sections=loop.sections(medium),
        loop=loop,
        critical_groups=[
            replace(g, text=worded.get(g.text, g.text)) for g in critical_groups(critical)
        ],
    )


def _question_lines(
    session: Session,
    touchpoint: Touchpoint,
    filters: ReportFilters,
    periods: list[PeriodScore],
    table_slots: list[PeriodSlot],
) -> list[QuestionLine]:
    rows = queries.question_trend(
        session,
        touchpoint.id or 0,
        period=filters.period,
        **filters.query_args(),  # type: ignore[arg-type]
    )
    by_lineage: dict[str, dict[str, QuestionCell]] = {}
    texts: dict[str, str] = {}
    for row in rows:
        texts[row.lineage] = row.text
        by_lineage.setdefault(row.lineage, {})[row.period_key] = QuestionCell(
            row.mean_points_pct, row.answers, row.fails
        )
    newest = _newest_versions(session, touchpoint.id or 0)
    with_data = [p.slot.key for p in periods if p.score is not None]
    latest_key = with_data[-1] if with_data else None
    previous_key = with_data[-2] if len(with_data) > 1 else None
    lines = []
    # Checklist order: the live questions first, then retired ones still holding answers.
    order = [q.lineage for q in newest] + list(by_lineage)
    seen: set[str] = set()
    for lineage in order:
        if lineage in seen or lineage not in by_lineage:
            continue
        seen.add(lineage)
        cells = by_lineage[lineage]
        question = next((q for q in newest if q.lineage == lineage), None)
        lines.append(
            QuestionLine(
                lineage=lineage,
                text=texts.get(lineage) or (question.text if question else ""),
                weight=float(question.weight) if question else 1.0,
                critical=bool(question.critical) if question else False,
                cells=[cells.get(slot.key) for slot in table_slots],
                latest=cells.get(latest_key) if latest_key else None,
                previous=cells.get(previous_key) if previous_key else None,
            )
        )
    return lines


def _all_versions(session: Session, touchpoint_id: int) -> list[Question]:
    return list(session.exec(select(Question).where(Question.touchpoint_id == touchpoint_id)))


def _newest_versions(session: Session, touchpoint_id: int) -> list[Question]:
    """The newest version of each question lineage of the touchpoint, in checklist order."""
    questions = session.exec(
        select(Question)
        .where(Question.touchpoint_id == touchpoint_id)
        .order_by(col(Question.lineage), col(Question.version).desc())
    ).all()
    newest: dict[str, Question] = {}
    for question in questions:
        newest.setdefault(question.lineage, question)
    return sorted(newest.values(), key=lambda q: (q.position, q.id or 0))


def _comments(
    session: Session, touchpoint: Touchpoint, filters: ReportFilters, slot: PeriodSlot
) -> list[Comment]:
    """Shoppers' remarks on this touchpoint in approved shops of the latest period, without
    any trace of who wrote them: the day, the location and the question only."""
    rows = queries.shopper_comments(
        session,
        touchpoint.id or 0,
        start=max(slot.start, filters.start),
        end=min(slot.end, filters.end),
        location_ids=filters.location_ids,
        region=filters.region,
    )
    # The touchpoint report is the one staff read, print and share (page, API, PDFs and
    # their cache, schedules): staff names are masked in it for every reader, owners too;
    # owners read the original on the shop's page and in their export (docs/guide/shops.md).
    staff = {loc.name: loc.staff_names for loc in org_locations(session) if loc.staff_names}
    # A shopper who pastes one remark under several questions is heard once.
    comments: dict[tuple[date, str, str], Comment] = {}
    for row in rows:
        text = row.text.strip()
        if text and (row.day, row.location, text) not in comments:
            comments[(row.day, row.location, text)] = Comment(
                row.day, row.location, row.question, mask_staff(text, staff.get(row.location))
            )
    return list(comments.values())[:MAX_COMMENTS]


# --- the whole journey at a glance ---------------------------------------------------------


@dataclass(frozen=True)
class CardSummary:
    """What a journey-map card and the pack's overview line show for one touchpoint."""

    touchpoint_id: int
    latest: PeriodScore | None
    previous: PeriodScore | None
    target: float
    spark: str
    near: float  # the organization's near band (app/status.py)
    # Every period of the filters, oldest first, with or without shops (the journey's score
    # per period is made from these: reports.pdf.pack.journey_scores).
    periods: tuple[PeriodScore, ...] = ()

    @property
    def change(self) -> float | None:
        if self.latest is None or self.previous is None:
            return None
        return rounded((self.latest.score or 0) - (self.previous.score or 0))

    @property
    def change_detail(self) -> Change | None:
        return period_change(self.previous, self.latest)

    @property
    def status(self) -> Status | None:
        return target_status(self.latest.score if self.latest else None, self.target, self.near)


def card_summaries(
    session: Session,
    touchpoints: list[Touchpoint],
    filters: ReportFilters,
    *,
    near: float,
) -> dict[int, CardSummary]:
    """Latest score, change and sparkline per touchpoint, over the filters' periods; `near`
    is the organization's near band (`Organization.near_target`)."""
    result: dict[int, CardSummary] = {}
    for tp in touchpoints:
        periods = period_scores(session, tp, filters)
        with_data = [p for p in periods if p.score is not None]
        result[tp.id or 0] = CardSummary(
            touchpoint_id=tp.id or 0,
            latest=with_data[-1] if with_data else None,
            previous=with_data[-2] if len(with_data) > 1 else None,
            target=tp.target,
            spark=sparkline([p.score for p in periods], target=tp.target),
            near=near,
            periods=tuple(periods),
        )
    return result


def journey_cards(
    *, session: Session, org: Organization, touchpoints: list[Touchpoint]
) -> dict[int, CardSummary]:
    """The journey map's cards, over the reports' usual range (12 months by month).

    The map belongs to touchpoints, below reports; it asks through
    app.providers.JOURNEY_CARDS, which app.wiring registers to this function.
    """
    return card_summaries(session, touchpoints, parse_filters(session, org), near=org.near_target)


def org_locations(session: Session) -> list[Location]:
    return list(session.exec(select(Location).order_by(Location.name)).all())


def org_regions(session: Session) -> list[str]:
    rows = session.exec(select(Location.region).where(col(Location.region) != "").distinct()).all()
    return sorted(r for r in rows if r)
