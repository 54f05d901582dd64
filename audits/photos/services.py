"""Photos attached to answers: checked by content, resized, stripped of EXIF/GPS, stored on disk.

A photo is re-encoded from its pixels only (app/images.py), so no metadata of the original
(camera, time, GPS position, comments, colour profile, XMP, text chunks) can survive. Files
live under DATA_DIR/photos/<org id>/<photo id>.<ext>.
"""

from __future__ import annotations

import io
import os
import uuid
from pathlib import Path

from PIL import Image, UnidentifiedImageError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from app.clock import filesystem_now
from app.errors import ConflictError, DomainError, NotFoundError
from app.images import NotAnImage, clean_image
from app.jobs.runtime import JobContext
from audits.models import OPEN_STATES, Answer, Photo, Shop
from audits.services import MSG_NOT_YOURS, MSG_SHOP_CLOSED

MAX_BYTES = 10 * 1024 * 1024
MAX_SIDE = 1600
MAX_PER_ANSWER = 3

MSG_TOO_LARGE = "That photo is too large: the limit is 10 MB."
MSG_NOT_IMAGE = "That file is not a photo. Send a JPEG, PNG or WebP image."
MSG_TOO_MANY = "A question can have at most 3 photos."
MSG_NO_ANSWER = "Answer the question first, then add photos to it."
MSG_BAD_ID = "The photo id must be a UUID, such as 1b4e28ba-2fa1-11d2-883f-0016d3cca427."
MSG_ID_TAKEN = "That photo id is already used by another photo. Send it with a new id."


class PhotoTooLarge(DomainError):
    status_code = 413


def photo_dir(data_dir: Path, org_id: int) -> Path:
    return data_dir / "photos" / str(org_id)


def _clean(raw: bytes) -> tuple[bytes, str, int, int]:
    """Re-encoded photo bytes (no metadata), its content type, width and height."""
    try:
        return clean_image(raw, max_side=MAX_SIDE)
    except NotAnImage as exc:
        raise DomainError(MSG_NOT_IMAGE, field="photo") from exc


def photo_add(
    *,
    session: Session,
    shop: Shop,
    actor_id: int,
    answer_id: uuid.UUID,
    raw: bytes,
    data_dir: Path,
    photo_id: uuid.UUID | None = None,
) -> tuple[Photo, bool]:
    """Attach one photo to an answer of the shopper's own open shop.

    The phone makes the photo's id while offline and resends it until it hears back, so a
    known id on the same answer is the same photo: it is returned (created False) and
    nothing new is stored. An id taken by any other photo is a conflict.
    """
    if shop.shopper_id != actor_id:
        raise NotFoundError(MSG_NOT_YOURS)
    answer = session.get(Answer, answer_id)
    if answer is None or answer.shop_id != shop.id:
        raise NotFoundError(MSG_NO_ANSWER)
    if photo_id is not None:
        known = _known(session, photo_id, answer_id)
        if known is not None:
            _heal(known, raw, data_dir)
            return known, False
    if shop.status not in OPEN_STATES:
        raise DomainError(MSG_SHOP_CLOSED, field="photo")
    if len(raw) > MAX_BYTES:
        raise PhotoTooLarge(MSG_TOO_LARGE, field="photo")
    count = session.exec(
        select(func.count()).select_from(Photo).where(Photo.answer_id == answer_id)
    ).one()
    if count >= MAX_PER_ANSWER:
        raise DomainError(MSG_TOO_MANY, field="photo")
    data, content_type, width, height = _clean(raw)
    photo_id = photo_id or uuid.uuid4()
    folder = photo_dir(data_dir, shop.org_id)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{photo_id}.{'jpg' if content_type == 'image/jpeg' else 'png'}"
    # Written aside and moved into place only once the row is committed: a second upload
    # racing for the same id must never overwrite or delete the file of the one that won.
    draft = folder / f".{uuid.uuid4()}.part"
    draft.write_bytes(data)
    photo = Photo(
        id=photo_id,
        org_id=shop.org_id,
        answer_id=answer.id,
        path=f"photos/{shop.org_id}/{name}",
        content_type=content_type,
        width=width,
        height=height,
        bytes=len(data),
    )
    session.add(photo)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        draft.unlink(missing_ok=True)
        known = _known(session, photo_id, answer_id)
        if known is None:
            raise ConflictError(MSG_ID_TAKEN, field="photo") from None
        return known, False
    except BaseException:
        draft.unlink(missing_ok=True)
        raise
    os.replace(draft, folder / name)
    return photo, True


def _heal(photo: Photo, raw: bytes, data_dir: Path) -> None:
    """A resend of a stored photo whose file is missing puts the file back.

    The row is committed before its file is moved into place; a server that dies in between
    leaves a row without a file. The phone heard nothing, so it sends the same photo again
    under the same id: that is the moment to write it, instead of answering "stored" while
    the picture is gone.
    """
    final = data_dir / photo.path
    if final.is_file() or len(raw) > MAX_BYTES:
        return
    data, _, _, _ = _clean(raw)
    final.parent.mkdir(parents=True, exist_ok=True)
    draft = final.parent / f".{uuid.uuid4()}.part"
    draft.write_bytes(data)
    os.replace(draft, final)


# An upload is written as a draft and renamed within a moment; a draft this old was left by a
# server that stopped in between (the photo itself comes back with the phone's resend).
DRAFT_MAX_AGE_SECONDS = 3600


def photo_drafts_remove(data_dir: Path, *, now: float | None = None) -> int:
    """Delete unfinished uploads (`.<random>.part` under DATA_DIR/photos) older than an hour;
    return how many. For the daily `touchstone cleanup`."""
    now = filesystem_now(data_dir / "photos") if now is None else now
    removed = 0
    for draft in (data_dir / "photos").glob("*/.*.part"):
        try:
            if now - draft.stat().st_mtime > DRAFT_MAX_AGE_SECONDS:
                draft.unlink()
                removed += 1
        except FileNotFoundError:  # another clean-up, or its upload finishing, got there first
            continue
    return removed


def _known(session: Session, photo_id: uuid.UUID, answer_id: uuid.UUID) -> Photo | None:
    """The photo already stored under this id for this answer; another owner is a conflict."""
    # Another organization's photo is invisible here (tenancy), so its id fails on insert.
    row = session.get(Photo, photo_id)
    if row is None:
        return None
    if row.answer_id != answer_id:
        raise ConflictError(MSG_ID_TAKEN, field="photo")
    return row


def photo_file(*, session: Session, shop: Shop, photo_id: uuid.UUID, data_dir: Path) -> Photo:
    """The photo if it belongs to an answer of this shop (otherwise 404)."""
    row = session.exec(
        select(Photo)
        .join(Answer, col(Answer.id) == col(Photo.answer_id))
        .where(Photo.id == photo_id, Answer.shop_id == shop.id)
    ).first()
    if row is None or not (data_dir / row.path).is_file():
        raise NotFoundError("Not found.")
    return row


def photo_remove(
    *, session: Session, shop: Shop, actor_id: int, photo_id: uuid.UUID, data_dir: Path
) -> bool:
    """Take a photo added by mistake off the shopper's own open shop; True if one was removed.

    The phone sends the removal through its queue and may send it again after a lost reply:
    an id that is no longer stored is already what the shopper asked for, so it is not an
    error (False). A photo of another shop, or of another shopper's shop, is "not found".
    """
    if shop.shopper_id != actor_id:
        raise NotFoundError(MSG_NOT_YOURS)
    row = session.get(Photo, photo_id)
    if row is None:
        return False
    answer = session.get(Answer, row.answer_id)
    if answer is None or answer.shop_id != shop.id:
        raise NotFoundError("Not found.")
    if shop.status not in OPEN_STATES:
        raise DomainError(MSG_SHOP_CLOSED, field="photo")
    path = data_dir / row.path
    session.delete(row)
    session.commit()
    # The file goes only once the row is gone for good: a failed commit keeps both.
    path.unlink(missing_ok=True)
    return True


def photos_by_question(session: Session, shop: Shop) -> dict[int, list[Photo]]:
    rows = session.exec(
        select(Photo, Answer.question_id)
        .join(Answer, col(Answer.id) == col(Photo.answer_id))
        .where(Answer.shop_id == shop.id)
        .order_by(col(Photo.created_at))
    ).all()
    found: dict[int, list[Photo]] = {}
    for photo, question_id in rows:
        found.setdefault(question_id, []).append(photo)
    return found


def photo_thumbnail(data_dir: Path, path: str, *, side: int) -> bytes | None:
    """A small JPEG of a stored photo (`Photo.path`, for printed reports), or None when its
    file is gone.

    Printing a stored 1600-pixel photo as a thumbnail would carry every pixel into the PDF;
    the stored file has no metadata left, and re-encoding keeps it that way.
    """
    try:
        with Image.open(data_dir / path) as image:
            small = image.convert("RGB")
            small.thumbnail((side, side))
            out = io.BytesIO()
            small.save(out, format="JPEG", quality=78)
            return out.getvalue()
    except (FileNotFoundError, UnidentifiedImageError, OSError):
        return None


def photo_drafts_job(ctx: JobContext) -> int:
    """The daily `photos.drafts` job: unfinished uploads a stopped server left behind."""
    return photo_drafts_remove(ctx.settings.data_dir)
