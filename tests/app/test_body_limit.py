"""The app's own request-body limit (app.middleware.BodyLimit): 413 before more than the limit
is read, for a declared length and for a chunked body; an anonymous request to a route that
needs a login is refused before its body is read at all."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest
from fastapi import FastAPI
from sqlmodel import Session

from app.config import Settings
from app.db import Database
from app.main import create_app
from app.orgs.models import Role
from app.security import MSG_NOT_AUTHENTICATED
from tests.conftest import Browser
from tests.factories import make_member, make_org, make_token
from tests.live import served

pytestmark = pytest.mark.db

HUGE = 300 * 1024 * 1024


def exchange(port: int, head: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send a request's head and the first part of its body, then read the answer without
    sending the rest (a server that waited for the whole body would never answer)."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(head.encode() + body)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        top, _, rest = data.partition(b"\r\n\r\n")
        lines = top.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        return int(lines[0].split()[1]), headers, rest


def head(path: str, *extra: str) -> str:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json", *extra]
    return "\r\n".join(lines) + "\r\n\r\n"


@pytest.fixture
def small_app(settings: Settings, db: Database) -> FastAPI:
    return create_app(settings.model_copy(update={"max_request_bytes": 64 * 1024}), db=db)


def test_an_anonymous_300_mb_post_is_refused_401_before_its_body(app: FastAPI) -> None:
    with served(app) as port:
        status, headers, body = exchange(
            port, head("/api/v1/locations", f"Content-Length: {HUGE}"), b'{"name": "x'
        )
    assert status == 401
    assert json.loads(body) == {"detail": MSG_NOT_AUTHENTICATED}


def test_an_anonymous_chunked_post_is_refused_401_too(app: FastAPI) -> None:
    with served(app) as port:
        status, _, body = exchange(
            port, head("/api/v1/locations", "Transfer-Encoding: chunked"), b'4\r\n{"na\r\n'
        )
    assert status == 401
    assert json.loads(body) == {"detail": MSG_NOT_AUTHENTICATED}


def test_an_anonymous_page_post_goes_to_the_login_page_unread(app: FastAPI) -> None:
    with served(app) as port:
        status, headers, _ = exchange(
            port,
            head("/locations", f"Content-Length: {HUGE}").replace(
                "application/json", "application/x-www-form-urlencoded"
            ),
            b"name=x",
        )
    assert status == 303
    assert headers["location"] == "/login?next=/locations"


def test_a_declared_length_over_the_limit_is_413_unread(
    small_app: FastAPI, session: Session
) -> None:
    org = make_org(session)
    token = make_token(session, org, make_member(session, org, Role.owner))
    auth = f"Authorization: Bearer {token}"
    with served(small_app) as port:
        status, _, body = exchange(
            port, head("/api/v1/locations", auth, f"Content-Length: {HUGE}"), b'{"name": "x'
        )
    assert status == 413
    assert json.loads(body) == {
        "detail": "The request body is larger than this server accepts (65536 bytes)."
    }


def test_a_chunked_body_is_cut_off_at_the_limit(small_app: FastAPI, session: Session) -> None:
    org = make_org(session)
    token = make_token(session, org, make_member(session, org, Role.owner))
    auth = f"Authorization: Bearer {token}"
    chunk = b"a" * 16384
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(6))  # 96 KB sent
    with served(small_app) as port:
        status, _, body = exchange(
            port, head("/api/v1/locations", auth, "Transfer-Encoding: chunked"), chunks
        )
    assert status == 413
    assert "larger than this server accepts" in json.loads(body)["detail"]


def test_bodies_under_the_limit_still_work(small_app: FastAPI, session: Session) -> None:
    org = make_org(session)
    token = make_token(session, org, make_member(session, org, Role.owner))
    client: Any = Browser(small_app, base_url="http://testserver")
    response = client.post(
        "/api/v1/locations", json={"name": "Quay"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 201


def test_the_default_limit_is_a_little_above_the_photo_limit(settings: Settings) -> None:
    from audits.photos.services import MAX_BYTES

    assert MAX_BYTES < settings.max_request_bytes <= MAX_BYTES + 4 * 1024 * 1024
