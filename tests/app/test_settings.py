"""Settings refuse unsafe secrets and normalize the database URL; the app factory builds."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app.config import DEV_SECRET_KEY, UNSAFE_SECRET_KEYS, Settings
from app.db import Database
from app.main import create_app
from app.middleware import SECURITY_HEADERS

GOOD_KEY = "a-long-random-secret-for-tests-only-0123456789"
ENV_NAMES = ("SECRET_KEY", "DEV_MODE", "DATABASE_URL", "BASE_URL", "DATA_DIR")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever the shell running the tests exports must not decide these tests."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)


def make_settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg,arg-type]


# --- the secret key ----------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(UNSAFE_SECRET_KEYS))
def test_empty_or_default_secret_is_refused_outside_dev_mode(key: str) -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY is empty or a known default"):
        make_settings(secret_key=key, dev_mode=False)


def test_missing_secret_is_refused_when_read_from_the_environment() -> None:
    with pytest.raises(ValidationError, match="set DEV_MODE=1 for local development only"):
        make_settings()


@pytest.mark.parametrize("key", sorted(UNSAFE_SECRET_KEYS))
def test_dev_mode_accepts_a_missing_secret_and_uses_the_dev_key(key: str) -> None:
    settings = make_settings(secret_key=key, dev_mode=True)
    assert settings.secret_key == DEV_SECRET_KEY


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)
    monkeypatch.setenv("BASE_URL", "https://audits.example.com")

    settings = make_settings()

    assert settings.secret_key == GOOD_KEY
    assert settings.dev_mode is False
    assert settings.secure_cookies is True


def test_dev_mode_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEV_MODE", "1")
    assert make_settings().secret_key == DEV_SECRET_KEY


def test_a_real_secret_is_kept() -> None:
    assert make_settings(secret_key=GOOD_KEY).secret_key == GOOD_KEY


# --- the database URL --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "resolved"),
    [
        ("postgresql://ts:pw@db:5432/touchstone", "postgresql+psycopg://ts:pw@db:5432/touchstone"),
        ("postgres://ts@db/touchstone", "postgresql+psycopg://ts@db/touchstone"),
        ("postgresql+psycopg://ts@db/touchstone", "postgresql+psycopg://ts@db/touchstone"),
        ("sqlite:////srv/touchstone/app.db", "sqlite:////srv/touchstone/app.db"),
    ],
)
def test_postgresql_urls_mean_psycopg_3(given: str, resolved: str) -> None:
    settings = make_settings(secret_key=GOOD_KEY, database_url=given)
    assert settings.resolved_database_url == resolved


def test_without_a_database_url_sqlite_lives_in_the_data_dir(tmp_path: Path) -> None:
    settings = make_settings(secret_key=GOOD_KEY, data_dir=tmp_path)
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'touchstone.db'}"


@pytest.mark.parametrize(
    ("base_url", "secure"), [("https://audits.example.com", True), ("http://127.0.0.1:8000", False)]
)
def test_cookies_are_secure_exactly_when_the_site_is_https(base_url: str, secure: bool) -> None:
    assert make_settings(secret_key=GOOD_KEY, base_url=base_url).secure_cookies is secure


# --- the app factory ---------------------------------------------------------------------


def test_create_app_uses_the_given_settings_and_database(settings: Settings, db: Database) -> None:
    app = create_app(settings, db=db)

    assert app.state.settings is settings
    assert app.state.db is db
    with TestClient(app) as client:
        health = client.get("/healthz")
        schema = client.get("/openapi.json")

    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    for name, value in SECURITY_HEADERS.items():
        assert health.headers[name] == value
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/locations" in paths
    assert {"get", "post"} <= set(paths["/api/v1/locations"])
    assert "/api/v1/locations/{location_id}" in paths
    assert not any(p in paths for p in ("/login", "/healthz", "/people"))  # pages stay out


def test_create_app_opens_the_database_its_settings_name(tmp_path: Path) -> None:
    settings = make_settings(
        secret_key=GOOD_KEY, data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'x.db'}"
    )

    app = create_app(settings)

    try:
        assert app.state.db.url == f"sqlite:///{tmp_path / 'x.db'}"
        with TestClient(app) as client:
            assert client.get("/healthz").json() == {"status": "ok"}
    finally:
        app.state.db.dispose()


def test_two_apps_do_not_share_settings(settings: Settings, db: Database) -> None:
    """The factory keeps no module-level state: each app has its own settings."""
    other = settings.model_copy(update={"base_url": "https://other.example.com"})

    first, second = create_app(settings, db=db), create_app(other, db=db)

    assert first.state.settings.base_url == "http://testserver"
    assert second.state.settings.base_url == "https://other.example.com"
