"""The PDF render pool: text survives into the PDF, the time limit stops a runaway render,
errors and crashed workers become RenderError, and the same pool keeps serving after each."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image
from pypdf import PdfReader

from app.pdf import (
    SHUT_DOWN,
    WORKER_DIED,
    Renderer,
    RenderError,
    RenderTimeout,
    close_renderer,
    get_renderer,
)
from tests.helpers import pdf_text

pytestmark = pytest.mark.slow  # real WeasyPrint renders in worker processes

SMALL = """<!doctype html><html><head><meta charset="utf-8"><style>
@page {{ size: A4; margin: 15mm }} body {{ font-family: "DejaVu Sans", sans-serif }}
</style></head><body><h1>{title}</h1><p>Approved shops: 12 — average 81.5%</p></body></html>"""

# A table this big takes WeasyPrint many seconds: far past the tiny limit the test sets.
HUGE = "<table>{}</table>".format(
    "".join(f"<tr><td>{i}</td><td>Store {i}</td><td>visit {i}</td></tr>" for i in range(3000))
)


@pytest.fixture(scope="module")
def renderer() -> Iterator[Renderer]:
    renderer = Renderer(workers=2, time_limit=20)
    try:
        yield renderer
    finally:
        renderer.close()


def test_render_gives_a_pdf_with_the_text(renderer: Renderer) -> None:
    result = renderer.render(SMALL.format(title="Greeting at the door"))

    assert result.pdf.startswith(b"%PDF-")
    text = pdf_text(result.pdf)
    assert "Greeting at the door" in text
    assert "Approved shops: 12 — average 81.5%" in text
    assert result.seconds > 0
    assert 0 < result.peak_rss_mb < 1000


def test_time_limit_stops_the_render_and_the_pool_keeps_serving(renderer: Renderer) -> None:
    start = time.monotonic()
    with pytest.raises(RenderTimeout) as caught:
        renderer.render(HUGE, time_limit=0.5)
    assert time.monotonic() - start < 8  # stopped, not rendered to the end
    assert caught.value.status_code == 503
    assert caught.value.message == (
        "The report took longer than 0.5 seconds to print and was stopped. "
        "Try a shorter date range or fewer locations."
    )

    after = renderer.render(SMALL.format(title="After the timeout"))
    assert "After the timeout" in pdf_text(after.pdf)


def test_an_error_while_rendering_is_a_render_error(
    renderer: Renderer, caplog: pytest.LogCaptureFixture
) -> None:
    # Nesting this deep makes WeasyPrint itself fail (RecursionError) inside the worker.
    with caplog.at_level(logging.ERROR, logger="touchstone.reports"):
        with pytest.raises(RenderError) as caught:
            renderer.render("<div>" * 300 + "too deep")

    assert not isinstance(caught.value, RenderTimeout)
    assert caught.value.status_code == 503
    assert "Traceback" not in caught.value.message
    assert "problem on our side" in caught.value.message
    # The details are for the log, not the user.
    assert "RecursionError" in caplog.text
    assert "Traceback" in caplog.text

    assert "Still fine" in pdf_text(renderer.render(SMALL.format(title="Still fine")).pdf)


def test_a_crashed_worker_is_a_render_error_and_is_replaced(renderer: Renderer) -> None:
    with pytest.raises(RenderError) as caught:
        renderer._call(os._exit, 7)  # the worker dies mid-task, like an OOM kill
    assert "stopped unexpectedly" in caught.value.message

    assert "Back again" in pdf_text(renderer.render(SMALL.format(title="Back again")).pdf)


def test_renders_from_several_threads_each_get_their_own_pdf(renderer: Renderer) -> None:
    titles = [f"Report number {n}" for n in range(4)]
    with ThreadPoolExecutor(max_workers=4) as threads:
        results = list(threads.map(lambda t: renderer.render(SMALL.format(title=t)), titles))

    for title, result in zip(titles, results, strict=True):
        text = pdf_text(result.pdf)
        assert title in text
        assert all(other not in text for other in titles if other != title)


def test_arender_does_not_block_the_event_loop(renderer: Renderer) -> None:
    async def scenario() -> tuple[bytes, int]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.005)
                ticks += 1

        task = asyncio.create_task(ticker())
        await asyncio.sleep(0)  # the ticker is running before the render starts
        # A document that takes a few hundred milliseconds: a tiny one can be back before
        # the ticker's first 5 ms are up, which says nothing about blocking.
        rows = "".join(f"<tr><td>{i}</td><td>Store {i}</td></tr>" for i in range(300))
        html = SMALL.format(title="Printed from async").replace(
            "</body>", f"<table>{rows}</table></body>"
        )
        result = await renderer.arender(html)
        task.cancel()
        return result.pdf, ticks

    pdf, ticks = asyncio.run(scenario())
    assert "Printed from async" in pdf_text(pdf)
    assert ticks > 0


def test_arender_maps_a_timeout(renderer: Renderer) -> None:
    async def scenario() -> None:
        await renderer.arender(HUGE, time_limit=0.3)

    with pytest.raises(RenderTimeout):
        asyncio.run(scenario())


def png(path: Path) -> None:
    Image.new("RGB", (4, 4), "red").save(path)


def test_only_local_report_files_are_loaded(renderer: Renderer, tmp_path: Path) -> None:
    allowed = tmp_path / "assets"
    outside = tmp_path / "private"
    allowed.mkdir()
    outside.mkdir()
    png(allowed / "logo.png")
    png(outside / "secret.png")
    html = (
        '<p>Images</p><img src="logo.png">'
        f'<img src="{(outside / "secret.png").as_uri()}">'
        '<img src="http://127.0.0.1:9/tracker.png">'
    )

    result = renderer.render(html, base_url=str(allowed) + "/")

    pages = PdfReader(io.BytesIO(result.pdf)).pages
    assert len(pages[0].images) == 1  # the logo beside the document, nothing else


def test_close_fails_waiting_renders_and_a_later_render_starts_again(
    renderer: Renderer,
) -> None:
    with ThreadPoolExecutor(max_workers=1) as threads:
        waiting = threads.submit(renderer.render, HUGE)
        deadline = time.monotonic() + 10
        while not renderer._pending and time.monotonic() < deadline:
            time.sleep(0.01)  # until the render is handed to the pool
        renderer.close()
        with pytest.raises(RenderError) as caught:
            waiting.result(timeout=10)
    # Closing while the worker is mid-render ends it one of two ways, depending on whether
    # the pool saw the close or the killed worker first (a loaded machine decides which);
    # either way the caller gets a clear error, never a hang.
    assert caught.value.message in (SHUT_DOWN, WORKER_DIED)

    assert "Two" in pdf_text(renderer.render(SMALL.format(title="Two")).pdf)


def test_get_renderer_is_one_per_app_from_settings(tmp_path: Path) -> None:
    settings = SimpleNamespace(report_workers=3, report_time_limit_seconds=12.5, data_dir=tmp_path)
    app = SimpleNamespace(state=SimpleNamespace(settings=settings))

    renderer = get_renderer(app)

    assert get_renderer(app) is renderer
    assert get_renderer(app.state) is renderer
    assert (renderer.workers, renderer.time_limit) == (3, 12.5)
    close_renderer(app)
    assert app.state.renderer is None
    assert get_renderer(app) is not renderer
    close_renderer(app)


@pytest.mark.parametrize(("workers", "limit"), [(0, 1.0), (1, 0.0)])
def test_renderer_rejects_nonsense_settings(workers: int, limit: float) -> None:
    with pytest.raises(ValueError):
        Renderer(workers=workers, time_limit=limit)
