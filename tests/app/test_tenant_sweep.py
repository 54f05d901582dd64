"""The tenant sweep: every registered route, every role, another organization's ids.

It walks `app.routes` at run time, so routes added later are swept without editing this file.
For every route it checks that:

- it is public on purpose (listed below) or declares who may use it (`require_role`);
- an anonymous caller is sent to the login page (pages) or gets 401 (API);
- a member of organization B whose role is not admitted gets 403;
- a member of B whose role *is* admitted gets 404 for organization A's ids, and A's data is
  unchanged afterwards, while A's own members reach the same GET addresses.

`sweep()` returns the problems it found; a second test plants a leaky route and proves the
sweep catches it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI, HTTPException, Request
from fastapi.routing import APIRoute, iter_route_contexts
from sqlmodel import Session

from app.orgs.models import Invite, Location, Membership, Role
from app.security import get_auth
from app.tenancy import OwnerDep
from tests.conftest import BASE_URL, Browser, login
from tests.factories import PASSWORD, OrgWorld, make_world, world_pack_pdf

# Routes anyone may call without logging in. Adding one here is a deliberate decision.
PUBLIC = {
    ("GET", "/login"),
    ("POST", "/login"),
    # The second login step: only a pending login from a right password in this browser's
    # signed cookie gets a code checked (app/accounts/services.py).
    ("GET", "/login/code"),
    ("POST", "/login/code"),
    ("POST", "/logout"),
    ("GET", "/invite/{token}"),
    ("POST", "/invite/{token}"),
    # Single sign-on (app/accounts/sso.py): off (404) unless set up. The first two only send
    # the browser to the provider; the callback logs in only with an answer the provider
    # signed for a login started in this browser (state, nonce and PKCE in the signed
    # cookie), and only into the account with the verified address (tests/app/test_sso.py).
    ("GET", "/login/sso"),
    ("GET", "/invite/{token}/sso"),
    ("GET", "/login/sso/callback"),
    # The password strength meter (ASVS 2.1.8): the invite page needs it before there is an
    # account. CSRF-protected like every form, input capped at 128 characters, only ever
    # answers with a verdict on the text it was sent (app/accounts/routes.py).
    ("POST", "/password/strength"),
    ("GET", "/healthz"),
    # The interface language (app/accounts/language.py): CSRF-protected like every form; it
    # sets this browser's choice and, when signed in, only the caller's own user.language.
    ("POST", "/language"),
    # The customers' complaint form (recovery/public.py): reached by unguessable keys.
    ("GET", "/complain/{org_key}"),
    ("POST", "/complain/{org_key}"),
    ("GET", "/complain/{org_key}/{location_key}"),
    ("POST", "/complain/{org_key}/{location_key}"),
    ("GET", "/complain/{org_key}/thanks"),
    # Its short address on the posters: sends on to the form above; misses are throttled.
    ("GET", "/c/{code}"),
    # The organization's logo shown on that form, by the same unguessable key: it shows
    # nothing the form does not (app/orgs/logo/routes.py).
    ("GET", "/logo/{public_key}"),
}
PARAM = re.compile(r"{([^}:]+)(?::[^}]*)?}")


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    roles: frozenset[Role] | None  # None: the route declares no role requirement
    needs_auth: bool

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def params(self) -> list[str]:
        return PARAM.findall(self.path)

    def url(self, ids: dict[str, int]) -> str:
        return PARAM.sub(lambda m: str(ids.get(m.group(1), "0")), self.path)


def _calls(dependant: object) -> Iterator[object]:
    for dep in getattr(dependant, "dependencies", []):
        yield dep.call
        yield from _calls(dep)


def endpoints(app: FastAPI) -> list[Endpoint]:
    """Every (method, full path) the app serves, routers included, with its declared roles."""
    found = []
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        if not isinstance(route, APIRoute):
            continue
        calls = list(_calls(route.dependant))
        roles = next((c.touchstone_roles for c in calls if hasattr(c, "touchstone_roles")), None)
        for method in sorted((ctx.methods or set()) - {"HEAD"}):
            found.append(Endpoint(method, ctx.path, roles, get_auth in calls))
    return found


def _call(client: Browser, ep: Endpoint, url: str, token: str | None) -> int:
    if ep.is_api:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body = {} if ep.method in {"POST", "PUT", "PATCH"} else None
        return client.request(ep.method, url, json=body, headers=headers).status_code
    if ep.method == "GET":
        return client.get(url).status_code
    return client.form(url, {}).status_code if ep.method == "POST" else 405  # type: ignore[attr-defined]


def sweep(app: FastAPI, a: OrgWorld, b: OrgWorld, clients: dict[Role, Browser]) -> list[str]:
    problems: list[str] = []
    anonymous = Browser(app, base_url=BASE_URL, follow_redirects=False)
    anonymous.refresh_csrf("/login")
    for ep in endpoints(app):
        key = (ep.method, ep.path)
        if key in PUBLIC:
            continue
        if ep.roles is None:
            problems.append(f"{key}: not public and declares no roles (use require_role)")
            continue
        unknown = [p for p in ep.params if p not in a.objects]
        if unknown:
            problems.append(f"{key}: no test object for {unknown}; add it in make_world()")
            continue
        url = ep.url(a.objects)

        status = _call(anonymous, ep, url, token=None)
        expected = 401 if ep.is_api else 303
        if status != expected:
            problems.append(f"{key}: anonymous got {status}, expected {expected}")

        for role, client in clients.items():
            status = _call(client, ep, url, token=b.tokens[role])
            if role not in ep.roles:
                if status not in (403, 404):
                    problems.append(f"{key}: {role} of B got {status}, expected 403")
            elif ep.params and status != 404:
                problems.append(f"{key}: {role} of B got {status} for A's ids, expected 404")
    anonymous.close()
    return problems


def _positive_control(app: FastAPI, a: OrgWorld, session: Session) -> list[str]:
    """A's own owner reaches every GET address with A's ids (so 404 above meant 'not yours')."""
    problems = []
    owner = login(
        Browser(app, base_url=BASE_URL, follow_redirects=False), a.users[Role.owner].email, PASSWORD
    )
    for ep in endpoints(app):
        if ep.method != "GET" or not ep.params or ep.roles is None or Role.owner not in ep.roles:
            continue
        if any(p not in a.objects for p in ep.params):
            continue
        status = _call(owner, ep, ep.url(a.objects), token=a.tokens[Role.owner])
        if status != 200:
            problems.append(f"GET {ep.path}: A's owner got {status} for A's own ids")
    owner.close()
    return problems


def _b_clients(app: FastAPI, b: OrgWorld) -> dict[Role, Browser]:
    return {
        role: login(Browser(app, base_url=BASE_URL, follow_redirects=False), user.email, PASSWORD)
        for role, user in b.users.items()
    }


def _snapshot(session: Session, a: OrgWorld) -> tuple[object, ...]:
    session.expire_all()
    location = session.get(Location, a.objects["location_id"])
    invite = session.get(Invite, a.objects["invite_id"])
    membership = session.get(Membership, a.objects["membership_id"])
    assert location and invite and membership
    return (location.name, location.address, location.region, invite.revoked_at, membership.role)


def test_every_route_is_scoped_and_role_checked(app: FastAPI, session: Session) -> None:
    a = make_world(session, "Org A")
    b = make_world(session, "Org B")
    world_pack_pdf(session, a, app.state.settings)
    before = _snapshot(session, a)
    clients = _b_clients(app, b)

    assert sweep(app, a, b, clients) == []
    assert _positive_control(app, a, session) == []
    assert _snapshot(session, a) == before, "B's requests changed A's data"
    # The sweep really covered the routes that carry ids.
    swept = {ep.path for ep in endpoints(app) if ep.params and (ep.method, ep.path) not in PUBLIC}
    assert {"/locations/{location_id}", "/api/v1/locations/{location_id}"} <= swept
    # Proof of visit (audits/proof): the phone's start and the owner's reading of it.
    assert {
        "/shops/{shop_id}/visit-start",
        "/api/v1/shops/{shop_id}/visit-start",
        "/api/v1/shops/{shop_id}/proof",
    } <= swept
    for c in clients.values():
        c.close()


@pytest.mark.slow
@pytest.mark.fresh_app
def test_sweep_catches_a_route_that_skips_the_scope(app: FastAPI, session: Session) -> None:
    """Plant routes that bypass tenancy in two different ways; the sweep must report both."""

    @app.get("/api/v1/leaky/{location_id}")
    def leaky_unscoped_session(
        tenant: OwnerDep, request: Request, location_id: int
    ) -> dict[str, str]:
        # Reads through a session of its own instead of the request's scoped one.
        with request.app.state.db.session() as raw:
            location = raw.get(Location, location_id)
            if location is None:
                raise HTTPException(404)
            return {"name": location.name}

    @app.get("/api/v1/undeclared")
    def no_roles_declared(request: Request) -> dict[str, str]:
        return {"ok": "yes"}

    a = make_world(session, "Org A")
    b = make_world(session, "Org B")
    problems = sweep(app, a, b, _b_clients(app, b))
    assert any("/api/v1/leaky/{location_id}" in p and "owner of B got 200" in p for p in problems)
    assert any("/api/v1/undeclared" in p and "declares no roles" in p for p in problems)
