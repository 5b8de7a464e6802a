"""A PDF's first page drawn as a picture, in a process of its own with hard limits.

PDFium does whatever a file asks: a 44 KB PDF can ask for a million drawing commands
(half a minute of CPU), a 2 MB one for a 50,000 by 50,000 image (gigabytes). Anyone
can send a PDF with a report, and staff pages are drawn by the same web workers that
take reports. So the page is drawn by a child process (``python -I`` running this file)
that may use ``MEMORY_BYTES`` of memory and ``CPU_SECONDS`` of CPU, and is killed after
``WALL_SECONDS``; anything else it does, the worker never sees. The child prints the
page as a PNG on its standard output, or nothing.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

logger = logging.getLogger(__name__)

MEMORY_BYTES = 1024 * 1024 * 1024
CPU_SECONDS = 3
WALL_SECONDS = 6
# What the child that runs PDFium on an untrusted file is given of the environment: a
# search path, nothing else. Should a file take PDFium over, it finds no key to use.
CHILD_ENVIRONMENT = {"PATH": os.defpath}


def first_page_png(data: bytes, longest: int) -> bytes | None:
    """The first page as a PNG no larger than ``longest`` pixels; None if the file
    cannot be drawn within the limits."""
    command = [sys.executable, "-I", str(Path(__file__).resolve()), str(longest)]
    try:
        result = subprocess.run(  # noqa: S603 - our interpreter and our own file
            command,
            input=data,
            capture_output=True,
            timeout=WALL_SECONDS,
            check=False,
            env=CHILD_ENVIRONMENT,  # none of the worker's secrets, keys or database URLs
        )
    except subprocess.TimeoutExpired:
        logger.warning("a PDF's first page took longer than %d s to draw", WALL_SECONDS)
        return None
    if result.returncode != 0 or not result.stdout:
        logger.info("a PDF's first page could not be drawn (exit status %d)", result.returncode)
        return None
    return result.stdout


def _draw(longest: int) -> int:
    """In the child: limits first, then PDFium."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    import io

    import pypdfium2

    data = sys.stdin.buffer.read()
    try:
        document = pypdfium2.PdfDocument(data)
        if len(document) == 0:
            return 1
        page = document[0]
        width, height = page.get_size()
        scale = min(longest / max(width, height, 1.0), 4.0)
        image = page.render(scale=scale).to_pil()
    except (pypdfium2.PdfiumError, ValueError, OSError, MemoryError):
        return 1
    image.thumbnail((longest, longest))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    sys.stdout.buffer.write(buffer.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(_draw(int(sys.argv[1])))
