"""Avatar images: decoded, cropped square, shrunk and re-encoded.

Decoding the upload (rather than trusting its name or content type) is what
rejects non-images; re-encoding drops EXIF and any other metadata, and
whatever bytes might hide behind a valid image.
"""

from __future__ import annotations

import secrets
import warnings
from io import BytesIO

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps, UnidentifiedImageError, features

from hucares.core.errors import PayloadTooLarge, ValidationFailed

MAX_BYTES = 2 * 1024 * 1024
# A 2 MB PNG can still claim gigapixels: an image whose header declares more
# than 4096 x 4096 pixels is refused before decoding (docs/api.md, "Limits").
# accounts.apps sets Pillow's own bomb limit to the same figure.
MAX_PIXELS = 4096 * 4096
MAX_SIDE = 256
TOO_MANY_PIXELS = "The avatar has too many pixels."
ACCEPTED_FORMATS = ("PNG", "JPEG", "WEBP")
FIELD = "avatar"


def _invalid(message: str = "The avatar must be a PNG, JPEG or WebP image.") -> ValidationFailed:
    return ValidationFailed.for_field(FIELD, message)


def _decode(upload: UploadedFile) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # open() reads the header only; the pixels are decoded by load().
            image = Image.open(upload, formats=ACCEPTED_FORMATS)
            if image.width * image.height > MAX_PIXELS:
                raise _invalid(TOO_MANY_PIXELS)
            image.load()
            return ImageOps.exif_transpose(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own header check in open() (Image.MAX_IMAGE_PIXELS, set by accounts.apps).
        raise _invalid(TOO_MANY_PIXELS) from exc
    except UnidentifiedImageError as exc:
        raise _invalid() from exc
    except (OSError, ValueError, SyntaxError) as exc:  # truncated or corrupt data
        raise _invalid() from exc


def _square(image: Image.Image) -> Image.Image:
    side = min(MAX_SIDE, image.width, image.height)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    image = image.convert("RGBA" if has_alpha else "RGB")
    return ImageOps.fit(image, (side, side), method=Image.Resampling.LANCZOS, centering=(0.5, 0.5))


def process_avatar(upload: UploadedFile) -> ContentFile[bytes]:
    """The upload as a square WebP (PNG where Pillow lacks WebP) of at most 256 px, no metadata."""
    if upload.size is not None and upload.size > MAX_BYTES:
        raise PayloadTooLarge("The avatar must be at most 2 MB.")
    image = _square(_decode(upload))
    output = BytesIO()
    if features.check("webp"):
        image.save(output, format="WEBP", quality=85, method=4)
        extension = "webp"
    else:  # pragma: no cover - every supported Pillow build has WebP
        image.save(output, format="PNG", optimize=True)
        extension = "png"
    return ContentFile(output.getvalue(), name=f"{secrets.token_hex(16)}.{extension}")
