"""Turning the owner's question form into QuestionFields (the API sends JSON directly)."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData

from app.forms import parse_form
from touchpoints.models import Question, QuestionFields

OPTION_ROWS = 6
CHECKBOXES = ("allow_na", "critical", "required")


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def question_form_data(form: FormData) -> dict[str, Any]:
    """The raw values, keyed as QuestionFields expects, kept for re-showing the form."""
    data: dict[str, Any] = {
        key: str(form.get(key, "")) for key in ("text", "guidance", "kind", "unit")
    }
    data["weight"] = _blank_to_none(form.get("weight")) or "1"
    for box in CHECKBOXES:
        data[box] = form.get(box) in ("on", "true", "1")
    data["scale_labels"] = [str(form.get(f"scale_{i}", "")) for i in range(1, 6)]
    data["rule"] = _blank_to_none(form.get("rule"))
    data["threshold"] = _blank_to_none(form.get("threshold"))
    options = []
    for i in range(OPTION_ROWS):
        label = str(form.get(f"option_label_{i}", "")).strip()
        points = str(form.get(f"option_points_{i}", "")).strip()
        if label or points:
            options.append({"label": label, "points": points or None})
    data["options"] = options
    return data


def parse_question_form(
    form: FormData,
) -> tuple[QuestionFields | None, dict[str, str], dict[str, Any]]:
    data = question_form_data(form)
    clean = dict(data)
    if clean["kind"] != "scale":
        clean["scale_labels"] = None
    if clean["kind"] != "choice":
        clean["options"] = None
    fields, errors = parse_form(QuestionFields, clean)
    return fields, errors, data


def form_values(question: Question | None, kind: str = "yes_no") -> dict[str, Any]:
    """Initial values for the form: a question's current values, or a blank one of `kind`."""
    if question is None:
        return {
            "text": "",
            "guidance": "",
            "kind": kind,
            "weight": "1",
            "allow_na": False,
            "critical": False,
            "required": True,
            "scale_labels": ["", "", "", "", ""],
            "rule": "at_most",
            "threshold": "",
            "unit": "",
            "options": [],
        }
    cfg = question.config
    return {
        "text": question.text,
        "guidance": question.guidance,
        "kind": str(question.kind),
        "weight": f"{question.weight:g}",
        "allow_na": question.allow_na,
        "critical": question.critical,
        "required": question.required,
        "scale_labels": list(cfg.get("scale_labels") or ["", "", "", "", ""]),
        "rule": cfg.get("rule") or "at_most",
        "threshold": "" if cfg.get("threshold") is None else f"{cfg['threshold']:g}",
        "unit": cfg.get("unit", ""),
        "options": [
            {"label": o["label"], "points": f"{o['points']:g}"} for o in cfg.get("options") or []
        ],
    }
