"""The owner's posters page, and the printed posters: their text and their QR codes."""

from __future__ import annotations

import io
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp
from fastapi import FastAPI
from PIL import Image
from pypdf import PdfReader
from sqlmodel import Session, select

from app.config import Settings
from app.db import Database
from app.orgs.models import Location, Organization, Role
from app.pdf import Renderer
from recovery.posters.services import KEY_PATTERN, MSG_PAPER
from tests.conftest import Browser, app_for, sign_in
from tests.factories import make_location, make_member, make_org

# slow: renders posters to PDF and reads their QR codes back
pytestmark = [pytest.mark.db, pytest.mark.slow]

BASE = "https://complaints.example.test"
POINTS_PER_MM = 72 / 25.4


@pytest.fixture(scope="module")
def renderer() -> Iterator[Renderer]:
    # One WeasyPrint worker for the module: starting one costs a second or two.
    shared = Renderer(workers=1, time_limit=60)
    yield shared
    shared.close()


@pytest.fixture
def app(settings: Settings, db: Database, renderer: Renderer) -> FastAPI:
    # Posters carry the public address, which is built from BASE_URL.
    settings.base_url = BASE
    application = app_for(settings, db)
    application.state.renderer = renderer
    application.state.renderer_shared = True
    return application


def _owner(app: FastAPI, browser_factory: object, session: Session) -> tuple[Browser, Organization]:
    org = make_org(session, name="Lantern Opticians")
    user = make_member(session, org, Role.owner)
    make_location(session, org, name="Canal Walk")
    make_location(session, org, name="Bridge Street")
    client = sign_in(browser_factory(), app.state.db, user, org)  # type: ignore[operator]
    return client, org


def _keys(session: Session, org: Organization) -> tuple[str, dict[str, str]]:
    session.rollback()
    session.refresh(org)
    locations = session.exec(select(Location).where(Location.org_id == org.id)).all()
    assert org.public_key is not None
    return org.public_key, {loc.name: loc.public_key for loc in locations}  # type: ignore[misc]


def test_the_posters_page_lists_every_link_once_made_and_then_kept(
    app: FastAPI, browser_factory: object, session: Session
) -> None:
    owner, org = _owner(app, browser_factory, session)
    page = owner.get("/recovery/posters")
    assert page.status_code == 200
    org_key, keys = _keys(session, org)
    assert KEY_PATTERN.fullmatch(org_key) and len(org_key) >= 16
    assert len({org_key, *keys.values()}) == 3  # all different
    for name, key in keys.items():
        assert name in page.text
        url = f"{BASE}/complain/{org_key}/{key}"
        assert f'value="{url}"' in page.text and f'href="{url}"' in page.text
        location_id = session.exec(select(Location.id).where(Location.public_key == key)).one()
        assert f'href="/recovery/posters/location/{location_id}.pdf?paper=letter"' in page.text
    assert f'value="{BASE}/complain/{org_key}"' in page.text
    assert page.text.count('src="data:image/svg+xml') == 3  # a QR preview for each link
    assert 'data-copy="link-0"' in page.text

    # A second visit does not change any key (posters on walls keep working).
    owner.get("/recovery/posters")
    assert _keys(session, org) == (org_key, keys)


def _decode_qr(pdf: bytes, tmp_path: Path) -> list[str]:
    """Rasterise the poster as a printer would, then read its QR code like a phone."""
    source = tmp_path / "poster.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "110", "-png", "-singlefile", str(source), str(tmp_path / "poster")],
        check=True,
        timeout=60,
    )
    image = Image.open(io.BytesIO((tmp_path / "poster.png").read_bytes()))
    return [found.text for found in zxingcpp.read_barcodes(image)]


@pytest.mark.parametrize(("paper", "size_mm"), [("a4", (210, 297)), ("letter", (215.9, 279.4))])
def test_a_location_poster_prints_its_address_and_a_qr_code_that_leads_there(
    app: FastAPI,
    browser_factory: object,
    session: Session,
    tmp_path: Path,
    paper: str,
    size_mm: tuple[float, float],
) -> None:
    owner, org = _owner(app, browser_factory, session)
    location = session.exec(select(Location).where(Location.name == "Canal Walk")).one()
    response = owner.get(f"/recovery/posters/location/{location.id}.pdf?paper={paper}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert f"complaint-poster-canal-walk-{paper}.pdf" in response.headers["content-disposition"]

    org_key, keys = _keys(session, org)
    url = f"{BASE}/complain/{org_key}/{keys['Canal Walk']}"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(
        (size_mm[0] * POINTS_PER_MM, size_mm[1] * POINTS_PER_MM), abs=1
    )
    text = reader.pages[0].extract_text()
    flat = re.sub(r"\s+", "", text)
    assert "Lantern Opticians".upper() in text.upper() and "Canal Walk" in text
    assert "Bridge Street" not in text
    assert "Something not right?" in text
    # The address printed for people who type it is the short one, without the scheme.
    session.refresh(location)
    assert f"complaints.example.test/c/{location.short_code}" in flat
    assert "Not ready to hang" not in text  # an https public address: no warning

    assert _decode_qr(response.content, tmp_path) == [url]


def test_the_organization_poster_leads_to_the_whole_organization_form(
    app: FastAPI, browser_factory: object, session: Session, tmp_path: Path
) -> None:
    owner, org = _owner(app, browser_factory, session)
    response = owner.get("/recovery/posters/org.pdf")
    assert response.status_code == 200
    org_key, _ = _keys(session, org)
    url = f"{BASE}/complain/{org_key}"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Canal Walk" not in text and "Bridge Street" not in text
    assert f"complaints.example.test/c/{org.short_code}" in re.sub(r"\s+", "", text)
    assert _decode_qr(response.content, tmp_path) == [url]

    # And the address in the code opens that form, without logging in.
    visitor = browser_factory()  # type: ignore[operator]
    page = visitor.get(url.removeprefix(BASE))
    assert page.status_code == 200 and "Lantern Opticians" in page.text


def test_an_unknown_paper_size_is_named(
    app: FastAPI, browser_factory: object, session: Session
) -> None:
    owner, _ = _owner(app, browser_factory, session)
    response = owner.get("/recovery/posters/org.pdf?paper=tabloid")
    assert response.status_code == 400
    assert MSG_PAPER in response.text


# --- the organization's logo ---------------------------------------------------------------


def _png(width: int, height: int, *, note: str = "") -> bytes:
    from PIL import PngImagePlugin

    image = Image.new("RGBA", (width, height), (200, 30, 40, 255))
    for x in range(width // 2):
        for y in range(0, height, 7):
            image.putpixel((x, y), (20, 60, 200, 255))
    info = PngImagePlugin.PngInfo()
    if note:
        info.add_text("Comment", note)
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def _upload(owner: Browser, raw: bytes | None, name: str = "logo.png") -> object:
    files = {"logo": (name, raw or b"", "image/png")}
    return owner.form("/settings/logo", files=files, headers={"HX-Request": "true"})


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (None, "Choose a picture file to upload."),
        (b"%PDF-1.4 not a picture at all", "That file is not a picture."),
        (b"\x89PNG" + b"0" * (2 * 1024 * 1024), "That picture is too large: the limit is 2 MB."),
    ],
)
def test_a_bad_logo_is_refused_next_to_the_field(
    app: FastAPI, browser_factory: object, session: Session, raw: bytes | None, message: str
) -> None:
    from app.orgs.logo.models import OrgLogo

    owner, _ = _owner(app, browser_factory, session)
    refused = _upload(owner, raw)
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert f'<p class="error" id="f-logo-error">{message}' in refused.text  # type: ignore[attr-defined]
    session.expire_all()
    assert session.exec(select(OrgLogo)).all() == []


def test_a_logo_goes_on_the_posters_and_the_complaint_form_and_can_be_removed(
    app: FastAPI, browser_factory: object, session: Session
) -> None:
    owner, org = _owner(app, browser_factory, session)
    other = make_org(session, name="Elsewhere Ltd")
    saved = _upload(owner, _png(1600, 400, note="private note from the camera"))
    assert saved.status_code == 200  # type: ignore[attr-defined]
    assert "Logo saved." in saved.text  # type: ignore[attr-defined]
    assert "800 × 200 pixels" in saved.text  # type: ignore[attr-defined]

    org_key, _ = _keys(session, org)
    visitor = browser_factory()  # type: ignore[operator]
    form = visitor.get(f"/complain/{org_key}").text  # type: ignore[attr-defined]
    src = re.search(r'<img class="public-logo" src="([^"]+)"', form)
    assert src and src.group(1).startswith(f"/logo/{org_key}?v=")
    picture = visitor.get(src.group(1))  # type: ignore[attr-defined]
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"
    assert b"private note" not in picture.content  # only pixels were kept
    assert Image.open(io.BytesIO(picture.content)).size == (800, 200)
    assert visitor.get(f"/logo/{other.public_key}").status_code == 404  # type: ignore[attr-defined]
    assert "public-logo" not in visitor.get(f"/complain/{other.public_key}").text  # type: ignore[attr-defined]
    assert "Change or remove it" in owner.get("/recovery/posters").text  # type: ignore[attr-defined]

    poster = PdfReader(io.BytesIO(owner.get("/recovery/posters/org.pdf").content))  # type: ignore[attr-defined]
    images = poster.pages[0].images
    assert len(images) == 1 and images[0].image is not None
    assert images[0].image.size == (800, 200)
    location = session.exec(select(Location).where(Location.name == "Canal Walk")).one()
    for paper in ("a4", "letter"):  # the logo takes room: the poster still fits one page
        pdf = owner.get(f"/recovery/posters/location/{location.id}.pdf?paper={paper}")  # type: ignore[attr-defined]
        assert len(PdfReader(io.BytesIO(pdf.content)).pages) == 1

    removed = owner.htmx("POST", "/settings/logo/remove")
    assert "Logo removed." in removed.text and "No logo yet" in removed.text  # type: ignore[attr-defined]
    assert visitor.get(src.group(1)).status_code == 404  # type: ignore[attr-defined]
    bare = PdfReader(io.BytesIO(owner.get("/recovery/posters/org.pdf").content))  # type: ignore[attr-defined]
    assert list(bare.pages[0].images) == []
