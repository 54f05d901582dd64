"""Reading journey files: every refusal names the line (and the JSON path) and the reason;
the template library's own files are such files, in the writer's exact form."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from touchpoints.library import LIBRARY_DIR, template_sets
from touchpoints.models import MSG_CHOICE_POINTS, MSG_WEIGHT_ZERO, QuestionKind
from touchpoints.transfer import document
from touchpoints.transfer.models import FileProblem, JourneyFile


def journey(**question: Any) -> dict[str, Any]:
    q = {"text": "Were you greeted?", "kind": "yes_no", **question}
    return {
        "format": "touchstone-journey",
        "format_version": 1,
        "stages": [{"name": "Visit", "touchpoints": [{"name": "Door", "questions": [q]}]}],
    }


def text_of(doc: dict[str, Any]) -> bytes:
    return document.dumps(doc).encode()


def refused(data: bytes) -> list[FileProblem]:
    with pytest.raises(document.FileRefused) as caught:
        document.read(data)
    return caught.value.problems


def line_of(data: bytes, needle: str) -> int:
    return next(n for n, line in enumerate(data.decode().splitlines(), 1) if needle in line)


def test_the_shipped_schema_is_a_valid_json_schema() -> None:
    Draft202012Validator.check_schema(document.schema())
    assert document.schema()["properties"]["format_version"] == {"const": 1}


def test_a_small_file_reads_with_the_defaults_filled_in() -> None:
    read = document.read(text_of(journey()))
    tp = read.stages[0].touchpoints[0]
    assert (tp.name, tp.channel, tp.mode, tp.target, tp.team) == (
        "Door",
        "walk_in",
        "people",
        80,
        "",
    )
    q = tp.questions[0]
    assert (q.kind, q.weight, q.required, q.allow_na, q.critical) == (
        "yes_no",
        1.0,
        True,
        False,
        False,
    )


def test_a_json_syntax_error_is_refused_with_its_line_and_column() -> None:
    data = text_of(journey()).replace(b'"kind": "yes_no"', b'"kind": "yes_no",', 1)
    [problem] = refused(data)
    assert problem.line == line_of(data, '"kind": "yes_no",') + 1  # the "}" that follows
    assert problem.column is not None
    assert problem.message.startswith("The file is not valid JSON: ")


def test_bytes_that_are_not_utf8_are_refused_with_their_line() -> None:
    data = text_of(journey()).replace(b"Door", b"D\xf6or")
    [problem] = refused(data)
    assert problem.message == document.MSG_NOT_UTF8
    assert problem.line == line_of(data.replace(b"\xf6", b"o"), '"Door"')


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", document.MSG_EMPTY),
        (b"[1, 2]", document.MSG_NOT_OBJECT),
        (b'{"format": "something-else"}', document.MSG_NOT_JOURNEY),
        (b'{"a": NaN}', document.MSG_NUMBER_CONSTANT % {"name": "NaN"}),
        (b" " * (document.MAX_BYTES + 1), document.MSG_TOO_LARGE),
    ],
)
def test_a_file_that_is_no_journey_file_is_refused_in_plain_words(
    data: bytes, message: str
) -> None:
    assert [p.message for p in refused(data)] == [message]


def test_text_no_database_can_store_is_refused_where_it_is() -> None:
    data = text_of(journey(guidance="Ask \u0000 twice"))
    [problem] = refused(data)
    assert problem.message == document.MSG_BAD_ESCAPE
    assert problem.path == "$.stages[0].touchpoints[0].questions[0].guidance"
    assert problem.line == line_of(data, '"guidance"')
    lone = json.dumps(journey(text="Smile \ud83d")).encode()  # ASCII: the half pair escaped
    assert b"\\ud83d" in lone
    assert refused(lone)[0].path == "$.stages[0].touchpoints[0].questions[0].text"
    pair = text_of(journey(text="Smile \U0001f600"))
    assert document.read(pair).stages[0].touchpoints[0].questions[0].text == "Smile \U0001f600"


def test_a_file_from_a_newer_format_version_says_so() -> None:
    doc = journey()
    doc["format_version"] = 2
    doc["stages"][0]["visible_when"] = "something new"
    data = text_of(doc)
    [problem] = refused(data)
    assert problem.message == document.MSG_NEWER_VERSION % {"version": 2}
    assert problem.line == line_of(data, "format_version")


def test_an_unknown_key_is_refused_at_its_line_with_the_keys_allowed() -> None:
    doc = journey(visible_when="q1 == yes")
    data = text_of(doc)
    [problem] = refused(data)
    assert problem.path == "$.stages[0].touchpoints[0].questions[0].visible_when"
    assert problem.line == line_of(data, '"visible_when"')
    assert 'Unknown key "visible_when"' in problem.message and "guidance" in problem.message


def _chain(rule: Any) -> dict[str, Any]:
    doc = journey()
    doc["stages"][0]["touchpoints"][0]["questions"] = [
        {"text": "Were you offered a drink?", "kind": "yes_no"},
        {
            "text": "Which drink?",
            "kind": "choice",
            "options": [{"label": "Coffee", "points": 1}, {"label": "Tea", "points": 1}],
            "show_if": {"question": 1, "is": "yes"},
        },
        {"text": "Receipt seen?", "kind": "yes_no", "photo_required": True, "show_if": rule},
    ]
    return doc


def test_a_rule_names_earlier_questions_by_number_and_is_checked_like_an_owners() -> None:
    read = document.read(text_of(_chain({"question": 2, "in": [1]})))
    [q1, q2, q3] = read.stages[0].touchpoints[0].questions
    assert q2.show_if == {"question": "1", "is": "yes"}
    assert q3.show_if == {"question": "2", "in": [1]} and q3.photo_required


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"question": 3, "is": "yes"}, "A question cannot depend on its own answer."),
        ({"question": 2, "in": [5]}, "Option 6 does not exist: «Which drink?» has 2 options."),
        ({"question": 1, "between": [1, 2]}, "«Were you offered a drink?» is not a 1–5 scale"),
    ],
)
def test_a_rule_that_cannot_stand_is_refused_at_its_line(rule: Any, message: str) -> None:
    data = text_of(_chain(rule))
    [problem] = refused(data)
    assert problem.path == "$.stages[0].touchpoints[0].questions[2].show_if"
    assert message in problem.message
    lines = data.decode().splitlines()
    assert problem.line == [n for n, line in enumerate(lines, 1) if '"show_if"' in line][-1]


def test_a_rule_on_a_later_question_is_refused() -> None:
    doc = _chain(None)
    questions = doc["stages"][0]["touchpoints"][0]["questions"]
    questions[2].pop("show_if")
    questions[0]["show_if"] = {"question": 3, "is": "yes"}
    [problem] = refused(text_of(doc))
    assert problem.path == "$.stages[0].touchpoints[0].questions[0].show_if"
    assert "comes later in the checklist" in problem.message


def test_a_duplicated_key_is_refused_at_its_second_line() -> None:
    data = text_of(journey()).replace(
        b'"kind": "yes_no"', b'"kind": "yes_no",\n              "kind": "scale"'
    )
    [problem] = refused(data)
    assert problem.message == document.MSG_DUPLICATE_KEY % {"key": "kind"}
    assert problem.line == line_of(data, '"kind": "scale"')


def test_schema_problems_are_all_listed_in_file_order_with_path_and_line() -> None:
    doc = journey()
    tp = doc["stages"][0]["touchpoints"][0]
    tp["channel"] = "fax"
    tp["target"] = 120
    tp["questions"].append({"text": "How was it?", "kind": "scale"})
    data = text_of(doc)
    problems = refused(data)
    assert [(p.path, p.line) for p in problems] == [
        ("$.stages[0].touchpoints[0].channel", line_of(data, '"fax"')),
        ("$.stages[0].touchpoints[0].questions[1]", line_of(data, '"How was it?"') - 1),
        ("$.stages[0].touchpoints[0].target", line_of(data, '"target"')),
    ]
    assert problems[0].message.startswith('"channel" cannot be "fax": use one of "phone"')
    assert problems[1].message == 'The key "scale_labels" is missing here.'
    assert problems[2].message == '"target" must be at most 100.'


def test_a_setting_of_another_kind_is_refused() -> None:
    [problem] = refused(text_of(journey(options=[{"label": "a", "points": 1}] * 2)))
    assert problem.path == "$.stages[0].touchpoints[0].questions[0].options"
    assert problem.message == '"options" belongs only to choice questions; remove it here.'


@pytest.mark.parametrize(
    ("question", "field", "message"),
    [
        ({"weight": 0}, "weight", MSG_WEIGHT_ZERO),
        (
            {
                "kind": "choice",
                "options": [{"label": "a", "points": 0}, {"label": "b", "points": 0}],
            },
            "options",
            MSG_CHOICE_POINTS,
        ),
    ],
)
def test_a_question_is_checked_like_an_owners_own_with_the_same_message(
    question: dict[str, Any], field: str, message: str
) -> None:
    data = text_of(journey(**question))
    [problem] = refused(data)
    assert problem.path == f"$.stages[0].touchpoints[0].questions[0].{field}"
    assert problem.line == line_of(data, f'"{field}"')
    assert problem.message == message


def test_a_blank_scale_label_is_refused_at_its_own_line() -> None:
    labels = ["Poor", "Weak", "Fair", "Good", "  "]
    data = text_of(journey(kind="scale", scale_labels=labels))
    [problem] = refused(data)
    assert problem.path == "$.stages[0].touchpoints[0].questions[0].scale_labels[4]"
    assert problem.line == line_of(data, '"Good"') + 1
    assert problem.message == '"scale_labels[4]" must not be empty.'
    four = text_of(journey(kind="scale", scale_labels=labels[:4]))
    assert refused(four)[0].message == '"scale_labels" needs at least 5 items.'


def test_a_stage_named_twice_is_one_stage_in_file_order() -> None:
    doc = journey()
    doc["stages"].append({"name": "visit", "touchpoints": []})
    read = document.read(text_of(doc))
    assert [s.name for s in read.stages] == ["Visit", "visit"]


def test_writing_then_reading_gives_the_same_journey() -> None:
    for s in template_sets():
        data = (LIBRARY_DIR / f"{s.key}.json").read_bytes()
        read = document.read(data)
        assert document.dumps(document.write(read)).encode() == data, (
            f"{s.key}.json is not in the writer's form"
        )
        assert isinstance(read, JourneyFile) and read.library and read.library.key == s.key


def test_every_library_file_is_named_in_the_library() -> None:
    files = {p.stem for p in LIBRARY_DIR.glob("*.json")}
    assert files == {s.key for s in template_sets()}


def test_the_library_uses_the_files_wording() -> None:
    five = json.loads((LIBRARY_DIR / "five-moments.json").read_text())
    first = five["stages"][0]["touchpoints"][0]
    from touchpoints.library import template_touchpoint

    template = template_touchpoint(first["template_key"])
    assert template is not None
    assert template.name == first["name"]
    assert [q.text for q in template.questions] == [q["text"] for q in first["questions"]]
    assert template.questions[0].kind == QuestionKind(first["questions"][0]["kind"])


def test_the_format_carries_every_setting_a_question_has() -> None:
    """A setting added to questions must travel too: add it to schema.json (an optional key,
    so that files written before it still read), to docs/guide/journey-files.md, and to the
    reader if it needs more than QuestionFields checks (a rule that names another question
    must name it by its place in the file, not by a database id)."""
    from touchpoints.models import QuestionFields

    # Translations travel beside the fields (touchpoints/translations), not in QuestionFields.
    keys = set(document.schema()["$defs"]["question"]["properties"]) - {"translations"}
    assert keys == set(QuestionFields.model_fields), (
        f"questions and journey files disagree: {sorted(set(QuestionFields.model_fields) ^ keys)}"
    )
