"""Turning the owner's question form into QuestionFields (the API sends JSON directly)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.datastructures import FormData

from app.forms import parse_form
from app.i18n.catalogs import N_
from app.i18n.message import message
from touchpoints.models import Question, QuestionFields

OPTION_ROWS = 6
CHECKBOXES = ("allow_na", "critical", "required", "photo_required", "comment_on_fail")
# The show-when rule on the page: up to CONDITION_ROWS tests joined by "all of" or "any of";
# a deeper rule (made through the API) is kept as it is unless the owner replaces it.
CONDITION_ROWS = 3
CONDITION_TESTS = {
    "yes": "is yes",
    "no": "is no",
    "na": "is N/A",
    "passed": "passed its rule",
    "failed": "failed its rule",
    "between": "is between (such as 1 to 2)",
    "in": "is one of (option names)",
}
MSG_COND_QUESTION = N_("Choose the earlier question this depends on.")
MSG_COND_NONE = N_("Choose at least one earlier question, or show the question always.")
MSG_COND_RANGE = N_("Give the range as two points from 1 to 5, such as 1 to 2.")
MSG_COND_OPTIONS = N_("Name at least one option, such as Coffee, Tea.")
MSG_COND_OPTION = N_("«%(label)s» is not an option of «%(text)s»: choose from %(labels)s.")


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
    data["show_when"] = str(form.get("show_when", "always"))
    data["conds"] = [
        {
            "q": str(form.get(f"cond_q_{i}", "")),
            "test": str(form.get(f"cond_test_{i}", "yes")),
            "value": str(form.get(f"cond_value_{i}", "")).strip(),
        }
        for i in range(CONDITION_ROWS)
    ]
    data["show_if_kept"] = str(form.get("show_if_kept", ""))
    return data


def _rule_from_rows(
    data: Mapping[str, Any], earlier: Sequence[Question]
) -> tuple[dict[str, Any] | None, dict[str, str], list[int]]:
    """The rule the condition rows say, the errors of each row, and which row each test of
    the rule came from (so a service's message can go next to its row)."""
    when = data["show_when"]
    if when == "keep":
        try:
            kept = json.loads(data["show_if_kept"] or "null")
        except ValueError:
            kept = None
        return kept, {}, []
    if when not in ("all", "any"):
        return None, {}, []
    by_lineage = {q.lineage: q for q in earlier}
    tests: list[dict[str, Any]] = []
    rows: list[int] = []
    errors: dict[str, str] = {}
    for i, row in enumerate(data["conds"]):
        if not row["q"]:
            if row["value"]:
                errors[f"cond_{i}"] = MSG_COND_QUESTION
            continue
        test = row["test"]
        question = by_lineage.get(row["q"])
        node: dict[str, Any] = {"question": row["q"]}
        if test == "between":
            found = [int(n) for n in re.findall(r"\d+", row["value"])]
            if len(found) == 1:
                found = found * 2
            if len(found) != 2:
                errors[f"cond_{i}"] = MSG_COND_RANGE
                continue
            node["between"] = found
        elif test == "in":
            labels = [part.strip() for part in row["value"].split(",") if part.strip()]
            if not labels:
                errors[f"cond_{i}"] = MSG_COND_OPTIONS
                continue
            options = (question.config.get("options") or []) if question is not None else []
            if question is None or question.kind != "choice":
                node["in"] = list(range(len(labels)))  # the service says why it cannot be
            else:
                names = [str(o["label"]) for o in options]
                folded = [n.casefold() for n in names]
                chosen = []
                for label in labels:
                    if label.casefold() not in folded:
                        errors[f"cond_{i}"] = message(
                            MSG_COND_OPTION,
                            label=label,
                            text=question.text,
                            labels=", ".join(names),
                        )
                        break
                    chosen.append(folded.index(label.casefold()))
                if f"cond_{i}" in errors:
                    continue
                node["in"] = chosen
        else:
            node["is"] = test
        tests.append(node)
        rows.append(i)
    if not tests and not errors:
        errors["show_if"] = MSG_COND_NONE
    if errors or not tests:
        return None, errors, rows
    return {when: tests}, {}, rows


def parse_question_form(
    form: FormData, earlier: Sequence[Question] = ()
) -> tuple[QuestionFields | None, dict[str, str], dict[str, Any], list[int]]:
    """The fields, the errors by field, the raw values (to show the form again) and the row
    of each condition of the rule (see _rule_from_rows)."""
    data = question_form_data(form)
    clean = dict(data)
    if clean["kind"] != "scale":
        clean["scale_labels"] = None
    if clean["kind"] != "choice":
        clean["options"] = None
    rule, rule_errors, rows = _rule_from_rows(data, earlier)
    clean["show_if"] = rule
    for key in ("show_when", "conds", "show_if_kept"):
        clean.pop(key)
    fields, errors = parse_form(QuestionFields, clean)
    if rule_errors:
        return None, {**errors, **rule_errors}, data, rows
    return fields, errors, data, rows


def _rows_of(rule: Mapping[str, Any] | None) -> dict[str, Any]:
    """The form's condition rows for a stored rule; "keep" when the rows cannot say it."""
    blank = [{"q": "", "test": "yes", "value": ""} for _ in range(CONDITION_ROWS)]
    if not rule:
        return {"show_when": "always", "conds": blank, "show_if_kept": ""}
    when = "all"
    tests: list[Any] = [rule]
    if "all" in rule or "any" in rule:
        when = "all" if "all" in rule else "any"
        tests = list(rule[when])
    keep = {"show_when": "keep", "conds": blank, "show_if_kept": json.dumps(rule)}
    if len(tests) > CONDITION_ROWS or any("all" in t or "any" in t for t in tests):
        return keep
    rows = []
    for t in tests:
        if "is" in t:
            rows.append({"q": t["question"], "test": t["is"], "value": ""})
        elif "between" in t:
            low, high = t["between"]
            rows.append({"q": t["question"], "test": "between", "value": f"{low} to {high}"})
        else:
            rows.append({"q": t["question"], "test": "in", "value": t["in"]})
    return {"show_when": when, "conds": rows + blank[len(rows) :], "show_if_kept": ""}


def condition_rows(question: Question | None, earlier: Sequence[Question]) -> dict[str, Any]:
    """The show-when part of the form for a question's stored rule, option indexes written
    as the option names the owner reads."""
    rows = _rows_of(question.show_if if question is not None else None)
    by_lineage = {q.lineage: q for q in earlier}
    for row in rows["conds"]:
        if row["test"] == "in" and isinstance(row["value"], list):
            trigger = by_lineage.get(row["q"])
            options = (trigger.config.get("options") or []) if trigger is not None else []
            row["value"] = ", ".join(
                str(options[i]["label"]) if 0 <= i < len(options) else str(i + 1)
                for i in row["value"]
            )
    return rows


def form_values(
    question: Question | None, kind: str = "yes_no", earlier: Sequence[Question] = ()
) -> dict[str, Any]:
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
            "photo_required": False,
            "comment_on_fail": False,
            **condition_rows(None, []),
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
        "photo_required": question.photo_required,
        "comment_on_fail": question.comment_on_fail,
        **condition_rows(question, earlier),
    }
