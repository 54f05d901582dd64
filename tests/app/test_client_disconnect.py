"""A phone that goes away mid-send (signal lost, page closed) leaves no traceback in the log.

Starlette raises ClientDisconnect when a body read hears that the client is gone; it used to
reach the catch-all handler and log "unhandled error" with a traceback for every such page.
Now it is one info line, and the phone's queue sends the item again later.
"""

from __future__ import annotations

import logging
import uuid

import pytest
from fastapi import FastAPI
from sqlmodel import Session, select
from starlette.types import Message, Receive, Scope, Send

from app.db import Database
from app.orgs.models import Role
from audits.models import Answer
from tests.conftest import BASE_URL, Browser, sign_in
from tests.factories import make_member, make_org, make_question, make_shop, make_touchpoint


class CutOff:
    """The app behind connections whose client leaves before sending the body."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.state = app.state  # read by tests.conftest.sign_in

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def gone() -> Message:
            return {"type": "http.disconnect"}

        await self.app(scope, gone if scope["type"] == "http" else receive, send)


def quiet(caplog: pytest.LogCaptureFixture) -> list[str]:
    """No warning, no error, no traceback; the info lines that say a client went away."""
    troubles = [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert troubles == [], [r.getMessage() for r in troubles]
    return [r.getMessage() for r in caplog.records if "client went away" in r.getMessage()]


def test_a_form_left_mid_send_logs_one_quiet_line(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with Browser(CutOff(app), base_url=BASE_URL) as client:
        # The CSRF check reads the form: the first read of the body hears the disconnect.
        client.post(
            "/login",
            content=b"email=a%40b.c&password=x",
            headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": BASE_URL},
        )
    # FastAPI reads a route's own form fields itself and answers 400 quietly; at most the
    # one line of ours.
    assert len(quiet(caplog)) <= 1


def test_an_answer_left_mid_send_logs_one_quiet_line_and_keeps_nothing(
    app: FastAPI, db: Database, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    org = make_org(session)
    shopper = make_member(session, org, Role.shopper)
    tp = make_touchpoint(session, org)
    question = make_question(session, tp)
    shop = make_shop(session, org, touchpoints=[tp], shopper_id=shopper.id)
    caplog.set_level(logging.DEBUG)
    with Browser(CutOff(app), base_url=BASE_URL) as client:
        sign_in(client, db, shopper, org)
        client.post(
            f"/shops/{shop.id}/answers",
            json={"id": str(uuid.uuid4()), "question_id": question.id, "value": "yes"},
            headers={
                "Accept": "application/json",
                "Origin": BASE_URL,
                "X-CSRF-Token": client.csrf,
            },
        )
    assert quiet(caplog) == [f"client went away during POST /shops/{shop.id}/answers"]
    session.expire_all()
    assert session.exec(select(Answer)).all() == []
