"""Endpoints (register, rotate the secret, resume, delete), recording an event's deliveries,
the job that sends one delivery, and sending one again.

A delivery is a row before it is a request, the same pattern as the e-mail outbox: a
service that makes an event calls `webhook_emit` inside its own transaction, so a delivery
exists exactly when the event was committed; once the commit is done its job is queued
under the id `webhook-<delivery uuid>-<round>` (queueing it twice runs it once). The job
(`webhook_send`):

1. in a transaction of its own skips a delivery that is delivered or failed, refuses one
   whose endpoint is paused, and marks the others `sending` with one more attempt;
2. posts the body, signed, outside every transaction (httpx2: short timeouts, redirects not
   followed, at most RESPONSE_READ bytes of the answer read);
3. records the attempt; a 2xx marks the delivery `delivered`; anything else asks the job
   system to try again later (`RetryLater`; the waits are durable and span a day), and
   pauses the endpoint once all its requests have failed for WEBHOOK_PAUSE_SECONDS,
   telling the owners by e-mail (the outbox) and on the page.

A worker killed between the receiver's answer and step 3 sends the delivery again with the
same `Touchstone-Delivery` id, which receivers use to drop duplicates (docs/webhooks.md).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

import httpx2
from pydantic import BaseModel
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from app.config import Settings
from app.errors import ConflictError
from app.i18n.catalogs import N_
from app.jobs import runtime as jobs
from app.jobs.runtime import JobContext, RetryLater
from app.modelbase import ident, utcnow
from app.orgs.queries import owner_addresses
from app.outbox.services import mail_queue
from app.webhooks import signing
from app.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEndpointCreate,
    WebhookEvent,
)
from app.webhooks.payloads import envelope

log = logging.getLogger("touchstone.webhooks")

SEND_JOB = "webhook.send"
SWEEP_JOB = "webhook.sweep"
_QUEUED = "touchstone_webhooks_queued"
# After a rotation the old secret signs too, this long, so receivers can switch over.
ROTATION_GRACE = timedelta(hours=24)
RESPONSE_READ = 4096  # bytes of an answer read, for the log's error text
SWEEP_AFTER = timedelta(seconds=30)
USER_AGENT = "Touchstone-Webhooks/1"

MSG_NOT_RESENDABLE = N_("This delivery is still on its way; it can be sent again once it is done.")
MSG_PAUSED = N_("This endpoint is paused. Resume it first, then send the delivery again.")
MSG_NOT_PAUSED = N_("This endpoint is not paused.")
MSG_PAUSED_DELIVERY = N_("Not sent: the endpoint was paused.")
MSG_PAUSE_REASON = (
    "Since {when}: every request for {hours} hours failed ({failures} in a row). The last "
    "answer: {error}"
)


def policy(settings: Settings) -> tuple[int, float, float]:
    """Retries of a delivery (app.jobs.runtime.define): about a day with the defaults."""
    return (
        settings.webhook_attempts,
        settings.webhook_retry_seconds,
        settings.webhook_retry_max_seconds,
    )


def job_id(delivery: WebhookDelivery) -> str:
    # The uuid, not the row id: a row id rolled back with its savepoint can be taken again
    # by the next row, whose job would then be mistaken for the one already run.
    return f"webhook-{delivery.uuid}-{delivery.round}"


# --- endpoints ----------------------------------------------------------------------------


def endpoint_create(
    *, session: Session, org_id: int, data: WebhookEndpointCreate
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it and its secret (shown to the owner once)."""
    secret = signing.secret_new()
    endpoint = WebhookEndpoint(
        org_id=org_id,
        url=data.url,
        description=data.description,
        events=[e.value for e in data.events],
        secret=secret,
    )
    session.add(endpoint)
    session.commit()
    session.refresh(endpoint)
    return endpoint, secret


def endpoint_rotate(*, session: Session, endpoint: WebhookEndpoint) -> str:
    """A new secret; the old one keeps signing for ROTATION_GRACE beside it."""
    secret = signing.secret_new()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_until = utcnow() + ROTATION_GRACE
    endpoint.secret = secret
    session.add(endpoint)
    session.commit()
    return secret


def endpoint_resume(*, session: Session, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    if endpoint.paused_at is None:
        raise ConflictError(MSG_NOT_PAUSED)
    endpoint.paused_at = None
    endpoint.paused_reason = ""
    endpoint.failures = 0
    endpoint.failing_since = None
    session.add(endpoint)
    session.commit()
    return endpoint


def endpoint_delete(*, session: Session, endpoint: WebhookEndpoint) -> None:
    """Its deliveries and their log go with it; jobs still queued find nothing to send."""
    session.delete(endpoint)
    session.commit()


def endpoint_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets that sign a request now: the current one, and the previous one during
    its grace period."""
    live = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_until and endpoint.previous_until > now:
        live.append(endpoint.previous_secret)
    return live


# --- recording an event -------------------------------------------------------------------


def webhook_emit(
    *, session: Session, org_id: int, event: WebhookEvent, data: BaseModel
) -> list[WebhookDelivery]:
    """Record one delivery of `event` for each of the organization's endpoints that chose
    it and is not paused, in the caller's transaction (the caller commits); their jobs are
    queued once it commits. The explicit org filter keeps an unscoped session (the
    heartbeat's overdue check) to the event's own organization."""
    endpoints = session.exec(
        select(WebhookEndpoint).where(
            WebhookEndpoint.org_id == org_id, col(WebhookEndpoint.paused_at).is_(None)
        )
    ).all()
    now = utcnow()
    made = []
    for endpoint in endpoints:
        if event.value not in endpoint.events:
            continue
        delivery_uuid = str(uuid.uuid4())
        body = envelope(
            delivery=delivery_uuid, event=event, created_at=now, org_id=org_id, data=data
        )
        delivery = WebhookDelivery(
            org_id=org_id,
            uuid=delivery_uuid,
            endpoint_id=ident(endpoint),
            event=event.value,
            body=json.dumps(body, separators=(",", ":")),
            created_at=now,
        )
        session.add(delivery)
        session.info.setdefault(_QUEUED, []).append((delivery_uuid, job_id(delivery)))
        made.append(delivery)
    return made


def after_commit(session: OrmSession) -> None:
    """Queue the jobs of the deliveries this commit stored (registered by app/wiring.py).
    A delivery whose savepoint was rolled back has no row: its job finds nothing to do."""
    for delivery_uuid, name in session.info.pop(_QUEUED, ()):
        jobs.enqueue(SEND_JOB, delivery_uuid, job_id=name)


def after_rollback(session: OrmSession) -> None:
    session.info.pop(_QUEUED, None)


# --- the job ------------------------------------------------------------------------------


def _by_uuid(session: Session, delivery_uuid: str) -> WebhookDelivery | None:
    return session.exec(
        select(WebhookDelivery).where(WebhookDelivery.uuid == delivery_uuid)
    ).first()


class _Request(BaseModel):
    org_id: int
    endpoint_id: int
    url: str
    body: str
    event: str
    secrets: list[str]


def _claim(ctx: JobContext, delivery_uuid: str) -> _Request | None:
    with ctx.db.write() as session:
        delivery = _by_uuid(session, delivery_uuid)
        if delivery is None or delivery.status not in (
            DeliveryStatus.queued,
            DeliveryStatus.sending,
        ):
            return None
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
        if endpoint is None:
            return None
        if endpoint.paused_at is not None:
            delivery.status, delivery.failed_at = DeliveryStatus.failed, utcnow()
            delivery.last_error = MSG_PAUSED_DELIVERY
            session.add(delivery)
            return None
        delivery.status = DeliveryStatus.sending
        delivery.attempts += 1
        session.add(delivery)
        return _Request(
            org_id=delivery.org_id,
            endpoint_id=ident(endpoint),
            url=endpoint.url,
            body=delivery.body,
            event=delivery.event,
            secrets=endpoint_secrets(endpoint, utcnow()),
        )


def _post(settings: Settings, request: _Request, delivery_uuid: str) -> tuple[int | None, str]:
    """Send it once: (status code or None, error text; empty on a 2xx)."""
    body = request.body.encode()
    timestamp = int(utcnow().timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        signing.DELIVERY_HEADER: delivery_uuid,
        signing.EVENT_HEADER: request.event,
        signing.SIGNATURE_HEADER: signing.signature_header(request.secrets, timestamp, body),
    }
    timeout = httpx2.Timeout(settings.webhook_timeout_seconds)
    try:
        with (
            httpx2.Client(timeout=timeout, follow_redirects=False) as client,
            client.stream("POST", request.url, content=body, headers=headers) as response,
        ):
            answer = b""
            for chunk in response.iter_bytes():
                answer += chunk
                if len(answer) >= RESPONSE_READ:
                    break
            code = response.status_code
    except httpx2.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:300]
    if 200 <= code < 300:
        return code, ""
    text = answer[:RESPONSE_READ].decode("utf-8", "replace").strip()
    where = f" to {response.headers.get('location', '')}" if 300 <= code < 400 else ""
    return code, f"HTTP {code}{where}{': ' + text if text else ''}"[:300]


def webhook_send(ctx: JobContext, delivery_uuid: str) -> None:
    """The `webhook.send` job: send the delivery until it is delivered (module's note)."""
    request = _claim(ctx, delivery_uuid)
    if request is None:
        return
    started, at = time.monotonic(), utcnow()
    code, error = _post(ctx.settings, request, delivery_uuid)
    duration_ms = int((time.monotonic() - started) * 1000)
    with ctx.db.write() as session:
        delivery = _by_uuid(session, delivery_uuid)
        endpoint = session.get(WebhookEndpoint, request.endpoint_id)
        if delivery is None or endpoint is None:
            return  # deleted while it was being sent
        session.add(
            WebhookAttempt(
                org_id=delivery.org_id,
                delivery_id=ident(delivery),
                at=at,
                duration_ms=duration_ms,
                status_code=code,
                ok=not error,
                error=error,
            )
        )
        if not error:
            delivery.status, delivery.delivered_at = DeliveryStatus.delivered, utcnow()
            delivery.last_error = ""
            endpoint.failures, endpoint.failing_since = 0, None
            session.add_all([delivery, endpoint])
            return
        endpoint.failures += 1
        endpoint.failing_since = endpoint.failing_since or at
        delivery.last_error = error
        if _should_pause(ctx.settings, endpoint, at):
            _pause(session, endpoint, error, at)
            delivery.status, delivery.failed_at = DeliveryStatus.failed, utcnow()
            session.add_all([delivery, endpoint])
            return
        delivery.status = DeliveryStatus.queued
        session.add_all([delivery, endpoint])
    raise RetryLater(error)


def _should_pause(settings: Settings, endpoint: WebhookEndpoint, now: datetime) -> bool:
    since = endpoint.failing_since
    return (
        endpoint.paused_at is None
        and since is not None
        and now - since >= timedelta(seconds=settings.webhook_pause_seconds)
    )


def _pause(session: Session, endpoint: WebhookEndpoint, error: str, now: datetime) -> None:
    """Stop sending to an endpoint that keeps failing, and tell the owners once."""
    since = endpoint.failing_since or now
    hours = max(int((now - since).total_seconds() // 3600), 0)
    endpoint.paused_at = now
    endpoint.paused_reason = MSG_PAUSE_REASON.format(
        when=now.strftime("%Y-%m-%d %H:%M UTC"),
        hours=hours,
        failures=endpoint.failures,
        error=error,
    )
    log.warning("webhook endpoint %s paused: %s", endpoint.id, error)
    owners = owner_addresses(session, endpoint.org_id)
    if owners:
        mail_queue(
            session=session,
            org_id=endpoint.org_id,
            key=f"webhook-paused:{endpoint.id}:{now.isoformat()}",
            to=", ".join(owners),
            subject=f"Webhook paused: {endpoint.url}"[:300],
            body=(
                f"Touchstone stopped sending events to {endpoint.url}"
                f"{' (' + endpoint.description + ')' if endpoint.description else ''}: "
                f"every request to it failed for {hours} hours.\n\n"
                f"The last answer: {error}\n\n"
                "When the receiver works again, resume the endpoint under Settings -> "
                "Webhooks; deliveries that were not sent can be sent again from there.\n"
            ),
        )


def webhook_give_up(ctx: JobContext, delivery_uuid: str, reason: str) -> None:
    """Every try failed: the endpoint's page lists the delivery with the last error."""
    log.error("webhook delivery %s not delivered after every try: %s", delivery_uuid, reason)
    with ctx.db.write() as session:
        delivery = _by_uuid(session, delivery_uuid)
        if delivery is None or delivery.status == DeliveryStatus.delivered:
            return
        delivery.status, delivery.failed_at = DeliveryStatus.failed, utcnow()
        delivery.last_error = reason
        session.add(delivery)


# --- by hand ------------------------------------------------------------------------------


def delivery_resend(
    *, session: Session, delivery: WebhookDelivery, endpoint: WebhookEndpoint
) -> WebhookDelivery:
    """Send a delivery again (an owner asked): a new round, the same body and delivery id,
    so a receiver that already has it can drop it."""
    if delivery.status in (DeliveryStatus.queued, DeliveryStatus.sending):
        raise ConflictError(MSG_NOT_RESENDABLE)
    if endpoint.paused_at is not None:
        raise ConflictError(MSG_PAUSED)
    delivery.status = DeliveryStatus.queued
    delivery.round += 1
    delivery.attempts = 0
    delivery.failed_at = None
    session.add(delivery)
    session.info.setdefault(_QUEUED, []).append((delivery.uuid, job_id(delivery)))
    session.commit()
    return delivery


def webhooks_sweep(ctx: JobContext) -> int:
    """The heartbeat's part: queue again the job of every delivery still waiting a while
    after it was stored (queueing a job that exists changes nothing). Returns how many."""
    cutoff = utcnow() - SWEEP_AFTER
    with ctx.db.session() as session:
        waiting: Sequence[WebhookDelivery] = session.exec(
            select(WebhookDelivery).where(
                col(WebhookDelivery.status).in_((DeliveryStatus.queued, DeliveryStatus.sending)),
                col(WebhookDelivery.created_at) < cutoff,
            )
        ).all()
    for delivery in waiting:
        jobs.enqueue(SEND_JOB, delivery.uuid, job_id=job_id(delivery))
    return len(waiting)
