"""`touchstone report touchpoint|pack`: print reports from a shell or a cron job."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from sqlmodel import Session, col, select

from app.clikit import database, fail
from app.clikit import settings as cli_settings

if TYPE_CHECKING:
    from app.orgs.models import Organization
    from app.pdf import Renderer
    from reports.filters import ReportFilters
    from reports.pdf.cache import PdfCache

report_cli = typer.Typer(help="Print trend reports as PDF files.", no_args_is_help=True)

ORG_HELP = "Organization name or id (needed when the database holds several)."
PERIOD_HELP = "week, month or quarter."


def _organization(session: Session, org: str | None) -> Organization:
    from app.orgs.models import Organization

    query = select(Organization).order_by(col(Organization.id))
    if org:
        query = query.where(
            (Organization.id == int(org)) if org.isdigit() else (Organization.name == org)
        )
    found = session.exec(query).all()
    if not found:
        raise fail(f"No organization {org!r}." if org else "The database holds no organization.")
    if len(found) > 1:
        names = ", ".join(o.name for o in found)
        raise fail(f"Several organizations ({names}): choose one with --org.")
    return found[0]


@contextmanager
def _printing() -> Iterator[tuple[Session, Renderer, PdfCache]]:
    """A read session, the renderer and the cache of this installation; errors as one line."""
    from app.errors import DomainError
    from app.pdf import Renderer
    from reports.pdf.cache import pdf_cache

    settings = cli_settings()
    db = database()
    renderer = Renderer(
        workers=settings.report_workers, time_limit=settings.report_time_limit_seconds
    )
    cache = pdf_cache(settings)
    try:
        with db.session() as session:
            yield session, renderer, cache
    except DomainError as exc:
        raise fail(exc.message) from None
    finally:
        renderer.close()
        db.dispose()


def _write(out: Path, pdf: bytes, cached: bool) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    tmp.write_bytes(pdf)
    tmp.replace(out)  # a cron job never leaves half a PDF where the meeting expects one
    source = "from the cache" if cached else "freshly printed"
    typer.echo(f"Wrote {out} ({len(pdf) // 1024} KB, {source}).", err=True)


@report_cli.command("touchpoint")
def report_touchpoint(
    touchpoint: str = typer.Argument(..., help="The touchpoint's name or id."),
    out: Path = typer.Option(..., "--out", help="Where to write the PDF."),
    period: str = typer.Option("month", help=PERIOD_HELP),
    start: str = typer.Option("", "--from", help="First day (YYYY-MM-DD); default a year back."),
    end: str = typer.Option("", "--to", help="Last day (YYYY-MM-DD); default today."),
    location: list[str] = typer.Option([], help="Location name or id; repeat for several."),
    region: str = typer.Option("", help="Only locations of this region."),
    paper: str = typer.Option("a4", help="a4 or letter."),
    org: str = typer.Option("", help=ORG_HELP),
) -> None:
    """Print one touchpoint's trend report."""
    from reports.pdf.services import find_touchpoint, touchpoint_pdf

    with _printing() as (session, renderer, cache):
        organization, filters = _scoped(session, org, period, start, end, location, region, paper)
        tp = find_touchpoint(session, touchpoint)
        printed = touchpoint_pdf(session, organization, tp, filters, renderer=renderer, cache=cache)
    _write(out, printed.pdf, printed.cached)


@report_cli.command("pack")
def report_pack(
    out: Path = typer.Option(..., "--out", help="Where to write the PDF."),
    period: str = typer.Option("month", help=PERIOD_HELP),
    start: str = typer.Option("", "--from", help="First day (YYYY-MM-DD); default a year back."),
    end: str = typer.Option("", "--to", help="Last day (YYYY-MM-DD); default today."),
    location: list[str] = typer.Option([], help="Location name or id; repeat for several."),
    region: str = typer.Option("", help="Only locations of this region."),
    paper: str = typer.Option("a4", help="a4 or letter."),
    org: str = typer.Option("", help=ORG_HELP),
) -> None:
    """Print the meeting pack as one document: what needs attention, the journey map, the
    journey at a glance and every shopped touchpoint, with page numbers throughout."""
    from reports.pdf.services import pack_pdf

    def progress(done: int, total: int, step: str) -> None:
        if sys.stderr.isatty() or done in (0, total):
            typer.echo(f"[{done}/{total}] {step}", err=True)

    with _printing() as (session, renderer, cache):
        organization, filters = _scoped(session, org, period, start, end, location, region, paper)
        printed = pack_pdf(
            session, organization, filters, renderer=renderer, cache=cache, progress=progress
        )
    _write(out, printed.pdf, printed.cached)


def _scoped(
    session: Session,
    org: str,
    period: str,
    start: str,
    end: str,
    location: list[str],
    region: str,
    paper: str,
) -> tuple[Organization, ReportFilters]:
    """The organization asked for, the session scoped to it, and the checked filters."""
    from app.tenancy import scope_session
    from reports.filters import parse_filters

    organization = _organization(session, org or None)
    scope_session(session, organization.id or 0)
    filters = parse_filters(
        session,
        organization,
        period=period,
        start=start,
        end=end,
        locations=_location_ids(session, location),
        region=region,
        paper=paper,
    )
    return organization, filters


def _location_ids(session: Session, values: list[str]) -> list[str]:
    """Location names (as people type them) or ids, as ids; unknown ones stay as typed so
    the filters refuse them with the usual message."""
    from app.orgs.models import Location

    by_name = {loc.name.casefold(): str(loc.id) for loc in session.exec(select(Location)).all()}
    return [v if v.strip().isdigit() else by_name.get(v.strip().casefold(), v) for v in values]
