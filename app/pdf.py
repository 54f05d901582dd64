"""HTML to PDF in a pool of warm worker processes, each render under a time limit.

WeasyPrint never runs in the web process: a big report could hold a web worker for minutes
and its memory would stay with that process. Instead each web process owns one small pool
(pebble) whose workers import WeasyPrint once and keep a font configuration, so a render
pays only for layout. A render that runs past the limit is stopped by killing its worker;
the pool starts a fresh one and keeps serving.

Workers come from a "forkserver" (a clean single-threaded server started once): forking
the web process itself is unsafe because it runs threads. The server preloads WeasyPrint,
so a replacement worker is ready in milliseconds.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import resource
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from concurrent.futures import CancelledError, Future, InvalidStateError
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit
from urllib.request import url2pathname

from pebble import ProcessExpired, ProcessPool

from app.errors import DomainError

log = logging.getLogger("touchstone.reports")

STATIC_DIR = Path(__file__).resolve().parent / "static"

# (pdf, seconds, peak_rss_mb) as sent back by a worker.
_WorkerResult = tuple[bytes, float, float]


class RenderError(DomainError):
    """Printing failed on our side: the user can only try again later."""

    status_code = 503


class RenderTimeout(RenderError):
    def __init__(self, limit: float) -> None:
        super().__init__(
            f"The report took longer than {limit:g} seconds to print and was stopped. "
            "Try a shorter date range or fewer locations."
        )
        self.limit = limit


WORKER_FAILED = (
    "The report could not be printed because of a problem on our side. "
    "Try again; if it keeps failing, tell your administrator."
)
WORKER_DIED = (
    "The report printer stopped unexpectedly while printing. Try again; if it keeps "
    "failing, try a shorter date range or fewer locations."
)
SHUT_DOWN = "The report printer is restarting. Try again in a moment."


@dataclass(frozen=True)
class RenderResult:
    pdf: bytes
    # Time spent rendering inside the worker (not waiting for a free worker).
    seconds: float
    # Highest resident memory of the worker process so far, in MB. A worker serves up to
    # max_tasks renders, so this is the peak over its life, not only this document.
    peak_rss_mb: float


class Renderer:
    """A per-process pool of PDF workers. Thread-safe; start lazily or with warm()."""

    def __init__(
        self,
        workers: int,
        time_limit: float,
        max_tasks: int = 50,
        *,
        allowed_dirs: Sequence[Path] = (),
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        if time_limit <= 0:
            raise ValueError("time_limit must be positive")
        self.workers = workers
        self.time_limit = time_limit
        # Workers are replaced after this many renders, so slow leaks cannot pile up.
        self.max_tasks = max_tasks
        self.allowed_dirs = tuple(str(Path(d).resolve()) for d in allowed_dirs)
        self._lock = threading.Lock()
        self._pool: ProcessPool | None = None
        self._pending: set[Future[Any]] = set()

    # -- pool life ------------------------------------------------------------------------

    def _live_pool(self) -> ProcessPool:
        with self._lock:
            pool = self._pool
            if pool is not None and not pool.active:
                # Pebble marks a pool broken when, for example, every worker died while
                # idle. It cannot be revived; a new one takes its place.
                log.warning("report render pool broke; starting a new one")
                self._pool = None
                _dispose(pool)
                pool = None
            if pool is None:
                pool = ProcessPool(
                    max_workers=self.workers,
                    max_tasks=self.max_tasks,
                    initializer=_init_worker,
                    context=_mp_context(),
                )
                self._pool = pool
            return pool

    def warm(self, *, wait: bool = True) -> None:
        """Start the workers now instead of on the first render.

        Starting the pool takes about a second (the fork server imports WeasyPrint); each
        worker then warms up on its own (fonts, a tiny page). wait=False does the start in
        a background thread, for an app's startup.
        """
        if not wait:
            threading.Thread(target=self.warm, name="report-render-warm", daemon=True).start()
            return
        self._live_pool().active  # noqa: B018 - reading .active starts a pebble pool

    def close(self) -> None:
        """Stop the workers. Renders still waiting fail with RenderError; a later render
        starts a new pool."""
        with self._lock:
            pool, self._pool = self._pool, None
            pending = list(self._pending)
        if pool is not None:
            _dispose(pool)
        for future in pending:
            try:
                future.set_exception(RenderError(SHUT_DOWN))
            except InvalidStateError:
                pass  # finished meanwhile

    # -- rendering ------------------------------------------------------------------------

    def _submit(
        self, function: Any, args: tuple[Any, ...], time_limit: float | None = None
    ) -> Future[Any]:
        limit = self.time_limit if time_limit is None else time_limit
        try:
            future = self._live_pool().schedule(function, args=args, timeout=limit)
        except RuntimeError:
            # The pool broke between the check and the call (or close() ran): one retry.
            future = self._live_pool().schedule(function, args=args, timeout=limit)
        future.time_limit = limit  # type: ignore[attr-defined]
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._forget)
        return future

    def _forget(self, future: Future[Any]) -> None:
        with self._lock:
            self._pending.discard(future)

    def _schedule_render(
        self, html: str, base_url: str | None, time_limit: float | None
    ) -> Future[_WorkerResult]:
        allowed = self.allowed_dirs + _base_dir(base_url)
        return self._submit(_render_in_worker, (html, base_url, allowed), time_limit)

    def render(
        self, html: str, *, base_url: str | None = None, time_limit: float | None = None
    ) -> RenderResult:
        """Render HTML to PDF in a worker; blocks the calling thread (not the worker pool).

        time_limit overrides the renderer's limit for this one document.
        """
        return _result(self._wait(self._schedule_render(html, base_url, time_limit)))

    def _call(self, function: Any, *args: Any, time_limit: float | None = None) -> Any:
        """Run any picklable function in a worker, with render()'s errors (for tests)."""
        return self._wait(self._submit(function, args, time_limit))

    @staticmethod
    def _wait(future: Future[Any]) -> Any:
        try:
            return future.result()
        except BaseException as error:
            raise _translate(error, future) from None

    async def arender(
        self, html: str, *, base_url: str | None = None, time_limit: float | None = None
    ) -> RenderResult:
        """Like render(), awaited without blocking the event loop. If the awaiting task is
        cancelled (the client went away), the render is stopped too."""
        future = self._schedule_render(html, base_url, time_limit)
        try:
            return _result(await asyncio.wrap_future(future))
        except Exception as error:  # a cancelled await stays a cancellation
            raise _translate(error, future) from None


def _result(value: _WorkerResult) -> RenderResult:
    pdf, seconds, peak = value
    return RenderResult(pdf=pdf, seconds=seconds, peak_rss_mb=peak)


def _translate(error: BaseException, future: Future[Any]) -> BaseException:
    """A worker-side failure as the RenderError the user sees; details go to the log."""
    if isinstance(error, RenderError):
        return error
    if isinstance(error, TimeoutError):
        limit = getattr(future, "time_limit", None) or (error.args[1] if error.args else 0)
        log.warning("report render stopped after %gs", limit)
        return RenderTimeout(float(limit))
    if isinstance(error, _WorkerFailure):
        log.error("report render failed: %s\n%s", error.summary, error.remote_traceback)
        return RenderError(WORKER_FAILED)
    if isinstance(error, ProcessExpired):
        log.error("report render worker died (exit code %s)", error.exitcode)
        return RenderError(WORKER_DIED)
    if isinstance(error, BrokenProcessPool):
        log.error("report render pool broke: %s", error)
        return RenderError(WORKER_DIED)
    if isinstance(error, CancelledError):
        return RenderError(SHUT_DOWN)
    if isinstance(error, Exception):
        log.error(
            "report render failed: %s\n%s",
            error,
            getattr(error, "traceback", None) or "".join(traceback.format_exception(error)),
        )
        return RenderError(WORKER_FAILED)
    return error  # KeyboardInterrupt and friends stay what they are


def _dispose(pool: ProcessPool) -> None:
    try:
        pool.stop()
        pool.join(timeout=10)
    except Exception:  # a broken pool may complain while stopping; it is gone either way
        log.exception("stopping the report render pool")


def _mp_context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" not in methods:
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # Only takes effect if the server has not started yet; workers warm up either way.
    context.set_forkserver_preload(["weasyprint", "app.pdf"])
    return context


def _base_dir(base_url: str | None) -> tuple[str, ...]:
    """The folder of a local base_url: its relative links may be loaded."""
    if not base_url:
        return ()
    parts = urlsplit(base_url)
    if parts.scheme == "file":
        path = Path(url2pathname(parts.path))
    elif parts.scheme == "" or (len(parts.scheme) == 1 and sys.platform == "win32"):
        path = Path(base_url)
    else:
        return ()
    path = path.resolve()
    return (str(path if base_url.endswith("/") or path.is_dir() else path.parent),)


# -- app wiring ------------------------------------------------------------------------------


def get_renderer(app_or_state: Any) -> Renderer:
    """The web process's renderer, created on first use from app.state.settings.

    Pass the FastAPI app (request.app) or app.state itself; not request.state, which
    lives for one request only.
    """
    state = getattr(app_or_state, "state", app_or_state)
    renderer: Renderer | None = getattr(state, "renderer", None)
    if renderer is not None:
        return renderer
    with _state_lock:
        renderer = getattr(state, "renderer", None)
        if renderer is None:
            settings = state.settings
            renderer = Renderer(
                workers=settings.report_workers,
                time_limit=settings.report_time_limit_seconds,
                allowed_dirs=(STATIC_DIR, settings.data_dir / "photos"),
            )
            state.renderer = renderer
        return renderer


def close_renderer(app_or_state: Any) -> None:
    """Stop this web process's render workers (call on shutdown)."""
    state = getattr(app_or_state, "state", app_or_state)
    with _state_lock:
        renderer: Renderer | None = getattr(state, "renderer", None)
        state.renderer = None
    if renderer is not None:
        renderer.close()


_state_lock = threading.Lock()


# -- inside a worker process -----------------------------------------------------------------

_font_config: Any = None

_WARM_UP = """<!doctype html><html><head><style>
@page { size: A4; margin: 1cm } body { font-family: "DejaVu Sans", sans-serif }
</style></head><body><h1>Warm-up</h1><table><tr><th>a</th><td>1</td></tr></table>
<svg width="20" height="10"><rect width="10" height="10" fill="#123"/></svg></body></html>"""


class _WorkerFailure(Exception):
    """A rendering exception flattened to text, so it always pickles back to the parent."""

    def __init__(self, summary: str, remote_traceback: str) -> None:
        super().__init__(summary, remote_traceback)
        self.summary = summary
        self.remote_traceback = remote_traceback


def _init_worker() -> None:
    """Runs once per worker: import WeasyPrint, load the fonts, lay out a tiny page, so
    the first real render costs what every later one does."""
    global _font_config
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    # Loading the system fonts is the slow part of a cold render; keep the result. The
    # templates use installed fonts only (no @font-face), so nothing accumulates in it.
    _font_config = FontConfiguration()
    HTML(string=_WARM_UP).write_pdf(font_config=_font_config)


def _render_in_worker(html: str, base_url: str | None, allowed: tuple[str, ...]) -> _WorkerResult:
    from weasyprint import HTML

    start = time.perf_counter()
    try:
        pdf = HTML(string=html, base_url=base_url, url_fetcher=_local_fetcher(allowed)).write_pdf(
            font_config=_font_config
        )
    except Exception as error:
        raise _WorkerFailure(f"{type(error).__name__}: {error}", traceback.format_exc()) from None
    return pdf, time.perf_counter() - start, _peak_rss_mb()


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _local_fetcher(allowed: tuple[str, ...]) -> Any:
    """A URL fetcher that never goes on the network and reads files only from the allowed
    folders: report HTML carries user-typed text, and a stray URL must not make the
    server fetch or embed anything else."""
    from weasyprint.urls import URLFetcher

    class LocalFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            scheme = url.split(":", 1)[0].lower()
            if scheme == "file":
                path = Path(url2pathname(urlsplit(url).path)).resolve()
                if not any(path.is_relative_to(root) for root in allowed):
                    raise ValueError(f"file outside the report folders: {url}")
            elif scheme != "data":
                raise ValueError(f"reports load no network resources: {url}")
            return super().fetch(url, headers)

    return LocalFetcher(allowed_protocols=("file", "data"), allow_redirects=False)


def attachment(filename: str) -> str:
    """Content-Disposition for a download. Names keep the organization's own letters, which
    a header cannot carry as they are: those go percent-encoded in filename* (RFC 6266)."""
    plain = filename.encode("ascii", "ignore").decode()
    if plain == filename:
        return f'attachment; filename="{filename}"'
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename)}"
