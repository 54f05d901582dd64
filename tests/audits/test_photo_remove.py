"""A photo added by mistake comes off: from the page's queue (acknowledged by name, safe to
repeat) and from the API; never another shop's photo, never after hand-in."""

from __future__ import annotations

import io
import uuid

from PIL import Image
from sqlmodel import Session, select

from app.config import Settings
from audits.models import Photo, ShopStatus
from audits.services import MSG_SHOP_CLOSED
from tests.conftest import BASE_URL, Browser
from tests.factories import make_answer, make_question, make_shop, make_touchpoint


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (0, 90, 200)).save(out, "PNG")
    return out.getvalue()


def add(client: Browser, shop_id: int, answer_id: uuid.UUID) -> str:
    made = client.post(
        f"/shops/{shop_id}/answers/{answer_id}/photos",
        files={"photo": ("p.png", png(), "image/png")},
        headers={"X-CSRF-Token": client.csrf, "Origin": BASE_URL},
    )
    assert made.status_code == 201, made.text
    photo_id: str = made.json()["id"]
    return photo_id


def remove(client: Browser, shop_id: int, photo_id: str) -> object:
    return client.post(
        f"/shops/{shop_id}/photos/{photo_id}/remove",
        json={},
        headers={"X-CSRF-Token": client.csrf, "Origin": BASE_URL, "Accept": "application/json"},
    )


def test_queue_removal_is_acknowledged_by_name_and_safe_to_repeat(
    client: Browser, shopper_shop: dict[str, object], session: Session, settings: Settings
) -> None:
    shop, answer = shopper_shop["shop"], shopper_shop["answer"]
    keep = add(client, shop.id, answer.id)  # type: ignore[attr-defined]
    mistake = add(client, shop.id, answer.id)  # type: ignore[attr-defined]
    path = settings.data_dir / session.get(Photo, uuid.UUID(mistake)).path  # type: ignore[union-attr]
    assert path.is_file()

    first = remove(client, shop.id, mistake)  # type: ignore[attr-defined]
    assert first.status_code == 200  # type: ignore[attr-defined]
    assert first.json() == {  # type: ignore[attr-defined]
        "ok": True,
        "ack": "photo-removed",
        "shop_id": shop.id,  # type: ignore[attr-defined]
        "photo_id": mistake,
        "removed": True,
    }
    session.rollback()  # a fresh read, past the snapshot of the last one
    assert [str(p.id) for p in session.exec(select(Photo)).all()] == [keep]
    assert not path.exists()

    # The reply was lost and the phone sends it again: acknowledged, nothing else changes.
    again = remove(client, shop.id, mistake)  # type: ignore[attr-defined]
    assert again.status_code == 200 and again.json()["removed"] is False  # type: ignore[attr-defined]
    session.rollback()  # a fresh read, past the snapshot of the last one
    assert [str(p.id) for p in session.exec(select(Photo)).all()] == [keep]


def test_another_shops_photo_and_a_handed_in_shop_are_refused(
    client: Browser, shopper_shop: dict[str, object], session: Session
) -> None:
    shop, answer, org = shopper_shop["shop"], shopper_shop["answer"], shopper_shop["org"]
    photo = add(client, shop.id, answer.id)  # type: ignore[attr-defined]
    # A second shop of the same shopper: the photo is not part of it.
    tp = make_touchpoint(session, org)
    other = make_shop(session, org, touchpoints=[tp], shopper_id=shop.shopper_id)  # type: ignore[attr-defined]
    make_answer(session, other, make_question(session, tp), id=uuid.uuid4())
    wrong = remove(client, other.id, photo)  # type: ignore[arg-type]
    assert wrong.status_code == 404  # type: ignore[attr-defined]

    shop.status = ShopStatus.submitted  # type: ignore[attr-defined]
    session.add(shop)
    session.commit()
    closed = remove(client, shop.id, photo)  # type: ignore[attr-defined]
    assert closed.status_code == 400  # type: ignore[attr-defined]
    assert closed.json()["detail"] == MSG_SHOP_CLOSED  # type: ignore[attr-defined]
    session.rollback()  # a fresh read, past the snapshot of the last one
    assert [str(p.id) for p in session.exec(select(Photo)).all()] == [photo]


def test_api_delete_with_a_token(
    client: Browser, shopper_shop: dict[str, object], session: Session, browser_factory: object
) -> None:
    shop, answer = shopper_shop["shop"], shopper_shop["answer"]
    photo = add(client, shop.id, answer.id)  # type: ignore[attr-defined]
    api = browser_factory()  # type: ignore[operator]
    headers = {"Authorization": f"Bearer {shopper_shop['token']}"}
    url = f"/api/v1/shops/{shop.id}/photos/{photo}"  # type: ignore[attr-defined]
    gone = api.delete(url, headers=headers)
    assert gone.status_code == 204, gone.text
    assert api.delete(url, headers=headers).status_code == 204  # repeating is safe
    bad = api.delete(f"/api/v1/shops/{shop.id}/photos/not-a-uuid", headers=headers)  # type: ignore[attr-defined]
    assert bad.status_code == 422
    session.rollback()  # a fresh read, past the snapshot of the last one
    assert session.exec(select(Photo)).all() == []
