"""CSV exports of shops and answers, streamed, with every input a shop's score is made from.

Which shops, the date and location options, every column, how ``earned`` / ``possible`` add up
to a shop's score, and the formula guard are defined in docs/definitions.md ("CSV export"),
the single source for them: change the two together.

Rows are read with ``yield_per`` (a server-side cursor on PostgreSQL) and written in chunks,
so a million answers never sit in memory at once.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.responses import StreamingResponse
from sqlalchemy import String, Text, and_, cast, func, type_coerce
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.clock import today_in
from app.errors import DomainError
from app.orgs.models import Location, Membership, Organization, Role, User
from app.orgs.staff_names import mask_staff
from app.spreadsheet import text_cell
from app.tenancy import Tenant, scoped_org_id
from audits.models import Answer, Shop, ShopStatus, ShopTouchpoint, Wave
from reports.filters import check_locations, check_range, parse_day
from touchpoints.models import Question, Stage, Touchpoint
from touchpoints.scoring import Given, QuestionSpec, score_question

STATUSES = ("approved", "all")
MSG_STATUS = "Choose which shops to export: status=approved (the default) or status=all."
MSG_STATUS_OWNERS = "Only owners can export shops that are not approved yet."

SHOP_COLUMNS = (
    "shop_id",
    "status",
    "location_id",
    "location",
    "region",
    "visited_at",
    "visited_local",
    "approved_at",
    "score",
    "earned",
    "possible",
    "critical_fail",
    "scenario",
    "wave",
)
ANSWER_COLUMNS = (
    "shop_id",
    "location_id",
    "location",
    "region",
    "visited_at",
    "visited_local",
    "stage",
    "touchpoint_id",
    "touchpoint",
    "question_id",
    "question_lineage",
    "question_version",
    "question_text",
    "kind",
    "weight",
    "critical",
    "config",
    "value",
    "not_applicable",
    "comment",
    "earned",
    "possible",
    # What the reports need beyond the answers (docs/definitions.md, "CSV export"): the day
    # the shop counts on, its touchpoint's target and the organization's near band.
    "report_day",
    "target",
    "near_target",
)

CHUNK_ROWS = 500  # rows per chunk written to the client
FETCH_ROWS = 2000  # rows per round trip to the database


class NotForStaff(DomainError):
    status_code = 403


@dataclass(frozen=True)
class ExportFilter:
    """What to export, checked: UTC bounds [start, end), and whose eyes it is for."""

    org_id: int
    tz: ZoneInfo
    start: datetime | None
    end: datetime | None
    location_ids: tuple[int, ...] | None
    all_statuses: bool
    with_shopper: bool
    # Staff (viewers) get comments with the location's staff names masked (app.orgs.
    # staff_names); owners the original text. Defaults to masked: the safe side.
    mask_staff: bool = True


def export_filter(
    tenant: Tenant,
    *,
    status: str = "approved",
    date_from: str = "",
    date_to: str = "",
    location_ids: Sequence[int] | None = None,
) -> ExportFilter:
    """Check the export's options for this member; DomainError names the field at fault."""
    if status not in STATUSES:
        raise DomainError(MSG_STATUS, field="status")
    is_owner = tenant.role == Role.owner
    if status == "all" and not is_owner:
        raise NotForStaff(MSG_STATUS_OWNERS, field="status")
    first, last = parse_day(date_from, "from"), parse_day(date_to, "to")
    check_range(first, last)
    tz = ZoneInfo(tenant.org.timezone)
    start = datetime.combine(first, time(0), tzinfo=tz).astimezone(UTC) if first else None
    # The end day is inclusive: everything before the next local midnight.
    end = (
        datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
        if last
        else None
    )
    ids = None
    if location_ids:
        ids = tuple(check_locations(tenant.session, (int(i) for i in location_ids)))
    return ExportFilter(
        org_id=tenant.org_id,
        tz=tz,
        start=start,
        end=end,
        location_ids=ids,
        all_statuses=status == "all",
        with_shopper=is_owner,
        mask_staff=not is_owner,
    )


# --- cells (text_cell is app.spreadsheet's) ------------------------------------------------


def number_cell(value: float | int | None) -> str:
    """A number as a number: no apostrophe (it is not text), no precision lost."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return bool_cell(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def bool_cell(value: bool | None) -> str:
    return "" if value is None else ("true" if value else "false")


def utc_cell(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""


def local_cell(value: datetime | None, tz: ZoneInfo) -> str:
    return value.astimezone(tz).isoformat(timespec="seconds") if value else ""


def scoring_config(question: Question) -> dict[str, Any]:
    """What the scoring reads besides kind, weight and critical, spelled out per kind."""
    config = question.config or {}
    kind = str(question.kind)
    if kind == "scale":
        return {"min": 1, "max": 5, "labels": config.get("scale_labels") or []}
    if kind == "number":
        keys = ("rule", "threshold", "unit")
        return {k: str(config[k]) if k == "rule" else config[k] for k in keys if k in config}
    if kind == "choice":
        return {"options": config.get("options") or []}
    if kind == "yes_no":
        return {"yes": 1, "no": 0}
    return {}


# --- shared reads ---------------------------------------------------------------------------


def _org(session: Session, filters: ExportFilter) -> int:
    # Exports read through the ORM, so the tenancy hook scopes every table; the explicit
    # org filters below are a second lock, and this check that the two agree is a third.
    if scoped_org_id(session) != filters.org_id:
        raise RuntimeError("exports need a session scoped to the export's organization")
    return filters.org_id


def _moment() -> Any:
    return func.coalesce(col(Shop.visited_at), col(Shop.approved_at))


def _shop_where(filters: ExportFilter) -> list[Any]:
    clauses: list[Any] = [col(Shop.org_id) == filters.org_id]
    if not filters.all_statuses:
        clauses.append(col(Shop.status) == ShopStatus.approved)
    if filters.start is not None:
        clauses.append(_moment() >= filters.start)
    if filters.end is not None:
        clauses.append(_moment() < filters.end)
    if filters.location_ids is not None:
        clauses.append(col(Shop.location_id).in_(filters.location_ids))
    return clauses


def _order() -> tuple[Any, ...]:
    return (_moment().asc().nulls_last(), col(Shop.id).asc())


def _locations(session: Session) -> dict[int, Location]:
    return {loc.id: loc for loc in session.exec(select(Location)) if loc.id is not None}


def _chunks(header: Sequence[str], rows: Iterable[Sequence[str]]) -> Iterator[bytes]:
    """CSV text (RFC 4180, CRLF line ends) in UTF-8 chunks of CHUNK_ROWS rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    pending = 0
    for row in rows:
        writer.writerow(row)
        pending += 1
        if pending >= CHUNK_ROWS:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate(0)
            pending = 0
    yield buffer.getvalue().encode()


# --- shops.csv ----------------------------------------------------------------------------


def shop_columns(filters: ExportFilter) -> tuple[str, ...]:
    return SHOP_COLUMNS + (("shopper",) if filters.with_shopper else ())


def _shopper_emails(session: Session, org_id: int) -> dict[int, str]:
    """E-mail of every member of the organization (users are not org-owned: go through the
    organization's memberships, so a user outside it stays unnamed)."""
    rows = session.exec(
        select(User.id, User.email)
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(col(Membership.org_id) == org_id)
    )
    return {int(uid): email for uid, email in rows if uid is not None}


def shop_rows(session: Session, filters: ExportFilter) -> Iterator[list[str]]:
    org_id = _org(session, filters)
    locations = _locations(session)
    waves = {w.id: w.name for w in session.exec(select(Wave))}
    emails = _shopper_emails(session, org_id) if filters.with_shopper else {}
    # Wider than sqlmodel's typed select() goes: SQLAlchemy's own.
    query = (
        sa_select(
            col(Shop.id),
            col(Shop.status),
            col(Shop.location_id),
            col(Shop.visited_at),
            col(Shop.approved_at),
            col(Shop.score),
            col(Shop.score_detail),
            col(Shop.scenario),
            col(Shop.wave_id),
            col(Shop.shopper_id),
        )
        .where(col(Shop.org_id) == org_id, *_shop_where(filters))
        .order_by(*_order())
        .execution_options(yield_per=FETCH_ROWS)
    )
    tz = filters.tz
    for (
        sid,
        status,
        lid,
        visited,
        approved,
        score,
        detail,
        scenario,
        wave_id,
        shopper,
    ) in session.execute(query):
        location = locations.get(lid)
        detail = detail or {}
        sections = detail.get("sections") or []
        row = [
            number_cell(sid),
            str(status),
            number_cell(lid),
            text_cell(location.name if location else ""),
            text_cell(location.region if location else ""),
            utc_cell(visited),
            local_cell(visited, tz),
            utc_cell(approved),
            number_cell(score),
            number_cell(detail.get("earned")),
            number_cell(detail.get("possible")),
            bool_cell(any(s.get("critical_fail") for s in sections) if detail else None),
            text_cell(scenario),
            text_cell(waves.get(wave_id, "") if wave_id is not None else ""),
        ]
        if filters.with_shopper:
            row.append(text_cell(emails.get(shopper, "") if shopper is not None else ""))
        yield row


def shops_csv(session: Session, filters: ExportFilter) -> Iterator[bytes]:
    return _chunks(shop_columns(filters), shop_rows(session, filters))


# --- answers.csv --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Asked:
    """A question version with its cells made once, not once per answer."""

    spec: QuestionSpec
    scored: bool
    cells: tuple[str, ...]  # stage .. config
    target: str  # the touchpoint's target


def _questions(session: Session) -> dict[int, _Asked]:
    stages = {s.id: s.name for s in session.exec(select(Stage))}
    touchpoints = {t.id: t for t in session.exec(select(Touchpoint))}
    asked = {}
    for q in session.exec(select(Question)):
        tp = touchpoints.get(q.touchpoint_id)
        spec = QuestionSpec(
            id=q.id or 0,
            kind=str(q.kind),
            weight=q.weight,
            critical=q.critical,
            config=q.config or {},
        )
        cells = (
            text_cell(stages.get(tp.stage_id, "") if tp else ""),
            number_cell(q.touchpoint_id),
            text_cell(tp.name if tp else ""),
            number_cell(q.id),
            text_cell(q.lineage),
            number_cell(q.version),
            text_cell(q.text),
            str(q.kind),
            number_cell(q.weight),
            bool_cell(q.critical),
            json.dumps(scoring_config(q), ensure_ascii=False, separators=(",", ":")),
        )
        scored = spec.kind != "text" and spec.weight > 0
        asked[spec.id] = _Asked(spec, scored, cells, number_cell(tp.target) if tp else "")
    return asked


def _points(spec: QuestionSpec, raw: str | None, not_applicable: bool) -> tuple[str, str]:
    try:
        value = None if raw is None else json.loads(raw)
        scored = score_question(spec, Given(value=value, not_applicable=not_applicable))
    except (TypeError, ValueError, KeyError, IndexError, ZeroDivisionError):
        # A stored value the scoring cannot read would break the shop's own page too; an
        # export that stops halfway would be worse than one empty pair of cells.
        return "", ""
    return number_cell(scored.earned), number_cell(scored.possible)


NOT_SCORED = ("0", "0")  # free text, or a weight of 0: counted in neither total


class _PointsCache:
    """Points of (question, N/A, raw JSON): a checklist's answers take few distinct values,
    so a million answers need a few thousand scorings, and no JSON parsing per row."""

    LIMIT = 100_000  # distinct free-form numbers could be many: stop remembering, not grow

    def __init__(self) -> None:
        self.known: dict[tuple[int, bool, str | None], tuple[str, str]] = {}

    def get(self, question: _Asked, raw: str | None, not_applicable: bool) -> tuple[str, str]:
        if not question.scored:
            return NOT_SCORED
        key = (question.spec.id, not_applicable, raw)
        found = self.known.get(key)
        if found is None:
            found = _points(question.spec, raw, not_applicable)
            if len(self.known) < self.LIMIT:
                self.known[key] = found
        return found


def raw_value_cell(raw: str | None) -> str:
    """The stored JSON text; a leading minus can only start a (negative) number."""
    if raw is None:
        return ""
    if raw.startswith('"') and "\\u" in raw:
        # Stored with ASCII escapes ("Tr\\u00e8s"): spell the text out for the reader.
        raw = json.dumps(json.loads(raw), ensure_ascii=False)
    return raw if raw.startswith("-") else text_cell(raw)


def _utc(value: Any) -> datetime | None:
    """A timestamp read without the ORM type: SQLite hands back its stored UTC text."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def answer_rows(session: Session, filters: ExportFilter) -> Iterator[list[str]]:
    org_id = _org(session, filters)
    org = session.get(Organization, org_id)
    near = number_cell(org.near_target) if org else ""
    locations = _locations(session)
    asked = _questions(session)
    points = _PointsCache()
    # Only the answers of sections the shop covers count in its score (audits.queries.
    # shop_sections); the join on shop_touchpoint keeps the export to exactly those.
    # The answer's JSON and the visit time come back untyped (decoded once per distinct
    # value / per shop below, not once per row): at a million rows that halves the time.
    raw_value = cast(col(Answer.value), Text)
    query = (
        sa_select(
            col(Answer.shop_id),
            col(Shop.location_id),
            type_coerce(col(Shop.visited_at), String),
            col(Answer.question_id),
            raw_value,
            col(Answer.not_applicable),
            col(Answer.comment),
            type_coerce(col(Shop.report_day), String),
            col(Answer.share),
        )
        .select_from(Answer)
        .join(Shop, col(Shop.id) == col(Answer.shop_id))
        .join(Question, col(Question.id) == col(Answer.question_id))
        .join(
            ShopTouchpoint,
            and_(
                col(ShopTouchpoint.shop_id) == col(Answer.shop_id),
                col(ShopTouchpoint.touchpoint_id) == col(Question.touchpoint_id),
            ),
        )
        .where(
            # Executed on the connection (Core, no ORM row overhead), so the tenancy hook
            # does not run: every table is filtered by the organization here, explicitly.
            col(Answer.org_id) == org_id,
            col(Question.org_id) == org_id,
            col(ShopTouchpoint.org_id) == org_id,
            *_shop_where(filters),
        )
        .order_by(
            *_order(),
            col(ShopTouchpoint.position),
            col(Question.position),
            col(Question.id),
        )
        .execution_options(yield_per=FETCH_ROWS)
    )
    result = session.connection().execute(query)
    last_shop: int | None = None
    shop_cells: list[str] = []
    location: Location | None = None
    for sid, lid, visited_raw, qid, stored, na, comment, day, share in result:
        if sid != last_shop:  # rows come shop by shop: make the shop's cells once
            location = locations.get(lid)
            visited = _utc(visited_raw)
            shop_cells = [
                number_cell(sid),
                number_cell(lid),
                text_cell(location.name if location else ""),
                text_cell(location.region if location else ""),
                utc_cell(visited),
                local_cell(visited, filters.tz),
            ]
            last_shop = sid
        question = asked[qid]
        raw: str | None = None if stored is None or stored == "null" else str(stored)
        earned, possible = points.get(question, raw, bool(na))
        if share is None and raw is not None and not na and question.scored and day is not None:
            # An approved shop's scored answer without a share: its question's show-when rule
            # hid it (audits.services keeps the share so), so it counts for nothing.
            earned, possible = NOT_SCORED
        yield [
            *shop_cells,
            *question.cells,
            raw_value_cell(raw),
            bool_cell(bool(na)),
            text_cell(
                mask_staff(comment, location.staff_names if location else None)
                if filters.mask_staff
                else comment
            ),
            earned,
            possible,
            "" if day is None else str(day)[:10],
            question.target,
            near,
        ]


def answers_csv(session: Session, filters: ExportFilter) -> Iterator[bytes]:
    return _chunks(ANSWER_COLUMNS, answer_rows(session, filters))


# --- the response ---------------------------------------------------------------------------

EXPORTS: dict[str, Callable[[Session, ExportFilter], Iterator[bytes]]] = {
    "shops": shops_csv,
    "answers": answers_csv,
}


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "organization"


def export_filename(tenant: Tenant, kind: str, today: date | None = None) -> str:
    today = today or today_in(tenant.org.timezone)
    return f"{_slug(tenant.org.name)}-{kind}-{today.isoformat()}.csv"


@dataclass(frozen=True)
class ExportOptions:
    """An export's options as asked for, before export_filter checks them."""

    status: str
    date_from: str
    date_to: str
    location_ids: Sequence[int] | None


def export_response(tenant: Tenant, kind: str, options: ExportOptions) -> StreamingResponse:
    """Check the options (errors raise before a byte is sent), then stream the CSV.

    The request's session stays open until the response is sent (FastAPI closes dependencies
    with yield after a streaming response ends), so the stream reads through it, scoped.
    """
    filters = export_filter(
        tenant,
        status=options.status,
        date_from=options.date_from,
        date_to=options.date_to,
        location_ids=options.location_ids,
    )
    body = EXPORTS[kind](tenant.session, filters)
    return StreamingResponse(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{export_filename(tenant, kind)}"',
            # Shopper identity (owners) and results: nothing for a shared cache to keep.
            "Cache-Control": "no-store",
        },
    )
