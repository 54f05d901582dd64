"""Printing reports: fingerprint the input, reuse a cached PDF, otherwise build and render.

The web worker, the CLI and the pack job all print through these functions. Rendering itself
happens in the render worker processes (`app.pdf`); this module runs the queries and
writes the HTML (the meeting pack as one document, gathered by `reports.pdf.pack`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session

from app import figures, status
from app.clock import today_in
from app.errors import NotFoundError
from app.i18n.catalogs import LOCALE_DIR, N_
from app.i18n.current import using
from app.i18n.message import message
from app.modelbase import utcnow
from app.orgs.models import Organization
from app.pdf import Renderer
from app.tenancy import org_sql, require_org
from reports import language, periods, stats, summary
from reports.filters import ReportFilters
from reports.language import report_language
from reports.loop import summary as loop
from reports.loop.queries import loop_stamp
from reports.pdf import documents
from reports.pdf.cache import PdfCache, fingerprint, template_version
from reports.pdf.pack import pack_document
from reports.summary import touchpoint_report
from touchpoints import queries as journey_queries
from touchpoints.models import Touchpoint

MSG_NO_TOUCHPOINT = N_("No touchpoint of this organization is called or numbered %(value)r.")
# Bumped by hand when the way the parts are assembled changes (templates are hashed anyway).
# 3: the pack is one document (continuous page numbers, contents with pages), no longer
# touchpoint PDFs joined; partial periods are marked, so "to date" is part of the key.
# 2: scores kept at full precision and rounded once (app.figures); PDFs cached before print
# figures rounded twice, and the stored percents changed under them without a new stamp.
ASSEMBLY_VERSION = 3
LOOP_MODULE = Path(loop.__file__)
PERIODS_MODULE = Path(periods.__file__)
CATALOG_DIR = LOCALE_DIR
FIGURES_MODULE = Path(figures.__file__)  # the display rounding of every printed figure
# The status rule, the intervals and change calls, and the headline's words.
STATUS_MODULES = [
    Path(status.__file__),
    Path(stats.__file__),
    Path(summary.__file__),
    documents.STATUS_TEMPLATE,
]

# The words of a report in other languages: a new translation prints anew.
LANGUAGE_FILES = [Path(language.__file__), PERIODS_MODULE, CATALOG_DIR]

Progress = Callable[[int, int, str], None]  # (parts done, parts in all, what is happening)


def _no_progress(done: int, total: int, step: str) -> None:
    return None


def data_stamp(session: Session, org_id: int) -> str:
    """A short digest of everything a report of the organization is drawn from.

    Cheap on purpose (a repeat print must cost milliseconds): approved shops change it by
    count, newest id and newest approval; any status change or correction adds a shop event;
    the journey, locations and the organization's name and time zone are small enough to
    hash whole; recovery cases, measure values and action items by `loop_stamp`.
    """
    queries = {
        "shops": "SELECT COUNT(*), MAX(id), MAX(approved_at) FROM shop "
        "WHERE ORG_SCOPE(shop) AND status = 'approved'",
        "events": "SELECT COUNT(*), MAX(id) FROM shop_event WHERE ORG_SCOPE(shop_event)",
        "org": "SELECT name, timezone, near_target, report_language, languages "
        "FROM organization WHERE ORG_SCOPE(organization)",
        "stages": "SELECT id, name, position, archived_at FROM stage WHERE ORG_SCOPE(stage) "
        "ORDER BY id",
        # Translations too: reports name touchpoints and questions in the report language.
        "touchpoints": "SELECT id, stage_id, name, target, team, position, archived_at, "
        "translations FROM touchpoint WHERE ORG_SCOPE(touchpoint) ORDER BY id",
        "questions": "SELECT id, lineage, version, status, text, weight, critical, position, "
        "translations FROM question WHERE ORG_SCOPE(question) ORDER BY id",
        # Staff names: a printed report's comments mask them (app.orgs.staff_names).
        "locations": "SELECT id, name, region, staff_names FROM location "
        "WHERE ORG_SCOPE(location) ORDER BY id",
    }
    require_org(session, org_id)
    parts = {
        name: [list(row) for row in org_sql(session, sql).all()] for name, sql in queries.items()
    }
    # Recovery cases, measure values and action items; and what moves with the clock alone
    # (a case's 24 h running out, an item passing its due day).
    zone = parts["org"][0][1] if parts["org"] else "UTC"
    now = utcnow()
    parts["loop"] = loop_stamp(
        session, org_id, now=now, today=now.astimezone(ZoneInfo(zone)).date()
    )
    return fingerprint(json.dumps(parts, default=str, sort_keys=True))


def _fingerprint(kind: str, stamp: str, *, lang: str, **parts: object) -> str:
    """The cache key of a printed report: what it is, its language, how it is laid out, the
    data under it. The language is part of it, so a Spanish PDF is never served for English."""
    return fingerprint(
        kind,
        lang,
        ASSEMBLY_VERSION,
        # The loop's wording ("7 of 9 fixed within 24 h") is written in Python, like the charts.
        template_version(
            [
                documents.PDF_TEMPLATES,
                documents.CHARTS_MODULE,
                LOOP_MODULE,
                FIGURES_MODULE,
                *STATUS_MODULES,
                *LANGUAGE_FILES,
            ]
        ),
        stamp,
        parts,
    )


def find_touchpoint(session: Session, name_or_id: str) -> Touchpoint:
    """A touchpoint of the scoped organization by id or by (case-insensitive) name."""
    value = name_or_id.strip()
    if value.isdigit():
        found = session.get(Touchpoint, int(value))
        if found is not None:
            return found
    wanted = value.casefold()
    for stage_view in journey_queries.journey(session, include_archived=True):
        for tp in stage_view.touchpoints:
            if tp.name.casefold() == wanted:
                return tp
    raise NotFoundError(message(MSG_NO_TOUCHPOINT, value=value), field="touchpoint")


@dataclass(frozen=True)
class Printed:
    pdf: bytes
    fingerprint: str
    cached: bool
    filename: str


def pdf_filename(*parts: str) -> str:
    words = "-".join(parts).casefold()
    safe = "".join(ch if ch.isalnum() else "-" for ch in words)
    return "-".join(filter(None, safe.split("-")))[:120] + ".pdf"


def touchpoint_pdf(
    session: Session,
    org: Organization,
    touchpoint: Touchpoint,
    filters: ReportFilters,
    *,
    renderer: Renderer,
    cache: PdfCache,
) -> Printed:
    """One touchpoint's report as a PDF: from the cache when nothing it shows has changed."""
    stamp = data_stamp(session, org.id or 0)
    lang = report_language(org)
    key = _fingerprint(
        "touchpoint",
        stamp,
        lang=lang,
        touchpoint=touchpoint.id,
        to_date=_to_date(org, filters),
        **filters.as_params(),
    )
    name = pdf_filename(
        org.name, touchpoint.name, filters.start.isoformat(), filters.end.isoformat()
    )
    cached = cache.get(key)
    if cached is not None:
        return Printed(cached, key, True, name)
    # Built and drawn in the report's language: headlines and period names are written in
    # Python as the report is put together (reports.language).
    with using(lang):
        report = touchpoint_report(session, org, touchpoint, filters, medium="print")
        today = report.generated_at.date()
        html = documents.touchpoint_html(report, today=today)
    pdf = renderer.render(html).pdf
    cache.put(key, pdf)
    return Printed(pdf, key, False, name)


def _to_date(org: Organization, filters: ReportFilters) -> bool:
    """Whether the range reaches today: its running period is then marked "to date"."""
    return filters.end >= today_in(org.timezone)


def pack_fingerprint(session: Session, org: Organization, filters: ReportFilters) -> str:
    return _fingerprint(
        "pack",
        data_stamp(session, org.id or 0),
        lang=report_language(org),
        to_date=_to_date(org, filters),
        **filters.as_params(),
    )


def pack_filename(org: Organization, filters: ReportFilters) -> str:
    return pdf_filename(org.name, "meeting-pack", filters.end.isoformat())


def pack_pdf(
    session: Session,
    org: Organization,
    filters: ReportFilters,
    *,
    renderer: Renderer,
    cache: PdfCache,
    progress: Progress = _no_progress,
) -> Printed:
    """The meeting pack as one document: what needs attention and the contents, the journey
    map, the journey at a glance, then every touchpoint with shops in journey order.

    One HTML document rendered at once, so the page numbers run across the whole pack and the
    contents can give each part's page (pypdf joining separate PDFs could do neither); every
    part carries the pack's own generated time. The whole pack is cached under its key.
    """
    key = pack_fingerprint(session, org, filters)
    name = pack_filename(org, filters)
    cached = cache.get(key)
    if cached is not None:
        progress(1, 1, "Ready")
        return Printed(cached, key, True, name)

    progress(0, 1, "Collecting the results")
    now = utcnow().astimezone(ZoneInfo(org.timezone))
    with using(report_language(org)):
        doc = pack_document(session, org, filters, now=now, today=now.date())
        html = documents.pack_html(doc)
    parts = len(doc.reports) + 3  # first page, map, glance, a part per touchpoint
    # The job's total counts the parts, so a job is only given up as lost (reports.pdf.jobs:
    # the time limit per part) well after this one document's own limit has passed.
    total = parts + 1
    progress(1, total, f"Printing {parts} parts as one document")
    # One document does the work the parts did side by side: it gets their time together.
    limit = renderer.time_limit * max(1, parts / 2)
    pdf = renderer.render(html, time_limit=limit).pdf
    cache.put(key, pdf)
    progress(total, total, "Ready")
    return Printed(pdf, key, False, name)
