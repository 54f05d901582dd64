"""A real HTTP server (uvicorn, in a thread of the test process) for tests that need what
the test client hides: raw sockets, bodies that are never sent in full, the access log."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

from tests.conftest import free_port


@contextmanager
def served(app: FastAPI) -> Iterator[int]:
    """Serve `app` on 127.0.0.1 and yield its port; the access log goes to the
    `uvicorn.access` logger (caplog sees it)."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        started = threading.Event()
        while not started.wait(0.02):  # uvicorn says when its socket listens
            if server.started:
                started.set()
            elif not thread.is_alive():
                raise RuntimeError("the test server did not start")
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)
