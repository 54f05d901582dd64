"""The touchpoint page's translations card: per language, what is still untranslated, and
an inline form (htmx) for each question's wording and the touchpoint's name.

`GET /touchpoints/{id}/translations` serves the card (the touchpoint page loads it) or a
page of its own; the forms post back and get the card again, with the message next to the
field when something is refused.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from app.errors import DomainError
from app.forms import domain_errors, parse_form
from app.i18n.catalogs import N_
from app.i18n.message import message
from app.modelbase import ident
from app.orgs.languages import language_name, not_used_message
from app.templating import render
from app.tenancy import OwnerDep, Tenant
from touchpoints import queries as journey_queries
from touchpoints import services as journey
from touchpoints.deps import QuestionDep, TouchpointDep
from touchpoints.models import Question, Touchpoint
from touchpoints.translations import queries, services
from touchpoints.translations.models import QuestionTranslationUpdate, TouchpointTranslation

router = APIRouter(include_in_schema=False)

FRAGMENT = "touchpoints/_translations.html"
MSG_SAVED = "Translation saved."
MSG_NEW_VERSION = N_(
    "Saved as version %(new)s: the meaning changed, so shops that already answered keep "
    "version %(old)s."
)


def _language(tenant: Tenant, asked: str | None) -> str | None:
    """The language the card shows: the one asked for if the organization uses it, else
    the first other language (None when the organization has only its primary one)."""
    others = list(tenant.org.languages)[1:]
    if asked in others:
        return asked
    return others[0] if others else None


def _card(
    request: Request,
    tenant: Tenant,
    touchpoint: Touchpoint,
    language: str | None,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    questions = journey.questions_current(tenant.session, ident(touchpoint))
    languages = list(tenant.org.languages)
    code = language if language in languages[1:] else _language(tenant, None)
    context: dict[str, Any] = {
        "touchpoint": touchpoint,
        "questions": questions,
        "language": code,
        "language_label": language_name(code) if code else "",
        "primary_label": language_name(languages[0]),
        "status": queries.translation_status(touchpoint, questions, languages),
        "wordings": {ident(q): queries.question_wording(q, code, languages[0]) for q in questions},
        "missing": {ident(q): queries.question_untranslated(q, code) for q in questions}
        if code
        else {},
        "answered": journey_queries.lineage_answer_counts(tenant.session, ident(touchpoint)),
        "tp_name": (touchpoint.translations or {}).get(code or "", {}).get("name", ""),
        "tp_description": (touchpoint.translations or {})
        .get(code or "", {})
        .get("description", ""),
        "tp_untranslated": queries.touchpoint_untranslated(touchpoint, code) if code else False,
        "edit_id": None,
        "form": {},
        "errors": {},
        "tp_errors": {},
        "notice": None,
        "error": None,
        **extra,
    }
    return render(
        request,
        "touchpoints/translations.html",
        context,
        fragment=FRAGMENT,
        status_code=status_code,
    )


def _form_of(question: Question, language: str) -> dict[str, Any]:
    given = (question.translations or {}).get(language) or {}
    return {
        "text": given.get("text", ""),
        "guidance": given.get("guidance", ""),
        "options": list(given.get("options") or []),
        "scale_labels": list(given.get("scale_labels") or []),
        "meaning_changed": False,
    }


def _form_values(form: FormData, question: Question) -> dict[str, Any]:
    n_options = len((question.config or {}).get("options") or [])
    n_scale = 5 if (question.config or {}).get("scale_labels") else 0
    return {
        "text": str(form.get("text") or ""),
        "guidance": str(form.get("guidance") or ""),
        "options": [str(form.get(f"option_{i}") or "") for i in range(n_options)],
        "scale_labels": [str(form.get(f"scale_{i}") or "") for i in range(n_scale)],
        "meaning_changed": form.get("meaning_changed") == "on",
    }


@router.get("/touchpoints/{touchpoint_id}/translations")
def translations_card(
    request: Request,
    tenant: OwnerDep,
    touchpoint: TouchpointDep,
    language: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    return _card(request, tenant, touchpoint, _language(tenant, language))


@router.get("/questions/{question_id}/translations/{language}/edit")
def question_translation_form(
    request: Request, tenant: OwnerDep, question: QuestionDep, language: str
) -> Response:
    touchpoint = tenant.session.get(Touchpoint, question.touchpoint_id)
    assert touchpoint is not None
    code = _language(tenant, language)
    if code != language:
        return _card(
            request,
            tenant,
            touchpoint,
            code,
            422,
            error=not_used_message(language, list(tenant.org.languages)),
        )
    return _card(
        request,
        tenant,
        touchpoint,
        code,
        edit_id=question.id,
        form=_form_of(question, code),
    )


@router.post("/questions/{question_id}/translations/{language}")
async def question_translation_save(
    request: Request, tenant: OwnerDep, question: QuestionDep, language: str
) -> Response:
    touchpoint = tenant.session.get(Touchpoint, question.touchpoint_id)
    assert touchpoint is not None
    values = _form_values(await request.form(), question)
    data, errors = parse_form(QuestionTranslationUpdate, values)
    shown = _language(tenant, language)
    if data is not None:
        try:
            current = services.question_translate(
                session=tenant.session,
                org=tenant.org,
                question=question,
                language=language,
                data=data,
            )
        except DomainError as exc:
            errors = domain_errors(exc)
        else:
            notice = MSG_SAVED
            if current.id != question.id:
                notice = message(MSG_NEW_VERSION, new=current.version, old=question.version)
            return _card(request, tenant, touchpoint, shown, notice=notice)
    return _card(
        request,
        tenant,
        touchpoint,
        shown,
        422,
        edit_id=question.id,
        form=values,
        errors=errors,
    )


@router.post("/touchpoints/{touchpoint_id}/translations/{language}")
async def touchpoint_translation_save(
    request: Request, tenant: OwnerDep, touchpoint: TouchpointDep, language: str
) -> Response:
    form = await request.form()
    values = {
        "name": str(form.get("name") or ""),
        "description": str(form.get("description") or ""),
    }
    data, errors = parse_form(TouchpointTranslation, values)
    shown = _language(tenant, language)
    if data is not None:
        try:
            services.touchpoint_translate(
                session=tenant.session,
                org=tenant.org,
                touchpoint=touchpoint,
                language=language,
                data=data,
            )
        except DomainError as exc:
            errors = domain_errors(exc)
        else:
            return _card(request, tenant, touchpoint, shown, notice=MSG_SAVED)
    return _card(
        request,
        tenant,
        touchpoint,
        shown,
        422,
        tp_errors=errors,
        tp_name=values["name"],
        tp_description=values["description"],
    )
