"""Application factory: settings, database, middleware, routers, static files and error pages."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import ClientDisconnect

from actions import api as actions_api
from actions import routes as actions_routes
from actions.cases import api as case_actions_api
from actions.cases import routes as case_actions_routes
from app import apidocs
from app.access_log import access_log_quiet_install, access_log_redact_install, redact
from app.accounts import language as language_routes
from app.accounts import routes as accounts_routes
from app.accounts import sso as sso_routes
from app.config import Settings, get_settings
from app.db import Database
from app.errors import DomainError
from app.jobs import runtime as jobs
from app.middleware import BodyLimit, RequestGate, SecurityHeaders, security_headers_add
from app.orgs import api as orgs_api
from app.orgs import routes as orgs_routes
from app.orgs.locations import routes as locations_routes
from app.orgs.logo import routes as logo_routes
from app.orgs.settings import routes as settings_routes
from app.orgs.tokens import api as tokens_api
from app.outbox import routes as outbox_routes
from app.pdf import close_renderer
from app.security import (
    MSG_LOGIN_ENDED,
    MSG_NOT_AUTHENTICATED,
    NotAuthenticated,
    asks_json,
    csrf_protect,
    get_auth,
    session_cookie_name,
)
from app.templating import STATIC_PREFIX, is_htmx, render
from app.webhooks import api as webhooks_api
from app.webhooks import payloads as webhook_payloads
from app.webhooks import routes as webhooks_routes
from app.wiring import wire
from audits import api as audits_api
from audits import routes as audits_routes
from audits.board import api as board_api
from audits.board import routes as board_routes
from audits.expenses import api as expenses_api
from audits.expenses import routes as expenses_routes
from audits.feedback import api as feedback_api
from audits.feedback import routes as feedback_routes
from audits.fill import api as fill_api
from audits.fill import lane
from audits.fill import routes as fill_routes
from audits.fill.lane import AnswerSaveLane
from audits.languages import api as shop_language_api
from audits.languages import routes as shop_language_routes
from audits.pay import api as pay_api
from audits.pay import routes as pay_routes
from audits.proof import api as proof_api
from audits.proof import routes as proof_routes
from recovery import api as recovery_api
from recovery import routes as recovery_routes
from recovery.alerts import api as alerts_api
from recovery.alerts import routes as alerts_routes
from recovery.complaints import routes as complaints_routes
from recovery.posters import routes as posters_routes
from reports import api as reports_api
from reports import routes as reports_routes
from reports.export import api as export_api
from reports.export import routes as export_routes
from reports.home import routes as home_routes
from reports.pdf import routes as pdf_routes
from reports.schedules import api as schedules_api
from reports.schedules import routes as schedule_routes
from reports.visit import api as visit_api
from reports.visit import routes as visit_routes
from touchpoints import api as touchpoints_api
from touchpoints import routes as touchpoints_routes
from touchpoints.measures import api as measures_api
from touchpoints.measures import routes as measures_routes
from touchpoints.transfer import api as transfer_api
from touchpoints.transfer import routes as transfer_routes
from touchpoints.translations import api as translations_api
from touchpoints.translations import routes as translations_routes

log = logging.getLogger("touchstone")

STATIC_DIR = __import__("pathlib").Path(__file__).parent / "static"


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def wants_json(request: Request) -> bool:
    """The API, and a script on our pages that asks for JSON (the offline queue): errors as
    JSON with their real status, never an HTML page or a redirect."""
    return is_api(request) or asks_json(request.headers)


def with_security_headers(request: Request, response: Response) -> Response:
    """The security headers on an answer made outside the middleware (the 500 page)."""
    https = request.app.state.settings.secure_cookies
    security_headers_add(response.headers, request.url.path, https=https)
    return response


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # `touchstone serve` with JOBS=web (app/asgi.py) runs the background jobs in this process.
    run_jobs = getattr(app.state, "run_jobs", False)
    if run_jobs:
        await asyncio.to_thread(jobs.start, app.state.settings, app.state.db)
    yield
    if run_jobs:
        await asyncio.to_thread(jobs.stop)
    # The PDF render workers are child processes of this web worker: stop them with it.
    if not getattr(app.state, "renderer_shared", False):  # tests share one across apps
        await asyncio.to_thread(close_renderer, app)


def create_app(settings: Settings | None = None, *, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    wire()  # session listeners, template globals, event listeners: app/wiring.py
    app = FastAPI(
        title="Touchstone",
        version="0.1.0",
        summary="Moments-of-Truth journey mapping and mystery-shop audits.",
        dependencies=[Depends(csrf_protect)],
        docs_url=None,  # our own /api/docs page (app/apidocs.py) fits the CSP
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.settings = settings
    jobs.use(settings)  # where this process queues background jobs (nowhere with JOBS=off)
    # No line for each successful answer save; first, so that nothing else reads those.
    access_log_quiet_install(lane.QUIET_PATHS)
    access_log_redact_install()  # invite links never reach the access log whole
    app.state.db = db or Database(settings.resolved_database_url, pool_size=settings.db_pool_size)

    # Outermost first: security headers, the session cookie, the body limit (which looks
    # for a login in the session, and must come before anything reads a body), then the
    # database gate (whose upload early read is such a reader). The last added is the
    # outermost.
    db_ = app.state.db
    # Innermost: the answer saves' own lane past FastAPI's routing (audits/fill/lane.py).
    app.add_middleware(AnswerSaveLane)
    slots = 1 if db_.is_sqlite else db_.engine.pool.size()
    app.add_middleware(RequestGate, slots=slots, writers_only=db_.is_sqlite)
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_request_bytes,
        routes=lambda: app.router.routes,
        auth_dependency=get_auth,
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie=session_cookie_name(settings),
        path="/",
        max_age=settings.session_lifetime_hours * 3600,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    app.add_middleware(SecurityHeaders, https=settings.secure_cookies)

    _install_error_handlers(app)
    _include_routers(app)
    webhook_payloads.document(app)  # the OpenAPI document's `webhooks` section
    app.mount(STATIC_PREFIX.rstrip("/"), StaticFiles(directory=STATIC_DIR), name="static")
    apidocs.install(app)
    return app


def _include_routers(app: FastAPI) -> None:
    # FastAPI finds a request's route by trying the routes in order, twice a request: the
    # answer saves' routers first, because a shopper's every tap is one, then the rest of
    # the API (docs/performance.md, autosave). The order changes which route answers no
    # path: the /api/v1 prefix is the API's alone, and the answer routers share no path
    # with the routers they now come before.
    app.include_router(audits_api.router, prefix="/api/v1")
    app.include_router(fill_routes.router)  # the phone's page save
    app.include_router(orgs_api.router, prefix="/api/v1")
    app.include_router(touchpoints_api.router, prefix="/api/v1")
    app.include_router(measures_api.router, prefix="/api/v1")
    app.include_router(actions_api.router, prefix="/api/v1")
    app.include_router(fill_api.router, prefix="/api/v1")
    app.include_router(export_api.router, prefix="/api/v1")
    app.include_router(schedules_api.router, prefix="/api/v1")  # before /reports/{...}
    app.include_router(reports_api.router, prefix="/api/v1")
    app.include_router(visit_api.router, prefix="/api/v1")
    app.include_router(alerts_api.router, prefix="/api/v1")
    app.include_router(recovery_api.router, prefix="/api/v1")
    app.include_router(case_actions_api.router, prefix="/api/v1")  # listed with the cases
    app.include_router(settings_routes.api_router, prefix="/api/v1")
    app.include_router(tokens_api.api_router, prefix="/api/v1")
    app.include_router(webhooks_api.router, prefix="/api/v1")
    app.include_router(accounts_routes.router)
    app.include_router(language_routes.router)
    app.include_router(sso_routes.router)
    app.include_router(locations_routes.router)
    app.include_router(home_routes.router)
    app.include_router(orgs_routes.router)
    app.include_router(touchpoints_routes.router)
    app.include_router(measures_routes.router)
    app.include_router(actions_routes.router)
    app.include_router(audits_routes.router)
    app.include_router(reports_routes.router)
    app.include_router(export_routes.router)
    app.include_router(pdf_routes.router)
    app.include_router(schedule_routes.router)  # /reports/schedules, beside the printing
    app.include_router(visit_routes.router)  # /shops/{shop_id}/pdf: the visit report
    # Before any /recovery/{id} router: /recovery/posters is a page, not a case id.
    app.include_router(posters_routes.router)
    app.include_router(complaints_routes.router)
    app.include_router(alerts_routes.router)
    app.include_router(recovery_routes.router)  # the board, /recovery/new, the case pages
    app.include_router(case_actions_routes.router)  # the case page's "make an action item"
    app.include_router(settings_routes.router)
    app.include_router(outbox_routes.router)
    app.include_router(logo_routes.router)
    app.include_router(webhooks_routes.router)
    # Journey files (touchpoints/transfer): export, import with a preview, the schema.
    app.include_router(transfer_api.router, prefix="/api/v1")
    app.include_router(transfer_routes.router)
    # Checklists in several languages (touchpoints/translations): the API and the touchpoint
    # page's translation forms.
    app.include_router(translations_api.router, prefix="/api/v1")
    app.include_router(translations_routes.router)
    # The language a shop is filled in (audits/languages): the fill page's picker and API.
    app.include_router(shop_language_api.router, prefix="/api/v1")
    app.include_router(shop_language_routes.router)
    # The job board (audits/board): its API, and its pages (/jobs, /shops/{id}/job,
    # /waves/{id}/post, /shoppers, /settings/visit-rules), which share no path with the above.
    app.include_router(board_api.router, prefix="/api/v1")
    app.include_router(board_routes.router)
    # Paying shoppers (audits/pay): payment runs (/payments) and a shopper's own pay (/pay).
    app.include_router(pay_api.router, prefix="/api/v1")
    # Expense claims (audits/expenses): the phone's claims and receipts, the owner's decisions.
    app.include_router(expenses_api.router, prefix="/api/v1")
    app.include_router(expenses_routes.router)
    app.include_router(pay_routes.router)
    # Fair feedback (audits/feedback): a shop's notes to its shopper and their answers.
    app.include_router(feedback_api.router, prefix="/api/v1")
    app.include_router(feedback_routes.router)
    # Proof of visit (audits/proof): the phone's visit start, the owner's reading of it.
    app.include_router(proof_api.router, prefix="/api/v1")
    app.include_router(proof_routes.router)
    alerts_routes.install(app)  # e-mails new alerts after the response that raised them

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}


ERROR_TITLES = {
    400: "That request did not make sense",
    401: "Please log in",
    403: "You can't do that here",
    404: "Page not found",
    405: "Not allowed",
    409: "That clashes with something",
    410: "That link is no longer valid",
    413: "That was too large",
    422: "Some of that could not be read",
    429: "Slow down a little",
    503: "The printer is busy",
    500: "Something went wrong on our side",
}


def error_page(request: Request, status: int, detail: str) -> Response:
    # The request's database session is already closed when an error handler runs, so the
    # page is drawn without the member navigation (which would need to query).
    return render(
        request,
        "errors/error.html",
        {
            "status": status,
            "title": ERROR_TITLES.get(status, "Error"),
            "detail": detail,
            "tenant": None,
        },
        status_code=status,
    )


def _validation_error(error: Any) -> dict[str, Any]:
    """One validation problem as the API reports it: where, what, and which kind of check.

    Rules that span several inputs (a choice question without options) name their field in
    the error's context; it is appended to the location so clients can point at it.
    """
    loc = list(error.get("loc", ()))
    field = (error.get("ctx") or {}).get("field")
    if field and (not loc or loc[-1] != field):
        loc.append(field)
    return {"loc": loc, "msg": error.get("msg", ""), "type": error.get("type", "")}


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotAuthenticated)
    async def _not_authenticated(request: Request, exc: NotAuthenticated) -> Response:
        if is_api(request):
            return JSONResponse(
                {"detail": exc.detail}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
        if asks_json(request.headers):
            # The offline queue: a 401 it can tell from "saved" (a redirect it cannot).
            detail = MSG_LOGIN_ENDED if exc.detail == MSG_NOT_AUTHENTICATED else exc.detail
            return JSONResponse({"detail": detail, "login": True}, status_code=401)
        target = "/login?next=" + request.url.path
        if is_htmx(request):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if wants_json(request):
            return JSONResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
            )
        detail = exc.detail if isinstance(exc.detail, str) else ""
        if exc.status_code == 404 and detail == "Not Found":
            detail = "There is nothing at this address, or it belongs to someone else."
        return error_page(request, exc.status_code, detail)

    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, exc: DomainError) -> Response:
        if wants_json(request):
            body: dict[str, Any] = {"detail": exc.message}
            if exc.field:
                body["field"] = exc.field
            return JSONResponse(body, status_code=exc.status_code)
        return error_page(request, exc.status_code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [_validation_error(e) for e in exc.errors()]
        if wants_json(request):
            return JSONResponse({"detail": errors}, status_code=422)
        lines = "; ".join(f"{'.'.join(map(str, e['loc'][1:]))}: {e['msg']}" for e in errors)
        return error_page(request, 422, lines)

    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, exc: ClientDisconnect) -> Response:
        # The phone left mid-send (signal lost, page closed): nobody reads the answer, and
        # the queue on the phone sends it again. One line, no traceback.
        log.info("client went away during %s %s", request.method, redact(request.url.path))
        return Response(status_code=400)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, redact(request.url.path))
        # This answer is made outside the middleware (by Starlette's outermost error layer),
        # so it gets the security headers here.
        if wants_json(request):
            body = {"detail": "Internal error; it has been logged."}
            return with_security_headers(request, JSONResponse(body, status_code=500))
        page = error_page(request, 500, "The error has been logged. Please try again.")
        return with_security_headers(request, page)
