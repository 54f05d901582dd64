"""Scoring rules, as pure functions: the one place that turns answers into scores.

Rules (docs/definitions.md, "Scoring rules", states them for people):
- Each scored question is worth its weight in points. The answer earns a fraction of them:
  yes/no: yes = all, no = none; scale 1–5: (value − 1) / 4; number: all when the pass rule
  holds ("at most 3", "at least 2"), else none; choice: the option's points divided by the
  best option's points. Free-text questions are not scored.
- N/A (where allowed) and unanswered questions leave the question out of both the points
  earned and the points possible.
- A question *fails* when it earns less than half its points. A failed critical question
  zeroes the earned points of its touchpoint section for that shop.
- A question whose show-when rule (touchpoints/conditions.py) does not hold for the shop's
  answers was not shown: like N/A, it is out of both, and an answer stored for it while it
  was shown is kept but not counted.
- Section score = earned / possible × 100; shop score = all sections' earned / possible × 100.
  A section or shop with nothing possible has no score (None), not 0. Percents are kept at
  full precision; only the display rounds them (app.figures).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from touchpoints.conditions import Answered, RuleQuestion, visible

FAIL_BELOW = 0.5
REASON_HIDDEN = "not asked: condition not met"


@dataclass(frozen=True)
class QuestionSpec:
    """What scoring needs to know about one question version."""

    id: int
    kind: str
    weight: float
    critical: bool
    config: Mapping[str, Any] = field(default_factory=dict)
    lineage: str = ""  # what other questions' rules name it by
    show_if: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Given:
    """An answer as scoring sees it: a value, or N/A."""

    value: Any = None
    not_applicable: bool = False


@dataclass(frozen=True)
class QuestionScore:
    question_id: int
    counted: bool  # False: not scored, N/A or unanswered
    possible: float
    earned: float
    failed: bool
    critical_fail: bool
    reason: str  # plain words for the "how this score was calculated" view
    hidden: bool = False  # its show-when rule did not hold: not shown, not counted


@dataclass(frozen=True)
class SectionScore:
    touchpoint_id: int
    questions: tuple[QuestionScore, ...]
    possible: float
    earned: float  # after a critical fail zeroed it
    raw_earned: float  # before
    critical_fail: bool

    @property
    def percent(self) -> float | None:
        return percent(self.earned, self.possible)


@dataclass(frozen=True)
class ShopScore:
    sections: tuple[SectionScore, ...]
    possible: float
    earned: float

    @property
    def percent(self) -> float | None:
        return percent(self.earned, self.possible)


def percent(earned: float, possible: float) -> float | None:
    """earned / possible × 100 at full precision: never rounded here, and so never stored
    rounded; pages, PDFs and charts round once, when they show it (`app.figures`)."""
    return 100.0 * earned / possible if possible > 0 else None


def fraction(spec: QuestionSpec, value: Any) -> float:
    """Share of the question's points that `value` earns (0..1)."""
    kind = spec.kind
    if kind == "yes_no":
        return 1.0 if value is True else 0.0
    if kind == "scale":
        return (float(value) - 1.0) / 4.0
    if kind == "number":
        threshold = float(spec.config["threshold"])
        ok = (
            float(value) <= threshold
            if spec.config["rule"] == "at_most"
            else float(value) >= threshold
        )
        return 1.0 if ok else 0.0
    if kind == "choice":
        points = [float(o["points"]) for o in spec.config["options"]]
        return points[int(value)] / max(points)
    raise ValueError(f"question kind {kind!r} is not scored")


def score_question(spec: QuestionSpec, given: Given | None) -> QuestionScore:
    if spec.kind == "text" or spec.weight <= 0:
        return QuestionScore(spec.id, False, 0, 0, False, False, "not scored")
    if given is None or (given.value is None and not given.not_applicable):
        return QuestionScore(spec.id, False, 0, 0, False, False, "not answered")
    if given.not_applicable:
        return QuestionScore(spec.id, False, 0, 0, False, False, "N/A: left out")
    share = fraction(spec, given.value)
    earned = round(spec.weight * share, 4)
    failed = share < FAIL_BELOW
    critical_fail = failed and spec.critical
    reason = f"{earned:g} of {spec.weight:g} points"
    if critical_fail:
        reason += "; critical question failed: the section scores 0"
    elif failed:
        reason += "; failed"
    return QuestionScore(spec.id, True, spec.weight, earned, failed, critical_fail, reason)


def mark(score: QuestionScore) -> str:
    """'pass' (all its points), 'partial' (half or more of them), 'fail' (less than half:
    the FAIL_BELOW rule), or '' for a question that does not count (text, N/A, unanswered)."""
    if not score.counted:
        return ""
    if score.failed:
        return "fail"
    return "pass" if score.earned >= score.possible else "partial"


def shown(specs: Iterable[QuestionSpec], answers: Mapping[int, Given]) -> dict[int, bool]:
    """question id -> shown, by the questions' show-when rules and these answers."""
    specs = tuple(specs)
    if all(s.show_if is None for s in specs):
        return {s.id: True for s in specs}
    key = {s.id: s.lineage or f"#{s.id}" for s in specs}
    result = visible(
        [
            RuleQuestion(lineage=key[s.id], kind=s.kind, config=s.config, show_if=s.show_if)
            for s in specs
        ],
        {
            key[qid]: Answered(value=g.value, not_applicable=g.not_applicable)
            for qid, g in answers.items()
            if qid in key
        },
    )
    return {s.id: result[key[s.id]] for s in specs}


def score_section(
    touchpoint_id: int, specs: Iterable[QuestionSpec], answers: Mapping[int, Given]
) -> SectionScore:
    specs = tuple(specs)
    seen = shown(specs, answers)
    scores = tuple(
        score_question(s, answers.get(s.id))
        if seen[s.id]
        else QuestionScore(s.id, False, 0, 0, False, False, REASON_HIDDEN, hidden=True)
        for s in specs
    )
    possible = sum(q.possible for q in scores)
    raw = sum(q.earned for q in scores)
    critical = any(q.critical_fail for q in scores)
    return SectionScore(touchpoint_id, scores, possible, 0.0 if critical else raw, raw, critical)


def score_shop(sections: Iterable[SectionScore]) -> ShopScore:
    sections = tuple(sections)
    return ShopScore(sections, sum(s.possible for s in sections), sum(s.earned for s in sections))


# --- example answers, for the owner's preview ---------------------------------------------


def best_value(spec: QuestionSpec) -> Any:
    if spec.kind == "yes_no":
        return True
    if spec.kind == "scale":
        return 5
    if spec.kind == "number":
        return spec.config["threshold"]
    if spec.kind == "choice":
        points = [float(o["points"]) for o in spec.config["options"]]
        return points.index(max(points))
    return None


def worst_value(spec: QuestionSpec) -> Any:
    if spec.kind == "yes_no":
        return False
    if spec.kind == "scale":
        return 1
    if spec.kind == "number":
        step = max(1.0, abs(float(spec.config["threshold"])))
        t = float(spec.config["threshold"])
        return t + step if spec.config["rule"] == "at_most" else max(0.0, t - step)
    if spec.kind == "choice":
        points = [float(o["points"]) for o in spec.config["options"]]
        return points.index(min(points))
    return None


def typical_value(spec: QuestionSpec, index: int) -> Any:
    """A plausible mixed visit: mostly good, a middling scale, every fourth check missed."""
    if spec.kind == "scale":
        return 4 if index % 2 else 3
    if spec.kind == "choice":
        points = sorted(
            range(len(spec.config["options"])),
            key=lambda i: float(spec.config["options"][i]["points"]),
        )
        return points[len(points) // 2]
    if spec.kind in ("yes_no", "number") and index % 4 == 3 and not spec.critical:
        return worst_value(spec)
    return best_value(spec)


def score_snapshot(score: ShopScore) -> dict[str, Any]:
    """What a shop stores of its score at submission and approval (JSON-ready)."""
    return {
        "earned": score.earned,
        "possible": score.possible,
        "sections": [
            {
                "touchpoint_id": s.touchpoint_id,
                "percent": s.percent,
                "earned": s.earned,
                "possible": s.possible,
                "critical_fail": s.critical_fail,
            }
            for s in score.sections
        ],
    }
