"""Every report figure recomputed from answers.csv alone, by the rules of docs/definitions.md.

Nothing here imports the code under test: section scores are summed from the points in the
export, means and standard deviations are plain arithmetic, and the t quantile is found by
integrating Student's t density numerically (Simpson's rule) — a different road from the
incomplete beta function that reports/stats.py takes — so the two can check each other.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any


def t_density(x: float, df: float) -> float:
    log_c = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    return math.exp(log_c - (df + 1) / 2 * math.log1p(x * x / df))


def t_cdf_above_zero(t: float, df: float, steps: int = 4000) -> float:
    """P(0 < T < t) by Simpson's rule."""
    h = t / steps
    total = t_density(0, df) + t_density(t, df)
    for i in range(1, steps):
        total += (4 if i % 2 else 2) * t_density(i * h, df)
    return total * h / 3


def t975(df: float) -> float:
    """The 97.5th percentile of Student's t, by bisection on the integrated density."""
    low, high = 0.0, 64.0
    for _ in range(60):
        mid = (low + high) / 2
        if t_cdf_above_zero(mid, df) < 0.475:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def shown(value: float) -> str:
    """One decimal, half away from zero, whole numbers bare (definitions.md)."""
    exact = Decimal(repr(float(value))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    text = f"{exact:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def rounded(value: float) -> float:
    return float(Decimal(repr(float(value))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


def sd(values: list[float]) -> float:
    m = mean(values)
    return math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1))


@dataclass
class FromCsv:
    """A touchpoint's figures recomputed from answers.csv alone (docs/definitions.md)."""

    month_scores: dict[str, list[float]]  # section scores per month of the report day
    location_scores: dict[str, list[float]]  # per location, in the latest month
    target: float = 0.0
    near: float = 0.0
    months: dict[str, float] = field(init=False)  # mean section score per month
    locations: dict[str, float] = field(init=False)  # mean per location in the latest month

    def __post_init__(self) -> None:
        self.months = {m: mean(v) for m, v in self.month_scores.items()}
        self.locations = {p: mean(v) for p, v in self.location_scores.items()}

    @property
    def latest(self) -> float:
        return self.months[max(self.months)]

    @property
    def change(self) -> float:
        first, second = sorted(self.months)[-2:]
        return self.months[second] - self.months[first]

    def interval(self, month: str) -> tuple[float, float, float] | None:
        """(margin, low, high): mean ± t(0.975, n − 1) s / √n, the ends cut to 0–100."""
        scores = self.month_scores[month]
        if len(scores) < 2:
            return None
        m = mean(scores)
        margin = t975(len(scores) - 1) * sd(scores) / math.sqrt(len(scores))
        return margin, max(0.0, m - margin), min(100.0, m + margin)

    def margin_words(self, month: str) -> str:
        """The interval as printed: "± 6.2", or its ends ("0 to 100") once one was cut."""
        interval = self.interval(month)
        if interval is None:
            return ""
        margin, low, high = interval
        m = mean(self.month_scores[month])
        if m - margin < 0 or m + margin > 100:
            return f"{shown(low)} to {shown(high)}"
        return f"± {shown(margin)}"

    def welch(self) -> tuple[str, float | None, float | None]:
        """(call, low, high) of the latest month against the one before (Welch)."""
        first, second = sorted(self.months)[-2:]
        a, b = self.month_scores[first], self.month_scores[second]
        diff = mean(b) - mean(a)
        if len(a) < 2 or len(b) < 2:
            return "too few shops", None, None
        va, vb = sd(a) ** 2 / len(a), sd(b) ** 2 / len(b)
        if va + vb == 0:
            margin = 0.0
        else:
            df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
            margin = t975(df) * math.sqrt(va + vb)
        low, high = diff - margin, diff + margin
        call = "up" if low > 0 else "down" if high < 0 else "about the same"
        return call, low, high

    def status(self) -> str:
        """met at or above target, near up to `near` below, else below — on the shown score."""
        score = rounded(self.latest)
        if score >= self.target:
            return "met"
        return "near" if score >= rounded(self.target - self.near) else "below"

    def ranks(self) -> dict[str, int | None]:
        """Competition ranks among locations with 3 or more shops; equal shown scores tie."""
        ranked = sorted(
            (p for p, v in self.location_scores.items() if len(v) >= 3),
            key=lambda p: (-self.locations[p], p),
        )
        ranks: dict[str, int | None] = {}
        before, rank = None, 0
        for place, name in enumerate(ranked, start=1):
            if shown(self.locations[name]) != before:
                rank, before = place, shown(self.locations[name])
            ranks[name] = rank
        for name, scores in self.location_scores.items():
            if len(scores) < 3:
                ranks[name] = None
        return ranks


def figures_from_csv(client: Any, params: dict[str, str]) -> dict[str, FromCsv]:
    """touchpoint name -> its figures, from the CSV export: each section's points summed,
    zeroed by a failed critical question, divided at full precision; means per month of the
    report day and per location in the latest month; nothing rounded."""
    response = client.get(
        "/reports/export/answers.csv", params={"from": params["from"], "to": params["to"]}
    )
    assert response.status_code == 200, response.text[:300]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"), newline="")))
    sections: dict[tuple[str, str], list[dict[str, str]]] = {}
    for row in rows:
        sections.setdefault((row["shop_id"], row["touchpoint"]), []).append(row)
    months: dict[str, dict[str, list[float]]] = {}
    places: dict[str, dict[tuple[str, str], list[float]]] = {}
    settings: dict[str, tuple[float, float]] = {}
    for (_shop, tp), answers in sections.items():
        possible = sum(float(a["possible"]) for a in answers)
        if not possible:
            continue
        failed = any(
            a["critical"] == "true" and float(a["earned"]) < 0.5 * float(a["possible"])
            for a in answers
        )
        pct = 0.0 if failed else 100 * sum(float(a["earned"]) for a in answers) / possible
        month = answers[0]["report_day"][:7]
        months.setdefault(tp, {}).setdefault(month, []).append(pct)
        places.setdefault(tp, {}).setdefault((month, answers[0]["location"]), []).append(pct)
        settings[tp] = (float(answers[0]["target"]), float(answers[0]["near_target"]))
    result = {}
    for tp, by_month in months.items():
        latest = max(by_month)
        result[tp] = FromCsv(
            month_scores=by_month,
            location_scores={p: v for (m, p), v in places[tp].items() if m == latest},
            target=settings[tp][0],
            near=settings[tp][1],
        )
    return result
