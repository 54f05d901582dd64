"""Invite links (a secret in the path) never appear whole in the access log of a real server."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import Session

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
