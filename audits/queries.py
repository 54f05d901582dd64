"""Reads about shops that pages, API and reports share."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from app.modelbase import ident, utcnow
from audits.models import OPEN_STATES, Answer, Shop, ShopEvent, ShopStatus, ShopTouchpoint
from audits.scoring import Given, SectionScore, ShopScore, score_section, score_shop
from touchpoints.models import Question, QuestionStatus, Touchpoint
from touchpoints.preview import question_spec

# Once a shop is handed in, its checklist is what the shopper answered, nothing newer.
FROZEN = frozenset({ShopStatus.submitted, ShopStatus.approved})


@dataclass
class Section:
    """One touchpoint of a shop: the questions as this shop asks (or asked) them."""

    touchpoint: Touchpoint
    questions: list[Question] = field(default_factory=list)
    answers: dict[int, Answer] = field(default_factory=dict)  # by question id

    def score(self) -> SectionScore:
        given = {
            qid: Given(value=a.value, not_applicable=a.not_applicable)
            for qid, a in self.answers.items()
        }
        return score_section(
            ident(self.touchpoint), [question_spec(q) for q in self.questions], given
        )


def shop_sections(session: Session, shop: Shop) -> list[Section]:
    """The shop's checklist, section by section.

    A question the shop answered appears in the version that was answered, even after an
    owner edited or retired it. Unanswered questions appear in their current version while
    the shop is open; a handed-in shop shows only what was answered.
    """
    links = session.exec(
        select(ShopTouchpoint, Touchpoint)
        .join(Touchpoint, col(Touchpoint.id) == col(ShopTouchpoint.touchpoint_id))
        .where(ShopTouchpoint.shop_id == shop.id)
        .order_by(col(ShopTouchpoint.position))
    ).all()
    answered = session.exec(
        select(Answer, Question)
        .join(Question, col(Question.id) == col(Answer.question_id))
        .where(Answer.shop_id == shop.id)
    ).all()
    by_lineage = {q.lineage: (a, q) for a, q in answered}
    frozen = shop.status in FROZEN
    sections = []
    for _link, touchpoint in links:
        current = session.exec(
            select(Question)
            .where(
                Question.touchpoint_id == touchpoint.id,
                Question.status == QuestionStatus.active,
            )
            .order_by(col(Question.position), col(Question.id))
        ).all()
        section = Section(touchpoint)
        seen = set()
        for question in current:
            seen.add(question.lineage)
            if question.lineage in by_lineage:
                answer, asked = by_lineage[question.lineage]
                section.questions.append(asked)
                section.answers[ident(asked)] = answer
            elif not frozen:
                section.questions.append(question)
        # Answered questions that have since been retired stay with the shop, at the end.
        for lineage, (answer, asked) in by_lineage.items():
            if asked.touchpoint_id == touchpoint.id and lineage not in seen:
                section.questions.append(asked)
                section.answers[ident(asked)] = answer
        sections.append(section)
    return sections


def shop_score(session: Session, shop: Shop) -> ShopScore:
    return score_shop(s.score() for s in shop_sections(session, shop))


def shops_for_shopper(session: Session, user_id: int) -> list[Shop]:
    """A shopper's own shops: open ones first, the soonest due at the top."""
    rows = session.exec(select(Shop).where(Shop.shopper_id == user_id)).all()
    far = datetime.max.replace(tzinfo=utcnow().tzinfo)
    return sorted(
        rows,
        key=lambda s: (s.status not in OPEN_STATES, s.due_until or far, ident(s)),
    )


def shop_events(session: Session, shop: Shop) -> list[ShopEvent]:
    return list(
        session.exec(
            select(ShopEvent).where(ShopEvent.shop_id == shop.id).order_by(col(ShopEvent.id))
        )
    )
