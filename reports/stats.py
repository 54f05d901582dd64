"""How sure a period's score is, and whether a change is bigger than the noise.

The rules, for people, are in docs/definitions.md ("How sure a score is"):

- A period's mean comes with a **95 % interval**: the Student t interval on the shop scores
  behind it, mean ± t(0.975, n − 1) × s / √n, with s the sample standard deviation (n − 1 in
  the denominator). The ends are cut to the 0–100 scale. One shop gives no interval: there
  is no spread to measure.
- A change between two periods is called **up** or **down** only when the 95 % Welch
  interval of the difference (unequal variances, Welch–Satterthwaite degrees of freedom)
  lies wholly above or below 0; otherwise it is **about the same**. When either period has
  a single shop the noise cannot be measured and the change is **too few shops to tell**.
- A location with fewer than `RANK_MIN` shops in the period is listed but not ranked.

Why no scipy: it is some 40 MB for one function. The t quantile comes from the regularized
incomplete beta function (the continued fraction of Numerical Recipes, §6.4) inverted by
bisection, in a few lines of the standard library; tests/reports/test_stats.py checks it
against published t tables.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

from app.figures import score_text
from reports.language import _, score

CONFIDENCE = 0.95
# A location ranks only with at least this many shops in the period (as the charts' "few").
RANK_MIN = 3

Call = Literal["up", "down", "about the same", "too few shops"]


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function, by modified Lentz."""
    tiny, eps = 1e-300, 1e-15
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        step = d * c
        h *= step
        if abs(step - 1.0) < eps:
            break
    return h


def incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b), 0 <= x <= 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    # The fraction converges fast on the side of the mean; use the symmetry on the other.
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_fraction(a, b, x) / a
    return 1.0 - front * _beta_fraction(b, a, 1.0 - x) / b


def t_upper_tail(t: float, df: float) -> float:
    """P(T > t) for Student's t with `df` degrees of freedom (df > 0 and real), t >= 0."""
    return 0.5 * incomplete_beta(df / 2.0, 0.5, df / (df + t * t))


def t_quantile(p: float, df: float) -> float:
    """The t value with P(T <= t) = p, for 0.5 <= p < 1 and real df > 0 (Welch's df are
    fractions). Bisection: the tail is monotone, and 200 halvings are far past double
    precision."""
    if not 0.5 <= p < 1.0 or df <= 0:
        raise ValueError("t_quantile needs 0.5 <= p < 1 and df > 0")
    tail = 1.0 - p
    low, high = 0.0, 1.0
    while t_upper_tail(high, df) > tail:
        high *= 2.0
    for _step in range(200):
        mid = (low + high) / 2.0
        if t_upper_tail(mid, df) > tail:
            low = mid
        else:
            high = mid
    return (low + high) / 2.0


def _t95(df: float) -> float:
    return t_quantile(1.0 - (1.0 - CONFIDENCE) / 2.0, df)


@dataclass(frozen=True)
class Interval:
    """A period mean's 95 % interval: `margin` is the ± half-width; `low` and `high` are the
    ends, cut to the 0–100 scale."""

    margin: float
    low: float
    high: float
    cut: bool = False  # an end went past the scale and was cut at 0 or 100

    @property
    def margin_text(self) -> str:
        """ "± 6.2"; an interval cut at an end of the scale is printed as its ends instead
        ("0 to 100"): a "± 317.7" on a 0–100 scale would read as a mistake."""
        if self.cut:
            return _("%(low)s to %(high)s", low=score(self.low), high=score(self.high))
        return "± " + score(self.margin)


def mean_interval(mean: float | None, sd: float | None, n: int) -> Interval | None:
    """The Student t 95 % interval of a mean of `n` shop scores with sample standard
    deviation `sd`; None for fewer than 2 shops (no spread to measure)."""
    if mean is None or sd is None or n < 2:
        return None
    margin = _t95(n - 1) * sd / math.sqrt(n)
    low, high = mean - margin, mean + margin
    return Interval(margin, max(0.0, low), min(100.0, high), cut=low < 0.0 or high > 100.0)


@dataclass(frozen=True)
class Change:
    """Latest minus previous period mean, and whether it is bigger than the noise."""

    diff: float  # full precision, in points
    low: float | None  # the Welch 95 % interval of `diff`; None: too few shops
    high: float | None
    call: Call

    @property
    def called(self) -> bool:
        return self.call in ("up", "down")


def change_call(
    previous: tuple[float, float | None, int], latest: tuple[float, float | None, int]
) -> Change:
    """Compare two periods given as (mean, sample sd, shops): Welch's interval for the
    difference of the means; up or down only when it excludes 0."""
    (m1, s1, n1), (m2, s2, n2) = previous, latest
    diff = m2 - m1
    if n1 < 2 or n2 < 2 or s1 is None or s2 is None:
        return Change(diff, None, None, "too few shops")
    v1, v2 = s1 * s1 / n1, s2 * s2 / n2
    se = math.sqrt(v1 + v2)
    if se == 0.0:
        # Every shop of both periods scored the same: no noise, any difference is real.
        margin = 0.0
    else:
        df = (v1 + v2) ** 2 / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1))
        margin = _t95(df) * se
    low, high = diff - margin, diff + margin
    call: Call = "up" if low > 0 else "down" if high < 0 else "about the same"
    return Change(diff, low, high, call)


def sample_sd(total: float, squares: float, n: int) -> float | None:
    """Sample standard deviation from the sum and the sum of squares of `n` scores, as the
    database adds them up; None for fewer than 2. A spread below a millionth of a point is
    rounding noise of the sums (every score the same) and counts as none."""
    if n < 2:
        return None
    variance = (squares - total * total / n) / (n - 1)
    return math.sqrt(variance) if variance > 1e-12 * max(1.0, squares / n) else 0.0


R = TypeVar("R")


def ranked(
    rows: Sequence[R], means: Sequence[float | None], shops: Sequence[int]
) -> list[tuple[int | None, R]]:
    """Rows (best first) with their rank. Rows resting on fewer than RANK_MIN shops get no
    rank (None) and follow the ranked ones in their order. Rows whose means print the same
    share a rank, and the next rank skips ("1, 2, 2, 4"), so a reader never sees two equal
    figures ranked apart."""
    rows_in = list(zip(rows, means, shops, strict=True))
    result: list[tuple[int | None, R]] = []
    shown_before: str | None = None
    rank = 0
    for place, (row, mean, _n) in enumerate(r for r in rows_in if r[2] >= RANK_MIN):
        shown = score_text(mean)
        if shown != shown_before:
            rank, shown_before = place + 1, shown
        result.append((rank, row))
    result += [(None, row) for row, _mean, n in rows_in if n < RANK_MIN]
    return result
