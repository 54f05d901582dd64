"""DB_POOL_SIZE sizes each server process's PostgreSQL pool, and with it how many requests the
process serves at once (the request gate in app/main.py admits as many as the pool holds)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.config import Settings
from app.main import create_app
from tests.conftest import TEST_DATABASE_URL, pg_url


def _settings(tmp_path: Path, **more: object) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        secret_key="test-secret-" + uuid.uuid4().hex,
        data_dir=tmp_path,
        **more,  # type: ignore[arg-type]
    )


def test_the_pool_size_is_checked(tmp_path: Path) -> None:
    assert _settings(tmp_path).db_pool_size == 5
    for bad in (0, 101):
        with pytest.raises(ValidationError, match="db_pool_size"):
            _settings(tmp_path, db_pool_size=bad)


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="a PostgreSQL setting: set TEST_DATABASE_URL")
def test_the_app_pools_as_many_connections_as_asked(tmp_path: Path) -> None:
    assert TEST_DATABASE_URL
    settings = _settings(tmp_path, database_url=pg_url(TEST_DATABASE_URL), db_pool_size=3)
    app = create_app(settings)
    try:
        pool = app.state.db.engine.pool
        assert pool.size() == 3
        assert pool._max_overflow == 3  # background work may open as many again for a moment
    finally:
        app.state.db.engine.dispose()
