"""Importing a phone's file: the answers a shopper saved to a file when the phone had no signal.

The phone writes the file ("Save a copy to this phone", app/static/touchstone-queue.js) from
its outbox: the format marker and version, the shop, the user, when it was written and the
queued items of that shop. An owner imports it on the shop's page. Everything in it is checked
before anything is written (a bad item writes nothing), then every answer goes through
answer_upsert, the phone's own save, so the newest answer by given_at stands and importing the
same file twice changes nothing the second time. Each save commits on its own, as the phone's
do: an import cut short by a stopped server is finished by importing the file again.
(docs/reliability.md, "A file when there is no signal")
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from app.errors import ConflictError, DomainError
from app.i18n.catalogs import N_
from app.i18n.message import message
from app.modelbase import utcnow
from audits.models import OPEN_STATES, Answer, Shop, ShopTouchpoint
from audits.services import (
    AnswerInput,
    answer_upsert,
    checked_value,
    phone_time,
    question_in_shop,
    section_comment_record,
    shop_visit_record,
    shop_visit_start,
)

FORMAT = "touchstone-phone-copy"
VERSION = 1
MAX_BYTES = 1024 * 1024

MSG_TOO_BIG = "That file is larger than 1 MB; a phone's copy is much smaller. Choose its file."
MSG_NO_FILE = "Choose the file saved on the phone (a .json file)."
MSG_NOT_JSON = "That file is not a phone's copy: it cannot be read as JSON."
MSG_WRONG_FORMAT = "That file is not a phone's copy of Touchstone answers."
MSG_WRONG_VERSION = N_("That file was written by another version of Touchstone (%(version)s).")
MSG_OTHER_SHOP = N_("That file holds the answers of shop #%(other)s, not of this shop.")
MSG_OTHER_USER = "That file was written by someone who is not this shop's shopper."
MSG_CLOSED = N_(
    "A shop that is %(status)s does not take answers from a file. "
    "Return it to the shopper first if the answers should change."
)
MSG_UNKNOWN_QUESTION = N_(
    "The file answers a question that is not part of this shop (%(question)s)."
)
MSG_BAD_ITEM = N_("The file has an item that cannot be read (item %(index)s).")
MSG_BAD_ANSWER = N_("Item %(index)s: %(message)s")


@dataclass
class ImportResult:
    answers: int = 0  # answers in the file
    older: int = 0  # of which the shop already had a newer one: left as they are
    unchanged: int = 0  # of which the shop had exactly that answer already
    visit: bool = False
    section_comments: int = 0
    photos_left_out: int = 0
    notes: list[str] = field(default_factory=list)

    def words(self) -> str:
        s = "" if self.answers == 1 else "s"
        text = f"Imported {self.answers} answer{s}"
        extras = []
        if self.older:
            were = "was" if self.older == 1 else "were"
            extras.append(f"{self.older} {were} older than what the shop has and {were} left as")
            extras[-1] += " it is" if self.older == 1 else " they are"
        if self.unchanged:
            extras.append(f"{self.unchanged} the shop already had")
        if extras:
            text += " (" + "; ".join(extras) + ")"
        more = []
        if self.visit:
            more.append("the visit details")
        if self.section_comments:
            c = "" if self.section_comments == 1 else "s"
            more.append(f"{self.section_comments} section comment{c}")
        if more:
            text += ", and " + " and ".join(more)
        return text + "."


@dataclass
class _Parsed:
    answers: list[AnswerInput]
    visit: dict[str, Any] | None
    sections: list[tuple[int, str]]
    # "Start the visit", by the phone's clock. The phone's copy leaves the location check
    # out (a position must not pass through anyone's hands), so none is recorded.
    start: datetime | None = None
    started: bool = False


def read_file(raw: bytes) -> dict[str, Any]:
    """The file's JSON object, or a DomainError that says why it is not a phone's copy."""
    if len(raw) > MAX_BYTES:
        raise DomainError(MSG_TOO_BIG, field="file")
    if not raw.strip():
        raise DomainError(MSG_NO_FILE, field="file")
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise DomainError(MSG_NOT_JSON, field="file") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise DomainError(MSG_WRONG_FORMAT, field="file")
    if data.get("version") != VERSION:
        raise DomainError(message(MSG_WRONG_VERSION, version=data.get("version")), field="file")
    return data


def _check(session: Session, shop: Shop, data: dict[str, Any], tz: str) -> _Parsed:
    """Every item of the file checked against this shop; nothing written."""
    if data.get("shop_id") != shop.id:
        raise DomainError(message(MSG_OTHER_SHOP, other=data.get("shop_id")), field="file")
    if shop.shopper_id is None or str(data.get("user_id")) != str(shop.shopper_id):
        raise DomainError(MSG_OTHER_USER, field="file")
    if shop.status not in OPEN_STATES:
        raise ConflictError(message(MSG_CLOSED, status=str(shop.status).replace("_", " ")))
    items = data.get("items")
    if not isinstance(items, list):
        raise DomainError(MSG_WRONG_FORMAT, field="file")
    parsed = _Parsed(answers=[], visit=None, sections=[])
    links = {
        link.touchpoint_id
        for link in session.exec(select(ShopTouchpoint).where(ShopTouchpoint.shop_id == shop.id))
    }
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise DomainError(message(MSG_BAD_ITEM, index=index), field="file")
        kind = item.get("kind")
        if kind == "answer":
            qid = item.get("question_id")
            comment = item.get("comment") or ""
            if not isinstance(qid, int) or isinstance(qid, bool) or not isinstance(comment, str):
                raise DomainError(message(MSG_BAD_ITEM, index=index), field="file")
            try:
                answer_id = uuid.UUID(str(item.get("id")))
            except ValueError as exc:
                raise DomainError(message(MSG_BAD_ITEM, index=index), field="file") from exc
            answer = AnswerInput(
                id=answer_id,
                question_id=qid,
                value=item.get("value"),
                not_applicable=item.get("not_applicable") is True,
                comment=comment,
                given_at=phone_time(item.get("given_at")),
            )
            try:
                question = question_in_shop(session, shop, qid)
            except DomainError as exc:
                raise DomainError(
                    message(MSG_UNKNOWN_QUESTION, question=qid), field="file"
                ) from exc
            try:
                checked_value(question, answer)
            except DomainError as exc:
                raise DomainError(
                    message(MSG_BAD_ANSWER, index=index, message=exc.message), field="file"
                ) from exc
            parsed.answers.append(answer)
        elif kind == "visit":
            parsed.visit = _visit(item, tz, index, shop, parsed.visit or {})
        elif kind == "visit-start":
            parsed.started = True
            parsed.start = phone_time(item.get("started_at"))
        elif kind == "section-comment":
            tp = item.get("touchpoint_id")
            comment = item.get("comment") or ""
            if not isinstance(tp, int) or not isinstance(comment, str) or tp not in links:
                raise DomainError(message(MSG_BAD_ITEM, index=index), field="file")
            parsed.sections.append((tp, comment))
        else:
            raise DomainError(message(MSG_BAD_ITEM, index=index), field="file")
    return parsed


def _visit(
    item: dict[str, Any], tz: str, index: int, shop: Shop, before: dict[str, Any]
) -> dict[str, Any]:
    """The visit fields as the phone's page typed them (a local date and time, minutes)."""
    bad = DomainError(message(MSG_BAD_ITEM, index=index), field="file")
    out = dict(before)
    if "visited_at" in item:
        raw = str(item.get("visited_at") or "").strip()
        if raw:
            try:
                local = datetime.fromisoformat(raw)
            except ValueError as exc:
                raise bad from exc
            out["visited_at"] = local if local.tzinfo else local.replace(tzinfo=ZoneInfo(tz))
        else:
            out["visited_at"] = None
    if "duration_minutes" in item:
        raw = str(item.get("duration_minutes") or "").strip()
        try:
            out["duration_minutes"] = int(raw) if raw else None
        except ValueError as exc:
            raise bad from exc
    if "comment" in item:
        comment = item.get("comment")
        if not isinstance(comment, str):
            raise bad
        out["comment"] = comment
    return out


def import_file(*, session: Session, shop: Shop, raw: bytes, tz: str) -> ImportResult:
    """Check the whole file, then apply it through the phone's own saves (see module doc).

    The answers are saved as the shop's shopper's (they are), so the shop's log shows the
    first answer under them as it would from the phone.
    """
    data = read_file(raw)
    parsed = _check(session, shop, data, tz)
    shopper = shop.shopper_id
    assert shopper is not None  # _check refuses a shop without a shopper
    result = ImportResult(photos_left_out=int(data.get("photos_left_out") or 0))
    if parsed.visit is not None:
        # Checked as shop_visit_record checks them, before any answer is written.
        visited = parsed.visit.get("visited_at", shop.visited_at)
        minutes = parsed.visit.get("duration_minutes", shop.duration_minutes)
        if minutes is not None and not 0 < minutes <= 24 * 60:
            raise DomainError("The file's visit length is not possible.", field="file")
        if visited is not None and visited > utcnow() + timedelta(hours=1):
            raise DomainError("The file's visit is in the future.", field="file")
    revisions = {
        a.question_id: a.revision
        for a in session.exec(select(Answer).where(Answer.shop_id == shop.id))
    }
    if parsed.started:
        shop_visit_start(
            session=session, shop=shop, actor_id=shopper, started_at=parsed.start, check=None
        )
    for answer in parsed.answers:
        saved = answer_upsert(session=session, shop=shop, actor_id=shopper, data=answer)
        result.answers += 1
        if not saved.applied:
            result.older += 1
        elif saved.answer.revision == revisions.get(answer.question_id):
            result.unchanged += 1
    if parsed.visit is not None:
        shop_visit_record(
            session=session,
            shop=shop,
            actor_id=shopper,
            visited_at=parsed.visit.get("visited_at", shop.visited_at),
            duration_minutes=parsed.visit.get("duration_minutes", shop.duration_minutes),
            comment=parsed.visit.get("comment"),
        )
        result.visit = True
    for touchpoint_id, comment in parsed.sections:
        section_comment_record(
            session=session,
            shop=shop,
            actor_id=shopper,
            touchpoint_id=touchpoint_id,
            comment=comment,
        )
        result.section_comments += 1
    return result
