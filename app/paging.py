"""Lists in the JSON API that come a page at a time: limit and offset in the query, and two
headers so a client knows how many there are and where the next page is (RFC 8288 links)."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.requests import Request


def page_headers(
    request: Request,
    headers: MutableHeaders,
    *,
    offset: int,
    limit: int,
    shown: int,
    total: int,
) -> None:
    """Set X-Total-Count, and a Link to the next page while one follows."""
    headers["X-Total-Count"] = str(total)
    if offset + shown < total:
        following = request.url.include_query_params(offset=offset + shown, limit=limit)
        headers["Link"] = f'<{following}>; rel="next"'


# The OpenAPI description of those headers, for a route's `responses`.
PAGE_HEADERS_DOC = {
    "X-Total-Count": {"description": "How many there are in all.", "schema": {"type": "integer"}},
    "Link": {"description": 'The next page, as `<url>; rel="next"`.', "schema": {"type": "string"}},
}
