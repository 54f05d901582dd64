"""Printing one visit's report: fingerprint what it shows, reuse a cached PDF, else render."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from sqlmodel import Session

from app.errors import DomainError
from app.i18n.current import using
from app.orgs.models import Organization
from app.pdf import Renderer
from audits.models import Shop
from audits.photos.services import photo_thumbnail
from reports.filters import MSG_PAPER, PAPERS
from reports.language import _, day, lang, report_language
from reports.pdf import documents
from reports.pdf.cache import PdfCache, fingerprint, template_version
from reports.pdf.services import FIGURES_MODULE, LANGUAGE_FILES, Printed, pdf_filename
from reports.visit.queries import VisitReport, visit_report

# Bumped by hand when the report's assembly changes (its template is hashed anyway).
VISIT_VERSION = 1
# Thumbnails are drawn about 36 mm wide: 360 pixels print sharp at that size.
THUMBNAIL_SIDE = 360


def check_paper(value: str | None) -> str:
    paper = (value or "a4").strip().lower()
    if paper not in PAPERS:
        raise DomainError(MSG_PAPER, field="paper")
    return paper


def _thumbnails(report: VisitReport, data_dir: Path) -> dict[str, str]:
    """data: URIs of the photos' thumbnails by photo id; a photo whose file is gone is left
    out (the report says so) rather than failing the print."""
    found: dict[str, str] = {}
    for section in report.sections:
        for answer in section.answers:
            for photo in answer.photos:
                jpeg = photo_thumbnail(data_dir, photo.path, side=THUMBNAIL_SIDE)
                if jpeg is not None:
                    found[str(photo.id)] = "data:image/jpeg;base64," + base64.b64encode(
                        jpeg
                    ).decode("ascii")
    return found


def visit_html(report: VisitReport, *, paper: str, thumbnails: dict[str, str]) -> str:
    """The report of one visit: its answers, marks, comments, photos and score sums."""
    portrait, landscape = documents.PAGE_SIZES[paper]
    visited = report.visited_at
    footer = _(
        "Touchstone visit report · shop #%(id)s · %(location)s",
        id=report.shop_id,
        location=report.location,
    )
    if visited:
        footer += " · " + _("visited %(day)s", day=day(visited))
    context: dict[str, Any] = {
        "lang": lang(),
        "v": report,
        "thumbnails": thumbnails,
        "header_left": report.org_name,
        "header_right": _("Visit report · shop #%(id)s", id=report.shop_id),
        "footer_left": footer,
        "page_size": portrait,
        "page_counter": documents.page_counter(),
        "landscape_size": landscape,
    }
    return documents.environment().get_template("reports/pdf/visit.html").render(context)


def visit_pdf(
    session: Session,
    org: Organization,
    shop: Shop,
    *,
    with_shopper: bool,
    paper: str,
    renderer: Renderer,
    cache: PdfCache,
    data_dir: Path,
) -> Printed:
    """The visit's PDF, from the cache when nothing it shows has changed."""
    report = visit_report(session, org, shop, with_shopper=with_shopper)
    code = report_language(org)
    key = fingerprint(
        "visit",
        code,  # a Spanish print is never served for an English one
        VISIT_VERSION,
        template_version([documents.PDF_TEMPLATES, FIGURES_MODULE, *LANGUAGE_FILES]),
        report,
        paper,
    )
    day = report.visited_at.date().isoformat() if report.visited_at else "not-visited"
    name = pdf_filename(org.name, f"visit-{report.shop_id}", day)
    cached = cache.get(key)
    if cached is not None:
        return Printed(cached, key, True, name)
    with using(code):
        html = visit_html(report, paper=paper, thumbnails=_thumbnails(report, data_dir))
    pdf = renderer.render(html).pdf
    cache.put(key, pdf)
    return Printed(pdf, key, False, name)
