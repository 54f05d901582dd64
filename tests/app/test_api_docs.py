"""/api/docs works under the Content-Security-Policy: Swagger UI from our own static files
(OWASP ASVS 14.2.3: no script or style from a CDN, so nothing needs Subresource Integrity)."""

from __future__ import annotations

import re

from app.apidocs import SWAGGER_UI_DIR, SWAGGER_UI_VERSION
from app.main import STATIC_DIR
from tests.conftest import Browser


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
