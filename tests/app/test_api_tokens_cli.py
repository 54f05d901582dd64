"""`touchstone token create/list/revoke`, and `touchstone two-step-reset` revoking the user's
tokens: the CLI's side of API tokens, each checked through the API the token is for."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from app.config import Settings
from app.db import Database
from app.main import create_app
from app.orgs.models import User
from app.security import MSG_BAD_TOKEN, MSG_TOKEN_READ_ONLY, digest
from tests.app.test_cli import PW, database_url, db, env, fails, ok  # noqa: F401

pytestmark = pytest.mark.db


@pytest.fixture
def api(db: Database) -> Iterator[TestClient]:  # noqa: F811
    settings = Settings(_env_file=None)  # type: ignore[call-arg]  # the CLI's environment
    with TestClient(create_app(settings, db=db)) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def acme(env: str) -> None:  # noqa: F811
    ok("migrate")
    ok("user", "create", "--email", "ada@example.test", "--name", "Ada", "--password", PW)
    ok("org", "create", "--name", "Acme", "--owner", "ada@example.test")


def test_a_read_only_token_with_an_expiry_is_listed_and_revoked(
    acme: None, api: TestClient
) -> None:
    made = ok(
        "token", "create", "--email", "ada@example.test", "--org", "Acme",
        "--name", "wallboard", "--scope", "read", "--expires-days", "30",
    )  # fmt: skip
    token = made.stdout.strip()
    assert "read-only" in made.stderr and "until" in made.stderr
    assert api.get("/api/v1/me", headers=bearer(token)).status_code == 200
    write = api.post("/api/v1/locations", json={"name": "Dock"}, headers=bearer(token))
    assert (write.status_code, write.json()) == (403, {"detail": MSG_TOKEN_READ_ONLY})

    listing = ok("token", "list", "--org", "Acme").stdout
    (line,) = listing.strip().splitlines()
    token_id, name, prefix, label, email, until = line.split("\t")
    assert (name, label, email) == ("wallboard", "read-only", "ada@example.test")
    assert token.startswith(prefix.rstrip("…")) and until.startswith("expires ")

    revoked = ok("token", "revoke", token_id)

    assert f"Token {token_id} (wallboard) is revoked." in revoked.stdout
    refused = api.get("/api/v1/me", headers=bearer(token))
    assert (refused.status_code, refused.json()) == (401, {"detail": MSG_BAD_TOKEN})
    assert "Acme has no API tokens." in ok("token", "list", "--org", "Acme").stdout
    assert "No API token 999" in fails("token", "revoke", "999").stderr


def test_a_bad_scope_is_refused(acme: None) -> None:
    result = fails(
        "token", "create", "--email", "ada@example.test", "--org", "Acme", "--scope", "admin"
    )
    assert "scope" in result.stderr


def test_the_operators_two_step_reset_revokes_the_users_tokens(
    acme: None,
    api: TestClient,
    db: Database,  # noqa: F811
) -> None:
    token = ok("token", "create", "--email", "ada@example.test", "--org", "Acme").stdout.strip()
    with db.session() as s:  # two-step login on (its set-up page has its own tests)
        user = s.exec(select(User)).one()
        user.totp_secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
        user.totp_recovery_hashes = [digest("abcdefghjk")]
        s.add(user)
        s.commit()
    assert api.get("/api/v1/me", headers=bearer(token)).status_code == 200

    ok("two-step-reset", "ada@example.test")

    refused = api.get("/api/v1/me", headers=bearer(token))
    assert (refused.status_code, refused.json()) == (401, {"detail": MSG_BAD_TOKEN})
