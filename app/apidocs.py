"""/api/docs: Swagger UI served from this app's own static files, so the CSP can stay strict;
and the OpenAPI document's account of security: the bearer scheme (API tokens) and, for every
operation, who may call it.

FastAPI's own page loads Swagger UI from a CDN and starts it with an inline script; the
Content-Security-Policy (script-src 'self', no inline) blocks both (OWASP ASVS 14.2.3). Here
the vendored bundle and a start-up script file do the same from /static.

The roles an operation admits are read from the route's own `require_role` dependency (the
declaration that enforces them, app/tenancy.py), so the document cannot say other than what
the server does.
"""

from __future__ import annotations

from collections.abc import Iterator
from html import escape
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute, iter_route_contexts

from app.orgs.models import Role

SWAGGER_UI_VERSION = "5.35.0"
SWAGGER_UI_DIR = f"swagger-ui-{SWAGGER_UI_VERSION}"  # under app/static/, with its LICENSE

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Touchstone API</title>
  <link rel="icon" href="{static}/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="{static}/{ui}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui" data-openapi-url="{openapi}"></div>
  <script src="{static}/{ui}/swagger-ui-bundle.js"></script>
  <script src="{static}/touchstone-apidocs.js"></script>
</body>
</html>
"""


def api_docs(request: Request) -> HTMLResponse:
    static = escape(request.scope.get("root_path", "") + "/static")
    openapi = escape(request.scope.get("root_path", "") + (request.app.openapi_url or ""))
    return HTMLResponse(PAGE.format(static=static, ui=SWAGGER_UI_DIR, openapi=openapi))


BEARER_SCHEME = "apiToken"
ROLE_EXTENSION = "x-touchstone-role"
BEARER_DESCRIPTION = (
    "An API token, sent as `Authorization: Bearer <token>`. An owner makes tokens on the "
    "Organization settings page (API tokens) or with `touchstone token create`. A token acts "
    "as the member who made it, in its organization, with that member's role; a read-only "
    "token may only read (GET)."
)
# How the description names each role (the API's role values are owner, viewer, shopper).
ROLE_NAMES = {Role.owner: "owners", Role.viewer: "staff (viewers)", Role.shopper: "shoppers"}


def _calls(dependant: Any) -> Iterator[Any]:
    for dependency in getattr(dependant, "dependencies", []):
        yield dependency.call
        yield from _calls(dependency)


def route_roles(route: APIRoute) -> list[Role] | None:
    """The roles the route's `require_role` dependency admits, in the order of `Role`."""
    for call in _calls(route.dependant):
        admitted = getattr(call, "touchstone_roles", None)
        if admitted is not None:
            return [role for role in Role if role in admitted]
    return None


def _who(roles: list[Role], method: str) -> str:
    names = [ROLE_NAMES[role] for role in roles]
    who = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    text = f"**Who may call this:** {who} of the organization (role: {', '.join(roles)})."
    if method != "GET":
        text += " A token needs write access."
    return text


def security_describe(app: FastAPI, schema: dict[str, Any]) -> None:
    """Add the bearer scheme, and to each API operation its security requirement, its roles
    (`x-touchstone-role`) and a sentence saying who may call it."""
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {})[BEARER_SCHEME] = {
        "type": "http",
        "scheme": "bearer",
        "description": BEARER_DESCRIPTION,
    }
    paths = schema.get("paths", {})
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        roles = route_roles(route)
        if roles is None:
            continue
        for method in sorted((context.methods or set()) - {"HEAD"}):
            operation = paths.get(context.path, {}).get(method.lower())
            if operation is None:
                continue
            operation["security"] = [{BEARER_SCHEME: []}]
            operation[ROLE_EXTENSION] = [role.value for role in roles]
            said = operation.get("description", "")
            operation["description"] = (said + "\n\n" + _who(roles, method)).strip()


def unprocessable_describe(schema: dict[str, Any]) -> None:
    """A 422 has two shapes, and the document says so: the request's own validation answers
    a list of errors (FastAPI's `HTTPValidationError`), a rule the service checks (a language
    the organization does not use, a period out of order) answers one sentence with the
    `field` it is about (app.main's DomainError handler)."""
    body = schema.get("components", {}).get("schemas", {}).get("HTTPValidationError")
    if not body:
        return
    properties = body.setdefault("properties", {})
    listed = properties.get("detail", {"type": "array"})
    properties["detail"] = {
        "anyOf": [listed, {"type": "string"}],
        "title": "Detail",
        "description": "The request's validation errors, or one sentence for a rule a "
        "service checks.",
    }
    properties["field"] = {"type": "string", "description": "The field a sentence is about."}


def install(app: FastAPI, path: str = "/api/docs") -> None:
    # Added like FastAPI adds its own docs page: a plain route, outside the OpenAPI schema.
    app.add_route(path, api_docs, include_in_schema=False)
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()  # FastAPI's document, kept in app.openapi_schema
            security_describe(app, schema)
            unprocessable_describe(schema)
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]
