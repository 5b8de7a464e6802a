"""What staff see of an evidence file before they choose to look: a small, heavily
blurred, grey preview; and, when they choose, the picture shown clearly.

Both are made here from the decrypted bytes, in memory, never written anywhere; the
responses are not cached (``Cache-Control: no-store`` on every page). A PDF shows its
first page (rendered by PDFium, through pypdfium2, in a process with hard limits: see
cases.pdf_pages); a file that cannot be drawn (HEIC, a damaged file, a PDF that asks for
more than the limits) has no preview, only its download. The clear picture is a new file
drawn from the pixels (JPEG, no metadata: no location, no camera), not the original
bytes, which only the download hands out.
"""

from __future__ import annotations

import io
import logging

from .fingerprints import IMAGE_TYPES, open_image
from .pdf_pages import first_page_png

logger = logging.getLogger(__name__)

PREVIEW_SIZE = 160  # pixels, longest side
# The preview keeps this many pixels of detail along its longest side, then is blown
# up and blurred: shapes and colours' brightness, nothing recognisable.
PREVIEW_DETAIL = 12
PREVIEW_BLUR = 6
CLEAR_SIZE = 2000  # the picture shown clearly, longest side at most
PDF_TYPE = "application/pdf"


def previewable(content_type: str) -> bool:
    return content_type in IMAGE_TYPES or content_type == PDF_TYPE


def picture(data: bytes, content_type: str, longest: int):
    """The file drawn as a picture no larger than ``longest``, without the original's
    metadata; None if it cannot be drawn. A PDF is drawn by a process of its own with
    hard limits (cases.pdf_pages); a JPEG is decoded at a reduced size where it can be."""
    from PIL import Image

    if content_type == PDF_TYPE:
        page = first_page_png(data, longest)
        image = open_image(page) if page is not None else None
    elif content_type in IMAGE_TYPES:
        image = open_image(data, draft=longest)
    else:
        return None
    if image is None:
        logger.info("an evidence file could not be drawn for a preview")
        return None
    if image.mode not in ("RGBA", "LA") and image.has_transparency_data:
        # Transparent parts stay transparent (then white), as a viewer shows them: the
        # colour hidden under them is not shown.
        image = image.convert("RGBA")
    image.thumbnail((longest, longest), Image.Resampling.LANCZOS)
    image.info.clear()  # comments, colour profile, EXIF: nothing of the original's
    return image


def blurred_preview(data: bytes, content_type: str) -> bytes | None:
    """A PNG, grey, at most PREVIEW_SIZE, made from PREVIEW_DETAIL pixels and blurred."""
    from PIL import Image, ImageFilter

    image = picture(data, content_type, PREVIEW_SIZE * 2)
    if image is None:
        return None
    grey = image.convert("L")
    size = grey.size
    grey.thumbnail((PREVIEW_DETAIL, PREVIEW_DETAIL), Image.Resampling.BOX)
    scale = PREVIEW_SIZE / max(size)
    target = (max(1, round(size[0] * scale)), max(1, round(size[1] * scale)))
    preview = grey.resize(target, Image.Resampling.BICUBIC)
    preview = preview.filter(ImageFilter.GaussianBlur(PREVIEW_BLUR))
    preview.info.clear()
    buffer = io.BytesIO()
    preview.save(buffer, "PNG")
    return buffer.getvalue()


def clear_picture(data: bytes, content_type: str) -> bytes | None:
    """The picture (a PDF's first page) as a new JPEG without metadata."""
    image = picture(data, content_type, CLEAR_SIZE)
    if image is None:
        return None
    if image.mode in ("RGBA", "LA", "P"):
        from PIL import Image

        rgba = image.convert("RGBA")
        image = Image.new("RGB", rgba.size, "white")
        image.paste(rgba, mask=rgba.getchannel("A"))
    clean = image.convert("RGB")
    clean.info.clear()
    buffer = io.BytesIO()
    clean.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()
