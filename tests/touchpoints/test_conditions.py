"""The rule language of conditional questions: the shared vectors in Python and in the phone's
JavaScript (node runs app/static/touchstone-conditions.js), and the checks a rule must pass."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from touchpoints import conditions as c

ROOT = Path(__file__).resolve().parents[2]
VECTORS = Path(__file__).with_name("condition_vectors.json")
JS = ROOT / "app" / "static" / "touchstone-conditions.js"


def _vectors() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    data = json.loads(VECTORS.read_text())
    return [
        (f"{checklist['name']}: {case['name']}", checklist, case)
        for checklist in data["checklists"]
        for case in checklist["cases"]
    ]


def _python_shown(checklist: dict[str, Any], case: dict[str, Any]) -> list[str]:
    questions = [
        c.RuleQuestion(
            lineage=q["lineage"],
            kind=q["kind"],
            config=q.get("config") or {},
            show_if=q.get("show_if"),
        )
        for q in checklist["questions"]
    ]
    answers = {
        k: c.Answered(value=v.get("value"), not_applicable=bool(v.get("na")))
        for k, v in case["answers"].items()
    }
    shown = c.visible(questions, answers)
    return [q.lineage for q in questions if shown[q.lineage]]


@pytest.mark.parametrize(("name", "checklist", "case"), _vectors(), ids=[v[0] for v in _vectors()])
def test_vectors_in_python(name: str, checklist: dict[str, Any], case: dict[str, Any]) -> None:
    assert _python_shown(checklist, case) == case["shown"], name


NODE_RUNNER = """
const c = require(process.argv[1]);
const data = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
const out = [];
for (const checklist of data.checklists) {
  for (const kase of checklist.cases) {
    const shown = c.visible(checklist.questions, kase.answers);
    out.push(checklist.questions.filter(q => shown[q.lineage]).map(q => q.lineage));
  }
}
console.log(JSON.stringify(out));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_vectors_in_the_phones_javascript() -> None:
    run = subprocess.run(
        ["node", "-e", NODE_RUNNER, str(JS), str(VECTORS)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    got = json.loads(run.stdout)
    expected = [case["shown"] for _n, _c, case in _vectors()]
    assert len(got) == len(expected) > 20
    for (name, _c, _case), shown, want in zip(_vectors(), got, expected, strict=True):
        assert shown == want, name


# --- checking rules before they are saved ---------------------------------------------------

DRINK = c.RuleQuestion("drink", "yes_no", text="Offered a drink?", allow_na=True)
WHICH = c.RuleQuestion(
    "which",
    "choice",
    config={"options": [{"label": "Water", "points": 1}, {"label": "Coffee", "points": 1}]},
    text="Which drinks?",
)
RINGS = c.RuleQuestion("rings", "number", {"rule": "at_most", "threshold": 3}, text="Rings?")
MOOD = c.RuleQuestion("mood", "scale", text="Mood?")


def _check(rule: Any, **kw: Any) -> dict[str, Any] | None:
    kw.setdefault("earlier", [DRINK, WHICH, RINGS, MOOD])
    kw.setdefault("own", "me")
    return c.check_rule(rule, **kw)


def test_a_good_rule_comes_back_in_its_stored_form() -> None:
    rule = {
        "any": [
            {"question": "drink", "is": "yes"},
            {"question": "which", "in": [1, 0, 1]},
            {
                "all": [
                    {"question": "rings", "is": "failed"},
                    {"question": "mood", "between": [1, 2]},
                ]
            },
        ]
    }
    assert _check(rule) == {
        "any": [
            {"question": "drink", "is": "yes"},
            {"question": "which", "in": [0, 1]},
            {
                "all": [
                    {"question": "rings", "is": "failed"},
                    {"question": "mood", "between": [1, 2]},
                ]
            },
        ]
    }
    assert _check(None) is None and _check({}) is None


@pytest.mark.parametrize(
    ("rule", "message", "index"),
    [
        (
            {"question": "which", "in": [2]},
            "Option 3 does not exist: «Which drinks?» has 2 options.",
            None,
        ),
        (
            {"all": [{"question": "drink", "is": "yes"}, {"question": "nope", "is": "yes"}]},
            c.MSG_UNKNOWN,
            1,
        ),
        ({"question": "me", "is": "yes"}, c.MSG_SELF, None),
        (
            {"question": "which", "is": "yes"},
            "«Which drinks?» is not a yes/no question: use another condition.",
            None,
        ),
        ({"question": "rings", "is": "na"}, "«Rings?» cannot be answered N/A.", None),
        ({"question": "drink", "is": "passed"}, c.MSG_PASSED % {"text": "Offered a drink?"}, None),
        ({"question": "mood", "between": [4, 2]}, c.MSG_BETWEEN_RANGE, None),
        (
            {"question": "drink", "between": [1, 2]},
            c.MSG_BETWEEN % {"text": "Offered a drink?"},
            None,
        ),
        ({"question": "drink", "in": [0]}, c.MSG_IN % {"text": "Offered a drink?"}, None),
        ({"question": "drink", "is": "maybe"}, c.MSG_TEST, None),
        ({"all": []}, c.MSG_EMPTY_GROUP, None),
        ({"all": [], "any": []}, c.MSG_SHAPE, None),
        (["drink"], c.MSG_SHAPE, None),
    ],
)
def test_bad_rules_are_refused_with_a_clear_message(
    rule: Any, message: str, index: int | None
) -> None:
    with pytest.raises(c.ConditionError) as caught:
        _check(rule)
    assert caught.value.message == message
    assert caught.value.index == index


def test_a_rule_on_a_later_question_or_a_loop_is_refused() -> None:
    later = c.RuleQuestion("after", "yes_no", text="Thanked you?")
    with pytest.raises(c.ConditionError, match="comes later in the checklist"):
        _check({"question": "after", "is": "yes"}, earlier=[DRINK], later=[later])
    looped = c.RuleQuestion(
        "after", "yes_no", show_if={"question": "me", "is": "yes"}, text="Thanked you?"
    )
    with pytest.raises(c.ConditionError) as caught:
        _check({"question": "after", "is": "yes"}, earlier=[DRINK], later=[looped])
    assert caught.value.message == c.MSG_CYCLE % {"text": "Thanked you?"}


def test_describe_says_the_rule_in_words() -> None:
    find = {q.lineage: q for q in [DRINK, WHICH, RINGS]}.get
    assert c.describe({"question": "drink", "is": "yes"}, find) == "«Offered a drink?» is yes"
    assert (
        c.describe(
            {"all": [{"question": "which", "in": [0, 1]}, {"question": "rings", "is": "failed"}]},
            find,
        )
        == "«Which drinks?» is Water or Coffee and «Rings?» failed"
    )
