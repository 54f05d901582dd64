"""Pictures people upload (shop photos, organization logos): checked by content, resized,
and re-encoded from their pixels only, so no metadata (camera, time, GPS position, comments,
colour profile, XMP, text chunks) of the original can survive."""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_PIXELS = 40_000_000  # a 40-megapixel picture is plenty; more is a decompression bomb


class NotAnImage(ValueError):
    """The bytes are not a JPEG, PNG or WebP picture of a sane size."""


def clean_image(raw: bytes, *, max_side: int) -> tuple[bytes, str, int, int]:
    """Re-encoded image bytes (no metadata) no wider or taller than `max_side`, its content
    type, width and height. Raises NotAnImage."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as probe:
                kind = probe.format or ""
                if kind not in FORMATS or probe.width * probe.height > MAX_PIXELS:
                    raise NotAnImage(kind)
                probe.load()
                image = ImageOps.exif_transpose(probe)  # keep it upright once EXIF is gone
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise NotAnImage(str(exc)) from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise NotAnImage(str(exc)) from exc
    image.thumbnail((max_side, max_side))
    transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    image = pixels_only(image)
    out = io.BytesIO()
    if kind == "JPEG" or (kind == "WEBP" and not transparent):
        image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
        content_type = "image/jpeg"
    else:
        # Transparent pictures (logos, screenshots, PNG) stay PNG; only pixels are written.
        image.save(out, "PNG", optimize=True)
        content_type = "image/png"
    return out.getvalue(), content_type, image.width, image.height


def pixels_only(image: Image.Image) -> Image.Image:
    """A new image made of `image`'s pixels and nothing else. Pillow carries what it read
    (`info`: comment, ICC profile, XMP, text chunks, EXIF) through `convert` and `copy` into
    what it saves, so the pixels are copied into an image that never had any of it."""
    if image.mode in ("P", "PA"):  # the palette's transparency lives in `info`: apply it
        image = image.convert(
            "RGBA" if "transparency" in image.info or image.mode == "PA" else "RGB"
        )
    elif image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA")
    return Image.frombytes(image.mode, image.size, image.tobytes())
