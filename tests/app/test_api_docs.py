"""/api/docs works under the Content-Security-Policy: Swagger UI from our own static files
(OWASP ASVS 14.2.3: no script or style from a CDN, so nothing needs Subresource Integrity)."""

from __future__ import annotations

import re

from app.apidocs import BEARER_SCHEME, ROLE_EXTENSION, SWAGGER_UI_DIR, SWAGGER_UI_VERSION
from app.db import Database
from app.main import STATIC_DIR
from app.orgs.models import Role
from tests.conftest import Browser, sign_in
from tests.factories import OrgWorld


def test_api_docs_page_loads_only_its_own_scripts_and_styles(client: Browser) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page = response.text
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", page, re.S)
    sources = [re.search(r'src="([^"]+)"', attrs) for attrs, _ in scripts]
    assert all(sources) and [m.group(1) for m in sources if m] == [
        f"/static/{SWAGGER_UI_DIR}/swagger-ui-bundle.js",
        "/static/touchstone-apidocs.js",
    ]
    assert all(body.strip() == "" for _, body in scripts), "inline script"
    styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)
    assert styles == [f"/static/{SWAGGER_UI_DIR}/swagger-ui.css"]
    assert "<style" not in page and " style=" not in page
    assert "//" not in "".join(re.findall(r'(?:src|href)="([^"]+)"', page))  # no other host
    assert 'data-openapi-url="/openapi.json"' in page


def test_the_vendored_swagger_ui_and_its_start_script_are_served(client: Browser) -> None:
    folder = STATIC_DIR / SWAGGER_UI_DIR
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE"):
        assert (folder / name).is_file(), name
    assert "Apache License" in (folder / "LICENSE").read_text()
    assert SWAGGER_UI_VERSION.startswith("5.")
    for path in (
        f"/static/{SWAGGER_UI_DIR}/swagger-ui-bundle.js",
        f"/static/{SWAGGER_UI_DIR}/swagger-ui.css",
        "/static/touchstone-apidocs.js",
    ):
        assert client.get(path).status_code == 200, path
    assert "validatorUrl: null" in (STATIC_DIR / "touchstone-apidocs.js").read_text()


# --- the document's account of security (issue 17) ---------------------------------------

ROLE_VALUES = {role.value for role in Role}


def test_the_document_declares_the_bearer_scheme(client: Browser) -> None:
    schema = client.get("/openapi.json").json()
    scheme = schema["components"]["securitySchemes"][BEARER_SCHEME]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    assert "Authorization: Bearer" in scheme["description"]


def test_every_api_operation_names_its_security_and_its_roles(client: Browser) -> None:
    schema = client.get("/openapi.json").json()
    operations = [
        (path, method, operation)
        for path, item in schema["paths"].items()
        if path.startswith("/api/v1/")
        for method, operation in item.items()
    ]
    assert len(operations) > 50  # the whole API, not an empty document
    for path, method, operation in operations:
        where = f"{method.upper()} {path}"
        assert operation.get("security") == [{BEARER_SCHEME: []}], where
        roles = operation.get(ROLE_EXTENSION)
        assert roles and set(roles) <= ROLE_VALUES, where
        assert "**Who may call this:**" in operation["description"], where
        if method != "get":
            assert "A token needs write access." in operation["description"], where
    # Spot checks against what the server does (the tenant sweep checks every route).
    assert schema["paths"]["/api/v1/organization/settings"]["get"][ROLE_EXTENSION] == ["owner"]
    me = schema["paths"]["/api/v1/me"]["get"]
    assert sorted(me[ROLE_EXTENSION]) == ["owner", "shopper", "viewer"]


def test_the_declared_role_is_the_one_the_server_enforces(
    client: Browser, org_world: OrgWorld
) -> None:
    schema = client.get("/openapi.json").json()
    owner_only = schema["paths"]["/api/v1/organization/settings"]["get"][ROLE_EXTENSION]
    for role in Role:
        headers = {"Authorization": f"Bearer {org_world.tokens[role]}"}
        status = client.get("/api/v1/organization/settings", headers=headers).status_code
        assert status == (200 if role.value in owner_only else 403), role


def test_the_settings_page_links_to_the_api_docs(
    client: Browser, org_world: OrgWorld, db: Database
) -> None:
    owner = org_world.users[Role.owner]
    sign_in(client, db, owner, org_world.org)
    page = client.get("/settings").text
    assert 'href="/api/docs"' in page and "API documentation" in page
