"""/api/docs: Swagger UI served from this app's own static files, so the CSP can stay strict.

FastAPI's own page loads Swagger UI from a CDN and starts it with an inline script; the
Content-Security-Policy (script-src 'self', no inline) blocks both (OWASP ASVS 14.2.3). Here
the vendored bundle and a start-up script file do the same from /static.
"""

from __future__ import annotations

from html import escape

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

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


def install(app: FastAPI, path: str = "/api/docs") -> None:
    # Added like FastAPI adds its own docs page: a plain route, outside the OpenAPI schema.
    app.add_route(path, api_docs, include_in_schema=False)
