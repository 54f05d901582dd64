"""The one status rule: a score against its target is met, near or below.

Every page, PDF and the API ask here, so the map, the dashboards, the shops list, the review
page and the prints never disagree (docs/definitions.md, "Status against target"):

- the score is taken **as it is shown** (`app.figures.rounded`, one decimal, half away from
  zero), so a score printed "80" against a target of 80 is met, never "below by 0.04";
- **met**: that score is at or above the target;
- **near**: below the target by no more than the organization's `near_target` points
  (so with target 80 and 5 points, 75 is near and 74.9 is below);
- **below**: further below than that.

Each status is drawn as a mark, a word and a colour together (``✓ met``, ``◐ near``,
``✗ below``): the marks differ in shape, so a grey print or a colour-blind reader loses
nothing when the colour goes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.figures import rounded
from app.i18n.catalogs import N_

StatusKey = Literal["met", "near", "below"]

# A new organization's "near" band: up to this many points below target.
NEAR_DEFAULT = 5
NEAR_MAX = 100


@dataclass(frozen=True)
class Status:
    key: StatusKey
    mark: str  # the shape, which survives grayscale
    word: str  # what is read out

    @property
    def css(self) -> str:
        return f"tstatus-{self.key}"  # "status-" is taken by a shop's own status

    @property
    def label(self) -> str:
        return f"{self.mark} {self.word}"


# The words are marked for translation; pages and prints show them with `translate()`.
MET = Status("met", "✓", N_("met"))
NEAR = Status("near", "◐", N_("near"))
BELOW = Status("below", "✗", N_("below"))
STATUSES: dict[StatusKey, Status] = {s.key: s for s in (MET, NEAR, BELOW)}


def target_status(score: float | None, target: float, near: float) -> Status | None:
    """The status of `score` against `target` with a near band of `near` points; None when
    there is no score."""
    if score is None:
        return None
    shown = rounded(score)
    if shown >= target:
        return MET
    # Compared on the rounded figures too, so "75" against 80 - 5 is near, not a float's
    # 74.99999 below.
    if shown >= rounded(target - near):
        return NEAR
    return BELOW


def worst(statuses: list[Status | None]) -> Status | None:
    """The worst of several statuses (a shop's sections): below over near over met."""
    order = [BELOW, NEAR, MET]
    for status in order:
        if status in statuses:
            return status
    return None
