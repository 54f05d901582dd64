"""Invite links (a secret in the path) never appear whole in the access log of a real server."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import Session

from app.access_log import QuietSuccess
from audits.fill.lane import QUIET_PATHS
from tests.factories import make_invite, make_org
from tests.live import served

pytestmark = pytest.mark.db


def test_an_invite_token_is_not_in_the_access_log(
    app: FastAPI, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    _, raw = make_invite(session, make_org(session))
    caplog.set_level(logging.INFO, logger="uvicorn.access")

    with served(app) as port:
        base = f"http://127.0.0.1:{port}"
        opened = httpx.get(f"{base}/invite/{raw}", timeout=60)  # a busy machine is slow
        unknown = httpx.get(f"{base}/invite/{raw[:-4]}abcd?x=1", timeout=60)

    assert (opened.status_code, unknown.status_code) == (200, 404)
    lines = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    assert any('"GET /invite/[redacted] HTTP/1.1" 200' in line for line in lines), lines
    assert any('"GET /invite/[redacted]?x=1 HTTP/1.1" 404' in line for line in lines), lines
    assert raw not in caplog.text and raw[:-4] not in caplog.text


def test_a_successful_answer_save_leaves_no_line_and_a_refused_one_does() -> None:
    """The answer saves, a line for each of a shopper's taps, stay out of the log when they
    succeed (docs/performance.md, autosave); a refusal, another route or method is logged."""
    quiet = QuietSuccess(QUIET_PATHS)

    def kept(method: str, path: str, status: int) -> bool:
        args = ("127.0.0.1:5000", method, path, "1.1", status)
        record = logging.LogRecord(
            "uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d', args, None
        )
        return quiet.filter(record)

    save = "/api/v1/shops/12/answers/0b7e6c2e-8d0c-4c1e-9a47-3b0f6c1d2e3f"
    assert not kept("PUT", save, 200)
    assert not kept("POST", "/shops/12/answers", 200)
    assert kept("PUT", save, 401) and kept("POST", "/shops/12/answers", 403)
    assert kept("GET", "/shops/12/answers", 200) and kept("POST", "/shops/12/visit", 200)
    assert kept("POST", save + "/photos", 200)
