"""A photo trickling in from a phone on a weak signal must not hold back everyone else's
writes: its body is read before it queues at the database gate (app/main.py, UPLOADS).

The slow uploads here are held mid-body by the test itself; another writer then has to get
its answer while they wait. Without the early read, the first upload sits inside the SQLite
writer gate (or, on PostgreSQL, the uploads fill every slot of the request gate) and the
other writer waits for them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from app.config import Settings
from app.db import Database
from app.main import create_app
from app.middleware import UPLOAD_PREREAD_MAX, UPLOADS
from audits.photos.services import MAX_BYTES as PHOTO_MAX
from touchpoints.measures.imports import MAX_BYTES as CSV_MAX

pytestmark = pytest.mark.db

BODY = b"x" * 64_000


def test_the_early_read_covers_every_upload_the_routes_accept() -> None:
    assert UPLOAD_PREREAD_MAX > PHOTO_MAX and UPLOAD_PREREAD_MAX > CSV_MAX
    for path in (
        "/shops/12/answers/6f1c0e9e-8a41-4e0b-9d7e-2f1f3b8f0c11/photos",
        "/api/v1/shops/12/answers/6f1c0e9e-8a41-4e0b-9d7e-2f1f3b8f0c11/photos",
        "/measures/import",
        "/api/v1/measures/import",
    ):
        assert UPLOADS.match(path), path
    for path in ("/shops/12/submit", "/complain/abc", "/measures/import/template.csv"):
        assert not UPLOADS.match(path), path


def test_slow_uploads_do_not_hold_back_another_writer(settings: Settings, db: Database) -> None:
    app = create_app(settings, db=db)
    # More held uploads than the PostgreSQL gate has slots; SQLite's gate has one.
    held = 1 if db.is_sqlite else db.engine.pool.size() + 1

    async def scenario() -> tuple[int, list[int]]:
        release = asyncio.Event()
        started = asyncio.Semaphore(0)

        async def trickle() -> AsyncIterator[bytes]:
            yield BODY[:1000]
            started.release()
            await release.wait()  # the phone's signal drops here
            yield BODY[1000:]

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as client:
            uploads = [
                asyncio.create_task(
                    client.post(
                        f"/api/v1/shops/{n}/answers/6f1c0e9e-8a41-4e0b-9d7e-2f1f3b8f0c11/photos",
                        content=trickle(),
                        headers={
                            "content-type": "application/octet-stream",
                            "content-length": str(len(BODY)),
                            # Some credential (here a dead one): without any, the body
                            # limit refuses an upload before anything reads it.
                            "authorization": "Bearer ts_not-a-real-token",
                        },
                    )
                )
                for n in range(held)
            ]
            for _ in range(held):
                await asyncio.wait_for(started.acquire(), 10)
            # Another phone saves an answer (any write queues at the same gate; this one
            # is refused for want of a login, which is all the gate needs to let it past).
            other = await asyncio.wait_for(client.post("/logout"), 10)
            release.set()
            done = await asyncio.gather(*uploads)
        return other.status_code, [r.status_code for r in done]

    other, uploads = asyncio.run(scenario())
    assert other < 500
    # The uploads themselves were answered once they arrived (not logged in: refused).
    assert all(400 <= code < 500 for code in uploads), uploads
