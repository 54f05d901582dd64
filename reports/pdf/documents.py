"""The HTML of every printed report, ready for WeasyPrint (which runs in the render workers).

A Jinja environment of its own: print templates need no request, CSRF or navigation, and
their output must depend only on the report data (a PDF is cached under its fingerprint).
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.config import PROJECT_ROOT
from app.i18n import jinja as i18n_jinja
from app.status import target_status
from reports.charts import hbar_chart
from reports.filters import ReportFilters
from reports.language import _, day, lang, long_day, period_word, periods_word, points, score
from reports.loop.summary import TITLE_ACTIONS, TITLE_MEASURES, TITLE_RECOVERY, unfiled_words
from reports.pdf.pack import PackDocument
from reports.periods import coverage_words
from reports.stats import RANK_MIN
from reports.summary import TouchpointReport, signed_points

TEMPLATE_DIR = PROJECT_ROOT / "templates"
PDF_TEMPLATES = TEMPLATE_DIR / "reports" / "pdf"
# The charts are drawn into the HTML: a change to them is a change of layout too.
CHARTS_MODULE = PROJECT_ROOT / "reports" / "charts.py"
PAGE_SIZES = {"a4": ("A4", "A4 landscape"), "letter": ("letter", "letter landscape")}
# The status mark both the pages and the prints draw (app/status.py).
STATUS_TEMPLATE = TEMPLATE_DIR / "_status.html"


def css_string(value: object) -> str:
    """A CSS string literal: quotes, backslashes and '<' escaped, so an organization called
    `"; } body { display:none` or `</style>` prints as itself."""
    text = " ".join(str(value).split())
    escaped = "".join(f"\\{ord(ch):x} " if ch in '"\\<>' or ord(ch) < 0x20 else ch for ch in text)
    return f'"{escaped}"'


PAGE_MARK, PAGES_MARK = "\x01", "\x02"


def page_counter_css(text: object) -> str:
    """ "page \x01 of \x02" (a translated "page %(page)s of %(pages)s") as CSS content:
    `"page " counter(page) " of " counter(pages)`, so each language orders them its own way."""
    out: list[str] = []
    literal = ""
    for ch in str(text):
        if ch in (PAGE_MARK, PAGES_MARK):
            if literal:
                out.append(_css_literal(literal))
                literal = ""
            out.append("counter(page)" if ch == PAGE_MARK else "counter(pages)")
        else:
            literal += ch
    if literal:
        out.append(_css_literal(literal))
    return " ".join(out)


def _css_literal(text: str) -> str:
    # Spaces kept as they are (they sit between the counters); quotes and '<' escaped.
    return (
        '"'
        + "".join(f"\\{ord(ch):x} " if ch in '"\\<>' or ord(ch) < 0x20 else ch for ch in text)
        + '"'
    )


def range_label(filters: ReportFilters) -> str:
    start, end = filters.start, filters.end
    if start.year == end.year:
        return f"{day(start, '%-d %b')} – {day(end)}"
    return f"{day(start)} – {day(end)}"


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
# The meeting pack keeps each touchpoint to two pages: its newest comments only, and its
# recovery rates in words (the touchpoint's own report has every comment and period).
PACK_COMMENTS = 4
# A question's critical fails name this many days; older ones are counted.
CRITICAL_DAYS = 12


def printed_locations(report: TouchpointReport) -> tuple[list[Any], int]:
    """The location rows a printed report draws (best first) and how many it leaves out."""
    rows = list(report.locations)
    keep = PRINT_TOP_LOCATIONS + PRINT_BOTTOM_LOCATIONS
    if len(rows) <= keep:
        return rows, 0
    return rows[:PRINT_TOP_LOCATIONS] + rows[-PRINT_BOTTOM_LOCATIONS:], len(rows) - keep


def _ranked_label(rank: int | None, name: str) -> str:
    return f"{rank}. {name}" if rank is not None else f"– {name}"


def ranked_label(report: TouchpointReport, row: Any) -> str:
    """A location as the printed lists name it: "1. Harbour St", or "– Quay" unranked."""
    ranks = dict(zip([r.location_id for r in report.locations], report.location_ranks, strict=True))
    return _ranked_label(ranks.get(row.location_id), row.location)


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
        title=_(
            "%(touchpoint)s: score per location in %(period)s",
            touchpoint=report.touchpoint.name,
            period=locations_period(report),
        ),
    )


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(["html"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    i18n_jinja.install(env)  # `_()` and `{% trans %}` in the reader's language (app/i18n)
    # Figures and days in the report's language (reports.language): the same rounding rule
    # as the pages, the language's decimal mark and month names.
    env.filters["score"] = score
    env.filters["css_string"] = css_string
    env.filters["css_page_counter"] = page_counter_css
    env.filters["pts"] = points  # points as the shop page shows them
    env.filters["day"] = day
    env.filters["long_day"] = long_day
    env.filters["format_quoted"] = lambda text: f"“{text}”"
    env.filters["period_word"] = period_word
    env.globals["periods_word"] = periods_word
    env.globals.update(
        latest_label=locations_period,
        location_chart=lambda report: location_chart(report, printed=True),
        printed_locations=printed_locations,
        PRINT_TOP=PRINT_TOP_LOCATIONS,
        PRINT_BOTTOM=PRINT_BOTTOM_LOCATIONS,
        COMPACT_COMMENTS=PACK_COMMENTS,
        CRITICAL_DAYS=CRITICAL_DAYS,
        compact_sections=compact_sections,
        RANK_MIN=RANK_MIN,
        signed_points=signed_points,
        ranked_label=ranked_label,
        target_status=target_status,
    )
    return env


def _page(filters: ReportFilters) -> dict[str, str]:
    portrait, landscape = PAGE_SIZES[filters.paper]
    return {"page_size": portrait, "landscape_size": landscape, "page_counter": page_counter()}


def page_counter() -> str:
    """The footer's "page 3 of 20" in the report's language, the counters as marks that
    `page_counter_css` turns into CSS (written here, as the print CSS is not extracted)."""
    return _("page %(page)s of %(pages)s", page=PAGE_MARK, pages=PAGES_MARK)


def touchpoint_html(report: TouchpointReport, *, today: date) -> str:
    """A standalone PDF for one touchpoint (the meeting pack prints the same section)."""
    org, tp = report.org, report.touchpoint
    filters = report.filters
    context: dict[str, Any] = {
        "lang": lang(),
        "report": report,
        "coverage": lambda slot: coverage_words(slot, filters.start, filters.end, today=today),
        "compact": False,
        "range_label": range_label(report.filters),
        "header_left": org.name,
        "header_right": f"{report.stage.name} · {tp.name}",
        "footer_left": _(
            "Touchstone touchpoint report · %(range)s · %(scope)s · printed %(day)s",
            range=range_label(report.filters),
            scope=report.filters.scope_label(),
            day=day(report.generated_at.date()),
        ),
        **_page(report.filters),
    }
    return environment().get_template("reports/pdf/touchpoint.html").render(context)


def compact_sections(report: TouchpointReport) -> list[tuple[str, str]]:
    """The recovery, measures and action-item sections of a touchpoint, as the meeting pack
    prints them: the recovery rates in words, without the table of every period."""
    loop = report.loop
    if loop is None:
        return report.extra_sections
    env = environment()
    parts = (
        (loop.has_recovery, TITLE_RECOVERY, "_loop_recovery.html"),
        (loop.has_measures, TITLE_MEASURES, "_loop_measures.html"),
        (loop.has_actions, TITLE_ACTIONS, "_loop_actions.html"),
    )
    return [
        (
            title,
            env.get_template(f"reports/pdf/{name}").render(loop=loop, compact=True),
        )
        for shown, title, name in parts
        if shown
    ]


def pack_html(doc: PackDocument) -> str:
    """The whole meeting pack as ONE document, so WeasyPrint numbers its pages on from the
    first to the last ("page 14 of 20") and the contents can name each part's page."""
    filters = doc.filters
    context: dict[str, Any] = {
        "lang": lang(),
        "doc": doc,
        "attention": doc.attention,
        "org_name": doc.org.name,
        "filters": filters,
        "generated_at": doc.generated_at,
        # The organization's near band as the legends print it.
        "near": score(doc.org.near_target),
        "range_label": range_label(filters),
        "coverage": doc.coverage,
        "compact": True,
        "unfiled_line": unfiled_words(doc.unfiled),
        "header_left": doc.org.name,
        "header_right": _("Meeting pack"),
        "running_header": True,
        "footer_left": _(
            "Touchstone meeting pack · %(range)s · %(scope)s · printed %(day)s",
            range=range_label(filters),
            scope=filters.scope_label(),
            day=day(doc.generated_at, "%-d %b %Y, %H:%M"),
        ),
        **_page(filters),
    }
    return environment().get_template("reports/pdf/pack.html").render(context)
