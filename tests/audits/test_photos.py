"""Photos on answers: checked by content and size, resized, EXIF and GPS stripped, served back."""

from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image
from sqlmodel import Session, select

from app.config import Settings
from app.db import Database
from app.orgs.models import Role
from audits.models import Answer, Photo, ShopStatus
from audits.photos.services import MSG_NOT_IMAGE, MSG_TOO_LARGE, MSG_TOO_MANY
from tests.conftest import BASE_URL, Browser, sign_in
from tests.factories import (
    make_answer,
    make_member,
    make_org,
    make_question,
    make_shop,
    make_token,
    make_touchpoint,
)

GPS_TAG = 0x8825
MAKE_TAG = 0x010F


def jpeg_with_gps(size: tuple[int, int] = (3000, 2000)) -> bytes:
    image = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[MAKE_TAG] = "SpyCam"
    exif[GPS_TAG] = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_TAG)  # the fixture really has GPS
    return data


@pytest.fixture
def world(session: Session, db: Database, client: Browser) -> dict[str, object]:
    org = make_org(session)
    shopper = make_member(session, org, Role.shopper)
    owner = make_member(session, org, Role.owner)
    tp = make_touchpoint(session, org)
    question = make_question(session, tp)
    shop = make_shop(session, org, touchpoints=[tp], shopper_id=shopper.id)
    answer = make_answer(session, shop, question, id=uuid.uuid4())
    sign_in(client, db, shopper, org)
    return {
        "org": org,
        "shop": shop,
        "answer": answer,
        "token": make_token(session, org, shopper),
        "owner": owner,
    }


def upload(client: Browser, world: dict[str, object], data: bytes, name: str = "p.jpg") -> object:
    shop, answer = world["shop"], world["answer"]
    return client.post(
        f"/shops/{shop.id}/answers/{answer.id}/photos",  # type: ignore[attr-defined]
        files={"photo": (name, data, "image/jpeg")},
        headers={"X-CSRF-Token": client.csrf, "Origin": BASE_URL},
    )


def test_photo_is_resized_and_stripped_of_exif_and_gps(
    client: Browser, world: dict[str, object], settings: Settings, session: Session
) -> None:
    response = upload(client, world, jpeg_with_gps())
    assert response.status_code == 201, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert (body["width"], body["height"]) == (1600, 1067)
    photo = session.exec(select(Photo)).one()
    path = settings.data_dir / photo.path
    assert path.parent == settings.data_dir / "photos" / str(world["org"].id)  # type: ignore[attr-defined]
    with Image.open(path) as stored:
        assert max(stored.size) == 1600
        exif = stored.getexif()
        assert not exif.get_ifd(GPS_TAG) and MAKE_TAG not in exif and "exif" not in stored.info
    shown = client.get(body["url"])
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
    assert shown.content == path.read_bytes()


def test_not_an_image_is_refused_whatever_its_name(
    client: Browser, world: dict[str, object], session: Session
) -> None:
    response = upload(client, world, b"%PDF-1.4 not a photo at all", name="holiday.jpg")
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert response.json()["detail"] == MSG_NOT_IMAGE  # type: ignore[attr-defined]
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, "GIF")
    assert upload(client, world, gif.getvalue()).status_code == 400  # type: ignore[attr-defined]
    assert session.exec(select(Photo)).all() == []


def test_fifty_megabytes_is_refused_with_413(
    client: Browser, world: dict[str, object], session: Session
) -> None:
    response = upload(client, world, b"\xff\xd8" + b"\0" * (50 * 1024 * 1024))
    assert response.status_code == 413  # type: ignore[attr-defined]
    assert response.json()["detail"] == MSG_TOO_LARGE  # type: ignore[attr-defined]
    assert session.exec(select(Photo)).all() == []


def test_at_most_three_photos_per_answer(client: Browser, world: dict[str, object]) -> None:
    small = io.BytesIO()
    Image.new("RGB", (20, 10), (0, 0, 255)).save(small, "PNG")
    for _ in range(3):
        assert upload(client, world, small.getvalue()).status_code == 201  # type: ignore[attr-defined]
    fourth = upload(client, world, small.getvalue())
    assert fourth.status_code == 400  # type: ignore[attr-defined]
    assert fourth.json()["detail"] == MSG_TOO_MANY  # type: ignore[attr-defined]


def test_api_upload_with_a_token_and_closed_shops(
    client: Browser, world: dict[str, object], session: Session, browser_factory: object
) -> None:
    shop, answer = world["shop"], world["answer"]
    api = browser_factory()  # type: ignore[operator]
    url = f"/api/v1/shops/{shop.id}/answers/{answer.id}/photos"  # type: ignore[attr-defined]
    headers = {"Authorization": f"Bearer {world['token']}"}
    webp = io.BytesIO()
    Image.new("RGB", (2400, 600), (10, 200, 10)).save(webp, "WEBP")
    made = api.post(url, files={"photo": ("x.webp", webp.getvalue())}, headers=headers)
    assert made.status_code == 201, made.text
    assert made.json()["width"] == 1600 and made.json()["content_type"] == "image/jpeg"
    missing = api.post(
        f"/api/v1/shops/{shop.id}/answers/{uuid.uuid4()}/photos",  # type: ignore[attr-defined]
        files={"photo": ("x.webp", webp.getvalue())},
        headers=headers,
    )
    assert missing.status_code == 404
    shop.status = ShopStatus.submitted  # type: ignore[attr-defined]
    session.add(shop)
    session.commit()
    closed = api.post(url, files={"photo": ("x.webp", webp.getvalue())}, headers=headers)
    assert closed.status_code == 400
    assert len(session.exec(select(Photo)).all()) == 1
    assert session.get(Answer, answer.id) is not None  # type: ignore[attr-defined]
