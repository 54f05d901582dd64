"""Reads about shops that pages, API and reports share."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.modelbase import ident, utcnow
from app.orgs.models import Location, Membership, Role, User
from app.status import Status, target_status, worst
from audits.models import (
    OPEN_STATES,
    Answer,
    Photo,
    Shop,
    ShopEvent,
    ShopStatus,
    ShopTouchpoint,
    Wave,
)
from touchpoints.models import Question, QuestionStatus, Touchpoint
from touchpoints.preview import question_spec
from touchpoints.scoring import (
    FAIL_BELOW,
    Given,
    QuestionScore,
    SectionScore,
    ShopScore,
    fraction,
    mark,
    score_section,
    score_shop,
    shown,
)

# Once a shop is handed in, its checklist is what the shopper answered, nothing newer.
FROZEN = frozenset({ShopStatus.submitted, ShopStatus.approved})


@dataclass
class Section:
    """One touchpoint of a shop: the questions as this shop asks (or asked) them."""

    touchpoint: Touchpoint
    questions: list[Question] = field(default_factory=list)
    answers: dict[int, Answer] = field(default_factory=dict)  # by question id

    def given(self) -> dict[int, Given]:
        return {
            qid: Given(value=a.value, not_applicable=a.not_applicable)
            for qid, a in self.answers.items()
        }

    def score(self) -> SectionScore:
        return score_section(
            ident(self.touchpoint), [question_spec(q) for q in self.questions], self.given()
        )

    def shown(self) -> dict[int, bool]:
        """question id -> shown, by the questions' show-when rules and the stored answers."""
        return shown([question_spec(q) for q in self.questions], self.given())


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


# --- hand-in: what is still missing (required answers shown, evidence) ---------------------

MSG_NEEDS_ANSWER = "This question needs an answer (or N/A where that is allowed)."
MSG_NEEDS_PHOTO = "This question needs a photo: add one below."
MSG_NEEDS_COMMENT = "This answer failed: say what you saw in the comment."


@dataclass(frozen=True)
class Missing:
    """One thing hand-in waits for: an answer, a photo or a comment to one question."""

    question: Question
    what: str  # "answer", "photo" or "comment"
    message: str
    section: int  # 1-based, the fill page's step of its section


def _photo_counts(session: Session, sections: list[Section]) -> dict[uuid.UUID, int]:
    ids = [a.id for s in sections for a in s.answers.values()]
    if not ids:
        return {}
    rows = session.exec(
        select(Photo.answer_id, func.count())
        .where(col(Photo.answer_id).in_(ids))
        .group_by(col(Photo.answer_id))
    ).all()
    return {answer_id: int(n) for answer_id, n in rows}


def handin_missing(
    session: Session, shop: Shop, sections: list[Section] | None = None
) -> list[Missing]:
    """What hand-in waits for, in checklist order: a required question that is shown and
    unanswered; a shown answer (not N/A) without the photo its question requires; a shown
    answer that fails (docs/definitions.md) without the comment its question asks for then.
    A question hidden by its show-when rule needs nothing."""
    sections = shop_sections(session, shop) if sections is None else sections
    photos = _photo_counts(session, sections)
    missing: list[Missing] = []
    for step, section in enumerate(sections, start=1):
        seen = section.shown()
        for question in section.questions:
            if not seen[ident(question)]:
                continue
            answer = section.answers.get(ident(question))
            if answer is None or (answer.value is None and not answer.not_applicable):
                if question.required:
                    missing.append(Missing(question, "answer", MSG_NEEDS_ANSWER, step))
                continue
            if answer.not_applicable:
                continue
            if question.photo_required and not photos.get(answer.id):
                missing.append(Missing(question, "photo", MSG_NEEDS_PHOTO, step))
            if (
                question.comment_on_fail
                and question.kind != "text"
                and fraction(question_spec(question), answer.value) < FAIL_BELOW
                and not answer.comment.strip()
            ):
                missing.append(Missing(question, "comment", MSG_NEEDS_COMMENT, step))
    return missing


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


@dataclass
class ShopCard:
    """One line of a shopper's home: the shop, where, what it covers and how far it is."""

    shop: Shop
    location_name: str
    touchpoint_names: list[str]
    answered: int
    total: int


def shop_progress(sections: list[Section]) -> tuple[int, int]:
    """(answered, asked) over every question of the shop's sections."""
    total = sum(len(s.questions) for s in sections)
    answered = sum(len(s.answers) for s in sections)
    return answered, total


def shown_progress(sections: list[Section]) -> tuple[int, int]:
    """(answered, asked) over the questions shown by their show-when rules: what the phone
    counts. (shop_progress counts every question, as the autosave's reply does.)"""
    answered = total = 0
    for section in sections:
        seen = section.shown()
        total += sum(1 for shown in seen.values() if shown)
        answered += sum(1 for qid in section.answers if seen.get(qid, True))
    return answered, total


def shopper_cards(session: Session, user_id: int, *, done_limit: int = 5) -> list[ShopCard]:
    """Every open shop of the shopper, then the few most recently handed in.

    A long-serving shopper has hundreds of finished shops; the phone shows what is next.
    """
    shops = shops_for_shopper(session, user_id)
    open_shops = [s for s in shops if s.status in OPEN_STATES]
    done = sorted(
        (s for s in shops if s.status not in OPEN_STATES),
        key=lambda s: s.submitted_at or s.created_at,
        reverse=True,
    )[:done_limit]
    cards = []
    for shop in open_shops + done:
        location = session.get(Location, shop.location_id)
        sections = shop_sections(session, shop)
        answered, total = shown_progress(sections)
        cards.append(
            ShopCard(
                shop=shop,
                location_name=location.name if location else "",
                touchpoint_names=[s.touchpoint.name for s in sections],
                answered=answered,
                total=total,
            )
        )
    return cards


# --- owner and staff views (lists, review, "how this score was calculated") --------------


@dataclass
class ShopRow:
    """One shop as the shop list shows it. `shopper_name` stays None for staff."""

    shop: Shop
    location_name: str
    touchpoint_names: list[str]
    touchpoint_ids: list[int]
    shopper_name: str | None = None
    shopper_email: str | None = None
    # Each covered section's stored percent and its touchpoint's target, in checklist order.
    section_scores: list[tuple[float | None, float]] = field(default_factory=list)
    wave_name: str | None = None  # the wave it was planned in, if any

    def target_status(self, near: float) -> Status | None:
        """The shop at a glance: its worst section against that section's target (a shop
        has no target of its own), by the one status rule (app/status.py)."""
        return worst([target_status(pct, target, near) for pct, target in self.section_scores])

    def sections_below(self, near: float) -> int:
        """How many sections are not met (near or below)."""
        statuses = [target_status(pct, target, near) for pct, target in self.section_scores]
        return sum(1 for st in statuses if st is not None and st.key != "met")


def shop_rows(session: Session, shops: list[Shop], *, with_shopper: bool) -> list[ShopRow]:
    """Decorate shops with names, in a fixed number of queries whatever the list's length."""
    ids = [ident(s) for s in shops]
    locations = {
        loc.id: loc.name
        for loc in session.exec(
            select(Location).where(col(Location.id).in_({s.location_id for s in shops}))
        )
    }
    covered: dict[int, list[tuple[int, str]]] = {i: [] for i in ids}
    scores: dict[int, list[tuple[float | None, float]]] = {i: [] for i in ids}
    if ids:
        for link, tp in session.exec(
            select(ShopTouchpoint, Touchpoint)
            .join(Touchpoint, col(Touchpoint.id) == col(ShopTouchpoint.touchpoint_id))
            .where(col(ShopTouchpoint.shop_id).in_(ids))
            .order_by(col(ShopTouchpoint.position))
        ):
            covered[link.shop_id].append((ident(tp), tp.name))
            scores[link.shop_id].append((link.score_pct, tp.target))
    people: dict[int, User] = {}
    shopper_ids = {s.shopper_id for s in shops if s.shopper_id is not None}
    if with_shopper and shopper_ids:
        # Users are not org-owned: go through this organization's memberships.
        for _m, user in session.exec(
            select(Membership, User)
            .join(User, col(User.id) == col(Membership.user_id))
            .where(col(Membership.user_id).in_(shopper_ids))
        ):
            people[ident(user)] = user
    wave_ids = {s.wave_id for s in shops if s.wave_id is not None}
    waves = (
        {w.id: w.name for w in session.exec(select(Wave).where(col(Wave.id).in_(wave_ids)))}
        if wave_ids
        else {}
    )
    rows = []
    for shop in shops:
        person = people.get(shop.shopper_id) if shop.shopper_id is not None else None
        rows.append(
            ShopRow(
                shop=shop,
                location_name=locations.get(shop.location_id, "—"),
                touchpoint_names=[name for _i, name in covered[ident(shop)]],
                touchpoint_ids=[i for i, _name in covered[ident(shop)]],
                shopper_name=person.name if person else None,
                shopper_email=person.email if person else None,
                section_scores=scores[ident(shop)],
                wave_name=waves.get(shop.wave_id) if shop.wave_id is not None else None,
            )
        )
    return rows


def _shops_where(
    query: Any, status: ShopStatus | None, approved_only: bool, wave_id: int | None = None
) -> Any:
    if wave_id is not None:
        query = query.where(Shop.wave_id == wave_id)
    if approved_only:
        query = query.where(Shop.status == ShopStatus.approved)
    if status is not None:
        query = query.where(Shop.status == status)
    return query


def shops_list(
    session: Session,
    *,
    status: ShopStatus | None = None,
    approved_only: bool = False,
    wave_id: int | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[Shop]:
    """Shops of the organization, the latest due first (staff: approved ones only)."""
    query = _shops_where(select(Shop), status, approved_only, wave_id).order_by(
        col(Shop.due_until).desc().nulls_last(), col(Shop.created_at).desc(), col(Shop.id).desc()
    )
    if limit is not None:
        query = query.offset(offset).limit(limit)
    return list(session.exec(query))


def shops_count(
    session: Session,
    *,
    status: ShopStatus | None = None,
    approved_only: bool = False,
    wave_id: int | None = None,
) -> int:
    query = _shops_where(select(func.count()).select_from(Shop), status, approved_only, wave_id)
    return int(session.exec(query).one())


def waves_list(session: Session) -> list[Wave]:
    """The organization's waves, the newest first (the shop list's filter)."""
    return list(
        session.exec(select(Wave).order_by(col(Wave.created_at).desc(), col(Wave.id).desc()))
    )


def review_queue(session: Session) -> list[Shop]:
    """Submitted shops waiting for an owner, the longest-waiting first."""
    return list(
        session.exec(
            select(Shop)
            .where(Shop.status == ShopStatus.submitted)
            .order_by(col(Shop.submitted_at).asc(), col(Shop.id).asc())
        )
    )


def shops_due(session: Session, *, before: datetime) -> list[Shop]:
    """Shops still with their shoppers whose window closes before `before` (the overdue
    among them too), the soonest first."""
    return list(
        session.exec(
            select(Shop)
            .where(
                col(Shop.status).in_(list(OPEN_STATES)),
                col(Shop.due_until).is_not(None),
                col(Shop.due_until) < before,
            )
            .order_by(col(Shop.due_until).asc(), col(Shop.id).asc())
        )
    )


def shop_status_counts(session: Session) -> dict[str, int]:
    rows = session.exec(select(Shop.status, func.count()).group_by(Shop.status)).all()
    return {str(status): int(count) for status, count in rows}


def _num(value: float | int) -> str:
    return f"{float(value):g}"


def answer_words(question: Question, value: object, not_applicable: bool = False) -> str:
    """An answer as a reader says it: "Yes", "4 — Clearly", "3 rings (passes: at most 3)"."""
    if not_applicable:
        return "N/A"
    if value is None:
        return "Not answered"
    config = question.config or {}
    kind = str(question.kind)
    try:
        if kind == "yes_no":
            return "Yes" if value is True else "No"
        if kind == "scale":
            labels = config.get("scale_labels") or []
            point = int(value)  # type: ignore[call-overload]
            label = labels[point - 1] if 0 < point <= len(labels) else ""
            return f"{point} — {label}" if label else str(point)
        if kind == "number":
            unit = config.get("unit") or ""
            rule = "at most" if config.get("rule") == "at_most" else "at least"
            shown = f"{_num(value)} {unit}".strip()  # type: ignore[arg-type]
            threshold = config.get("threshold")
            if threshold is None:
                return shown
            return f"{shown} (passes: {rule} {_num(threshold)})"
        if kind == "choice":
            options = config.get("options") or []
            index = int(value)  # type: ignore[call-overload]
            return str(options[index]["label"]) if 0 <= index < len(options) else str(value)
    except (TypeError, ValueError, KeyError, IndexError):
        return str(value)
    return str(value)


@dataclass
class ExplainRow:
    """One line of "how this score was calculated"."""

    question: Question
    counted: bool
    earned: float
    possible: float
    weight: float
    effect: str


# What each answer mark (touchpoints.scoring.mark) means in the calculation table.
EFFECTS = {"pass": "passed", "partial": "partly passed", "fail": "failed"}


@dataclass
class ExplainSection:
    section: Section
    rows: list[ExplainRow]
    score: SectionScore
    # Every question's score by question id, counted or not: the review page marks each
    # answer with it (pass / partial / fail, or why it does not count).
    by_question: dict[int, QuestionScore] = field(default_factory=dict)


def shop_explain(session: Session, shop: Shop) -> tuple[list[ExplainSection], ShopScore]:
    """Each section's questions with the points they earned; N/A and text are left out."""
    explained = []
    scores = []
    for section in shop_sections(session, shop):
        score = section.score()
        scores.append(score)
        by_id = {q.question_id: q for q in score.questions}
        rows = []
        for question in section.questions:
            qs = by_id[ident(question)]
            if not qs.counted:
                continue
            effect = "critical fail: section scores 0" if qs.critical_fail else EFFECTS[mark(qs)]
            rows.append(ExplainRow(question, True, qs.earned, qs.possible, question.weight, effect))
        explained.append(ExplainSection(section, rows, score, by_id))
    return explained, score_shop(scores)


@dataclass(frozen=True)
class ReviewFlags:
    """What an owner should look at before approving: answers that failed, and critical
    questions that failed (which zero their section)."""

    fails: int
    critical_fails: int

    @property
    def clean(self) -> bool:
        """Nothing flagged: a shop that can be approved with others in one go."""
        return not self.fails and not self.critical_fails


def review_flags(session: Session, shop: Shop) -> ReviewFlags:
    return flags_of(shop_explain(session, shop)[0])


def flags_of(explained: list[ExplainSection]) -> ReviewFlags:
    scores = [q for ex in explained for q in ex.score.questions]
    return ReviewFlags(
        fails=sum(1 for q in scores if q.failed),
        critical_fails=sum(1 for q in scores if q.critical_fail),
    )


def shop_photos(session: Session, shop: Shop) -> dict[uuid.UUID, list[Photo]]:
    """Photos of the shop's answers, by answer id."""
    rows = session.exec(
        select(Photo)
        .join(Answer, col(Answer.id) == col(Photo.answer_id))
        .where(Answer.shop_id == shop.id)
        .order_by(col(Photo.created_at))
    )
    found: dict[uuid.UUID, list[Photo]] = {}
    for photo in rows:
        found.setdefault(photo.answer_id, []).append(photo)
    return found


def shoppers(session: Session) -> list[tuple[int, str]]:
    """Members with the secret shopper role: (user id, name), by name."""
    rows = session.exec(
        select(User)
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(Membership.role == Role.shopper)
        .order_by(col(User.name))
    )
    return [(ident(u), u.name) for u in rows]


def user_names(session: Session, user_ids: set[int]) -> dict[int, str]:
    """Names of this organization's members (users outside it stay unnamed)."""
    if not user_ids:
        return {}
    rows = session.exec(
        select(User)
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(col(User.id).in_(user_ids))
    )
    return {ident(u): u.name for u in rows}


def section_comments(session: Session, shop: Shop) -> dict[int, str]:
    """The shopper's comment on each touchpoint section, by touchpoint id."""
    links = session.exec(select(ShopTouchpoint).where(ShopTouchpoint.shop_id == shop.id))
    return {link.touchpoint_id: link.comment for link in links if link.comment}


def answer_counts(*, session: Session, question_ids: list[int]) -> dict[int, int]:
    """Answers per question version, leaving out versions without any.

    Touchpoints asks for these through app.providers.ANSWER_COUNTS: a question that has
    answers gets a new version instead of an edit, and the editor says "answered in N shops".
    """
    rows = session.exec(
        select(Answer.question_id, func.count())
        .where(col(Answer.question_id).in_(question_ids))
        .group_by(col(Answer.question_id))
    )
    return dict(rows.all())


def staff_names_of(session: Session, location_ids: set[int | None]) -> dict[int | None, list[str]]:
    """The staff names each location's owner listed, masked in what staff read of shoppers'
    comments (app.orgs.staff_names)."""
    ids = {i for i in location_ids if i}
    if not ids:
        return {}
    places = session.exec(select(Location).where(col(Location.id).in_(ids)))
    return {p.id: p.staff_names or [] for p in places}
