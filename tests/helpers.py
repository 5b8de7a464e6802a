"""Helpers shared by the tests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from django.db import connection

T = TypeVar("T")


def at_once(count: int, work: Callable[[int], T], *, timeout: float = 120) -> list[T]:
    """Run ``work(0)`` … ``work(count - 1)`` in ``count`` threads released together (each
    with its own database connection); what they returned, in the order they finished.
    An exception in a thread fails the test."""
    barrier = threading.Barrier(count)
    results: list[T] = []
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            barrier.wait()
            results.append(work(n))
        except BaseException as error:  # reported to the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    if errors:
        raise errors[0]
    return results


def png(tail: bytes = b"") -> bytes:
    """Bytes that pass as a PNG file (its signature is what the evidence check reads),
    with ``tail`` to tell files apart."""
    return b"\x89PNG\r\n\x1a\n" + b"\x00" * 64 + tail


PNG = png()


def photo_png(size: tuple[int, int] = (64, 48)) -> bytes:
    """A real, decodable PNG picture (a colour gradient), for what draws images."""
    import io

    from PIL import Image

    width, height = size
    image = Image.new("RGB", size)
    image.putdata(
        [(x * 255 // width, y * 255 // height, 128) for y in range(height) for x in range(width)]
    )
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


PHOTO_PNG = photo_png()


def enter_password(page, origin: str, username: str, password: str | None = None) -> None:
    """The staff sign-in page's first step, in a browser tab (Playwright): the demo
    password unless another is given. The page then asks for the second step."""
    from institute.demo import DEMO_PASSWORD

    if "/staff/login/" not in page.url:
        page.goto(f"{origin}/staff/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password or DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")


def staff_log_in(staff, username: str) -> None:
    """Sign in a demo account in a browser tab: its password, then the code its
    authenticator app would show."""
    from django.contrib.auth import get_user_model

    from tests.conftest import current_code

    page = staff.page
    enter_password(page, staff.origin, username)
    assert "/staff/security/verify/" in page.url
    page.fill("#id_code", current_code(get_user_model().objects.get(username=username)))
    with page.expect_navigation():
        page.click("form[data-form=verify] button[type=submit]")
