"""Webhooks against a real HTTP receiver (tests/helpers.py `hook_receiver`): deliveries are
recorded with their event, signed, tried again, logged, paused, and never cross from one
organization to another.

The job body (`webhook_send`) is called here as a worker calls it, each `RetryLater` being
the job system's cue to call it again later; tests/app/test_jobs_workers.py runs it in a
real `touchstone worker`. The signature is checked with this file's own copy of the recipe
in docs/webhooks.md, not with the app's signing code."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select

from app.config import Settings
from app.db import Database
from app.jobs.runtime import JobContext, RetryLater
from app.modelbase import utcnow
from app.orgs.models import Organization, Role
from app.outbox.models import OutgoingMail
from app.webhooks.models import (
    MSG_EVENTS,
    MSG_URL,
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEndpointCreate,
    WebhookEvent,
)
from app.webhooks.payloads import AlertData, AlertPayload
from app.webhooks.services import (
    endpoint_create,
    endpoint_rotate,
    webhook_emit,
    webhook_give_up,
    webhook_send,
)
from tests.conftest import sign_in
from tests.factories import (
    make_action_item,
    make_alert,
    make_answer,
    make_member,
    make_org,
    make_question,
    make_recovery_case,
    make_shop,
    make_token,
    make_touchpoint,
)
from tests.helpers import HookReceiver, hook_receiver

pytestmark = pytest.mark.db

ALL = [e.value for e in WebhookEvent]


# --- the recipe of docs/webhooks.md, copied, not imported --------------------------------

TOLERANCE = 300  # seconds


def verify(secret: str, header: str, body: bytes, now: float | None = None) -> bool:
    fields = [part.split("=", 1) for part in header.split(",") if "=" in part]
    timestamps = [value for key, value in fields if key == "t"]
    signatures = [value for key, value in fields if key == "v1"]
    if len(timestamps) != 1 or not timestamps[0].isdigit() or not signatures:
        return False
    timestamp = int(timestamps[0])
    if abs((time.time() if now is None else now) - timestamp) > TOLERANCE:
        return False  # too old (a replay) or from the future
    expected = hmac.new(
        secret.encode(), timestamps[0].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return any(hmac.compare_digest(expected, candidate) for candidate in signatures)


def test_the_recipe_in_the_docs_is_the_one_this_file_uses() -> None:
    from pathlib import Path

    docs = (Path(__file__).parents[2] / "docs" / "webhooks.md").read_text()
    for line in (
        'fields = [part.split("=", 1) for part in header.split(",") if "=" in part]',
        'secret.encode(), timestamps[0].encode() + b"." + body, hashlib.sha256',
        "return any(hmac.compare_digest(expected, candidate) for candidate in signatures)",
        "TOLERANCE = 300  # seconds",
    ):
        assert line in docs


# --- helpers --------------------------------------------------------------------------------


def _settings(settings: Settings, **changes: Any) -> Settings:
    return settings.model_copy(update={"webhook_timeout_seconds": 5, **changes})


def _endpoint(
    session: Session, org: Organization, url: str, events: list[str] | None = None
) -> tuple[WebhookEndpoint, str]:
    data = WebhookEndpointCreate(url=url, description="Zapier", events=events or ALL)
    return endpoint_create(session=session, org_id=org.id, data=data)  # type: ignore[arg-type]


def _deliveries(db: Database, **where: Any) -> list[WebhookDelivery]:
    with db.session() as s:
        query = select(WebhookDelivery).order_by(col(WebhookDelivery.id))
        for name, value in where.items():
            query = query.where(getattr(WebhookDelivery, name) == value)
        return list(s.exec(query).all())


def _attempts(db: Database, delivery: WebhookDelivery) -> list[WebhookAttempt]:
    with db.session() as s:
        return list(
            s.exec(
                select(WebhookAttempt)
                .where(WebhookAttempt.delivery_id == delivery.id)
                .order_by(col(WebhookAttempt.id))
            ).all()
        )


def _run(ctx: JobContext, delivery_uuid: str, tries: int = 10) -> int:
    """Run a delivery's job as the job system does: again after each RetryLater."""
    for n in range(1, tries + 1):
        try:
            webhook_send(ctx, delivery_uuid)
            return n
        except RetryLater:
            continue
    webhook_give_up(ctx, delivery_uuid, "tries spent")
    return tries


def _run_all(ctx: JobContext) -> None:
    for delivery in _deliveries(ctx.db, status=DeliveryStatus.queued):
        _run(ctx, delivery.uuid)


# --- the acceptance: 500, 500, 200 ----------------------------------------------------------


def test_a_receiver_that_fails_twice_gets_the_delivery_three_times_and_one_success_is_logged(
    session: Session, db: Database, settings: Settings
) -> None:
    org = make_org(session, name="Lantern Books")
    with hook_receiver(answers=[500, 500, 200]) as receiver:
        endpoint, secret = _endpoint(session, org, receiver.url)
        case = make_recovery_case(session, org, summary="Waited 20 minutes for the bill")
        [delivery] = _deliveries(db)
        assert delivery.event == "recovery_case.opened"

        runs = _run(JobContext(settings=_settings(settings), db=db), delivery.uuid)

        assert runs == 3 and len(receiver.received) == 3
    ids = {hook.headers["Touchstone-Delivery"] for hook in receiver.received}
    assert ids == {delivery.uuid}  # the same id on every try: receivers de-duplicate on it
    assert {hook.body for hook in receiver.received} == {delivery.body.encode()}
    last = receiver.received[-1]
    assert last.headers["Touchstone-Event"] == "recovery_case.opened"
    assert verify(secret, last.headers["Touchstone-Signature"], last.body)
    assert not verify("whsec_wrong", last.headers["Touchstone-Signature"], last.body)
    assert not verify(secret, last.headers["Touchstone-Signature"], last.body + b" ")

    # A replay of this request ten minutes later is refused on its timestamp alone.
    timestamp = int(last.headers["Touchstone-Signature"].split(",")[0].removeprefix("t="))
    assert abs(timestamp - utcnow().timestamp()) < 60
    assert not verify(secret, last.headers["Touchstone-Signature"], last.body, timestamp + 600)

    body = json.loads(last.body)
    assert body["id"] == delivery.uuid and body["type"] == "recovery_case.opened"
    assert body["data"]["recovery_case"]["reference"] == case.reference
    assert "customer_name" not in body["data"]["recovery_case"]

    [stored] = _deliveries(db)
    assert stored.status == DeliveryStatus.delivered and stored.attempts == 3
    log = _attempts(db, stored)
    assert [(a.status_code, a.ok) for a in log] == [(500, False), (500, False), (200, True)]
    assert "receiver says 500" in log[0].error and log[2].error == ""
    assert all(a.duration_ms >= 0 for a in log)
    with db.session() as s:
        again = s.get(WebhookEndpoint, endpoint.id)
        assert again is not None and again.failures == 0 and again.failing_since is None

    # The job run again (a worker that came back) sends nothing more.
    with hook_receiver() as quiet:
        webhook_send(JobContext(settings=settings, db=db), stored.uuid)
        assert quiet.received == []


# --- recorded with the event, and only then ---------------------------------------------------


def test_a_delivery_exists_only_when_its_event_was_committed(
    session: Session, db: Database
) -> None:
    org = make_org(session)
    _endpoint(session, org, "https://hooks.example.test/in")
    data = AlertPayload(
        alert=AlertData(
            id=1,
            kind="below_target",
            message="m",
            shop_id=None,
            recovery_case_id=None,
            touchpoint_id=None,
            location_id=None,
            created_at=utcnow(),
        )
    )
    webhook_emit(session=session, org_id=org.id, event=WebhookEvent.alert_raised, data=data)  # type: ignore[arg-type]
    session.rollback()
    assert _deliveries(db) == []


def test_every_event_is_recorded_without_the_shopper(session: Session, db: Database) -> None:
    from actions.services import action_item_set_status
    from audits.services import shop_approve, shop_submit
    from recovery.alerts.services import alerts_check_overdue
    from touchpoints.models import ActionStatus

    org = make_org(session)
    owner = make_member(session, org, Role.owner)
    shopper = make_member(
        session, org, Role.shopper, name="Sam Shopper", email="sam.shopper@example.test"
    )
    _endpoint(session, org, "https://hooks.example.test/in")
    touchpoint = make_touchpoint(session, org, name="Paying the bill")
    question = make_question(session, touchpoint)
    shop = make_shop(
        session, org, touchpoints=[touchpoint], shopper_id=shopper.id, status="in_progress"
    )
    make_answer(session, shop, question, True)

    shop_submit(session=session, shop=shop, actor_id=shopper.id)  # type: ignore[arg-type]
    shop_approve(session=session, shop=shop, actor_id=owner.id)  # type: ignore[arg-type]
    make_recovery_case(session, org, reported_at=utcnow() - timedelta(hours=30))
    alerts_check_overdue(session, utcnow())
    session.commit()
    item = make_action_item(session, touchpoint)
    action_item_set_status(session=session, item=item, status=ActionStatus.done)

    events = [d.event for d in _deliveries(db)]
    assert events == [
        "shop.submitted",
        "shop.approved",
        "recovery_case.opened",
        "alert.raised",
        "recovery_case.overdue",
        "action_item.done",
    ]
    bodies = {d.event: json.loads(d.body) for d in _deliveries(db)}
    assert bodies["shop.approved"]["data"]["shop"]["score"] == 100.0
    assert bodies["shop.approved"]["data"]["shop"]["location"]
    assert bodies["action_item.done"]["data"]["action_item"]["done_at"]
    assert bodies["recovery_case.overdue"]["data"]["recovery_case"]["due_at"]
    everything = " ".join(d.body for d in _deliveries(db))
    assert "Sam Shopper" not in everything and "sam.shopper" not in everything
    assert "shopper_id" not in everything and str(shopper.email) not in everything


def test_an_endpoint_gets_only_the_events_it_chose(session: Session, db: Database) -> None:
    org = make_org(session)
    _endpoint(session, org, "https://hooks.example.test/a", ["alert.raised"])
    _endpoint(session, org, "https://hooks.example.test/b", ["action_item.done"])
    make_alert(session, org)
    [delivery] = _deliveries(db)
    assert delivery.event == "alert.raised"


def test_one_organizations_endpoint_never_receives_anothers_events(
    session: Session, db: Database, settings: Settings
) -> None:
    lantern, rival = make_org(session, name="Lantern Books"), make_org(session, name="Rival")
    with hook_receiver() as ours, hook_receiver() as theirs:
        _endpoint(session, lantern, ours.url)
        _endpoint(session, rival, theirs.url)
        make_alert(session, rival, message="Rival's alert")
        make_recovery_case(session, rival, summary="Rival's case")
        make_action_item(session, make_touchpoint(session, rival))  # not done: no event
        make_alert(session, lantern, message="Lantern's alert")
        _run_all(JobContext(settings=_settings(settings), db=db))

        assert [json.loads(h.body)["organization"]["id"] for h in ours.received] == [lantern.id]
        assert "Lantern's alert" in ours.received[0].body.decode()
        assert {json.loads(h.body)["organization"]["id"] for h in theirs.received} == {rival.id}
        assert len(theirs.received) == 2
        assert all("Lantern" not in h.body.decode() for h in theirs.received)


# --- failing endpoints ----------------------------------------------------------------------


def test_an_endpoint_failing_for_a_day_is_paused_and_the_owners_are_told(
    session: Session, db: Database, settings: Settings, browser_factory: Any
) -> None:
    org = make_org(session, name="Lantern Books")
    owner = make_member(session, org, Role.owner, email="owner@lantern.example")
    with hook_receiver(answers=[503] * 10) as receiver:
        endpoint, _ = _endpoint(session, org, receiver.url)
        make_alert(session, org)
        make_alert(session, org)
        first, second = _deliveries(db)
        ctx = JobContext(settings=_settings(settings), db=db)
        with pytest.raises(RetryLater):
            webhook_send(ctx, first.uuid)
        # It has been failing for a day by the next try.
        with db.session() as s:
            row = s.get(WebhookEndpoint, endpoint.id)
            assert row is not None and row.failing_since is not None
            row.failing_since -= timedelta(hours=25)
            s.add(row)
            s.commit()

        webhook_send(ctx, first.uuid)  # fails, and pauses: no RetryLater

        webhook_send(ctx, second.uuid)  # paused: not even tried
        assert len(receiver.received) == 2
        make_alert(session, org)  # nothing recorded for a paused endpoint
    assert [d.status for d in _deliveries(db)] == [DeliveryStatus.failed] * 2
    assert _deliveries(db)[1].last_error == "Not sent: the endpoint was paused."
    with db.session() as s:
        [mail] = s.exec(select(OutgoingMail)).all()
    assert mail.to_addr == "owner@lantern.example"
    assert receiver.url in mail.subject and "HTTP 503" in mail.body

    browser = sign_in(browser_factory(), db, owner, org)
    listing = browser.get("/settings/webhooks").text
    assert "paused" in listing and "every request for 25 hours failed" in listing
    page = browser.get(f"/settings/webhooks/{endpoint.id}").text
    assert "Paused." in page and "HTTP 503: receiver says 503" in page
    refused = browser.form(f"/settings/webhooks/deliveries/{first.id}/resend")
    assert refused.status_code == 303  # type: ignore[attr-defined]
    assert "Resume it first" in browser.get(f"/settings/webhooks/{endpoint.id}").text

    browser.form(f"/settings/webhooks/{endpoint.id}/resume")
    resumed = browser.get(f"/settings/webhooks/{endpoint.id}").text
    assert "Resumed: new events are sent" in resumed and "Paused." not in resumed
    make_alert(session, org)
    assert len(_deliveries(db)) == 3


def test_a_redirect_is_not_followed_and_counts_as_a_failure(
    session: Session, db: Database, settings: Settings
) -> None:
    org = make_org(session)
    with hook_receiver(answers=[302]) as receiver, hook_receiver() as elsewhere:
        receiver.redirect_to = elsewhere.url
        _endpoint(session, org, receiver.url)
        make_alert(session, org)
        [delivery] = _deliveries(db)
        with pytest.raises(RetryLater):
            webhook_send(JobContext(settings=_settings(settings), db=db), delivery.uuid)
        assert elsewhere.received == []
    [attempt] = _attempts(db, delivery)
    assert attempt.status_code == 302 and f"HTTP 302 to {elsewhere.url}" in attempt.error


def test_an_unreachable_endpoint_is_logged_without_a_status_code(
    session: Session, db: Database, settings: Settings
) -> None:
    from tests.conftest import free_port

    org = make_org(session)
    _endpoint(session, org, f"http://127.0.0.1:{free_port()}/nobody")
    make_alert(session, org)
    [delivery] = _deliveries(db)
    with pytest.raises(RetryLater):
        webhook_send(JobContext(settings=_settings(settings), db=db), delivery.uuid)
    [attempt] = _attempts(db, delivery)
    assert attempt.status_code is None and "ConnectError" in attempt.error


def test_a_rotated_secret_signs_beside_the_new_one_for_a_day(
    session: Session, db: Database, settings: Settings
) -> None:
    org = make_org(session)
    with hook_receiver() as receiver:
        endpoint, old = _endpoint(session, org, receiver.url)
        new = endpoint_rotate(session=session, endpoint=endpoint)
        make_alert(session, org)
        _run_all(JobContext(settings=_settings(settings), db=db))
        [hook] = receiver.received
    header = hook.headers["Touchstone-Signature"]
    assert header.count("v1=") == 2
    assert verify(new, header, hook.body) and verify(old, header, hook.body)
    assert new != old and new.startswith("whsec_")


# --- the pages ------------------------------------------------------------------------------


def test_an_owner_registers_an_endpoint_sees_its_secret_once_and_sends_a_delivery_again(
    session: Session, db: Database, settings: Settings, browser_factory: Any, app: Any
) -> None:
    org = make_org(session, name="Lantern Books")
    owner = make_member(session, org, Role.owner)
    browser = sign_in(browser_factory(), db, owner, org)
    assert 'href="/settings/webhooks"' in browser.get("/settings").text

    bad = browser.form("/settings/webhooks", {"url": "ftp://files.example.test/in"})
    assert bad.status_code == 400  # type: ignore[attr-defined]
    assert MSG_URL in bad.text and MSG_EVENTS in bad.text  # type: ignore[attr-defined]
    assert 'id="f-url-error"' in bad.text  # type: ignore[attr-defined]

    with hook_receiver() as receiver:
        made = browser.form(
            "/settings/webhooks",
            {"url": receiver.url, "description": "Zapier", "events": ["alert.raised"]},
        )
        assert made.status_code == 200  # type: ignore[attr-defined]
        [endpoint] = session.exec(select(WebhookEndpoint)).all()
        assert endpoint.secret in made.text and "shown only once" in made.text  # type: ignore[attr-defined]
        assert endpoint.secret not in browser.get("/settings/webhooks").text
        assert endpoint.secret not in browser.get(f"/settings/webhooks/{endpoint.id}").text

        make_alert(session, org, message="Paying the bill scored 40.")
        ctx = JobContext(settings=_settings(settings), db=db)
        _run_all(ctx)
        page = browser.get(f"/settings/webhooks/{endpoint.id}").text
        [delivery] = _deliveries(db)
        assert "alert.raised" in page and "delivered" in page and "HTTP 200" in page
        assert delivery.uuid in page

        again = browser.form(f"/settings/webhooks/deliveries/{delivery.id}/resend")
        assert again.status_code == 303  # type: ignore[attr-defined]
        assert _deliveries(db)[0].round == 1
        _run_all(ctx)
        assert len(receiver.received) == 2
        ids = {h.headers["Touchstone-Delivery"] for h in receiver.received}
        assert ids == {delivery.uuid}
    assert browser.get(f"/settings/webhooks/{endpoint.id}").text.count("HTTP 200") == 2


def test_only_owners_reach_the_webhooks_pages_and_the_api(
    session: Session, db: Database, browser_factory: Any
) -> None:
    org = make_org(session)
    viewer = make_member(session, org, Role.viewer)
    browser = sign_in(browser_factory(), db, viewer, org)
    assert browser.get("/settings/webhooks").status_code == 403
    token = make_token(session, org, viewer)
    api = browser_factory()
    answer = api.get("/api/v1/webhooks", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403


def test_the_api_registers_an_endpoint_and_names_a_bad_field(
    session: Session, db: Database, browser_factory: Any
) -> None:
    org = make_org(session)
    owner = make_member(session, org, Role.owner)
    auth = {"Authorization": f"Bearer {make_token(session, org, owner)}"}
    api = browser_factory()

    bad = api.post(
        "/api/v1/webhooks", json={"url": "javascript:alert(1)", "events": []}, headers=auth
    )
    assert bad.status_code == 422
    problems = {tuple(e["loc"]): e["msg"] for e in bad.json()["detail"]}
    assert MSG_URL in problems[("body", "url")]
    assert MSG_EVENTS in problems[("body", "events")]
    unknown = api.post(
        "/api/v1/webhooks",
        json={"url": "https://h.example.test/in", "events": ["shop.eaten"]},
        headers=auth,
    )
    assert unknown.status_code == 422 and "shop.approved" in unknown.text

    made = api.post(
        "/api/v1/webhooks",
        json={"url": "https://h.example.test/in", "events": ["shop.approved"]},
        headers=auth,
    )
    assert made.status_code == 201
    assert made.json()["secret"].startswith("whsec_")
    listed = api.get("/api/v1/webhooks", headers=auth).json()
    assert [e["url"] for e in listed] == ["https://h.example.test/in"]
    assert "secret" not in listed[0]
    gone = api.delete(f"/api/v1/webhooks/{made.json()['id']}", headers=auth)
    assert gone.status_code == 204 and api.get("/api/v1/webhooks", headers=auth).json() == []


def test_the_openapi_document_describes_every_event_without_the_shopper(app: Any) -> None:
    document = app.openapi()
    assert sorted(document["webhooks"]) == sorted(ALL)
    shop = document["components"]["schemas"]["ShopData"]["properties"]
    assert "score" in shop and not any("shopper" in name for name in shop)
    case = document["components"]["schemas"]["CaseData"]["properties"]
    assert not any("customer" in name for name in case)
    ref = document["webhooks"]["shop.approved"]["post"]["requestBody"]["content"]
    assert ref["application/json"]["schema"]["$ref"].endswith("/ShopApprovedEvent")


def test_receiver_helper_is_a_real_server() -> None:
    import httpx

    with hook_receiver(answers=[418]) as receiver:
        assert isinstance(receiver, HookReceiver)
        assert httpx.post(receiver.url, content=b"x").status_code == 418
