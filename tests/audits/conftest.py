"""Fixtures of the shop tests."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.db import Database
from tests.conftest import Browser
from tests.helpers import make_shopper_shop


@pytest.fixture
def shopper_shop(session: Session, db: Database, client: Browser) -> dict[str, object]:
    """A shopper signed in on `client` with a shop of two answers (tests.helpers)."""
    return make_shopper_shop(session, db, client)
