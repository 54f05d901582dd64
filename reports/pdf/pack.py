"""What the meeting pack holds, gathered once: the summary of what needs attention, the
journey's lines and each touchpoint's report, all stamped with the pack's one time.

The pack is printed as one HTML document (reports.pdf.documents.pack_html), so its page
numbers run on across the parts and its contents can point at pages; this module only
collects and compares, and writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from statistics import fmean

from sqlmodel import Session

from app.orgs.models import Organization
from reports.filters import ReportFilters
from reports.loop.summary import ActionLine, LoopReport, Ratio, loop_report, unfiled_cases
from reports.periods import PeriodSlot, coverage_words
from reports.summary import (
    CardSummary,
    PeriodScore,
    TouchpointReport,
    card_summaries,
    touchpoint_report,
)
from touchpoints import queries as journey_queries
from touchpoints.models import Stage, Touchpoint
from touchpoints.translations.queries import touchpoint_in

# The first page names this many overdue items; the rest are counted.
MAX_OVERDUE_LISTED = 8


@dataclass(frozen=True)
class PackLine:
    stage: Stage
    touchpoint: Touchpoint
    card: CardSummary

    @property
    def has_shops(self) -> bool:
        return self.card.latest is not None


@dataclass(frozen=True)
class JourneyScore:
    """The journey's score in one period: the mean of the touchpoints' scores in it, each
    touchpoint counting once (a touchpoint shopped twice as often does not weigh double)."""

    slot: PeriodSlot
    score: float
    touchpoints: int


@dataclass(frozen=True)
class Overdue:
    touchpoint: Touchpoint
    item: ActionLine


@dataclass(frozen=True)
class RecoveryRate:
    """Cases of the whole journey fixed within 24 h in the latest period that had cases."""

    slot: PeriodSlot
    fixed: Ratio
    cases: int


@dataclass
class Attention:
    latest: JourneyScore | None
    previous: JourneyScore | None
    improved: list[PackLine]  # up by more than the noise (reports.stats)
    slipped: list[PackLine]  # down by more than the noise
    untold: list[PackLine]  # moved, but too few shops in one of the two periods to tell
    below_target: list[PackLine]
    near_target: list[PackLine]
    overdue: list[Overdue]
    recovery: RecoveryRate | None
    no_shops: list[PackLine]

    @property
    def change(self) -> float | None:
        if self.latest is None or self.previous is None:
            return None
        return self.latest.score - self.previous.score

    @property
    def overdue_listed(self) -> list[Overdue]:
        return self.overdue[:MAX_OVERDUE_LISTED]


@dataclass
class PackDocument:
    org: Organization
    filters: ReportFilters
    generated_at: datetime
    today: date
    lines: list[PackLine]
    stages: list[tuple[Stage, list[PackLine]]]
    # Touchpoints with shops in the range, and those without shops that have recovery
    # cases, measures or action items to print; in journey order.
    reports: list[TouchpointReport]
    loop_lines: list[tuple[PackLine, LoopReport]]
    unfiled: int
    attention: Attention

    def coverage(self, slot: PeriodSlot) -> str:
        """'to date, 7 of 31 days' for a period the range covers only in part, else ''."""
        return coverage_words(slot, self.filters.start, self.filters.end, today=self.today)


def has_loop_sections(loop: LoopReport) -> bool:
    """Whether a touchpoint has recovery cases, measures or action items to print."""
    return loop.has_recovery or loop.has_measures or loop.has_actions


def journey_scores(
    filters: ReportFilters, periods: Mapping[int, Sequence[PeriodScore]]
) -> list[JourneyScore]:
    """The journey's score in every period where any touchpoint was shopped, oldest first."""
    found = []
    for index, slot in enumerate(filters.slots):
        scores = [
            score
            for p in periods.values()
            if len(p) > index and (score := p[index].score) is not None
        ]
        if scores:
            found.append(JourneyScore(slot, fmean(scores), len(scores)))
    return found


def journey_recovery(loops: list[LoopReport]) -> RecoveryRate | None:
    """Fixed within 24 h over every touchpoint's cases, in the latest period with cases."""
    by_key: dict[str, tuple[PeriodSlot, Ratio, int]] = {}
    for lp in loops:
        for p in lp.recovery.periods:
            slot, fixed, cases = by_key.get(p.slot.key, (p.slot, Ratio(0, 0), 0))
            by_key[p.slot.key] = (slot, fixed + p.fixed, cases + p.cases)
    if not by_key:
        return None
    slot, fixed, cases = max(by_key.values(), key=lambda found: found[0].start)
    return RecoveryRate(slot, fixed, cases)


def _call(line: PackLine) -> str | None:
    detail = line.card.change_detail
    return detail.call if detail is not None else None


def pack_document(
    session: Session, org: Organization, filters: ReportFilters, *, now: datetime, today: date
) -> PackDocument:
    """Everything the meeting pack prints, for these filters, as of `now` (org's zone)."""
    journey = journey_queries.journey(session)
    touchpoints = [tp for view in journey for tp in view.touchpoints]
    cards = card_summaries(session, touchpoints, filters, near=org.near_target)
    # Touchpoints named in the organization's report language (touchpoints/translations).
    language = org.report_language if org.report_language != org.primary_language else None
    lines = [
        PackLine(view.stage, touchpoint_in(tp, language), cards[tp.id or 0])
        for view in journey
        for tp in view.touchpoints
    ]
    reports: list[TouchpointReport] = []
    loops: dict[int, LoopReport] = {}
    for line in lines:
        loop = None if line.has_shops else loop_report(session, org, line.touchpoint, filters)
        if loop is None or has_loop_sections(loop):
            report = touchpoint_report(session, org, line.touchpoint, filters, medium="print")
            report.generated_at = now  # every part says the pack's own time
            reports.append(report)
            loop = report.loop
        assert loop is not None
        loops[line.touchpoint.id or 0] = loop
    loop_lines = [
        (line, loops[line.touchpoint.id or 0])
        for line in lines
        if loops[line.touchpoint.id or 0].has_recovery or loops[line.touchpoint.id or 0].open_items
    ]
    scores = journey_scores(filters, {r.touchpoint.id or 0: r.periods for r in reports})
    shopped = [line for line in lines if line.has_shops]
    overdue = [
        Overdue(line.touchpoint, item)
        for line in lines
        for item in loops[line.touchpoint.id or 0].open_items
        if item.overdue
    ]
    attention = Attention(
        latest=scores[-1] if scores else None,
        previous=scores[-2] if len(scores) > 1 else None,
        improved=sorted(
            (ln for ln in shopped if _call(ln) == "up"), key=lambda ln: -(ln.card.change or 0)
        ),
        slipped=sorted(
            (ln for ln in shopped if _call(ln) == "down"), key=lambda ln: ln.card.change or 0
        ),
        untold=[
            ln for ln in shopped if _call(ln) == "too few shops" and (ln.card.change or 0) != 0
        ],
        below_target=[
            ln for ln in shopped if ln.card.status is not None and ln.card.status.key == "below"
        ],
        near_target=[
            ln for ln in shopped if ln.card.status is not None and ln.card.status.key == "near"
        ],
        overdue=overdue,
        recovery=journey_recovery(list(loops.values())),
        no_shops=[line for line in lines if not line.has_shops],
    )
    return PackDocument(
        org=org,
        filters=filters,
        generated_at=now,
        today=today,
        lines=lines,
        stages=[
            (view.stage, [ln for ln in lines if ln.stage.id == view.stage.id]) for view in journey
        ],
        reports=reports,
        loop_lines=loop_lines,
        unfiled=unfiled_cases(session, filters),
        attention=attention,
    )
