"""Where the job queue lives and how often the heartbeat beats, from the settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import Settings
from app.jobs.runtime import tick_cron


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, dev_mode=True, **values)  # type: ignore[arg-type]


def test_beside_sqlite_the_queue_is_a_file_of_its_own(tmp_path: Path) -> None:
    settings = _settings(data_dir=tmp_path)
    assert settings.resolved_jobs_database_url == f"sqlite:///{tmp_path / 'jobs.db'}"
    assert settings.resolved_jobs_schema == "dbos"


def test_on_postgresql_the_queue_shares_the_database_and_its_search_path_schema() -> None:
    url = "postgresql://u:p@db/touchstone?options=-csearch_path%3Dtenant_a"
    settings = _settings(database_url=url)
    assert settings.resolved_jobs_database_url == (
        "postgresql+psycopg://u:p@db/touchstone?options=-csearch_path%3Dtenant_a"
    )
    assert settings.resolved_jobs_schema == "tenant_a"
    assert _settings(database_url="postgresql://u@db/t").resolved_jobs_schema == "dbos"
    assert _settings(database_url=url, jobs_schema="queue").resolved_jobs_schema == "queue"


def test_a_schema_name_that_is_not_a_plain_identifier_is_refused() -> None:
    with pytest.raises(ValueError, match="jobs_schema"):
        _settings(jobs_schema='dbos"; drop table x; --')


@pytest.mark.parametrize(
    ("seconds", "cron"),
    [(1, "*/1 * * * * *"), (15, "*/15 * * * * *"), (60, "0 */1 * * * *"), (300, "0 */5 * * * *")],
)
def test_the_heartbeat_schedule(seconds: int, cron: str) -> None:
    assert tick_cron(_settings(jobs_tick_seconds=seconds)) == cron
