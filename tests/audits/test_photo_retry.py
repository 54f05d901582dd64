"""A photo sent again under the id the phone gave it is the same photo, never a second one.

The phone queues photos offline and resends until it hears back, so the answer to the first
send may have been lost on the way: the resend must find the stored photo, not store another.
"""

from __future__ import annotations

import io
import uuid
from pathlib import Path

from PIL import Image
from sqlmodel import Session, select

from app.config import Settings
from app.db import Database
from audits.models import Photo, ShopStatus
from audits.photos.services import MSG_BAD_ID, MSG_ID_TAKEN, MSG_NO_ANSWER, MSG_NOT_IMAGE
from tests.conftest import BASE_URL, Browser
from tests.helpers import make_shopper_shop


def png(colour: tuple[int, int, int] = (30, 90, 160)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, "PNG")
    return out.getvalue()


def send(
    client: Browser,
    shopper_shop: dict[str, object],
    photo_id: object,
    data: bytes | None = None,
    answer: str = "answer",
) -> object:
    shop, target = shopper_shop["shop"], shopper_shop[answer]
    return client.post(
        f"/shops/{shop.id}/answers/{target.id}/photos",  # type: ignore[attr-defined]
        data={"id": str(photo_id)},
        files={"photo": ("photo.jpg", data if data is not None else png(), "image/jpeg")},
        headers={"X-CSRF-Token": client.csrf, "Origin": BASE_URL},
    )


def stored_files(settings: Settings) -> list[Path]:
    return sorted(p for p in (settings.data_dir / "photos").rglob("*") if p.is_file())


def test_the_same_id_twice_stores_one_photo_and_one_file(
    client: Browser, shopper_shop: dict[str, object], session: Session, settings: Settings
) -> None:
    photo_id = uuid.uuid4()
    first = send(client, shopper_shop, photo_id)
    assert first.status_code == 201, first.text  # type: ignore[attr-defined]
    assert first.json()["id"] == str(photo_id)  # type: ignore[attr-defined]
    # The answer to the first send was lost; the phone sends again (even other bytes).
    again = send(client, shopper_shop, photo_id, png((200, 0, 0)))
    assert again.status_code == 200, again.text  # type: ignore[attr-defined]
    assert again.json() == first.json()  # type: ignore[attr-defined]
    rows = session.exec(select(Photo)).all()
    assert [row.id for row in rows] == [photo_id]
    files = stored_files(settings)
    assert [f.name for f in files] == [f"{photo_id}.png"]
    with Image.open(files[0]) as kept:  # the first upload's pixels, not the resend's
        assert kept.getpixel((0, 0)) == (30, 90, 160)
    assert client.get(first.json()["url"]).status_code == 200  # type: ignore[attr-defined]


def test_a_resend_puts_back_the_file_a_crash_lost(
    client: Browser, shopper_shop: dict[str, object], session: Session, settings: Settings
) -> None:
    """The row is committed before its file is moved into place. A server killed in between
    keeps the row and loses the file, and the phone, which never heard back, sends the same
    photo again: that resend must put the picture back, not just say it is stored."""
    photo_id = uuid.uuid4()
    first = send(client, shopper_shop, photo_id, png((10, 160, 60)))
    assert first.status_code == 201  # type: ignore[attr-defined]
    [kept] = stored_files(settings)
    kept.unlink()  # what the crash left: the row without its file
    assert client.get(first.json()["url"]).status_code == 404  # type: ignore[attr-defined]

    again = send(client, shopper_shop, photo_id, png((10, 160, 60)))
    assert again.status_code == 200, again.text  # type: ignore[attr-defined]
    assert again.json() == first.json()  # type: ignore[attr-defined]
    assert [f.name for f in stored_files(settings)] == [f"{photo_id}.png"]
    with Image.open(stored_files(settings)[0]) as back:
        assert back.getpixel((0, 0)) == (10, 160, 60)
    assert client.get(first.json()["url"]).status_code == 200  # type: ignore[attr-defined]
    assert len(session.exec(select(Photo)).all()) == 1
    # A resend that is not a photo heals nothing and stores nothing, with the usual message.
    [healed] = stored_files(settings)
    healed.unlink()
    refused = send(client, shopper_shop, photo_id, b"not a picture")
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert refused.json()["detail"] == MSG_NOT_IMAGE  # type: ignore[attr-defined]
    assert stored_files(settings) == []


def test_a_resend_after_the_shop_was_handed_in_still_finds_the_photo(
    client: Browser, shopper_shop: dict[str, object], session: Session
) -> None:
    photo_id = uuid.uuid4()
    assert send(client, shopper_shop, photo_id).status_code == 201  # type: ignore[attr-defined]
    shop = shopper_shop["shop"]
    shop.status = ShopStatus.submitted  # type: ignore[attr-defined]
    session.add(shop)
    session.commit()
    assert send(client, shopper_shop, photo_id).status_code == 200  # type: ignore[attr-defined]
    fresh = send(client, shopper_shop, uuid.uuid4())
    assert fresh.status_code == 400  # type: ignore[attr-defined]
    assert len(session.exec(select(Photo)).all()) == 1


def test_an_id_already_used_on_another_answer_is_a_conflict(
    client: Browser, shopper_shop: dict[str, object], session: Session, settings: Settings
) -> None:
    photo_id = uuid.uuid4()
    assert send(client, shopper_shop, photo_id).status_code == 201  # type: ignore[attr-defined]
    before = stored_files(settings)[0].read_bytes()
    clash = send(client, shopper_shop, photo_id, png((0, 200, 0)), answer="other")
    assert clash.status_code == 409  # type: ignore[attr-defined]
    assert clash.json()["detail"] == MSG_ID_TAKEN  # type: ignore[attr-defined]
    rows = session.exec(select(Photo)).all()
    assert [(row.id, row.answer_id) for row in rows] == [(photo_id, shopper_shop["answer"].id)]  # type: ignore[attr-defined]
    files = stored_files(settings)
    assert len(files) == 1 and files[0].read_bytes() == before


def test_an_id_used_in_another_organization_is_a_conflict_not_an_error(
    client: Browser,
    shopper_shop: dict[str, object],
    session: Session,
    db: Database,
    settings: Settings,
    browser_factory: object,
) -> None:
    photo_id = uuid.uuid4()
    assert send(client, shopper_shop, photo_id).status_code == 201  # type: ignore[attr-defined]
    stranger = browser_factory()  # type: ignore[operator]
    elsewhere = make_shopper_shop(session, db, stranger)
    clash = send(stranger, elsewhere, photo_id)
    assert clash.status_code == 409, clash.text  # type: ignore[attr-defined]
    assert clash.json()["detail"] == MSG_ID_TAKEN  # type: ignore[attr-defined]
    # The other organization's answer ids are not found from here either.
    assert send(stranger, shopper_shop, uuid.uuid4()).status_code == 404  # type: ignore[attr-defined]
    rows = session.exec(select(Photo)).all()
    assert [row.org_id for row in rows] == [shopper_shop["org"].id]  # type: ignore[attr-defined]
    assert len(stored_files(settings)) == 1  # no half-written file left behind


def test_wrong_answer_and_bad_ids_are_refused_with_a_message(
    client: Browser, shopper_shop: dict[str, object], session: Session, settings: Settings
) -> None:
    shop = shopper_shop["shop"]
    missing = client.post(
        f"/shops/{shop.id}/answers/{uuid.uuid4()}/photos",  # type: ignore[attr-defined]
        data={"id": str(uuid.uuid4())},
        files={"photo": ("photo.png", png(), "image/png")},
        headers={"X-CSRF-Token": client.csrf, "Origin": BASE_URL},
    )
    assert missing.status_code == 404  # type: ignore[attr-defined]
    assert missing.json()["detail"] == MSG_NO_ANSWER  # type: ignore[attr-defined]
    bad = send(client, shopper_shop, "not-a-uuid")
    assert bad.status_code == 400  # type: ignore[attr-defined]
    assert bad.json() == {"detail": MSG_BAD_ID, "field": "id"}  # type: ignore[attr-defined]
    # A refused photo does not take its id: the phone may send a good one under it later.
    photo_id = uuid.uuid4()
    junk = send(client, shopper_shop, photo_id, b"not a picture")
    assert junk.json()["detail"] == MSG_NOT_IMAGE  # type: ignore[attr-defined]
    assert send(client, shopper_shop, photo_id).status_code == 201  # type: ignore[attr-defined]
    assert len(session.exec(select(Photo)).all()) == 1
    assert len(stored_files(settings)) == 1


def test_api_upload_with_an_id_is_idempotent_too(
    shopper_shop: dict[str, object], session: Session, browser_factory: object
) -> None:
    shop, answer = shopper_shop["shop"], shopper_shop["answer"]
    api = browser_factory()  # type: ignore[operator]
    url = f"/api/v1/shops/{shop.id}/answers/{answer.id}/photos"  # type: ignore[attr-defined]
    headers = {"Authorization": f"Bearer {shopper_shop['token']}"}
    photo_id = str(uuid.uuid4())
    sent = [
        api.post(url, data={"id": photo_id}, files={"photo": ("p.png", png())}, headers=headers)
        for _ in range(2)
    ]
    assert [r.status_code for r in sent] == [201, 200]
    assert sent[0].json() == sent[1].json()
    assert sent[0].json()["id"] == photo_id
    assert len(session.exec(select(Photo)).all()) == 1
    other = f"/api/v1/shops/{shop.id}/answers/{shopper_shop['other'].id}/photos"  # type: ignore[attr-defined]
    clash = api.post(
        other, data={"id": photo_id}, files={"photo": ("p.png", png())}, headers=headers
    )
    assert clash.status_code == 409
