"""Photos on answers: checked by content and size, resized, EXIF and GPS stripped, served back."""

from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image
from sqlmodel import Session, select

from app.config import Settings
from audits.models import Answer, Photo, ShopStatus
from audits.photos.services import MSG_NOT_IMAGE, MSG_TOO_LARGE, MSG_TOO_MANY
from tests.conftest import BASE_URL, Browser

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


def upload(
    client: Browser, shopper_shop: dict[str, object], data: bytes, name: str = "p.jpg"
) -> object:
    shop, answer = shopper_shop["shop"], shopper_shop["answer"]
    return client.post(
        f"/shops/{shop.id}/answers/{answer.id}/photos",  # type: ignore[attr-defined]
        files={"photo": (name, data, "image/jpeg")},
        headers={"X-CSRF-Token": client.csrf, "Origin": BASE_URL},
    )


def test_photo_is_resized_and_stripped_of_exif_and_gps(
    client: Browser, shopper_shop: dict[str, object], settings: Settings, session: Session
) -> None:
    response = upload(client, shopper_shop, jpeg_with_gps())
    assert response.status_code == 201, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert (body["width"], body["height"]) == (1600, 1067)
    photo = session.exec(select(Photo)).one()
    path = settings.data_dir / photo.path
    assert path.parent == settings.data_dir / "photos" / str(shopper_shop["org"].id)  # type: ignore[attr-defined]
    with Image.open(path) as stored:
        assert max(stored.size) == 1600
        exif = stored.getexif()
        assert not exif.get_ifd(GPS_TAG) and MAKE_TAG not in exif and "exif" not in stored.info
    shown = client.get(body["url"])
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
    assert shown.content == path.read_bytes()


def test_not_an_image_is_refused_whatever_its_name(
    client: Browser, shopper_shop: dict[str, object], session: Session
) -> None:
    response = upload(client, shopper_shop, b"%PDF-1.4 not a photo at all", name="holiday.jpg")
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert response.json()["detail"] == MSG_NOT_IMAGE  # type: ignore[attr-defined]
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, "GIF")
    assert upload(client, shopper_shop, gif.getvalue()).status_code == 400  # type: ignore[attr-defined]
    assert session.exec(select(Photo)).all() == []


def test_fifty_megabytes_is_refused_with_413(
    client: Browser, shopper_shop: dict[str, object], session: Session
) -> None:
    response = upload(client, shopper_shop, b"\xff\xd8" + b"\0" * (50 * 1024 * 1024))
    assert response.status_code == 413  # type: ignore[attr-defined]
    assert response.json()["detail"] == MSG_TOO_LARGE  # type: ignore[attr-defined]
    assert session.exec(select(Photo)).all() == []


def test_at_most_three_photos_per_answer(client: Browser, shopper_shop: dict[str, object]) -> None:
    small = io.BytesIO()
    Image.new("RGB", (20, 10), (0, 0, 255)).save(small, "PNG")
    for _ in range(3):
        assert upload(client, shopper_shop, small.getvalue()).status_code == 201  # type: ignore[attr-defined]
    fourth = upload(client, shopper_shop, small.getvalue())
    assert fourth.status_code == 400  # type: ignore[attr-defined]
    assert fourth.json()["detail"] == MSG_TOO_MANY  # type: ignore[attr-defined]


def test_api_upload_with_a_token_and_closed_shops(
    client: Browser, shopper_shop: dict[str, object], session: Session, browser_factory: object
) -> None:
    shop, answer = shopper_shop["shop"], shopper_shop["answer"]
    api = browser_factory()  # type: ignore[operator]
    url = f"/api/v1/shops/{shop.id}/answers/{answer.id}/photos"  # type: ignore[attr-defined]
    headers = {"Authorization": f"Bearer {shopper_shop['token']}"}
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


# --- nothing of the original survives ----------------------------------------------------

MARKERS = (b"SECRET-COMMENT", b"SECRET-XMP", b"SECRET-TEXT", b"SpyCam", b"SECRET-ICC")


def _icc() -> bytes:
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return profile + b"SECRET-ICC"  # readers ignore bytes after the profile's own length


def _exif() -> bytes:
    exif = Image.Exif()
    exif[MAKE_TAG] = "SpyCam"
    exif[GPS_TAG] = {1: "N", 2: (51.0, 30.0, 0.0)}
    return exif.tobytes()


XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description>SECRET-XMP</rdf:Description></x:xmpmeta>'
)


def jpeg_with_everything() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 30)).save(
        out, "JPEG", comment=b"SECRET-COMMENT", icc_profile=_icc(), exif=_exif(), xmp=XMP
    )
    data = out.getvalue()
    with Image.open(io.BytesIO(data)) as probe:  # the fixture really carries each of them
        assert probe.info["comment"] == b"SECRET-COMMENT" and "icc_profile" in probe.info
        assert b"SECRET-XMP" in probe.info["xmp"] and probe.getexif()[MAKE_TAG] == "SpyCam"
    return data


def png_with_everything(mode: str) -> bytes:
    from PIL.PngImagePlugin import PngInfo

    text = PngInfo()
    text.add_text("Comment", "SECRET-TEXT")
    text.add_itxt("XML:com.adobe.xmp", XMP.decode())
    text.add_text("Author", "SECRET-TEXT", zip=True)
    image = Image.new(mode, (64, 48), (10, 200, 30, 128) if mode == "RGBA" else 3)
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=text, icc_profile=_icc(), exif=_exif())
    data = out.getvalue()
    with Image.open(io.BytesIO(data)) as probe:
        assert probe.info["Comment"] == "SECRET-TEXT" and "icc_profile" in probe.info
        assert probe.getexif()[MAKE_TAG] == "SpyCam"
    return data


@pytest.mark.parametrize(
    "make",
    [jpeg_with_everything, lambda: png_with_everything("RGBA"), lambda: png_with_everything("P")],
    ids=["jpeg", "png", "png-palette"],
)
def test_no_comment_icc_profile_xmp_text_or_exif_survives(
    client: Browser, shopper_shop: dict[str, object], make: object
) -> None:
    response = upload(client, shopper_shop, make())  # type: ignore[operator]
    assert response.status_code == 201, response.text  # type: ignore[attr-defined]

    stored = client.get(response.json()["url"]).content  # type: ignore[attr-defined]

    for marker in MARKERS:
        assert marker not in stored
    with Image.open(io.BytesIO(stored)) as image:
        kept = set(image.info) - {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi"}
        assert kept == set(), image.info
        assert not image.getexif()
