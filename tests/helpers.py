"""Small functions that several test modules share (fixtures live in conftest.py, test data in
factories.py)."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from app.orgs.models import Role


def _reader(pdf: bytes | Path) -> PdfReader:
    return PdfReader(io.BytesIO(pdf.read_bytes() if isinstance(pdf, Path) else pdf))


def pdf_text(pdf: bytes | Path) -> str:
    """The text of every page of a PDF (its bytes or a saved file), as one line: runs of
    whitespace, line breaks included, become one space, so a sentence that wraps still
    matches."""
    return " ".join(" ".join((page.extract_text() or "").split()) for page in _reader(pdf).pages)


def pdf_pages(pdf: bytes | Path) -> int:
    """How many pages a PDF has."""
    return len(_reader(pdf).pages)


def make_shopper_shop(session: Any, db: Any, client: Any) -> dict[str, object]:
    """An organization whose shopper, signed in on `client`, has a shop with two answers
    ("answer" and "other", client-made UUIDs), and an owner; with the shopper's API token."""
    from tests.conftest import sign_in
    from tests.factories import (
        make_answer,
        make_member,
        make_org,
        make_question,
        make_shop,
        make_token,
        make_touchpoint,
    )

    org = make_org(session)
    shopper = make_member(session, org, Role.shopper)
    owner = make_member(session, org, Role.owner)
    tp = make_touchpoint(session, org)
    first, second = make_question(session, tp), make_question(session, tp)
    shop = make_shop(session, org, touchpoints=[tp], shopper_id=shopper.id)
    answer = make_answer(session, shop, first, id=uuid.uuid4())
    other = make_answer(session, shop, second, id=uuid.uuid4())
    sign_in(client, db, shopper, org)
    return {
        "org": org,
        "shop": shop,
        "answer": answer,
        "other": other,
        "owner": owner,
        "token": make_token(session, org, shopper),
    }
