"""Report tests share one render worker per test process: starting WeasyPrint workers costs
seconds, and every app of these tests prints through the same one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from app.config import Settings
from app.db import Database
from app.pdf import Renderer
from tests.conftest import app_for

RENDER_TIME_LIMIT = 60.0


@pytest.fixture(scope="session")
def shared_renderer() -> Iterator[Renderer]:
    renderer = Renderer(workers=1, time_limit=RENDER_TIME_LIMIT)
    yield renderer
    renderer.close()


@pytest.fixture
def app(settings: Settings, db: Database, shared_renderer: Renderer) -> Iterator[FastAPI]:
    application = app_for(settings, db)
    application.state.renderer = shared_renderer
    application.state.renderer_shared = True
    yield application
    shared_renderer.time_limit = RENDER_TIME_LIMIT  # a test may have shortened it
