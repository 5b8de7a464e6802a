"""Fingerprints of evidence files, computed in memory when a file is received.

- SHA-256 of the exact bytes, for every file: it says whether a file is the one that
  was received (chain of custody) and finds the very same file in another dossier.
- PDQ, for images: the perceptual hash StopNCII and the platforms' hash-sharing use
  (256 bits), with its quality from 0 to 100 (low for flat or nearly blank images, whose
  hashes look alike). Platforms compare it with what is uploaded to them, so that the
  same picture, re-encoded or resized, can be blocked without the Institute ever
  sending the picture.
- pHash, for images: the DCT hash of a 32 by 32 grey thumbnail (64 bits, as the
  imagehash library computes it, here in numpy). It changes little when a picture is
  cropped a little, where PDQ changes much; it finds the same picture in another dossier.
- PDFs, HEIC photos (no decoder here) and any other file: SHA-256 only. Video files are
  not accepted as evidence; should they be, they would get SHA-256 only as well.
"""

from __future__ import annotations

import hashlib
import io
import logging
import warnings
from dataclasses import dataclass
from functools import cache

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
    phash: int | None = None  # as a signed 64-bit integer (a database's bigint)


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def open_image(data: bytes, *, draft: int | None = None):
    """The picture as it is shown (EXIF orientation applied, first frame), or None when
    the bytes are not an image Pillow reads within its limits. ``draft``: the size
    wanted, to which a JPEG is decoded directly (much less time and memory)."""
    from PIL import Image, ImageOps

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                return None
            if draft is not None and image.format == "JPEG":
                image.draft("RGB", (draft, draft))
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


@cache
def _dct_matrix(size: int = 32):
    import numpy

    k = numpy.arange(size)[:, None]
    i = numpy.arange(size)[None, :]
    return numpy.cos(numpy.pi * (2 * i + 1) * k / (2 * size))


def phash_of(image) -> int:
    """The 64-bit DCT hash of the picture: grey, 32 by 32, the 8 by 8 lowest
    frequencies compared with their median (imagehash.phash), as a signed integer."""
    import numpy
    from PIL import Image

    grey = numpy.asarray(image.convert("L").resize((32, 32), Image.Resampling.LANCZOS), float)
    dct = _dct_matrix() @ grey @ _dct_matrix().T
    low = dct[:8, :8].flatten()
    value = 0
    for bit in low > numpy.median(low):
        value = (value << 1) | int(bit)
    return value - (1 << 64) if value >= 1 << 63 else value


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
    return Fingerprint(digest, pdq, quality, phash_of(image))


def distance(first: str, second: str) -> int:
    """How many bits two PDQ hashes (hex) differ in."""
    return (int(first, 16) ^ int(second, 16)).bit_count()


def phash_distance(first: int, second: int) -> int:
    """How many bits two pHashes (signed 64-bit) differ in."""
    return ((first ^ second) & ((1 << 64) - 1)).bit_count()


# The same picture, in another file: both hashes close. Measured on generated pictures
# with the statistics of photographs (tests.cases.test_evidence_matching): re-encoded
# (JPEG quality 95 against 60) or at half size, pHash moves by at most 2 bits and PDQ by
# at most 16; cropped by 5 % at one edge or 2.5 % all round, pHash by at most 16 and PDQ
# by at most 84. Unrelated pictures: pHash 16 bits apart or more, PDQ 94 or more, and
# never both below these bounds. Crops of 5 % at two edges are not always found.
SAME_PICTURE_PHASH_BITS = 16
SAME_PICTURE_PDQ_BITS = 90
# Below this PDQ quality (flat or nearly blank images) hashes look alike: never matched.
MIN_QUALITY = 50


def same_picture(first, second) -> bool:
    """Whether two fingerprints (or evidence rows) show the same picture."""
    if not (first.pdq and second.pdq) or first.phash is None or second.phash is None:
        return False
    if min(first.pdq_quality or 0, second.pdq_quality or 0) < MIN_QUALITY:
        return False
    return (
        phash_distance(first.phash, second.phash) <= SAME_PICTURE_PHASH_BITS
        and distance(first.pdq, second.pdq) <= SAME_PICTURE_PDQ_BITS
    )


def hash_list(dossier) -> list[dict]:
    """The hashes of a dossier's files as a platform can use them: one line per file
    and algorithm (SHA-256 for every file, PDQ with its quality for images whose hash
    is reliable), each hash once, in the order the files arrived. Nothing else."""
    from .models import Evidence

    lines, seen = [], set()
    rows = Evidence.objects.filter(dossier=dossier).order_by("uploaded_at", "id")
    for sha256, pdq, quality in rows.values_list("sha256", "pdq", "pdq_quality"):
        if (quality or 0) < MIN_QUALITY:
            pdq = ""  # a flat picture's PDQ looks like many others': of no use to block
        for algorithm, value, score in (("sha256", sha256, None), ("pdq", pdq, quality)):
            if value and (algorithm, value) not in seen:
                seen.add((algorithm, value))
                lines.append({"algorithm": algorithm, "hash": value, "quality": score})
    return lines
