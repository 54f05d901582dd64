"""The rule language of conditional questions ("show only when…"), as pure functions.

One definition, two implementations: this module (server: pages, hand-in, scoring) and
app/static/touchstone-conditions.js (the phone, offline). Both run the shared test vectors in
tests/touchpoints/condition_vectors.json, so they cannot drift. docs/guide/journey.md
("Conditional questions") documents the shape for owners and API users.

A rule is JSON, stored on the question version it belongs to (`Question.show_if`):

    {"question": "<lineage>", "is": "yes" | "no" | "na" | "passed" | "failed"}
    {"question": "<lineage>", "between": [low, high]}     a 1–5 scale, both ends included
    {"question": "<lineage>", "in": [0, 2]}               a choice: 0-based option indexes
    {"all": [rule, ...]}   every rule holds                {"any": [rule, ...]}   one holds

A test names an earlier question of the same touchpoint by its lineage (stable across
versions). It holds only when that question is itself shown and answered as the test says:
a test on an unanswered or hidden question is false, so rules chain. "passed"/"failed" are a
number question's pass rule; "na" is the N/A answer. A question without a rule is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.i18n.catalogs import N_
from app.i18n.message import message

IS_VALUES = ("yes", "no", "na", "passed", "failed")
MAX_TESTS = 20
MAX_DEPTH = 3

MSG_SHAPE = (
    'A rule is a test such as {"question": …, "is": "yes"}, or {"all": […]} / '
    '{"any": […]} of such tests.'
)
MSG_EMPTY_GROUP = N_("Give at least one condition.")
MSG_TOO_BIG = f"A rule can hold at most {MAX_TESTS} conditions, {MAX_DEPTH} groups deep."
MSG_UNKNOWN = N_("Choose an earlier question of this touchpoint.")
MSG_SELF = N_("A question cannot depend on its own answer.")
MSG_FORWARD = N_(
    "«%(text)s» comes later in the checklist: a question can depend only on questions "
    "asked before it."
)
MSG_CYCLE = N_(
    "«%(text)s» already depends on this question, so this rule would make a loop: "
    "a question can depend only on questions asked before it."
)
MSG_TEST = N_("Say what the answer must be: is yes, no, N/A, passed, failed, between or one of.")
MSG_YES_NO = N_("«%(text)s» is not a yes/no question: use another condition.")
MSG_NA = N_("«%(text)s» cannot be answered N/A.")
MSG_PASSED = N_("«%(text)s» has no pass rule: passed and failed are for number questions.")
MSG_BETWEEN = N_("«%(text)s» is not a 1–5 scale: 'between' is for scale questions.")
MSG_BETWEEN_RANGE = N_("Give the range as two points from 1 to 5, the lower first, such as 1 to 2.")
MSG_IN = N_("«%(text)s» is not a choice question: 'one of' is for choice questions.")
MSG_IN_EMPTY = N_("Choose at least one option of «%(text)s».")
MSG_OPTION = N_("Option %(n)s does not exist: «%(text)s» has %(count)s options.")


class ConditionError(ValueError):
    """A rule that cannot stand, with the index (0-based) of the top-level condition at
    fault, so a form can show the message next to that row."""

    def __init__(self, message: str, index: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.index = index


@dataclass(frozen=True)
class RuleQuestion:
    """What the rule language needs of a question: its kind and settings, and its own rule."""

    lineage: str
    kind: str
    config: Mapping[str, Any] = field(default_factory=dict)
    show_if: Mapping[str, Any] | None = None
    text: str = ""
    allow_na: bool = False


@dataclass(frozen=True)
class Answered:
    """An answer as the rules see it: the stored value, or N/A."""

    value: Any = None
    not_applicable: bool = False


# --- evaluation (app/static/touchstone-conditions.js mirrors this line for line) -----------


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().replace(",", "."))
        except ValueError:
            return None
    return None


def number_passes(config: Mapping[str, Any], value: Any) -> bool | None:
    """A number question's pass rule on `value`; None when there is no number to judge."""
    number = _number(value)
    threshold = _number(config.get("threshold"))
    if number is None or threshold is None:
        return None
    return number <= threshold if config.get("rule") == "at_most" else number >= threshold


def _test(question: RuleQuestion, answer: Answered, rule: Mapping[str, Any]) -> bool:
    if "is" in rule:
        wanted = rule["is"]
        if wanted == "na":
            return answer.not_applicable
        if answer.not_applicable or answer.value is None:
            return False
        if wanted in ("yes", "no"):
            return answer.value is (wanted == "yes")
        passed = number_passes(question.config, answer.value)
        return passed is not None and passed == (wanted == "passed")
    if answer.not_applicable or answer.value is None:
        return False
    number = _number(answer.value)
    if number is None:
        return False
    if "between" in rule:
        low, high = rule["between"]
        return float(low) <= number <= float(high)
    if "in" in rule:
        return number.is_integer() and int(number) in [int(i) for i in rule["in"]]
    return False


def visible(questions: Sequence[RuleQuestion], answers: Mapping[str, Answered]) -> dict[str, bool]:
    """lineage -> shown, for every question; `answers` holds the stored answers by lineage.

    A question is shown when it has no rule or its rule holds. A test on a question that is
    hidden, unanswered or not in the list is false; a loop (refused when rules are saved, so
    only in hand-made data) hides the questions in it.
    """
    by_lineage = {q.lineage: q for q in questions}
    shown: dict[str, bool] = {}
    visiting: set[str] = set()

    def is_shown(lineage: str) -> bool:
        if lineage in shown:
            return shown[lineage]
        question = by_lineage.get(lineage)
        if question is None or lineage in visiting:
            return False
        visiting.add(lineage)
        result = question.show_if is None or holds(question.show_if)
        visiting.discard(lineage)
        shown[lineage] = result
        return result

    def holds(rule: Mapping[str, Any]) -> bool:
        if "all" in rule:
            return all(holds(r) for r in rule["all"])
        if "any" in rule:
            return any(holds(r) for r in rule["any"])
        target = str(rule.get("question", ""))
        if target not in by_lineage or not is_shown(target):
            return False
        answer = answers.get(target)
        return answer is not None and _test(by_lineage[target], answer, rule)

    for question in questions:
        is_shown(question.lineage)
    return shown


# --- checking a rule before it is saved ----------------------------------------------------


def referenced(rule: Mapping[str, Any] | None) -> set[str]:
    """The lineages a rule's tests name."""
    if not rule:
        return set()
    if "all" in rule or "any" in rule:
        out: set[str] = set()
        for r in rule.get("all") or rule.get("any") or []:
            if isinstance(r, Mapping):
                out |= referenced(r)
        return out
    return {str(rule.get("question", ""))}


def rename(rule: Mapping[str, Any] | None, name: Callable[[Any], Any]) -> dict[str, Any] | None:
    """The rule with each test's question named anew by `name` (a lineage for a number in a
    journey file, and back): journey files name questions by their place in the touchpoint,
    since lineages belong to one organization's database."""
    if not rule:
        return None
    if "all" in rule or "any" in rule:
        key = "all" if "all" in rule else "any"
        return {key: [rename(r, name) if isinstance(r, Mapping) else r for r in rule[key]]}
    return {**rule, "question": name(rule.get("question"))}


def depends_on(lineage: str, target: str, rules: Mapping[str, Mapping[str, Any] | None]) -> bool:
    """True when `lineage`'s rule names `target`, directly or through a chain."""
    seen: set[str] = set()
    todo = [lineage]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        names = referenced(rules.get(current))
        if target in names:
            return True
        todo.extend(names)
    return False


def check_rule(
    rule: Any,
    *,
    own: str | None,
    earlier: Sequence[RuleQuestion],
    later: Sequence[RuleQuestion] = (),
) -> dict[str, Any] | None:
    """The rule in its stored form, or a ConditionError saying what is wrong with it.

    `own` is the question's lineage (None for a new question), `earlier` the questions asked
    before it in the checklist, `later` those after it (to say "later" or "loop" rather than
    "unknown").
    """
    if rule is None or rule == {}:
        return None
    if not isinstance(rule, Mapping):
        raise ConditionError(MSG_SHAPE)
    before = {q.lineage: q for q in earlier}
    after = {q.lineage: q for q in later}
    rules = {q.lineage: q.show_if for q in [*earlier, *later]}
    count = [0]

    def check(node: Any, depth: int, index: int | None) -> dict[str, Any]:
        if not isinstance(node, Mapping):
            raise ConditionError(MSG_SHAPE, index)
        groups = [k for k in ("all", "any") if k in node]
        if groups:
            key = groups[0]
            items = node[key]
            if len(groups) > 1 or len(node) != 1 or not isinstance(items, list):
                raise ConditionError(MSG_SHAPE, index)
            if not items:
                raise ConditionError(MSG_EMPTY_GROUP, index)
            if depth >= MAX_DEPTH:
                raise ConditionError(MSG_TOO_BIG, index)
            return {
                key: [
                    check(item, depth + 1, i if depth == 0 else index)
                    for i, item in enumerate(items)
                ]
            }
        count[0] += 1
        if count[0] > MAX_TESTS:
            raise ConditionError(MSG_TOO_BIG, index)
        return _check_test(node, own, before, after, rules, index)

    return check(rule, 0, None)


def _check_test(
    node: Mapping[str, Any],
    own: str | None,
    before: Mapping[str, RuleQuestion],
    after: Mapping[str, RuleQuestion],
    rules: Mapping[str, Mapping[str, Any] | None],
    index: int | None,
) -> dict[str, Any]:
    def fail(message: str) -> ConditionError:
        return ConditionError(message, index)

    target = node.get("question")
    if not isinstance(target, str) or not target:
        raise fail(MSG_UNKNOWN)
    if own is not None and target == own:
        raise fail(MSG_SELF)
    if target in after:
        later = after[target]
        if own is not None and depends_on(target, own, rules):
            raise fail(message(MSG_CYCLE, text=later.text))
        raise fail(message(MSG_FORWARD, text=later.text))
    question = before.get(target)
    if question is None:
        raise fail(MSG_UNKNOWN)
    tests = [k for k in ("is", "between", "in") if k in node]
    if len(tests) != 1 or set(node) != {"question", tests[0]}:
        raise fail(MSG_TEST)
    test = tests[0]
    text = question.text
    if test == "is":
        wanted = node["is"]
        if wanted not in IS_VALUES:
            raise fail(MSG_TEST)
        if wanted in ("yes", "no") and question.kind != "yes_no":
            raise fail(message(MSG_YES_NO, text=text))
        if wanted == "na" and not question.allow_na:
            raise fail(message(MSG_NA, text=text))
        if wanted in ("passed", "failed") and question.kind != "number":
            raise fail(message(MSG_PASSED, text=text))
        return {"question": target, "is": wanted}
    if test == "between":
        if question.kind != "scale":
            raise fail(message(MSG_BETWEEN, text=text))
        pair = node["between"]
        ok = (
            isinstance(pair, list)
            and len(pair) == 2
            and all(isinstance(p, int) and not isinstance(p, bool) for p in pair)
            and 1 <= pair[0] <= pair[1] <= 5
        )
        if not ok:
            raise fail(MSG_BETWEEN_RANGE)
        return {"question": target, "between": [int(pair[0]), int(pair[1])]}
    if question.kind != "choice":
        raise fail(message(MSG_IN, text=text))
    chosen = node["in"]
    if not isinstance(chosen, list) or not chosen:
        raise fail(message(MSG_IN_EMPTY, text=text))
    count = len(question.config.get("options") or [])
    for item in chosen:
        if not isinstance(item, int) or isinstance(item, bool) or not 0 <= item < count:
            shown = item + 1 if isinstance(item, int) and not isinstance(item, bool) else item
            raise fail(message(MSG_OPTION, n=shown, text=text, count=count))
    return {"question": target, "in": sorted(set(chosen))}


def describe(rule: Mapping[str, Any] | None, texts: Callable[[str], RuleQuestion | None]) -> str:
    """The rule in words, for the owner's checklist: "«Offered a drink?» is yes"."""
    if not rule:
        return ""
    if "all" in rule or "any" in rule:
        key = "all" if "all" in rule else "any"
        items = rule[key]
        if len(items) == 1:
            return describe(items[0], texts)
        parts = [
            f"({describe(r, texts)})"
            if ("all" in r or "any" in r) and len(r.get("all") or r.get("any") or []) > 1
            else describe(r, texts)
            for r in items
        ]
        return (" and " if key == "all" else " or ").join(parts)
    question = texts(str(rule.get("question", "")))
    name = f"«{question.text}»" if question else "a question no longer on the checklist"
    if "is" in rule:
        words = {
            "yes": "is yes",
            "no": "is no",
            "na": "is N/A",
            "passed": "passed",
            "failed": "failed",
        }
        return f"{name} {words.get(rule['is'], rule['is'])}"
    if "between" in rule:
        low, high = rule["between"]
        return f"{name} is {low}" if low == high else f"{name} is {low} to {high}"
    options = (question.config.get("options") or []) if question else []
    labels = [
        str(options[i]["label"]) if 0 <= i < len(options) else f"option {i + 1}"
        for i in rule.get("in", [])
    ]
    return f"{name} is {' or '.join(labels)}"
