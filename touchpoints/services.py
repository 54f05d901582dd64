"""Every write to the journey: stages, touchpoints, versioned questions, templates.

These functions expect an org-scoped session (app.tenancy): their reads see only the current
organization's rows, and their writes are stamped with it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.errors import ConflictError, DomainError
from app.i18n.catalogs import N_
from app.i18n.message import message
from app.modelbase import ident, utcnow
from app.orgs.models import Organization
from touchpoints import conditions, queries
from touchpoints.library import TemplateTouchpoint, template_set, template_touchpoint
from touchpoints.models import (
    Question,
    QuestionFields,
    QuestionStatus,
    Stage,
    StageCreate,
    StageUpdate,
    Touchpoint,
    TouchpointCreate,
    TouchpointUpdate,
)
from touchpoints.translations.queries import translations_carried

MSG_STAGE_UNKNOWN = N_("Choose a stage of this journey.")
MSG_STAGE_ARCHIVED = N_("That stage is archived; restore it first or choose another.")
MSG_STAGE_NOT_EMPTY = N_("This stage still has touchpoints. Move or archive them first.")
MSG_STAGE_NAME_TAKEN = N_("The journey already has a stage named “%(name)s”. Choose another name.")
MSG_STAGE_NAME_ARCHIVED = N_(
    "An archived stage is named “%(name)s”. Restore it from the archive, or choose another name."
)
MSG_STALE_ORDER = N_(
    "The order you sent does not match the current list (someone else may have changed it). "
    "Reload and try again."
)
MSG_TEMPLATE_UNKNOWN = N_("There is no template with that name.")
MSG_TOUCHPOINT_ARCHIVED = N_("This touchpoint is archived; restore it to change its checklist.")
MSG_MOVE_HIDDEN = N_("Only items shown on the list can be moved; restore it first.")

# Edits to these change what a question means or how it scores; once a question has been
# answered, such an edit makes a new version instead of rewriting the old one.
MEANING_FIELDS = ("text", "kind", "weight", "critical", "config", "show_if")

MSG_RULE_DEPENDENT = N_(
    "«%(text)s» is shown only when this question is answered a certain way, and that rule "
    "would no longer hold: %(reason)s Change that question's rule first."
)
MSG_RULE_ORDER = N_(
    "«%(text)s» depends on «%(other)s», so it must stay after it in the checklist. "
    "Change its rule first."
)
MSG_RULE_REMOVE = N_(
    "«%(text)s» is shown only when this question is answered a certain way. "
    "Change or remove that rule first."
)


class RuleError(DomainError):
    """A question's show-when rule refused; `index` is the condition at fault (0-based, at
    the top level), so the owner's form shows the message next to that row."""

    def __init__(self, message: str, index: int | None = None) -> None:
        super().__init__(message, field="show_if")
        self.index = index


Positioned = TypeVar("Positioned", Stage, Touchpoint, Question)


# --- ordering helpers ----------------------------------------------------------------------


def _next_position(session: Session, model: type[Any], *where: Any) -> int:
    current = session.exec(select(func.max(model.position)).where(*where)).one()
    return (current or 0) + 1


def _move(items: Sequence[Positioned], item: Positioned, direction: str) -> None:
    """Swap `item` with its neighbour in `items` (already in display order)."""
    if direction not in ("up", "down"):
        raise DomainError("Move up or down.", field="direction")
    ids = [i.id for i in items]
    if item.id not in ids:  # archived, or its list changed under it
        raise ConflictError(MSG_MOVE_HIDDEN)
    index = ids.index(item.id)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(items):
        # Renumber first: rows can share a position (imports, two owners adding at once),
        # and swapping equal numbers would move nothing or jump past several items.
        for position, each in enumerate(items, start=1):
            each.position = position
        neighbour = items[other]
        item.position, neighbour.position = neighbour.position, item.position


def _reorder(items: Sequence[Positioned], ids: Sequence[int]) -> None:
    if sorted(ids) != sorted(i.id for i in items) or len(set(ids)) != len(ids):  # type: ignore[type-var]
        raise ConflictError(MSG_STALE_ORDER, field="ids")
    by_id = {i.id: i for i in items}
    for position, item_id in enumerate(ids, start=1):
        by_id[item_id].position = position


# --- stages --------------------------------------------------------------------------------


def stages_active(session: Session) -> list[Stage]:
    return list(
        session.exec(
            select(Stage)
            .where(col(Stage.archived_at).is_(None))
            .order_by(col(Stage.position), col(Stage.id))
        )
    )


def _stage_name_free(session: Session, name: str, stage: Stage | None = None) -> None:
    """Stage names are unique in a journey, whatever their capitals (reports, filters and the
    template library find stages by name); an archived stage keeps its name, to come back."""
    for other in session.exec(select(Stage).where(func.lower(Stage.name) == name.lower())):
        if stage is not None and other.id == stage.id:
            continue
        said = MSG_STAGE_NAME_ARCHIVED if other.archived_at else MSG_STAGE_NAME_TAKEN
        raise ConflictError.of(said, field="name", name=other.name)


def stage_create(*, session: Session, org_id: int, data: StageCreate) -> Stage:
    _stage_name_free(session, data.name)
    stage = Stage(org_id=org_id, name=data.name, position=_next_position(session, Stage))
    session.add(stage)
    session.commit()
    return stage


def stage_update(*, session: Session, stage: Stage, data: StageUpdate) -> Stage:
    _stage_name_free(session, data.name, stage)
    stage.name = data.name
    session.add(stage)
    session.commit()
    return stage


def stage_move(*, session: Session, stage: Stage, direction: str) -> None:
    _move(stages_active(session), stage, direction)
    session.commit()


def stages_reorder(*, session: Session, ids: Sequence[int]) -> list[Stage]:
    stages = stages_active(session)
    _reorder(stages, ids)
    session.commit()
    return stages_active(session)


def stage_archive(*, session: Session, stage: Stage) -> None:
    stage.archived_at = utcnow()
    session.add(stage)
    session.commit()


def stage_restore(*, session: Session, stage: Stage) -> None:
    stage.archived_at = None
    stage.position = _next_position(session, Stage)
    session.add(stage)
    session.commit()


def stage_delete(*, session: Session, stage: Stage) -> None:
    """Only a stage that never held a touchpoint can go; others are archived."""
    used = session.exec(select(Touchpoint.id).where(Touchpoint.stage_id == stage.id)).first()
    if used is not None:
        raise ConflictError(MSG_STAGE_NOT_EMPTY)
    session.delete(stage)
    session.commit()


def _stage_for(session: Session, stage_id: int, org_id: int) -> Stage:
    # The tenant scope hides another organization's stage from queries, but Session.get
    # answers from the identity map first (refreshing an expired row without the scope), so
    # a stage the session has already seen must also be checked for its organization.
    stage = session.get(Stage, stage_id)
    if stage is None or stage.org_id != org_id:
        raise DomainError(MSG_STAGE_UNKNOWN, field="stage_id")
    if stage.archived_at is not None:
        raise DomainError(MSG_STAGE_ARCHIVED, field="stage_id")
    return stage


def stage_find_or_create(*, session: Session, org_id: int, name: str) -> Stage:
    for stage in stages_active(session):
        if stage.org_id == org_id and stage.name.casefold() == name.casefold():
            return stage
    stage = Stage(org_id=org_id, name=name, position=_next_position(session, Stage))
    session.add(stage)
    session.flush()
    return stage


# --- touchpoints ---------------------------------------------------------------------------


def touchpoints_in_stage(session: Session, stage_id: int) -> list[Touchpoint]:
    return list(
        session.exec(
            select(Touchpoint)
            .where(Touchpoint.stage_id == stage_id, col(Touchpoint.archived_at).is_(None))
            .order_by(col(Touchpoint.position), col(Touchpoint.id))
        )
    )


def touchpoint_create(*, session: Session, org_id: int, data: TouchpointCreate) -> Touchpoint:
    stage = _stage_for(session, data.stage_id, org_id)
    touchpoint = Touchpoint(
        org_id=org_id,
        **data.model_dump(),
        position=_next_position(session, Touchpoint, Touchpoint.stage_id == stage.id),
    )
    session.add(touchpoint)
    session.commit()
    return touchpoint


def touchpoint_update(
    *, session: Session, touchpoint: Touchpoint, data: TouchpointUpdate
) -> Touchpoint:
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    new_stage = changes.pop("stage_id", None)
    if new_stage is not None and new_stage != touchpoint.stage_id:
        stage = _stage_for(session, new_stage, touchpoint.org_id)
        touchpoint.stage_id = stage.id  # type: ignore[assignment]
        touchpoint.position = _next_position(session, Touchpoint, Touchpoint.stage_id == stage.id)
    touchpoint.sqlmodel_update(changes)
    session.add(touchpoint)
    session.commit()
    return touchpoint


def touchpoint_move(*, session: Session, touchpoint: Touchpoint, direction: str) -> None:
    _move(touchpoints_in_stage(session, touchpoint.stage_id), touchpoint, direction)
    session.commit()


def touchpoints_reorder(*, session: Session, stage: Stage, ids: Sequence[int]) -> list[Touchpoint]:
    items = touchpoints_in_stage(session, stage.id)  # type: ignore[arg-type]
    _reorder(items, ids)
    session.commit()
    return touchpoints_in_stage(session, stage.id)  # type: ignore[arg-type]


def touchpoint_place(
    *, session: Session, touchpoint: Touchpoint, stage_id: int, ids: Sequence[int]
) -> None:
    """Put a touchpoint where it was dropped on the map: into a stage (its own or another),
    with `ids` the stage's whole new order, the dropped touchpoint included. A list that
    does not match the stage as it is now (another owner changed it) is refused, as with
    any reorder, and nothing moves."""
    if touchpoint.archived_at is not None:
        raise ConflictError(MSG_MOVE_HIDDEN)
    target = _stage_for(session, stage_id, touchpoint.org_id)
    items = [t for t in touchpoints_in_stage(session, ident(target)) if t.id != touchpoint.id]
    _reorder([*items, touchpoint], ids)
    touchpoint.stage_id = ident(target)
    session.add(touchpoint)
    session.commit()


def touchpoint_archive(*, session: Session, touchpoint: Touchpoint) -> None:
    """Hidden from the map and from new shops; its history stays in reports."""
    touchpoint.archived_at = utcnow()
    session.add(touchpoint)
    session.commit()


def touchpoint_restore(*, session: Session, touchpoint: Touchpoint) -> None:
    stage = session.get(Stage, touchpoint.stage_id)
    if stage is None or stage.archived_at is not None:
        raise DomainError(MSG_STAGE_ARCHIVED, field="stage_id")
    touchpoint.archived_at = None
    touchpoint.position = _next_position(session, Touchpoint, Touchpoint.stage_id == stage.id)
    session.add(touchpoint)
    session.commit()


# --- questions -----------------------------------------------------------------------------


def questions_current(session: Session, touchpoint_id: int) -> list[Question]:
    return list(
        session.exec(
            select(Question)
            .where(
                Question.touchpoint_id == touchpoint_id, Question.status == QuestionStatus.active
            )
            .order_by(col(Question.position), col(Question.id))
        )
    )


def question_in_use(session: Session, question: Question) -> bool:
    """True once any shop has an answer to this version (audits counts them)."""
    return question.id is not None and bool(queries.answer_counts(session, [question.id]))


def _editable(touchpoint: Touchpoint) -> None:
    if touchpoint.archived_at is not None:
        raise DomainError(MSG_TOUCHPOINT_ARCHIVED)


def _row_values(fields: QuestionFields) -> dict[str, Any]:
    return {
        "text": fields.text,
        "guidance": fields.guidance,
        "kind": fields.kind,
        "config": fields.config(),
        "weight": fields.weight,
        "allow_na": fields.allow_na,
        "critical": fields.critical,
        "required": fields.required,
        "show_if": fields.show_if,
        "photo_required": fields.photo_required,
        "comment_on_fail": fields.comment_on_fail,
    }


def rule_question(question: Question) -> conditions.RuleQuestion:
    """A question as the rule language sees it."""
    return conditions.RuleQuestion(
        lineage=question.lineage,
        kind=str(question.kind),
        config=question.config,
        show_if=question.show_if,
        text=question.text,
        allow_na=question.allow_na,
    )


def _checked_rules(
    session: Session, touchpoint_id: int, values: dict[str, Any], question: Question | None
) -> None:
    """Check the rule in `values` against the checklist (earlier questions only, no loop)
    and store it in its clean form; for an edit, check that the rules of the questions
    that depend on this one still stand with its new settings."""
    current = questions_current(session, touchpoint_id)
    index = (
        next((i for i, q in enumerate(current) if q.id == question.id), None) if question else None
    )
    earlier = current if index is None else current[:index]
    later = [] if index is None else current[index + 1 :]
    own = question.lineage if question is not None else None
    try:
        values["show_if"] = conditions.check_rule(
            values["show_if"],
            own=own,
            earlier=[rule_question(q) for q in earlier],
            later=[rule_question(q) for q in later],
        )
    except conditions.ConditionError as exc:
        raise RuleError(exc.message, exc.index) from exc
    if question is None:
        return
    changed = conditions.RuleQuestion(
        lineage=question.lineage,
        kind=str(values["kind"]),
        config=values["config"],
        show_if=values["show_if"],
        text=values["text"],
        allow_na=values["allow_na"],
    )
    for i, other in enumerate(later, start=len(earlier) + 1):
        if question.lineage not in conditions.referenced(other.show_if):
            continue
        before = [rule_question(q) for q in current[:i] if q.id != question.id]
        try:
            conditions.check_rule(
                other.show_if, own=other.lineage, earlier=[*before, changed], later=[]
            )
        except conditions.ConditionError as exc:
            raise ConflictError(
                message(MSG_RULE_DEPENDENT, text=other.text, reason=exc.message)
            ) from exc


def _rules_in_order(questions: Sequence[Question]) -> None:
    """Every rule names only questions before it (after a move or a new order)."""
    ordered = sorted(questions, key=lambda q: (q.position, q.id or 0))
    seen: dict[str, Question] = {}
    everyone = {q.lineage: q for q in questions}
    for question in ordered:
        for lineage in sorted(conditions.referenced(question.show_if)):
            if lineage not in seen and lineage in everyone:
                raise ConflictError(
                    message(MSG_RULE_ORDER, text=question.text, other=everyone[lineage].text)
                )
        seen[question.lineage] = question


def question_create(
    *, session: Session, touchpoint: Touchpoint, fields: QuestionFields, commit: bool = True
) -> Question:
    _editable(touchpoint)
    values = _row_values(fields)
    if values["show_if"] is not None:
        _checked_rules(session, touchpoint.id, values, None)  # type: ignore[arg-type]
    question = Question(
        org_id=touchpoint.org_id,
        touchpoint_id=touchpoint.id,  # type: ignore[arg-type]
        lineage=str(uuid.uuid4()),
        version=1,
        position=_next_position(
            session,
            Question,
            Question.touchpoint_id == touchpoint.id,
            Question.status == QuestionStatus.active,
        ),
        **values,
    )
    session.add(question)
    if commit:
        session.commit()
    else:
        session.flush()
    return question


def question_update(*, session: Session, question: Question, fields: QuestionFields) -> Question:
    """Edit a question; returns the version now current (a new one if meaning changed)."""
    if question.status != QuestionStatus.active:
        raise ConflictError("Only the current version of a question can be edited.")
    touchpoint = session.get(Touchpoint, question.touchpoint_id)
    assert touchpoint is not None
    _editable(touchpoint)
    values = _row_values(fields)
    _checked_rules(session, question.touchpoint_id, values, question)
    # Translations of the parts whose primary wording changed go (they say the old words).
    values["translations"] = translations_carried(question, values)
    meaning_changed = any(
        _normalized(getattr(question, f)) != _normalized(values[f]) for f in MEANING_FIELDS
    )
    if meaning_changed and question_in_use(session, question):
        question.status = QuestionStatus.superseded
        session.add(question)
        session.flush()  # free the lineage's single active slot before adding the next
        successor = Question(
            org_id=question.org_id,
            touchpoint_id=question.touchpoint_id,
            lineage=question.lineage,
            version=question.version + 1,
            position=question.position,
            **values,
        )
        session.add(successor)
        session.commit()
        return successor
    question.sqlmodel_update(values)
    session.add(question)
    session.commit()
    return question


def _normalized(value: Any) -> Any:
    """Compare stored JSON and fresh values alike (enums to str, ints to floats)."""
    if isinstance(value, dict):
        return {k: _normalized(v) for k, v in value.items() if v not in (None, "")}
    if isinstance(value, list):
        return [_normalized(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return float(value)
    return str(value)


def question_remove(*, session: Session, question: Question) -> str:
    """Delete an unanswered question; retire an answered one. Returns what happened."""
    if question.status != QuestionStatus.active:
        raise ConflictError("This question is already off the checklist.")
    for other in questions_current(session, question.touchpoint_id):
        if question.lineage in conditions.referenced(other.show_if):
            raise ConflictError(message(MSG_RULE_REMOVE, text=other.text))
    if question_in_use(session, question) or question.version > 1:
        question.status = QuestionStatus.retired
        session.add(question)
        session.commit()
        return "retired"
    session.delete(question)
    session.commit()
    return "deleted"


def question_move(*, session: Session, question: Question, direction: str) -> None:
    items = questions_current(session, question.touchpoint_id)
    _move(items, question, direction)
    try:
        _rules_in_order(items)
    except ConflictError:
        session.rollback()
        raise
    session.commit()


def questions_reorder(
    *, session: Session, touchpoint: Touchpoint, ids: Sequence[int]
) -> list[Question]:
    items = questions_current(session, touchpoint.id)  # type: ignore[arg-type]
    _reorder(items, ids)
    try:
        _rules_in_order(items)
    except ConflictError:
        session.rollback()
        raise
    session.commit()
    return questions_current(session, touchpoint.id)  # type: ignore[arg-type]


# --- templates -----------------------------------------------------------------------------


def touchpoint_build(
    *,
    session: Session,
    org_id: int,
    stage_name: str,
    values: dict[str, Any],
    questions: Sequence[QuestionFields],
    translations: Sequence[dict[str, Any] | None] = (),
) -> Touchpoint:
    """Add a touchpoint with its checklist at the end of the stage of that name (made when
    the journey has none), without committing: the caller adds several in one transaction.

    `values` holds the touchpoint's settings (name, channel, mode, team, target,
    description, template_key, translations); `translations`, beside `questions`, each
    question's wording in other languages. The template library and the journey-file import
    (touchpoints/transfer) both add touchpoints through here. As in a journey file, a
    question's rule names earlier questions by their number in `questions` (from 1); they
    are named by the lineages made here before each question is checked and stored.
    """
    stage = stage_find_or_create(session=session, org_id=org_id, name=stage_name)
    touchpoint = Touchpoint(
        org_id=org_id,
        stage_id=stage.id,  # type: ignore[arg-type]
        position=_next_position(session, Touchpoint, Touchpoint.stage_id == stage.id),
        **values,
    )
    session.add(touchpoint)
    session.flush()
    made: list[str] = []
    for index, fields in enumerate(questions):
        if fields.show_if:
            rule = conditions.rename(fields.show_if, lambda place: made[int(place) - 1])
            fields = fields.model_copy(update={"show_if": rule})
        question = question_create(
            session=session, touchpoint=touchpoint, fields=fields, commit=False
        )
        # A journey file's translations, checked by its reader (touchpoints/transfer).
        question.translations = translations[index] if index < len(translations) else None
        made.append(question.lineage)
    return touchpoint


def _apply_one(session: Session, org_id: int, template: TemplateTouchpoint) -> Touchpoint:
    return touchpoint_build(
        session=session,
        org_id=org_id,
        stage_name=template.stage,
        values={
            "name": template.name,
            "channel": template.channel,
            "mode": template.mode,
            "team": template.team,
            "target": template.target,
            "description": template.description,
            "template_key": template.key,
        },
        questions=[q.fields() for q in template.questions],
    )


def template_apply(
    *, session: Session, org_id: int, set_key: str | None = None, touchpoint_key: str | None = None
) -> tuple[list[Touchpoint], list[str]]:
    """Add a whole template set or one template touchpoint, in one transaction.

    Templates already on the journey (queries.templates_present) are skipped: a second copy
    would only split the shops and the reports between two cards. Returns the touchpoints
    created and the names of those skipped.
    """
    if set_key:
        chosen = template_set(set_key)
        templates = list(chosen.touchpoints) if chosen else []
    elif touchpoint_key:
        one = template_touchpoint(touchpoint_key)
        templates = [one] if one else []
    else:
        templates = []
    if not templates:
        raise DomainError(MSG_TEMPLATE_UNKNOWN, field="key")
    # Two submits at once (a double click, two tabs) must not both see "not there yet".
    # SQLite already runs them one after the other (a write request holds the write lock from
    # its first statement); on PostgreSQL the organization's row is the lock they queue on.
    session.exec(select(Organization.id).where(Organization.id == org_id).with_for_update())
    present = queries.templates_present(session)
    created, skipped = [], []
    for template in templates:
        if template.key in present:
            skipped.append(template.name)
        else:
            created.append(_apply_one(session, org_id, template))
            present.add(template.key)
    session.commit()
    return created, skipped


def starter_apply(*, session: Session, org_id: int, starter: str) -> None:
    """Begin a new organization's journey with the starter its owner chose ("" for none).

    Listens to app.events.ORG_CREATED: organizations are made in app, below this package.
    """
    if starter:
        template_apply(session=session, org_id=org_id, set_key=starter)
