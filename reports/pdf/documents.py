"""The HTML of every printed report, ready for WeasyPrint (which runs in the render workers).

A Jinja environment of its own: print templates need no request, CSRF or navigation, and
their output must depend only on the report data (a PDF is cached under its fingerprint).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.config import PROJECT_ROOT
from app.figures import score_text
from app.status import NEAR_DEFAULT
from reports.charts import hbar_chart
from reports.filters import ReportFilters
from reports.loop.summary import LoopReport, unfiled_words
from reports.stats import RANK_MIN
from reports.summary import CardSummary, TouchpointReport, signed_points
from touchpoints.models import Stage, Touchpoint

TEMPLATE_DIR = PROJECT_ROOT / "templates"
PDF_TEMPLATES = TEMPLATE_DIR / "reports" / "pdf"
# The charts are drawn into the HTML: a change to them is a change of layout too.
CHARTS_MODULE = PROJECT_ROOT / "reports" / "charts.py"
# The status mark both the pages and the prints draw (app/status.py).
STATUS_TEMPLATE = TEMPLATE_DIR / "_status.html"
PAGE_SIZES = {"a4": ("A4", "A4 landscape"), "letter": ("letter", "letter landscape")}


def css_string(value: object) -> str:
    """A CSS string literal: quotes, backslashes and '<' escaped, so an organization called
    `"; } body { display:none` or `</style>` prints as itself."""
    text = " ".join(str(value).split())
    escaped = "".join(f"\\{ord(ch):x} " if ch in '"\\<>' or ord(ch) < 0x20 else ch for ch in text)
    return f'"{escaped}"'


def range_label(filters: ReportFilters) -> str:
    start, end = filters.start, filters.end
    if start.year == end.year:
        return f"{start:%-d %b} – {end:%-d %b %Y}"
    return f"{start:%-d %b %Y} – {end:%-d %b %Y}"


def locations_period(report: TouchpointReport) -> str:
    """The label of the period the location comparison covers (its latest with shops)."""
    rows = report.locations
    if not rows:
        return ""
    key = rows[0].period_key
    slot = next((s for s in report.filters.slots if s.key == key), None)
    return slot.label if slot else key


# On paper a chart of a hundred bars helps nobody: the highest few and the lowest several.
PRINT_TOP_LOCATIONS, PRINT_BOTTOM_LOCATIONS = 5, 10


def printed_locations(report: TouchpointReport) -> tuple[list[Any], int]:
    """The location rows a printed report draws (best first) and how many it leaves out."""
    rows = list(report.locations)
    keep = PRINT_TOP_LOCATIONS + PRINT_BOTTOM_LOCATIONS
    if len(rows) <= keep:
        return rows, 0
    return rows[:PRINT_TOP_LOCATIONS] + rows[-PRINT_BOTTOM_LOCATIONS:], len(rows) - keep


def _ranked_label(rank: int | None, name: str) -> str:
    return f"{rank}. {name}" if rank is not None else f"– {name}"


def location_chart(report: TouchpointReport, width: int = 640, *, printed: bool = False) -> str:
    """Mean score per location in the latest period with shops (dashboard and PDF)."""
    shown = printed_locations(report)[0] if printed else report.locations
    # "1. Harbour St"; a location with too few shops to rank is marked "–" (reports.stats).
    ids = [r.location_id for r in report.locations]
    ranks = dict(zip(ids, report.location_ranks, strict=True))
    rows = [
        (_ranked_label(ranks.get(row.location_id), row.location), row.mean_score, row.shops)
        for row in shown
    ]
    return hbar_chart(
        rows,
        target=report.touchpoint.target,
        width=width,
        title=f"{report.touchpoint.name}: score per location in {locations_period(report)}",
    )


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(["html"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["score"] = score_text  # the same rule as the pages
    env.filters["css_string"] = css_string
    env.globals.update(
        latest_label=locations_period,
        location_chart=lambda report: location_chart(report, printed=True),
        printed_locations=printed_locations,
        PRINT_TOP=PRINT_TOP_LOCATIONS,
        PRINT_BOTTOM=PRINT_BOTTOM_LOCATIONS,
        RANK_MIN=RANK_MIN,
        signed_points=signed_points,
    )
    return env


def _page(filters: ReportFilters) -> dict[str, str]:
    portrait, landscape = PAGE_SIZES[filters.paper]
    return {"page_size": portrait, "landscape_size": landscape}


def touchpoint_html(report: TouchpointReport) -> str:
    """A standalone PDF for one touchpoint (also a part of the meeting pack)."""
    org, tp = report.org, report.touchpoint
    context: dict[str, Any] = {
        "report": report,
        "range_label": range_label(report.filters),
        "header_left": org.name,
        "header_right": f"{report.stage.name} · {tp.name}",
        "footer_left": (
            f"Touchstone touchpoint report · {range_label(report.filters)} · "
            f"{report.filters.scope_label()} · printed {report.generated_at:%-d %b %Y}"
        ),
        **_page(report.filters),
    }
    return environment().get_template("reports/pdf/touchpoint.html").render(context)


@dataclass(frozen=True)
class PackLine:
    stage: Stage
    touchpoint: Touchpoint
    card: CardSummary


def pack_front_html(
    *,
    org_name: str,
    filters: ReportFilters,
    lines: list[PackLine],
    generated_at: datetime,
    loops: dict[int, LoopReport] | None = None,
    unfiled: int = 0,
) -> str:
    """Cover and one-page journey overview of the meeting pack; with `loops` (recovery and
    action items per touchpoint id), a page that closes the loop across the journey, which
    also says how many of the range's cases (`unfiled`) no touchpoint holds yet."""
    loop_lines: list[tuple[PackLine, LoopReport]] = []
    for line in lines:
        found = (loops or {}).get(line.touchpoint.id or 0)
        if found is not None and (found.has_recovery or found.open_items):
            loop_lines.append((line, found))
    context: dict[str, Any] = {
        "org_name": org_name,
        "filters": filters,
        "lines": lines,
        "near": _near(line.card for line in lines),
        "loop_lines": loop_lines,
        "unfiled_line": unfiled_words(unfiled),
        "generated_at": generated_at,
        "range_label": range_label(filters),
        "header_left": org_name,
        "header_right": "Meeting pack",
        "footer_left": (
            f"Touchstone meeting pack · {range_label(filters)} · {filters.scope_label()} · "
            f"printed {generated_at:%-d %b %Y}"
        ),
        **_page(filters),
    }
    return environment().get_template("reports/pdf/pack_front.html").render(context)


def _near(cards: Iterable[CardSummary]) -> str:
    """The organization's near band as the legends print it (every card carries it)."""
    return score_text(next((card.near for card in cards), NEAR_DEFAULT))


def journey_map_html(
    *,
    org_name: str,
    filters: ReportFilters,
    stages: list[tuple[Stage, list[PackLine]]],
    generated_at: datetime,
) -> str:
    """The journey map on one landscape page, each card with its latest score."""
    context: dict[str, Any] = {
        "org_name": org_name,
        "filters": filters,
        "stages": stages,
        "near": _near(line.card for _, lines in stages for line in lines),
        "generated_at": generated_at,
        "range_label": range_label(filters),
        "header_left": org_name,
        "header_right": "Journey map",
        "footer_left": f"Touchstone journey map · printed {generated_at:%-d %b %Y}",
        **_page(filters),
    }
    return environment().get_template("reports/pdf/journey_map.html").render(context)
