"""Fingerprints of evidence files, computed in memory when a file is received.

- SHA-256 of the exact bytes, for every file: it says whether a file is the one that
  was received (chain of custody) and finds the very same file in another dossier.
- PDQ, for images: the perceptual hash StopNCII and the platforms' hash-sharing use
  (256 bits), with its quality from 0 to 100 (low for flat or nearly blank images, whose
  hashes look alike). Platforms compare it with what is uploaded to them, so that the
  same picture, re-encoded or resized, can be blocked without the Institute ever
  sending the picture.
- PDFs, HEIC photos (no decoder here) and any other file: SHA-256 only. Video files are
  not accepted as evidence; should they be, they would get SHA-256 only as well.
"""

from __future__ import annotations

import hashlib
import io
import logging
import warnings
from dataclasses import dataclass

logger = logging.getLogger(__name__)

# A larger image is scaled down before hashing (as PDQ's reference hasher does): the
# hash reads a 64 by 64 summary of the picture, so nothing is lost, and time stays small.
HASH_SIZE = 512
# Pillow refuses images larger than this (decompression bombs): about 8,000 by 6,000 pixels.
MAX_PIXELS = 50_000_000

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


@dataclass(frozen=True)
class Fingerprint:
    sha256: str
    pdq: str = ""  # 64 hexadecimal digits, "" when the file is not an image read here
    pdq_quality: int | None = None


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def open_image(data: bytes):
    """The picture as it is shown (EXIF orientation applied, first frame), or None when
    the bytes are not an image Pillow reads within its limits."""
    from PIL import Image, ImageOps

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                return None
            image.load()
            return ImageOps.exif_transpose(image)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Warning):
        return None


def pdq_of(image) -> tuple[str, int]:
    """PDQ hash (hex) and quality of a Pillow image."""
    import numpy
    import pdqhash

    rgb = image.convert("RGB")
    rgb.thumbnail((HASH_SIZE, HASH_SIZE))
    bits, quality = pdqhash.compute(numpy.asarray(rgb))
    value = 0
    for bit in bits:
        value = (value << 1) | int(bit)
    return f"{value:064x}", int(quality)


def fingerprint(data: bytes, content_type: str) -> Fingerprint:
    """SHA-256 of the bytes, and PDQ for an image that can be read."""
    digest = sha256_of(data)
    if content_type not in IMAGE_TYPES:
        return Fingerprint(digest)
    image = open_image(data)
    if image is None:
        logger.warning("an evidence image could not be read for its perceptual hash")
        return Fingerprint(digest)
    pdq, quality = pdq_of(image)
    return Fingerprint(digest, pdq, quality)


def distance(first: str, second: str) -> int:
    """How many bits two PDQ hashes (hex) differ in."""
    return (int(first, 16) ^ int(second, 16)).bit_count()


def hash_list(dossier) -> list[dict]:
    """The hashes of a dossier's files as a platform can use them: one line per file
    and algorithm (SHA-256 for every file, PDQ with its quality for images), each hash
    once, in the order the files arrived. Nothing else about the dossier."""
    from .models import Evidence

    lines, seen = [], set()
    rows = Evidence.objects.filter(dossier=dossier).order_by("uploaded_at", "id")
    for sha256, pdq, quality in rows.values_list("sha256", "pdq", "pdq_quality"):
        for algorithm, value, score in (("sha256", sha256, None), ("pdq", pdq, quality)):
            if value and (algorithm, value) not in seen:
                seen.add((algorithm, value))
                lines.append({"algorithm": algorithm, "hash": value, "quality": score})
    return lines
