"""Settings read from the environment and `.env` (pydantic-settings)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Keys that must never protect a real deployment: the empty key and the one in the docs.
UNSAFE_SECRET_KEYS = frozenset({"", "change-me", "dev-secret-key-not-for-production"})
DEV_SECRET_KEY = "dev-secret-key-not-for-production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    dev_mode: bool = False
    secret_key: str = ""
    data_dir: Path = PROJECT_ROOT / "data"
    database_url: str = ""
    base_url: str = "http://127.0.0.1:8000"
    session_lifetime_hours: int = Field(default=24 * 14, ge=1)
    invite_lifetime_hours: int = Field(default=72, ge=1)

    # Login throttling: failures counted inside a sliding window.
    login_window_minutes: int = 15
    login_max_failures_per_account: int = 5
    login_max_failures_per_address: int = 20

    # The public complaint form (recovery/public.py): posts one client address may make in
    # a short window and in a day, the least time a person takes to fill the form in, how
    # long a served form stays valid, and the largest request body read at all.
    complaint_window_minutes: int = Field(default=10, ge=1)
    complaint_max_per_window: int = Field(default=5, ge=1)
    complaint_max_per_day: int = Field(default=20, ge=1)
    complaint_min_seconds: float = Field(default=3, ge=0)
    complaint_form_hours: int = Field(default=12, ge=1)
    complaint_max_bytes: int = Field(default=16 * 1024, ge=1024)

    # PDF reports: worker processes per web process, the time one report may take to
    # print, and how many finished PDFs the disk cache keeps.
    report_workers: int = Field(default=2, ge=1)
    # PostgreSQL connections per server process, and so requests served at once by each
    # (docs/deploy.md, "Database"); SQLite ignores it.
    db_pool_size: int = Field(default=5, ge=1, le=100)
    report_time_limit_seconds: float = Field(default=30, gt=0)
    report_cache_max_files: int = Field(default=500, ge=1)

    # The largest request body read at all (413 beyond it). A little above the largest
    # upload a route accepts: a 10 MB photo with its form (audits/photos.py).
    max_request_bytes: int = Field(default=12 * 1024 * 1024, ge=64 * 1024)

    # This release's name (a version or commit, say). The phones' service worker carries it,
    # so a new release reaches them as an update; empty: a digest of the static files.
    release: str = ""

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "touchstone@localhost"
    smtp_starttls: bool = True

    # Background jobs (app/jobs, docs/jobs.md). "web": `touchstone serve` runs them in the web
    # process (the embedded default); "worker": only `touchstone worker` processes run them,
    # the web enqueues; "off": nothing is enqueued (the test suite runs job bodies itself).
    jobs: Literal["web", "worker", "off"] = "web"
    # Where the queue lives: empty means data/jobs.db beside an SQLite database, or the
    # application's PostgreSQL database, its tables in `jobs_schema` (empty: the schema that
    # DATABASE_URL puts on the search_path, if it names one, else "dbos").
    jobs_database_url: str = ""
    jobs_schema: str = Field(default="", pattern=r"^([a-z_][a-z0-9_]{0,62})?$")
    # This worker's name: a restarted worker takes over the jobs it was running when it died,
    # so give every worker machine (or process) a name of its own that survives restarts.
    jobs_executor_id: str = Field(default="local", min_length=1, max_length=100)
    jobs_concurrency: int = Field(default=4, ge=1, le=64)
    # How often a worker looks at the queue, and the schedule's heartbeat (the overdue check,
    # mail that waits for a retry); tests make these short.
    jobs_poll_seconds: float = Field(default=1.0, gt=0)
    jobs_tick_seconds: int = Field(default=60, ge=1, le=3600)
    # Retries (e-mail): attempts in all, the first wait, doubled each time up to the cap.
    jobs_attempts: int = Field(default=6, ge=1, le=50)
    jobs_retry_seconds: float = Field(default=30, gt=0)
    jobs_retry_max_seconds: float = Field(default=3600, gt=0)
    # Webhooks (app/webhooks, docs/webhooks.md): a delivery is tried WEBHOOK_ATTEMPTS times,
    # the waits doubling from WEBHOOK_RETRY_SECONDS up to WEBHOOK_RETRY_MAX_SECONDS (the
    # defaults span a day); each request waits at most WEBHOOK_TIMEOUT_SECONDS; an endpoint
    # whose every attempt failed for WEBHOOK_PAUSE_SECONDS is paused.
    webhook_attempts: int = Field(default=30, ge=1, le=100)
    webhook_retry_seconds: float = Field(default=60, gt=0)
    webhook_retry_max_seconds: float = Field(default=3600, gt=0)
    webhook_timeout_seconds: float = Field(default=5, gt=0, le=30)
    webhook_pause_seconds: float = Field(default=86400, ge=0)

    # Single sign-on with OpenID Connect (docs/sso.md). The issuer's address (its discovery
    # document is <issuer>/.well-known/openid-configuration), this deployment's client id and
    # secret there, and the name on the button: "Log in with <OIDC_NAME>". Off unless the
    # issuer, the id and the secret are all set.
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_name: str = Field(default="single sign-on", min_length=1, max_length=60)
    # True: someone who logs in through the identity provider is not asked for Touchstone's
    # own two-step code, because the provider asks for its own. False (the default): an
    # account with two-step login is asked for its code after the provider, as after a
    # password.
    oidc_two_step_at_provider: bool = False

    @model_validator(mode="after")
    def _check_oidc(self) -> Settings:
        given = [bool(self.oidc_issuer), bool(self.oidc_client_id), bool(self.oidc_client_secret)]
        if any(given) and not all(given):
            raise ValueError(
                "Single sign-on needs OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET all "
                "set (or none of them, to turn it off); see docs/sso.md."
            )
        if self.oidc_issuer and not self.oidc_issuer.startswith(("https://", "http://")):
            raise ValueError("OIDC_ISSUER must be the identity provider's https:// address.")
        return self

    @model_validator(mode="after")
    def _check_secret(self) -> Settings:
        if self.secret_key in UNSAFE_SECRET_KEYS:
            if not self.dev_mode:
                raise ValueError(
                    "SECRET_KEY is empty or a known default. Set SECRET_KEY to a long random "
                    "value (python -c 'import secrets; print(secrets.token_urlsafe(48))'), "
                    "or set DEV_MODE=1 for local development only."
                )
            self.secret_key = DEV_SECRET_KEY
        return self

    @property
    def resolved_database_url(self) -> str:
        url = self.database_url or f"sqlite:///{self.data_dir / 'touchstone.db'}"
        # One setting for both databases: plain postgresql:// means psycopg 3 here.
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return url

    @property
    def resolved_jobs_database_url(self) -> str:
        if self.jobs_database_url:
            url = self.jobs_database_url
        elif self.resolved_database_url.startswith("sqlite"):
            url = f"sqlite:///{self.data_dir / 'jobs.db'}"
        else:
            url = self.resolved_database_url
        if url.startswith("postgres://") or url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return url

    @property
    def resolved_jobs_schema(self) -> str:
        if self.jobs_schema:
            return self.jobs_schema
        found = re.search(r"search_path(?:%3D|=)([a-z_][a-z0-9_]*)", self.database_url)
        return found.group(1) if found else "dbos"

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def sso_enabled(self) -> bool:
        return bool(self.oidc_issuer)

    @property
    def smtp_enabled(self) -> bool:
        return bool(self.smtp_host)


def get_settings() -> Settings:
    return Settings()
