"""Fuzzing the API with schemathesis: every operation of /openapi.json, called in process.

Schemathesis reads the app's own OpenAPI document, generates valid and invalid requests for
every operation and sends them with a member's bearer token. Each response must not be a 5xx
and, where the status is documented, must match the documented schema. Path parameters are
sometimes swapped for ids of a real organization (the org_world fixture of tests/conftest.py),
so the calls get past the 404 and run the code behind it.

FUZZ_EXAMPLES raises the number of examples per operation for a longer run by hand (see
docs/reliability.md); CI runs the small default.
"""

from __future__ import annotations

import io
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from pypdf import PdfWriter
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)
from sqlmodel import Session

from app.orgs.models import Location, Role
from app.pdf import Renderer, RenderResult
from tests.conftest import Browser
from tests.factories import OrgWorld
from touchpoints.models import Touchpoint

pytestmark = pytest.mark.db

# Examples per operation and generation mode for the owner, who reaches the most code; the
# viewer and the shopper mostly meet 403s, so they get a quarter of that (at least one).
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
# Schemathesis gives up on a request after 10 s by default, which a busy machine reaches while
# the app builds its OpenAPI document. The app runs in process: this is only an upper bound.
REQUEST_TIMEOUT = 300.0


def _blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=72, height=72)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


class InstantRenderer(Renderer):
    """Returns a blank page at once. The fuzz is about how the API treats its inputs;
    printing has its own tests, and real WeasyPrint renders would cost seconds each."""

    PDF = _blank_pdf()

    def __init__(self) -> None:
        super().__init__(workers=1, time_limit=30)

    def render(
        self, html: str, *, base_url: str | None = None, time_limit: float | None = None
    ) -> RenderResult:
        return RenderResult(pdf=self.PDF, seconds=0.0, peak_rss_mb=0.0)

    async def arender(
        self, html: str, *, base_url: str | None = None, time_limit: float | None = None
    ) -> RenderResult:
        return self.render(html)


def _finish_pack_jobs() -> None:
    # A meeting pack prints in a thread of its own; let it write its last state before the
    # test's database is dropped.
    for thread in threading.enumerate():
        if thread.name.startswith("pack-"):
            thread.join(timeout=REQUEST_TIMEOUT)
            assert not thread.is_alive(), f"{thread.name} still printing"


@pytest.fixture(params=[Role.owner, Role.viewer, Role.shopper], ids=lambda r: r.value)
def role(request: pytest.FixtureRequest) -> Role:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def api_schema(app: FastAPI, org_world: OrgWorld, role: Role) -> Iterator[Any]:
    app.state.renderer = InstantRenderer()
    app.state.renderer_shared = True
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, timeout=REQUEST_TIMEOUT)
    real = {k: v if isinstance(v, int) else str(v) for k, v in org_world.objects.items()}

    @schema.hook("flatmap_path_parameters")
    def sometimes_real_ids(context: Any, path_parameters: dict[str, Any]) -> Any:
        if not path_parameters:
            return st.just(path_parameters)
        swapped = {name: real.get(name, value) for name, value in path_parameters.items()}
        return st.sampled_from([swapped, path_parameters])

    yield schema
    _finish_pack_jobs()


MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        derandomize=True,  # the same examples on every run, so CI cannot flicker
        database=None,  # no .hypothesis folder left behind
        deadline=None,
        # No shrinking: a finding is reported with the request that found it (as curl), and a
        # short CI run stays short when something fails.
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


@dataclass
class Run:
    operations: int = 0
    calls: int = 0
    findings: list[str] = field(default_factory=list)
    answered: set[str] = field(default_factory=set)  # operations that gave a 2xx at least once


def fuzz(schema: Any, token: str, examples: int) -> Run:
    """Every operation in both modes; findings are collected, not raised one by one, so a
    run reports all of them."""
    run = Run()
    headers = {"Authorization": f"Bearer {token}"}
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            run.findings.append(f"schema error: {result.err()}")
            continue
        operation = result.ok()
        run.operations += 1
        for mode in MODES:

            @fuzz_settings(examples)
            @given(case=operation.as_strategy(generation_mode=mode))
            def call(case: Any) -> None:
                run.calls += 1
                try:
                    response = case.call_and_validate(
                        headers=headers, checks=CHECKS, timeout=REQUEST_TIMEOUT
                    )
                except (AssertionError, ExceptionGroup):
                    raise  # a failed check; its message has the request as curl
                except Exception as exc:
                    # The test client re-raises what the app did not handle (a 500 in
                    # production): name the request that caused it.
                    raise AssertionError(
                        f"{type(exc).__name__}: {exc}\n{case.as_curl_command()}"
                    ) from exc
                if response.status_code < 300:
                    run.answered.add(case.operation.label)

            try:
                call()
            except Unsatisfiable:
                pass  # negative mode with nothing to break (no parameters, no body)
            except (Exception, ExceptionGroup) as exc:
                run.findings.append(f"{operation.label} ({mode.value}): {exc}")
    return run


@pytest.mark.slow  # schemathesis calls every API operation many times
def test_api_operations_never_fail_and_match_the_schema(
    api_schema: Any, org_world: OrgWorld, role: Role
) -> None:
    started = time.perf_counter()
    examples = EXAMPLES if role is Role.owner else max(1, EXAMPLES // 4)
    run = fuzz(api_schema, org_world.tokens[role], examples)
    print(
        f"fuzz as {role.value}: {run.operations} operations ({len(run.answered)} answered "
        f"2xx), {run.calls} calls, {time.perf_counter() - started:.1f} s, "
        f"{len(run.findings)} findings"
    )
    for label in sorted(run.answered):
        print("  2xx:", label)
    assert run.operations >= 50  # the schema was really read
    # The token and the real ids got the calls past 401 and 404 into the code behind them.
    assert run.answered
    if role is Role.owner:
        assert len(run.answered) >= run.operations // 2, sorted(run.answered)
    assert not run.findings, "\n\n".join(run.findings)


# --- what the fuzz found, pinned ------------------------------------------------------------


def _bearer(org_world: OrgWorld) -> dict[str, str]:
    return {"Authorization": f"Bearer {org_world.tokens[Role.owner]}"}


def test_deleting_a_location_with_shops_is_refused(
    client: Browser, org_world: OrgWorld, session: Session
) -> None:
    location_id = org_world.objects["location_id"]
    response = client.delete(f"/api/v1/locations/{location_id}", headers=_bearer(org_world))
    assert response.status_code == 409
    assert "cannot be deleted" in response.json()["detail"]
    session.expire_all()
    assert session.get(Location, location_id) is not None


def test_an_id_too_big_for_the_database_is_a_422_not_a_crash(
    client: Browser, org_world: OrgWorld
) -> None:
    huge = 2**70
    shop = client.post(f"/api/v1/shops/{huge}/return", json={}, headers=_bearer(org_world))
    assert shop.status_code == 422
    wave = client.post(
        "/api/v1/waves",
        json={
            "name": "Spring",
            "location_ids": [huge],
            "touchpoint_ids": [org_world.objects["touchpoint_id"]],
            "shopper_ids": [org_world.users[Role.shopper].id],
            "starts": "2026-03-01T09:00:00Z",
            "ends": "2026-03-31T17:00:00Z",
        },
        headers=_bearer(org_world),
    )
    assert wave.status_code == 422
    assert wave.json()["detail"][0]["loc"][-2:] == ["location_ids", 0]
    export = client.get(f"/api/v1/exports/shops.csv?location={huge}", headers=_bearer(org_world))
    assert export.status_code == 400
    assert export.json()["field"] == "location"


def test_a_pdf_named_in_other_scripts_downloads(
    app: FastAPI, client: Browser, org_world: OrgWorld, session: Session
) -> None:
    app.state.renderer = InstantRenderer()
    app.state.renderer_shared = True
    touchpoint = session.get(Touchpoint, org_world.objects["touchpoint_id"])
    assert touchpoint is not None
    touchpoint.name = "Приветствие 𨛋"
    session.add(touchpoint)
    session.commit()
    response = client.get(
        f"/api/v1/reports/touchpoints/{touchpoint.id}/pdf", headers=_bearer(org_world)
    )
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="')
    assert "filename*=UTF-8''" in disposition
    assert quote("приветствие") in disposition
