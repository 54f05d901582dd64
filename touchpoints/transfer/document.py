"""Reading and writing journey files (format version 1, schema.json beside this module).

Reading answers a checked JourneyFile or raises FileRefused with every problem found, each
with its JSON path and the line and column of the file where it sits, so a person can open
the file in any editor and go straight to it. It checks in three rounds, and a round runs
only when the one before found nothing: the bytes (size, UTF-8, JSON syntax), the schema
(jsonschema), then the rules a schema cannot say (each question validated exactly like an
owner's own, with the same messages).

A stage may be named more than once (the hotel's journey comes back to "After the sale"
after the bill): it is one stage, and its touchpoints are added in the file's order.

Nothing here touches the database: the template library reads its files through
`read` at start-up, and the import reads an upload through it before it writes anything.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError
from pydantic import ValidationError

from app.i18n.catalogs import N_
from app.i18n.message import message as translatable
from app.orgs.languages import language_name, not_used_message
from touchpoints import conditions
from touchpoints.models import Channel, Mode, QuestionFields
from touchpoints.transfer.models import (
    FileProblem,
    FileStage,
    FileTouchpoint,
    JourneyFile,
    LibraryEntry,
)
from touchpoints.transfer.positions import PathKey, Positions, json_path
from touchpoints.translations.models import QuestionTranslation, TouchpointTranslation

FORMAT = "touchstone-journey"
FORMAT_VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("schema.json")
MAX_BYTES = 2 * 1024 * 1024
MAX_PROBLEMS = 50  # a file that is wrong everywhere is not listed line by line to the end

MSG_EMPTY = N_("The file is empty.")
MSG_TOO_LARGE = N_("The file is larger than 2 MB; a journey file is far smaller than that.")
MSG_NOT_UTF8 = N_("The file is not UTF-8 text (is it a journey file at all?).")
MSG_NOT_JSON = N_("The file is not valid JSON: %(reason)s.")
MSG_NOT_OBJECT = "A journey file holds one JSON object, starting with {."
MSG_NOT_JOURNEY = 'This is not a Touchstone journey file: "format" should be "touchstone-journey".'
MSG_NEWER_VERSION = N_(
    "This file is format version %(version)s, written by a newer Touchstone; this one reads "
    "format version 1. Export the journey again from a Touchstone of the same version."
)
MSG_PRIMARY_TRANSLATION = N_(
    "%(name)s is your organization's primary language: the questions' own wording is in it, "
    "so a translation into it is not imported. Remove it, or make another language primary."
)
MSG_DUPLICATE_KEY = N_('The key "%(key)s" appears twice here; keep one.')
MSG_NUMBER_CONSTANT = N_("The file is not valid JSON: %(name)s is not a JSON number.")
MSG_BAD_ESCAPE = N_(
    "The text here holds a character no database can store (\\u0000, or half of a "
    "\\uD800-style surrogate pair)."
)


class FileRefused(Exception):
    """The file cannot be imported; `problems` says every reason found, in file order."""

    def __init__(self, problems: list[FileProblem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


@cache
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


@cache
def _validator() -> Draft202012Validator:
    Draft202012Validator.check_schema(schema())
    return Draft202012Validator(schema())


# --- reading ---------------------------------------------------------------------------------


def _unstorable(value: str) -> bool:
    return any(c == "\x00" or "\ud800" <= c <= "\udfff" for c in value)


def _first_unstorable(value: Any, path: PathKey = ()) -> PathKey | None:
    """Where the first text (a value or a key) that holds NUL or a lone surrogate is: JSON
    allows both as escapes, PostgreSQL stores neither, and a refusal beats an error there."""
    if isinstance(value, str):
        return path if _unstorable(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if _unstorable(key):
                return (*path, key)
            found = _first_unstorable(item, (*path, key))
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _first_unstorable(item, (*path, index))
            if found is not None:
                return found
    return None


def _refuse(
    message: str, line: int | None = None, column: int | None = None, path: str | None = None
) -> FileRefused:
    return FileRefused([FileProblem(message=message, path=path, line=line, column=column)])


def _no_constants(name: str) -> Any:
    raise ValueError(translatable(MSG_NUMBER_CONSTANT, name=name))


def _parse(data: bytes) -> tuple[Any, Positions]:
    if len(data) > MAX_BYTES:
        raise _refuse(MSG_TOO_LARGE)
    if not data.strip():
        raise _refuse(MSG_EMPTY)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _refuse(MSG_NOT_UTF8, line) from exc
    try:
        document = json.loads(text, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        raise _refuse(translatable(MSG_NOT_JSON, reason=exc.msg), exc.lineno, exc.colno) from exc
    except ValueError as exc:  # NaN or Infinity
        raise _refuse(str(exc)) from exc
    except RecursionError as exc:
        raise _refuse(translatable(MSG_NOT_JSON, reason="it is nested too deeply")) from exc
    try:
        positions = Positions(text)
        bad = _first_unstorable(document)
    except RecursionError as exc:
        raise _refuse(translatable(MSG_NOT_JSON, reason="it is nested too deeply")) from exc
    if bad is not None:
        raise _refuse(MSG_BAD_ESCAPE, *positions.of(bad, key=True), path=json_path(bad))
    return document, positions


_TYPES = {
    "string": "text in quotes",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "object": "an object ({ ... })",
    "array": "a list ([ ... ])",
}


def _schema_messages(error: SchemaError) -> Iterator[tuple[str, PathKey, bool]]:
    """Plain-language message(s) for one schema error, with the path each points at and
    whether the line to show is the key's (for a key that should not be there)."""
    path: PathKey = tuple(error.absolute_path)
    value = error.validator_value
    instance = error.instance
    kind = error.validator
    if kind == "required":
        for key in value:
            if isinstance(instance, dict) and key not in instance:
                yield f'The key "{key}" is missing here.', path, False
        return
    if kind == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        for key in sorted(set(instance) - allowed):
            yield (
                f'Unknown key "{key}": format version 1 has no such key here (is it misspelt, '
                f"or written by a newer Touchstone?). Allowed: {', '.join(sorted(allowed))}.",
                (*path, key),
                True,
            )
        return
    if kind == "not" and isinstance(value, dict) and "required" in value:
        key = value["required"][0]
        what = {"scale_labels": "scale", "options": "choice"}.get(key, "number")
        yield (f'"{key}" belongs only to {what} questions; remove it here.', (*path, key), True)
        return
    field = str(path[-1]) if path else "the file"
    if len(path) > 1 and isinstance(path[-1], int):
        field = f"{path[-2]}[{path[-1]}]"  # an item of a list: "scale_labels[4]"
    if kind == "type":
        expected = value if isinstance(value, str) else value[0]
        yield f'"{field}" must be {_TYPES.get(expected, expected)}.', path, False
    elif kind == "enum":
        yield (
            f'"{field}" cannot be {json.dumps(instance)}: use one of '
            f"{', '.join(json.dumps(v) for v in value)}.",
            path,
            False,
        )
    elif kind == "const":
        yield f'"{field}" must be {json.dumps(value)}.', path, False
    elif kind == "pattern" and "a-z]{2,3}" in str(value):
        yield (
            f"{json.dumps(instance)} is not a language code: use a short lowercase code, "
            'such as "es" or "de".',
            path,
            False,
        )
    elif kind == "minLength" or kind == "pattern" and isinstance(instance, str):
        if kind == "pattern" and "a-z0-9" in str(value):
            message = f'"{field}" may hold only lowercase letters, digits, dots and dashes.'
        else:
            message = f'"{field}" must not be empty.'
        yield message, path, False
    elif kind == "maxLength":
        yield f'"{field}" is longer than {value} characters.', path, False
    elif kind == "minimum":
        yield f'"{field}" must be at least {value}.', path, False
    elif kind == "maximum":
        yield f'"{field}" must be at most {value}.', path, False
    elif kind == "minItems":
        yield f'"{field}" needs at least {value} item{"s" * (value != 1)}.', path, False
    elif kind == "maxItems":
        yield f'"{field}" may hold at most {value} items.', path, False
    else:
        yield f"{field}: {error.message}", path, False


def _sort_key(error: SchemaError) -> tuple[Any, ...]:
    return tuple((0, p) if isinstance(p, int) else (1, p) for p in error.absolute_path)


def _check_schema(document: Any, positions: Positions) -> list[FileProblem]:
    problems: list[FileProblem] = []
    seen: set[tuple[str, str]] = set()
    errors = sorted(_validator().iter_errors(document), key=_sort_key)
    for error in errors:
        for message, path, at_key in _schema_messages(error):
            where = json_path(path)
            if (where, message) in seen:
                continue
            seen.add((where, message))
            line, column = positions.of(path, key=at_key)
            problems.append(FileProblem(message=message, path=where, line=line, column=column))
    return problems


def _question_problems(
    error: ValidationError, path: PathKey, positions: Positions
) -> list[FileProblem]:
    problems = []
    for item in error.errors():
        # A rule across fields names its field in the context (touchpoints.models
        # _rule_error); a field's own error names it in `loc`.
        field = (item.get("ctx") or {}).get("field") or (item["loc"][0] if item["loc"] else None)
        at: PathKey = (*path, str(field)) if field else path
        message = str(item["msg"]).removeprefix("Value error, ")
        line, column = positions.of(at)
        problems.append(FileProblem(message=message, path=json_path(at), line=line, column=column))
    return problems


def _rules_checked(
    questions: list[QuestionFields],
    path: PathKey,
    positions: Positions,
    problems: list[FileProblem],
) -> list[QuestionFields]:
    """The touchpoint's questions with their rules checked as an owner's are (earlier
    questions only, no loop, options that exist), each test naming its question by number
    as a string ("2"): touchpoints.services.touchpoint_build turns them into lineages."""
    seen = [
        conditions.RuleQuestion(
            lineage=str(place),
            kind=str(q.kind),
            config=q.config(),
            show_if=q.show_if,
            text=q.text,
            allow_na=q.allow_na,
        )
        for place, q in enumerate(questions, start=1)
    ]
    out = []
    for index, fields in enumerate(questions):
        if fields.show_if:
            try:
                rule = conditions.check_rule(
                    conditions.rename(fields.show_if, str),
                    own=str(index + 1),
                    earlier=seen[:index],
                    later=seen[index + 1 :],
                )
            except conditions.ConditionError as exc:
                at: PathKey = (*path, index, "show_if")
                line, column = positions.of(at)
                problems.append(FileProblem(exc.message, json_path(at), line, column))
                continue
            fields = fields.model_copy(update={"show_if": rule})
        out.append(fields)
    return out


def _translations(
    raw: Any,
    path: PathKey,
    positions: Positions,
    languages: Sequence[str] | None,
    problems: list[FileProblem],
    question: QuestionFields | None = None,
) -> dict[str, Any] | None:
    """A touchpoint's or question's translations, checked like an owner's (the languages
    the organization uses, a label per option, five scale labels); None when there are none."""
    if not raw:
        return None
    out: dict[str, Any] = {}
    for code, parts in raw.items():
        at: PathKey = (*path, code)
        if languages is not None and (code not in languages or code == languages[0]):
            message = (
                translatable(MSG_PRIMARY_TRANSLATION, name=language_name(code))
                if code == languages[0]
                else not_used_message(code, list(languages))
            )
            line, column = positions.of(at, key=True)
            problems.append(FileProblem(message, json_path(at), line, column))
            continue
        if question is None:
            kept = TouchpointTranslation.model_validate(parts).stored()
        else:
            given = QuestionTranslation.model_validate(parts)
            problem = _labels_problem(question, given)
            if problem is not None:
                field, message = problem
                line, column = positions.of((*at, field))
                problems.append(FileProblem(message, json_path((*at, field)), line, column))
                continue
            kept = given.stored()
        if kept:
            out[code] = kept
    return out or None


def _labels_problem(question: QuestionFields, given: QuestionTranslation) -> tuple[str, str] | None:
    options = question.options or []
    if any(given.options) and len(given.options) != len(options):
        if not options:
            return "options", 'This question has no options to translate; remove "options".'
        return "options", f"Give one label for each of the {len(options)} options, in order."
    if any(given.scale_labels) and (not question.scale_labels or len(given.scale_labels) != 5):
        if not question.scale_labels:
            return "scale_labels", 'This question has no scale; remove "scale_labels".'
        return "scale_labels", "Give five scale labels, for 1 to 5."
    return None


def _build(
    document: dict[str, Any], positions: Positions, languages: Sequence[str] | None = None
) -> JourneyFile:
    problems: list[FileProblem] = []
    stages = []
    for s_index, stage in enumerate(document["stages"]):
        s_path: PathKey = ("stages", s_index)
        name = stage["name"].strip()
        touchpoints = []
        for t_index, tp in enumerate(stage["touchpoints"]):
            t_path: PathKey = (*s_path, "touchpoints", t_index)
            questions = []
            for q_index, raw in enumerate(tp["questions"]):
                q_path: PathKey = (*t_path, "questions", q_index)
                try:
                    questions.append(QuestionFields.model_validate(raw))
                except ValidationError as exc:
                    problems.extend(_question_problems(exc, q_path, positions))
            worded: list[dict[str, Any] | None] = []
            if len(questions) == len(tp["questions"]):
                questions = _rules_checked(questions, (*t_path, "questions"), positions, problems)
                for q_index, raw in enumerate(tp["questions"]):
                    q_path = (*t_path, "questions", q_index, "translations")
                    fields = QuestionFields.model_validate(raw)
                    worded.append(
                        _translations(
                            raw.get("translations"), q_path, positions, languages, problems, fields
                        )
                    )
            touchpoints.append(
                FileTouchpoint(
                    name=tp["name"].strip(),
                    channel=Channel(tp.get("channel", Channel.walk_in)),
                    mode=Mode(tp.get("mode", Mode.people)),
                    team=tp.get("team", "").strip(),
                    description=tp.get("description", "").strip(),
                    target=int(tp.get("target", 80)),
                    questions=tuple(questions),
                    template_key=tp.get("template_key"),
                    translations=_translations(
                        tp.get("translations"),
                        (*t_path, "translations"),
                        positions,
                        languages,
                        problems,
                    ),
                    question_translations=tuple(worded),
                )
            )
        stages.append(FileStage(name=name, touchpoints=tuple(touchpoints)))
    if problems:
        raise FileRefused(problems[:MAX_PROBLEMS])
    library = document.get("library")
    return JourneyFile(
        stages=tuple(stages),
        name=document.get("name", "").strip(),
        summary=document.get("summary", "").strip(),
        library=LibraryEntry(key=library["key"], group=library["group"]) if library else None,
    )


def read(data: bytes, languages: Sequence[str] | None = None) -> JourneyFile:
    """The checked content of a journey file, or FileRefused with every problem found.

    `languages`: the importing organization's checklist languages (primary first); a
    translation into any other language, or into the primary one, is refused where it sits.
    None (the template library) takes translations as they are."""
    document, positions = _parse(data)
    if not isinstance(document, dict):
        raise _refuse(MSG_NOT_OBJECT, *positions.of(()))
    if positions.duplicates:
        problems = []
        for path, offset in positions.duplicates[:MAX_PROBLEMS]:
            line, column = positions.line_column(offset)
            message = translatable(MSG_DUPLICATE_KEY, key=path[-1])
            problems.append(FileProblem(message, json_path(path), line, column))
        raise FileRefused(problems)
    if document.get("format") != FORMAT:
        raise _refuse(MSG_NOT_JOURNEY, *positions.of(("format",)), path="$.format")
    version = document.get("format_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        message = translatable(MSG_NEWER_VERSION, version=version)
        raise _refuse(message, *positions.of(("format_version",)), path="$.format_version")
    problems = _check_schema(document, positions)
    if problems:
        raise FileRefused(problems[:MAX_PROBLEMS])
    return _build(document, positions, languages)


# --- writing ---------------------------------------------------------------------------------


def question_entry(fields: QuestionFields) -> dict[str, Any]:
    """One question as the file holds it: its common settings, then those of its kind.

    Everything QuestionFields holds is written (a setting added to questions later shows up
    here, and the schema's `additionalProperties: false` then makes the round-trip test say
    that the format must learn it too).
    """
    entry: dict[str, Any] = fields.model_dump(mode="json", exclude_none=True)
    if fields.kind != "number":
        entry.pop("unit", None)
    for evidence in ("photo_required", "comment_on_fail"):  # written only when asked for
        if not entry.get(evidence):
            entry.pop(evidence, None)
    return entry


def touchpoint_entry(tp: FileTouchpoint) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": tp.name}
    if tp.template_key:
        entry["template_key"] = tp.template_key
    entry.update(
        channel=str(tp.channel),
        mode=str(tp.mode),
        team=tp.team,
        description=tp.description,
        target=tp.target,
    )
    if tp.translations:  # written only when there are some: older readers never see the key
        entry["translations"] = tp.translations
    questions = [question_entry(q) for q in tp.questions]
    for question, worded in zip(questions, tp.question_translations, strict=False):
        if worded:
            question["translations"] = worded
    entry["questions"] = questions
    return entry


def write(journey: JourneyFile, **about: str) -> dict[str, Any]:
    """The file's content for `journey`; `about` adds exported_from / exported_at."""
    doc: dict[str, Any] = {"format": FORMAT, "format_version": FORMAT_VERSION}
    if journey.name:
        doc["name"] = journey.name
    if journey.summary:
        doc["summary"] = journey.summary
    if journey.library:
        doc["library"] = {"key": journey.library.key, "group": journey.library.group}
    doc.update(about)
    doc["stages"] = [
        {"name": s.name, "touchpoints": [touchpoint_entry(t) for t in s.touchpoints]}
        for s in journey.stages
    ]
    return doc


def dumps(doc: dict[str, Any]) -> str:
    """The text of a file: indented, so that its line numbers point somewhere useful."""
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
