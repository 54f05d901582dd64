"""What the phone's offline queue hears back (issue 13, "The phone never loses an answer").

The queue drops an item only on an acknowledgement that names it, so each save endpoint
answers the queue's requests (`Accept: application/json`) with JSON that says what it
kept: its kind (`ack`), the ids the phone sent and the values stored. A queue request whose
login has ended gets 401 JSON, never the 303 to /login that a fetch follows into a 200
page; a refusal the shopper can act on comes back as JSON naming the question.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass

import pytest
from PIL import Image
from sqlmodel import Session, select

from app.db import Database
from app.orgs.models import Organization, Role, User, UserSession
from app.security import MSG_CSRF_MISSING, MSG_LOGIN_ENDED, sessions_revoke_all
from audits.models import Answer, Photo, Shop, ShopStatus, ShopTouchpoint
from audits.services import MSG_SHOP_CLOSED
from tests.conftest import BASE_URL, Browser, sign_in
from tests.factories import make_member, make_org, make_question, make_shop, make_touchpoint
from touchpoints.models import Question

QUEUE = {"Accept": "application/json", "Origin": BASE_URL}


@dataclass
class Phone:
    org: Organization
    shopper: User
    shop: Shop
    yes_no: Question
    number: Question
    client: Browser

    def post(self, path: str, body: dict[str, object], **headers: str) -> object:
        """As touchstone-queue.js sends an item."""
        return self.client.post(
            f"/shops/{self.shop.id}/{path}",
            json=body,
            headers={**QUEUE, "X-CSRF-Token": self.client.csrf, **headers},
        )


@pytest.fixture
def phone(session: Session, db: Database, client: Browser) -> Phone:
    org = make_org(session, name="Queue Co")
    shopper = make_member(session, org, Role.shopper)
    tp = make_touchpoint(session, org, name="Counter")
    yes_no = make_question(session, tp, text="Greeted?")
    number = make_question(session, tp, text="Rings?", kind="number", rule="at_most", threshold=3)
    shop = make_shop(session, org, touchpoints=[tp], shopper_id=shopper.id)
    sign_in(client, db, shopper, org)
    return Phone(org, shopper, shop, yes_no, number, client)


def stored(session: Session, shop: Shop) -> list[Answer]:
    session.expire_all()
    return list(session.exec(select(Answer).where(Answer.shop_id == shop.id)))


def test_an_answer_is_acknowledged_by_name_with_what_was_stored(
    phone: Phone, session: Session
) -> None:
    sent = str(uuid.uuid4())
    body = {"id": sent, "question_id": phone.number.id, "value": "2", "comment": "Slow."}
    response = phone.post("answers", body)
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/json"  # type: ignore[attr-defined]
    ack = response.json()  # type: ignore[attr-defined]
    assert ack["ok"] is True and ack["ack"] == "answer"
    assert ack["shop_id"] == phone.shop.id
    assert ack["sent_id"] == ack["id"] == sent
    assert ack["question_id"] == phone.number.id
    assert (ack["value"], ack["not_applicable"], ack["comment"]) == (2, False, "Slow.")
    [row] = stored(session, phone.shop)
    assert (str(row.id), row.question_id, row.value, row.comment) == (
        sent,
        phone.number.id,
        2,
        "Slow.",
    )
    # A resend of the same item (its acknowledgement was lost) is the same answer, once.
    again = phone.post("answers", body)
    assert again.json()["sent_id"] == sent  # type: ignore[attr-defined]
    assert len(stored(session, phone.shop)) == 1


def test_an_answer_already_held_under_another_id_names_both(phone: Phone, session: Session) -> None:
    first = str(uuid.uuid4())
    phone.post("answers", {"id": first, "question_id": phone.yes_no.id, "value": "yes"})
    second = str(uuid.uuid4())  # another phone of the same shopper, say
    ack = phone.post(
        "answers", {"id": second, "question_id": phone.yes_no.id, "value": "no"}
    ).json()  # type: ignore[attr-defined]
    assert (ack["sent_id"], ack["id"], ack["value"]) == (second, first, False)
    [row] = stored(session, phone.shop)
    assert (str(row.id), row.value) == (first, False)


def test_visit_and_section_comment_acknowledge_what_they_kept(
    phone: Phone, session: Session
) -> None:
    visit = phone.post("visit", {"duration_minutes": "25"})
    ack = visit.json()  # type: ignore[attr-defined]
    assert visit.status_code == 200  # type: ignore[attr-defined]
    assert (ack["ack"], ack["shop_id"], ack["fields"]) == (
        "visit",
        phone.shop.id,
        ["duration_minutes"],
    )
    assert ack["duration_minutes"] == 25
    remark = phone.post("visit", {"comment": "  Busy morning. "}).json()  # type: ignore[attr-defined]
    assert (remark["fields"], remark["comment"]) == (["comment"], "Busy morning.")
    tp_id = phone.yes_no.touchpoint_id
    section = phone.post("section-comment", {"touchpoint_id": tp_id, "comment": " Long queue. "})
    ack = section.json()  # type: ignore[attr-defined]
    assert (ack["ack"], ack["shop_id"], ack["touchpoint_id"], ack["comment"]) == (
        "section-comment",
        phone.shop.id,
        tp_id,
        "Long queue.",
    )
    session.expire_all()
    shop = session.get(Shop, phone.shop.id)
    assert shop is not None and (shop.duration_minutes, shop.comment) == (25, "Busy morning.")
    comments = session.exec(
        select(ShopTouchpoint).where(ShopTouchpoint.shop_id == phone.shop.id)
    ).all()
    assert [(c.touchpoint_id, c.comment) for c in comments] == [(tp_id, "Long queue.")]


def test_a_photo_is_acknowledged_by_the_id_the_phone_gave_it(
    phone: Phone, session: Session
) -> None:
    answer_id = str(uuid.uuid4())
    phone.post("answers", {"id": answer_id, "question_id": phone.yes_no.id, "value": "yes"})
    picture = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(picture, "JPEG")
    photo_id = str(uuid.uuid4())
    response = phone.client.post(
        f"/shops/{phone.shop.id}/answers/{answer_id}/photos",
        data={"id": photo_id},
        files={"photo": ("p.jpg", picture.getvalue(), "image/jpeg")},
        headers={**QUEUE, "X-CSRF-Token": phone.client.csrf},
    )
    assert response.status_code == 201  # type: ignore[attr-defined]
    ack = response.json()  # type: ignore[attr-defined]
    assert (ack["ack"], ack["id"], ack["answer_id"]) == ("photo", photo_id, answer_id)
    session.expire_all()
    assert [str(p.id) for p in session.exec(select(Photo)).all()] == [photo_id]


def test_an_ended_login_gets_401_json_not_a_redirect_and_nothing_is_kept(
    phone: Phone, session: Session, db: Database
) -> None:
    # A password change on another device ends every other session of the user.
    with db.session() as other:
        sessions_revoke_all(session=other, user_id=phone.shopper.id)  # type: ignore[arg-type]
        other.commit()
    assert session.exec(select(UserSession)).all() == []
    body = {"id": str(uuid.uuid4()), "question_id": phone.yes_no.id, "value": "yes"}
    response = phone.post("answers", body)
    assert response.status_code == 401  # type: ignore[attr-defined]
    assert "location" not in response.headers  # type: ignore[attr-defined]
    assert response.json() == {"detail": MSG_LOGIN_ENDED, "login": True}  # type: ignore[attr-defined]
    for path, item in [
        ("visit", {"duration_minutes": "20"}),
        ("section-comment", {"touchpoint_id": phone.yes_no.touchpoint_id, "comment": "x"}),
    ]:
        refused = phone.post(path, item)
        assert refused.status_code == 401 and refused.json()["login"] is True  # type: ignore[attr-defined]
    assert stored(session, phone.shop) == []
    # A page (a form, a link) still goes to the login page, which comes back here after.
    page = phone.client.get(f"/shops/{phone.shop.id}/fill")
    assert page.status_code == 303  # type: ignore[attr-defined]
    assert page.headers["location"] == f"/login?next=/shops/{phone.shop.id}/fill"  # type: ignore[attr-defined]


def test_a_queue_request_without_any_session_gets_401_json(phone: Phone, session: Session) -> None:
    phone.client.cookies.clear()  # the cookie itself expired on the phone
    body = {"id": str(uuid.uuid4()), "question_id": phone.yes_no.id, "value": "yes"}
    response = phone.post("answers", body)
    assert response.status_code == 401  # type: ignore[attr-defined]
    assert response.json()["login"] is True  # type: ignore[attr-defined]
    assert stored(session, phone.shop) == []


def test_a_csrf_refusal_reaches_the_queue_as_json(phone: Phone) -> None:
    response = phone.client.post(
        f"/shops/{phone.shop.id}/answers",
        json={"id": str(uuid.uuid4()), "question_id": phone.yes_no.id, "value": "yes"},
        headers=QUEUE,
    )
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert response.json() == {"detail": MSG_CSRF_MISSING}  # type: ignore[attr-defined]


def test_a_refusal_the_shopper_can_act_on_names_the_question(
    phone: Phone, session: Session
) -> None:
    shop = session.get(Shop, phone.shop.id)
    assert shop is not None
    shop.status = ShopStatus.approved
    session.add(shop)
    session.commit()
    response = phone.post(
        "answers", {"id": str(uuid.uuid4()), "question_id": phone.yes_no.id, "value": "yes"}
    )
    assert response.status_code == 409  # type: ignore[attr-defined]
    assert response.json()["detail"] == MSG_SHOP_CLOSED  # type: ignore[attr-defined]
    assert response.json()["question_id"] == phone.yes_no.id  # type: ignore[attr-defined]
    section = phone.post(
        "section-comment", {"touchpoint_id": phone.yes_no.touchpoint_id, "comment": "late"}
    )
    assert section.status_code == 409  # type: ignore[attr-defined]
    assert section.json()["touchpoint_id"] == phone.yes_no.touchpoint_id  # type: ignore[attr-defined]
    assert stored(session, phone.shop) == []
