"""Test data: small functions that make one valid object each, with overrides."""

from __future__ import annotations

import hashlib
import itertools
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from app.modelbase import ident, utcnow
from app.orgs.models import (
    ApiToken,
    Invite,
    Location,
    Membership,
    Organization,
    Role,
    User,
)
from app.security import api_token_issue, digest, hash_password
from audits.expenses.models import ExpenseClaim
from audits.models import Answer, Photo, Shop, ShopStatus, ShopTouchpoint
from reports.pdf.models import JobStatus, ReportJob
from touchpoints import services as journey_services
from touchpoints.models import Question, QuestionFields, Stage, Touchpoint

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


@cache
def _password_hash(password: str) -> str:
    # argon2 is slow on purpose; hash each distinct test password once per run.
    return hash_password(password)


def make_org(session: Session, **overrides: Any) -> Organization:
    org = Organization(**{"name": f"Org {next(_seq)}", "timezone": "Europe/London", **overrides})
    session.add(org)
    session.commit()
    return org


def make_user(session: Session, *, password: str = PASSWORD, **overrides: Any) -> User:
    n = next(_seq)
    values = {"email": f"user{n}@example.test", "name": f"User {n}", **overrides}
    user = User(password_hash=_password_hash(password), **values)
    session.add(user)
    session.commit()
    return user


def make_member(
    session: Session, org: Organization, role: Role = Role.owner, **user_overrides: Any
) -> User:
    user = make_user(session, **user_overrides)
    session.add(Membership(org_id=org.id, user_id=user.id, role=role))  # type: ignore[arg-type]
    session.commit()
    return user


def make_location(session: Session, org: Organization, **overrides: Any) -> Location:
    location = Location(
        **{"org_id": org.id, "name": f"Branch {next(_seq)}", "region": "North", **overrides}
    )
    session.add(location)
    session.commit()
    return location


def make_invite(
    session: Session, org: Organization, *, raw: str | None = None, **overrides: Any
) -> tuple[Invite, str]:
    raw = raw or f"invite-secret-{next(_seq)}"
    values = {
        "email": f"invitee{next(_seq)}@example.test",
        "role": Role.shopper,
        "expires_at": utcnow() + timedelta(days=3),
        **overrides,
    }
    invite = Invite(org_id=org.id, token_hash=digest(raw), **values)  # type: ignore[arg-type]
    session.add(invite)
    session.commit()
    return invite, raw


def make_token(session: Session, org: Organization, user: User) -> str:
    raw = api_token_issue(session=session, user_id=user.id, org_id=org.id, name="test")  # type: ignore[arg-type]
    session.commit()
    return raw


def make_stage(session: Session, org: Organization, **overrides: Any) -> Stage:
    stage = Stage(**{"org_id": org.id, "name": f"Stage {next(_seq)}", "position": 1, **overrides})
    session.add(stage)
    session.commit()
    return stage


def make_touchpoint(
    session: Session, org: Organization, stage: Stage | None = None, **overrides: Any
) -> Touchpoint:
    stage = stage or make_stage(session, org)
    values = {"name": f"Touchpoint {next(_seq)}", "position": 1, "target": 80, **overrides}
    touchpoint = Touchpoint(org_id=org.id, stage_id=stage.id, **values)  # type: ignore[arg-type]
    session.add(touchpoint)
    session.commit()
    return touchpoint


def make_question(session: Session, touchpoint: Touchpoint, **overrides: Any) -> Question:
    """A question through the real service, so it is validated like an owner's."""
    values: dict[str, Any] = {"text": f"Was it good? ({next(_seq)})", "kind": "yes_no", **overrides}
    fields = QuestionFields.model_validate(values)
    return journey_services.question_create(session=session, touchpoint=touchpoint, fields=fields)


def make_shop(
    session: Session,
    org: Organization,
    *,
    location: Location | None = None,
    touchpoints: list[Touchpoint] = (),  # type: ignore[assignment]
    **overrides: Any,
) -> Shop:
    location = location or make_location(session, org)
    shop = Shop(org_id=org.id, location_id=location.id, **overrides)  # type: ignore[arg-type]
    session.add(shop)
    session.flush()
    for position, tp in enumerate(touchpoints, start=1):
        session.add(
            ShopTouchpoint(org_id=org.id, shop_id=shop.id, touchpoint_id=tp.id, position=position)  # type: ignore[arg-type]
        )
    session.commit()
    return shop


def store_score(session: Session, shop: Shop) -> Shop:
    """Store the shop's score snapshot as submission and approval do (after its answers)."""
    from audits.queries import shop_score
    from touchpoints.scoring import score_snapshot

    score = shop_score(session, shop)
    shop.score = score.percent
    shop.score_detail = score_snapshot(score)
    session.add(shop)
    session.commit()
    return shop


def make_answer(
    session: Session, shop: Shop, question: Question, value: Any = True, **overrides: Any
) -> Answer:
    answer = Answer(
        org_id=shop.org_id,
        shop_id=shop.id,
        question_id=question.id,
        value=value,
        **overrides,  # type: ignore[arg-type]
    )
    session.add(answer)
    session.commit()
    return answer


TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f80f0000010101005b2d8a2a0000000049454e44ae426082"
)


def make_expense(session: Session, shop: Shop, **overrides: Any) -> ExpenseClaim:
    """An expense claim of `shop` by its shopper (EUR 12.40 "Coffee"), with a receipt: a
    real 1x1 PNG in a temporary folder (an absolute path, as `make_photo`'s)."""
    folder = Path(tempfile.mkdtemp(prefix="touchstone-receipt-"))
    path = folder / "receipt.png"
    path.write_bytes(TINY_PNG)
    fields: dict[str, Any] = {
        "id": uuid.uuid4(),
        "org_id": shop.org_id,
        "shop_id": shop.id,
        "shopper_id": shop.shopper_id,
        "amount_minor": 1240,
        "currency": "EUR",
        "what_for": "Coffee",
        "receipt_id": uuid.uuid4(),
        "receipt_path": str(path),
        "receipt_type": "image/png",
    }
    fields.update(overrides)
    claim = ExpenseClaim(**fields)
    session.add(claim)
    session.commit()
    return claim


def make_photo(session: Session, answer: Answer) -> Photo:
    """A stored photo of `answer`: a real 1x1 PNG in a temporary folder.

    The row's path is absolute, which `DATA_DIR / path` leaves as it is, so the photo can be
    served without knowing the test's data folder.
    """
    folder = Path(tempfile.mkdtemp(prefix="touchstone-photo-"))
    path = folder / "tiny.png"
    path.write_bytes(TINY_PNG)
    photo = Photo(
        org_id=answer.org_id,
        answer_id=answer.id,
        path=str(path),
        content_type="image/png",
        width=1,
        height=1,
        bytes=len(TINY_PNG),
    )
    session.add(photo)
    session.commit()
    return photo


@dataclass
class OrgWorld:
    """One organization with a member of every role and one object of every kind."""

    org: Organization
    users: dict[Role, User]
    tokens: dict[Role, str]
    objects: dict[str, int] = field(default_factory=dict)  # path parameter -> id


def make_world(session: Session, name: str) -> OrgWorld:
    # Two checklist languages, so the translation pages answer the owner's own ids.
    org = make_org(session, name=name, languages=["en", "es"])
    users = {role: make_member(session, org, role) for role in Role}
    tokens = {role: make_token(session, org, user) for role, user in users.items()}
    location = make_location(session, org)
    invite, _ = make_invite(session, org)
    touchpoint = make_touchpoint(session, org)
    question = make_question(session, touchpoint)
    shop = make_shop(
        session, org, location=location, touchpoints=[touchpoint], shopper_id=users[Role.shopper].id
    )
    answer = make_answer(session, shop, question)
    photo = make_photo(session, answer)
    expense = make_expense(session, shop)
    membership = session.exec(
        select(Membership).where(
            Membership.org_id == org.id, Membership.user_id == users[Role.shopper].id
        )
    ).one()
    # A finished meeting pack; its PDF is put in the app's cache by `world_pack_pdf`.
    job = ReportJob(
        org_id=org.id,  # type: ignore[arg-type]
        params={"period": "month", "from": "2026-01-01", "to": "2026-01-31", "paper": "a4"},
        status=JobStatus.done,
        fingerprint=hashlib.sha256(name.encode()).hexdigest(),
    )
    session.add(job)
    session.commit()
    world = OrgWorld(org=org, users=users, tokens=tokens)
    # Every `{<table>_id}` path parameter the app uses must have an object here; the tenant
    # sweep fails and names the parameter when a new kind of object is not listed yet.
    world.objects = {
        "location_id": location.id,  # type: ignore[dict-item]
        "invite_id": invite.id,  # type: ignore[dict-item]
        "membership_id": membership.id,  # type: ignore[dict-item]
        "stage_id": touchpoint.stage_id,
        "touchpoint_id": touchpoint.id,  # type: ignore[dict-item]
        "question_id": question.id,  # type: ignore[dict-item]
        "shop_id": shop.id,  # type: ignore[dict-item]
        "answer_id": answer.id,  # type: ignore[dict-item]  # a UUID, made on the phone
        "photo_id": photo.id,  # type: ignore[dict-item]
        "expense_id": expense.id,  # type: ignore[dict-item]  # a UUID, made on the phone
        "job_id": job.id,  # type: ignore[dict-item]  # a report job (meeting pack)
    }
    world.objects["recovery_case_id"] = make_recovery_case(
        session, org, location_id=location.id, touchpoint_id=touchpoint.id
    ).id
    world.objects["alert_id"] = make_alert(session, org, shop_id=shop.id).id
    world.objects["measure_id"] = make_measure(session, touchpoint).id
    world.objects["action_item_id"] = make_action_item(session, touchpoint).id
    world.objects["outgoing_mail_id"] = make_outgoing_mail(session, org).id
    endpoint, delivery = make_webhook_delivery(session, org)
    world.objects["webhook_endpoint_id"] = endpoint.id
    world.objects["webhook_delivery_id"] = delivery.id
    world.objects["report_schedule_id"] = make_report_schedule(session, org).id
    # A wave, which the job board posts as a whole (/waves/{wave_id}/post).
    world.objects["wave_id"] = make_wave(session, org).id
    # A payment run of one approved shop's fee (/payments/{payment_run_id}, audits/pay).
    paid_shop = make_shop(
        session,
        org,
        location=location,
        shopper_id=users[Role.shopper].id,
        status=ShopStatus.approved,
        approved_at=utcnow(),
        fee_minor=2500,
        fee_currency="EUR",
    )
    world.objects["payment_run_id"] = make_payment_run(session, org, [paid_shop]).id

    # A reviewer's note to the shop's shopper, which the shopper answers (audits/feedback).
    world.objects["note_id"] = make_review_note(session, shop, question_id=question.id).id
    # A checklist language in a translation's address (touchpoints/translations): not an
    # object, but the sweep must fill the path; the object ids beside it are what it tests.
    world.objects["language"] = "es"  # type: ignore[assignment]
    # A token of its own (revoking it must not cut the sweep's own tokens off).
    spare = digest(make_token(session, org, users[Role.owner]))
    world.objects["api_token_id"] = session.exec(  # type: ignore[assignment]
        select(ApiToken.id).where(ApiToken.token_hash == spare)
    ).one()
    return world


def make_outgoing_mail(session: Session, org: Organization, **overrides: Any) -> Any:
    """An e-mail whose every try failed (what the owners' e-mail page lists)."""
    from app.outbox.models import MailStatus, OutgoingMail

    values: dict[str, Any] = {
        "org_id": org.id,
        "key": f"test:{uuid.uuid4().hex}",
        "to_addr": "owner@example.test",
        "subject": "Critical question failed",
        "body": "A shop failed a critical question.\n",
        "status": MailStatus.failed,
        "attempts": 6,
        "last_error": "ConnectionRefusedError: [Errno 111] Connection refused",
        "failed_at": utcnow(),
        **overrides,
    }
    mail = OutgoingMail(**values)
    session.add(mail)
    session.commit()
    return mail


def make_webhook_delivery(session: Session, org: Organization) -> tuple[Any, Any]:
    """A webhook endpoint and one delivery to it that gave up (what its page lists)."""
    from app.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

    endpoint = WebhookEndpoint(
        org_id=org.id,  # type: ignore[arg-type]
        url="https://hooks.example.test/touchstone",
        events=["alert.raised"],
        secret="whsec_test",
    )
    session.add(endpoint)
    session.flush()
    delivery = WebhookDelivery(
        org_id=org.id,  # type: ignore[arg-type]
        uuid=str(uuid.uuid4()),
        endpoint_id=endpoint.id,  # type: ignore[arg-type]
        event="alert.raised",
        body="{}",
        status=DeliveryStatus.failed,
        failed_at=utcnow(),
    )
    session.add(delivery)
    session.commit()
    return endpoint, delivery


def make_report_schedule(session: Session, org: Organization, **overrides: Any) -> Any:
    """A weekly meeting pack mailed on Mondays at 08:00 (reports/schedules)."""
    from reports.schedules.models import ReportSchedule

    values: dict[str, Any] = {
        "kind": "pack",
        "frequency": "weekly",
        "weekday": 0,
        "hour": 8,
        "recipients": "team@example.test",
        **overrides,
    }
    schedule = ReportSchedule(org_id=org.id, **values)  # type: ignore[arg-type]
    session.add(schedule)
    session.commit()
    return schedule


def world_pack_pdf(session: Session, world: OrgWorld, settings: Any) -> None:
    """Store a PDF for the world's finished pack job, as the job would have left it."""
    from reports.pdf.cache import pdf_cache

    job = session.get(ReportJob, world.objects["job_id"])
    assert job is not None
    pdf_cache(settings).put(job.fingerprint, b"%PDF-1.4\n%%EOF\n")


def make_recovery_case(session: Session, org: Organization, **overrides: Any) -> Any:
    """An open recovery case through the real service (reported an hour ago by default)."""
    from recovery.services import CaseOpen, case_open

    values: dict[str, Any] = {
        "summary": f"The order was wrong ({next(_seq)})",
        "source": "phone",
        "reported_at": utcnow() - timedelta(hours=1),
        **overrides,
    }
    data = CaseOpen.model_validate(values)
    case = case_open(session=session, org_id=ident(org), data=data, actor_id=None)
    session.commit()
    return case


def make_alert(session: Session, org: Organization, **overrides: Any) -> Any:
    """An open alert through the real service (a below-target alert unless told otherwise)."""
    from recovery.alerts.services import alert_raise
    from recovery.models import AlertKind

    values: dict[str, Any] = {
        "key": f"test:{next(_seq)}",
        "kind": AlertKind.below_target,
        "message": "Paying the bill scored 55 in shop #1 at High Street: 25 points under target.",
        **overrides,
    }
    alert = alert_raise(session=session, org_id=ident(org), **values)
    assert alert is not None
    session.commit()
    return alert


def make_measure(session: Session, touchpoint: Touchpoint, **overrides: Any) -> Any:
    """A monthly measure of `touchpoint` through the real service."""
    from touchpoints.measures.services import MeasureFields, measure_create

    values: dict[str, Any] = {"name": f"Complaints {next(_seq)}", **overrides}
    return measure_create(
        session=session,
        org_id=touchpoint.org_id,
        touchpoint=touchpoint,
        data=MeasureFields.model_validate(values),
    )


def make_measure_value(
    session: Session, measure: Any, location: Location, period_start: Any, value: float
) -> Any:
    """A stored value in one slot (measure, location, period start)."""
    from touchpoints.models import MeasureValue

    row = MeasureValue(
        org_id=measure.org_id,
        measure_id=measure.id,
        location_id=location.id,  # type: ignore[arg-type]
        period_start=period_start,
        value=value,
    )
    session.add(row)
    session.commit()
    return row


def make_action_item(session: Session, touchpoint: Touchpoint, **overrides: Any) -> Any:
    """An open action item of `touchpoint` through the real service."""
    from actions.services import ActionItemFields, action_item_create

    values: dict[str, Any] = {"title": f"Greet within a minute ({next(_seq)})", **overrides}
    item = action_item_create(
        session=session,
        org_id=touchpoint.org_id,
        touchpoint_id=touchpoint.id,  # type: ignore[arg-type]
        data=ActionItemFields.model_validate(values),
        actor_id=None,
    )
    session.commit()
    return item


def make_complaint_place(session: Session, org: Organization, **overrides: Any) -> Location:
    """A location with its public complaint key (every row gets one when it is made)."""
    location = make_location(session, org, **overrides)
    assert org.public_key is not None and location.public_key is not None
    return location


def make_wave(session: Session, org: Organization, **overrides: Any) -> Any:
    from audits.models import Wave

    wave = Wave(**{"org_id": org.id, "name": f"Wave {next(_seq)}", **overrides})
    session.add(wave)
    session.commit()
    return wave


def make_payment_run(
    session: Session,
    org: Organization,
    shops: list[Shop] = (),
    **overrides: Any,  # type: ignore[assignment]
) -> Any:
    """A payment run (audits/pay) whose lines are `shops`' fees, as a run made now claims."""
    from datetime import date

    from audits.pay.models import PaymentLine, PaymentRun

    today = utcnow().date()
    values: dict[str, Any] = {
        "org_id": org.id,
        "period_from": date(today.year, today.month, 1),
        "period_until": today,
    }
    run = PaymentRun(**{**values, **overrides})
    session.add(run)
    session.flush()
    for shop in shops:
        session.add(
            PaymentLine(
                org_id=org.id,  # type: ignore[arg-type]
                run_id=run.id,  # type: ignore[arg-type]
                shop_id=shop.id,  # type: ignore[arg-type]
                shopper_id=shop.shopper_id,  # type: ignore[arg-type]
                amount_minor=shop.fee_minor or 0,
                currency=shop.fee_currency,
            )
        )
    session.commit()
    return run


def make_review_note(session: Session, shop: Any, **overrides: Any) -> Any:
    """A return's note on one question of the shop (audits/feedback)."""
    from audits.feedback.models import NoteKind, ReviewNote

    values: dict[str, Any] = {
        "org_id": shop.org_id,
        "shop_id": shop.id,
        "kind": NoteKind.returned,
        "text": "Say which till you paid at.",
        **overrides,
    }
    note = ReviewNote(**values)
    session.add(note)
    session.commit()
    return note
