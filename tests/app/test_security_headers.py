"""Security headers on every response: each registered GET address (as every role and as
nobody), every static file, the PDF and CSV downloads, photos, and the error pages (404, 405,
422 and an unhandled 500) carry a Content-Security-Policy that runs only the app's own
scripts and cannot be framed, `X-Content-Type-Options: nosniff`, a Referrer-Policy and
`X-Frame-Options`; text responses name their character set; over https, HSTS too.

Routes are read from the app at run time (as the tenant sweep does), so pages added later
are checked without editing this file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI

from app.config import Settings
from app.db import Database
from app.main import STATIC_DIR, create_app
from app.middleware import HSTS
from app.orgs.models import Role
from tests.app.test_tenant_sweep import endpoints
from tests.conftest import BASE_URL, Browser, sign_in
from tests.factories import OrgWorld

pytestmark = pytest.mark.db

EXPECTED = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


# Answers that must download rather than open as a page: files, and the API's JSON when
# it is requested under /api/ (ASVS 14.4.2).
DOWNLOADS = {"application/pdf", "text/csv"}


def csp_problems(value: str | None) -> list[str]:
    """The policy must allow scripts from our own origin only, and no framing."""
    if not value:
        return ["no Content-Security-Policy"]
    directives = {}
    for part in value.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    problems = []
    for name, wanted in {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
    }.items():
        if directives.get(name) != wanted:
            problems.append(f"CSP {name} is {directives.get(name)}, expected {wanted}")
    if "unsafe-inline" in value or "unsafe-eval" in value:
        problems.append("CSP allows inline or eval'd code")
    return problems


def header_problems(label: str, response: Any) -> list[str]:
    headers = response.headers
    problems = [
        f"{name}: {headers.get(name)!r}, expected {want!r}"
        for name, want in EXPECTED.items()
        if headers.get(name) != want
    ]
    problems += csp_problems(headers.get("content-security-policy"))
    content_type = headers.get("content-type", "")
    if content_type.startswith("text/") and "charset=" not in content_type:
        problems.append(f"{content_type} without a charset")
    if "access-control-allow-origin" in headers:
        problems.append("answers other sites' scripts (CORS)")
    kind = content_type.split(";")[0]
    disposition = headers.get("content-disposition", "")
    if kind in DOWNLOADS and response.status_code == 200 and "attachment" not in disposition:
        problems.append(f"{kind} without Content-Disposition: attachment")
    return [f"{label} -> {response.status_code}: {p}" for p in problems]


@pytest.fixture
def callers(app: FastAPI, db: Database, org_world: OrgWorld) -> Iterator[dict[str, Browser]]:
    """Nobody, and a logged-in member of every role (pages by cookie, API by token)."""
    made = {"anonymous": Browser(app, base_url=BASE_URL, follow_redirects=False)}
    for role in Role:
        made[str(role)] = sign_in(
            Browser(app, base_url=BASE_URL, follow_redirects=False),
            db,
            org_world.users[role],
            org_world.org,
        )
    yield made
    for client in made.values():
        client.close()


def test_every_get_address_carries_the_security_headers(
    app: FastAPI, org_world: OrgWorld, callers: dict[str, Browser]
) -> None:
    problems: list[str] = []
    seen: set[str] = set()
    statuses: set[int] = set()
    for ep in endpoints(app):
        if ep.method != "GET":
            continue
        url = ep.url(org_world.objects)
        for who, client in callers.items():
            headers = {}
            if ep.is_api and who != "anonymous":
                headers = {"Authorization": f"Bearer {org_world.tokens[Role(who)]}"}
            response = client.get(url, headers=headers)
            problems += header_problems(f"{who} GET {url}", response)
            if ep.is_api and response.headers.get("content-type") == "application/json":
                if "attachment" not in response.headers.get("content-disposition", ""):
                    problems.append(f"{who} GET {url}: API JSON without attachment")
            seen.add(response.headers.get("content-type", "").split(";")[0])
            statuses.add(response.status_code)
    for path in ("/openapi.json", "/api/docs"):
        problems += header_problems(f"GET {path}", callers["anonymous"].get(path))

    assert problems == []
    # The walk reached the kinds of response that matter, and the refusals too.
    assert {"text/html", "application/json", "application/pdf", "text/csv"} <= seen, seen
    assert any(kind.startswith("image/") for kind in seen), seen
    assert {200, 303, 401, 403, 404} <= statuses, statuses


def test_static_files_carry_the_security_headers(client: Browser) -> None:
    files = [p for p in STATIC_DIR.rglob("*") if p.is_file()]
    assert files
    problems: list[str] = []
    for path in files:
        url = "/static/" + path.relative_to(STATIC_DIR).as_posix()
        response = client.get(url)
        assert response.status_code == 200, url
        problems += header_problems(f"GET {url}", response)
    assert problems == []


@pytest.mark.fresh_app
def test_error_pages_carry_the_security_headers(
    app: FastAPI, client: Browser, callers: dict[str, Browser]
) -> None:
    """404, 405, 422 and an unhandled error, as a page and as API JSON. An unhandled error is
    answered outside the middleware, so this proves the 500 answer sets them itself."""

    @app.get("/boom")
    def boom_page() -> None:
        raise RuntimeError("a bug")

    @app.get("/api/v1/boom")
    def boom_api() -> None:
        raise RuntimeError("a bug")

    client.refresh_csrf("/login")
    quiet = Browser(app, base_url=BASE_URL, raise_server_exceptions=False)
    checks = {
        "404 page": client.get("/no/such/page"),
        "404 API": client.get("/api/v1/no/such/thing"),
        "404 static": client.get("/static/no-such-file.js"),
        "405": client.request("DELETE", "/login"),
        "422 page": callers["owner"].get("/reports/export/shops.csv?location=abc"),
        "422 API": client.post(
            "/api/v1/locations", content=b"{not json", headers={"Authorization": "Bearer x"}
        ),
        "500 page": quiet.get("/boom"),
        "500 API": quiet.get("/api/v1/boom"),
    }
    quiet.close()
    assert checks["500 page"].status_code == 500
    assert "Something went wrong" in checks["500 page"].text
    assert checks["500 API"].json() == {"detail": "Internal error; it has been logged."}
    assert checks["404 page"].status_code == 404
    assert checks["405"].status_code == 405
    assert checks["422 page"].status_code == 422
    assert "Some of that could not be read" in checks["422 page"].text
    problems = [p for label, r in checks.items() for p in header_problems(label, r)]
    assert problems == []


def test_no_directory_listing_for_static_files(client: Browser) -> None:
    """ASVS 4.3.2: the static folder cannot be browsed."""
    for url in ("/static/", "/static"):
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 404, url
        assert "Page not found" in response.text  # our error page, not a list of files


def test_hsts_is_sent_exactly_when_the_site_is_https(settings: Settings, db: Database) -> None:
    """Over https every answer, errors included, tells the browser to use https only."""
    secure = create_app(settings.model_copy(update={"base_url": "https://testserver"}), db=db)

    @secure.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    with Browser(secure, base_url="https://testserver", raise_server_exceptions=False) as https:
        for url in ("/login", "/static/touchstone.css", "/api/v1/me", "/nope", "/boom"):
            response = https.get(url)
            assert response.headers.get("strict-transport-security") == HSTS, url
    plain = create_app(settings, db=db)
    with Browser(plain, base_url=BASE_URL) as http:
        assert "strict-transport-security" not in http.get("/login").headers


def test_other_sites_scripts_get_no_cors_permission(client: Browser, org_world: OrgWorld) -> None:
    """ASVS 14.5.3: no Access-Control-Allow-Origin for anyone, so another site's scripts
    cannot read the API even with a user's token (a preflight is refused)."""
    token = {"Authorization": f"Bearer {org_world.tokens[Role.owner]}"}
    foreign = {"Origin": "https://evil.example"}
    read = client.get("/api/v1/me", headers={**token, **foreign})
    assert read.status_code == 200
    preflight = client.options(
        "/api/v1/locations",
        headers={**foreign, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 405
    for response in (read, preflight):
        assert not [h for h in response.headers if h.lower().startswith("access-control-")]
