"""Reads of the journey that pages, API and reports share."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import Session, col, select

from app import providers
from touchpoints.library import template_sets
from touchpoints.models import Question, QuestionStatus, Stage, Touchpoint


@dataclass
class StageView:
    stage: Stage
    touchpoints: list[Touchpoint] = field(default_factory=list)


def journey(session: Session, *, include_archived: bool = False) -> list[StageView]:
    """Stages in order, each with its touchpoints in order (archived ones left out)."""
    stage_q = select(Stage).order_by(col(Stage.position), col(Stage.id))
    tp_q = select(Touchpoint).order_by(col(Touchpoint.position), col(Touchpoint.id))
    if not include_archived:
        stage_q = stage_q.where(col(Stage.archived_at).is_(None))
        tp_q = tp_q.where(col(Touchpoint.archived_at).is_(None))
    views = {s.id: StageView(s) for s in session.exec(stage_q)}
    for tp in session.exec(tp_q):
        if tp.stage_id in views:
            views[tp.stage_id].touchpoints.append(tp)
    return list(views.values())


def templates_present(session: Session) -> set[str]:
    """Keys of the library's touchpoints that are already on the journey.

    A touchpoint added from the library carries its template's key, whatever it was renamed
    to since. One made by hand carries none: it counts as a template when its name and stage
    are the template's (compared without regard to case), so the library does not offer a
    second "Inquiry / First phone call" beside the owner's own.
    """
    keys: set[str] = set()
    by_name: set[tuple[str, str]] = set()
    for view in journey(session):
        for tp in view.touchpoints:
            if tp.template_key:
                keys.add(tp.template_key)
            else:
                by_name.add((view.stage.name.casefold(), tp.name.casefold()))
    for template_set in template_sets():
        for t in template_set.touchpoints:
            if (t.stage.casefold(), t.name.casefold()) in by_name:
                keys.add(t.key)
    return keys


def archived(session: Session) -> tuple[list[Stage], list[Touchpoint]]:
    stages = session.exec(
        select(Stage).where(col(Stage.archived_at).is_not(None)).order_by(col(Stage.name))
    )
    tps = session.exec(
        select(Touchpoint)
        .where(col(Touchpoint.archived_at).is_not(None))
        .order_by(col(Touchpoint.name))
    )
    return list(stages), list(tps)


def question_counts(session: Session) -> dict[int, int]:
    """Current questions per touchpoint."""
    rows = session.exec(
        select(Question.touchpoint_id, func.count())
        .where(Question.status == QuestionStatus.active)
        .group_by(col(Question.touchpoint_id))
    )
    return dict(rows.all())


def questions(session: Session, touchpoint_id: int, *, status: QuestionStatus) -> list[Question]:
    return list(
        session.exec(
            select(Question)
            .where(Question.touchpoint_id == touchpoint_id, Question.status == status)
            .order_by(col(Question.position), col(Question.id))
        )
    )


def versions(session: Session, lineage: str) -> list[Question]:
    return list(
        session.exec(
            select(Question).where(Question.lineage == lineage).order_by(col(Question.version))
        )
    )


def answer_counts(session: Session, question_ids: list[int]) -> dict[int, int]:
    """How many shops answered each question version (for 'answered in N shops').

    Answers belong to audits, above this package: audits provides the counts
    (app.providers.ANSWER_COUNTS). Versions without answers are left out.
    """
    if not question_ids:
        return {}
    counts: dict[int, int] = providers.ask(
        providers.ANSWER_COUNTS, session=session, question_ids=question_ids
    )
    return counts


def lineage_answer_counts(session: Session, touchpoint_id: int) -> dict[str, int]:
    """Answers per question lineage of a touchpoint, over all its versions (lineages without
    answers left out)."""
    rows = session.exec(
        select(Question.id, Question.lineage).where(Question.touchpoint_id == touchpoint_id)
    ).all()
    counts = answer_counts(session, [qid for qid, _ in rows if qid is not None])
    result: dict[str, int] = {}
    for qid, lineage in rows:
        if qid in counts:
            result[lineage] = result.get(lineage, 0) + counts[qid]
    return result
