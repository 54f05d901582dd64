"""One visit (shop) as its printed report shows it: every answer with its points and mark,
the comments, the photos, the critical rule where it applied, and the sums behind the score.

Built from the same reads as the shop page (`audits.queries.shop_explain`), so paper and
screen agree. The shopper's identity is only in it when `with_shopper` is asked for (owners);
staff and viewers get a report without it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from app.i18n.catalogs import N_
from app.modelbase import ident
from app.orgs.models import Location, Organization
from app.orgs.staff_names import mask_staff
from audits import queries as shop_queries
from audits.models import Shop, ShopStatus
from touchpoints.scoring import mark

STATUS_WORDS = {
    ShopStatus.open: N_("On the job board, not claimed yet"),
    ShopStatus.assigned: N_("Assigned, not started"),
    ShopStatus.in_progress: N_("In progress: not handed in yet"),
    ShopStatus.submitted: N_("Handed in, waiting for review: the score may still change"),
    ShopStatus.returned: N_("Returned to the shopper: the score may still change"),
    ShopStatus.approved: N_("Approved"),
}

# Words the report shows that are written elsewhere in English (touchpoints.scoring's reasons
# a question does not count, audits.queries' plain answers): marked here so the printed
# report, which shows them with `translate()`, has them in every language.
PRINTED_WORDS = (
    N_("not scored"),
    N_("not answered"),
    N_("N/A: left out"),
    N_("Yes"),
    N_("No"),
    N_("N/A"),
    N_("Not answered"),
)


@dataclass(frozen=True)
class VisitPhoto:
    id: uuid.UUID
    path: str  # under DATA_DIR
    bytes: int  # the stored file's size: a replaced photo changes the report's key


@dataclass(frozen=True)
class VisitAnswer:
    question: str
    critical: bool
    answer: str  # in words: "Yes", "Warm", "4 minutes (passes: at most 5)", "Not answered"
    counted: bool
    earned: float
    possible: float
    mark: str  # pass / partial / fail, or "" when the question does not count
    reason: str  # "not scored", "N/A: left out", "not answered", or the points in words
    comment: str
    photos: tuple[VisitPhoto, ...]


@dataclass(frozen=True)
class VisitSection:
    touchpoint: str
    target: float
    answers: tuple[VisitAnswer, ...]
    earned: float
    raw_earned: float  # before a critical fail zeroed it
    possible: float
    percent: float | None
    critical_fail: bool
    critical_questions: tuple[str, ...]  # the critical questions that failed
    comment: str


@dataclass(frozen=True)
class VisitReport:
    shop_id: int
    org_name: str
    location: str
    region: str
    status: str
    approved: bool
    visited_at: datetime | None  # in the organization's zone
    duration_minutes: int | None
    submitted_at: datetime | None
    approved_at: datetime | None
    timezone: str
    scenario: str
    sections: tuple[VisitSection, ...]
    earned: float
    possible: float
    percent: float | None
    comment: str
    shopper: str | None  # only for owners
    near_target: float = 5  # the organization's near band (app/status.py)

    @property
    def counted_answers(self) -> int:
        return sum(1 for s in self.sections for a in s.answers if a.counted)


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    return moment.astimezone(zone) if moment is not None else None


def visit_report(
    session: Session, org: Organization, shop: Shop, *, with_shopper: bool
) -> VisitReport:
    """The shop's report; `with_shopper` names the shopper (owners only)."""
    zone = ZoneInfo(org.timezone)
    explained, total = shop_queries.shop_explain(session, shop)
    photos = shop_queries.shop_photos(session, shop)
    section_comments = shop_queries.section_comments(session, shop)
    row = shop_queries.shop_rows(session, [shop], with_shopper=with_shopper)[0]
    # Staff's copy masks the location's staff names in the comments (app.orgs.staff_names);
    # the owner's keeps them as written.
    place = None if with_shopper else session.get(Location, shop.location_id)
    staff = (place.staff_names if place is not None else None) or []
    sections = []
    for ex in explained:
        section, score = ex.section, ex.score
        by_id = {q.question_id: q for q in score.questions}
        answers = []
        for question in section.questions:
            qs = by_id[ident(question)]
            answer = section.answers.get(ident(question))
            words = (
                shop_queries.answer_words(question, answer.value, answer.not_applicable)
                if answer is not None
                else "Not answered"
            )
            answers.append(
                VisitAnswer(
                    question=question.text,
                    critical=bool(question.critical),
                    answer=words,
                    counted=qs.counted,
                    earned=qs.earned,
                    possible=qs.possible,
                    mark=mark(qs),
                    reason=qs.reason,
                    comment=(
                        mask_staff((answer.comment or "").strip(), staff)
                        if answer is not None
                        else ""
                    ),
                    photos=tuple(
                        VisitPhoto(p.id, p.path, p.bytes)
                        for p in (photos.get(answer.id, []) if answer is not None else [])
                    ),
                )
            )
        sections.append(
            VisitSection(
                touchpoint=section.touchpoint.name,
                target=section.touchpoint.target,
                answers=tuple(answers),
                earned=score.earned,
                raw_earned=score.raw_earned,
                possible=score.possible,
                percent=score.percent,
                critical_fail=score.critical_fail,
                critical_questions=tuple(
                    a.question for a in answers if a.critical and a.mark == "fail"
                ),
                comment=mask_staff(
                    section_comments.get(ident(section.touchpoint), "").strip(), staff
                ),
            )
        )
    return VisitReport(
        shop_id=ident(shop),
        org_name=org.name,
        location=row.location_name,
        region=_region(session, shop),
        status=STATUS_WORDS.get(shop.status, str(shop.status)),
        approved=shop.status == ShopStatus.approved,
        visited_at=_local(shop.visited_at, zone),
        duration_minutes=shop.duration_minutes,
        submitted_at=_local(shop.submitted_at, zone),
        approved_at=_local(shop.approved_at, zone),
        timezone=org.timezone,
        scenario=shop.scenario.strip(),
        sections=tuple(sections),
        earned=total.earned,
        possible=total.possible,
        percent=total.percent,
        comment=mask_staff(shop.comment.strip(), staff),
        shopper=row.shopper_name if with_shopper else None,
        near_target=org.near_target,
    )


def _region(session: Session, shop: Shop) -> str:
    location = session.get(Location, shop.location_id)
    return location.region if location is not None else ""
