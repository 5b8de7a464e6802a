"""Pictures generated for the tests of evidence images: photograph-like, different for
every seed, and encoded as a browser or a phone would send them."""

from __future__ import annotations

import io

import numpy
from PIL import Image


def picture(seed: int, size=(640, 480)) -> Image.Image:
    """A random picture with the statistics of a photograph (power falling as 1/f²):
    large soft shapes and fine detail, different for every seed."""
    rng = numpy.random.default_rng(seed)
    width, height = size
    fy = numpy.fft.fftfreq(height)[:, None]
    fx = numpy.fft.rfftfreq(width)[None, :]
    frequency = numpy.sqrt(fx**2 + fy**2)
    frequency[0, 0] = 1
    channels = []
    for _ in range(3):
        spectrum = (rng.normal(size=frequency.shape) + 1j * rng.normal(size=frequency.shape)) / (
            frequency
        )
        plane = numpy.fft.irfft2(spectrum, s=(height, width))
        channels.append((plane - plane.min()) / (plane.max() - plane.min()) * 255)
    return Image.fromarray(numpy.stack(channels, -1).astype(numpy.uint8))


def encoded(image: Image.Image, fmt: str = "JPEG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def cropped(image: Image.Image, left=0.0, top=0.0, right=0.0, bottom=0.0) -> Image.Image:
    """The picture with these fractions of its width and height cut away."""
    width, height = image.size
    return image.crop(
        (
            round(width * left),
            round(height * top),
            round(width * (1 - right)),
            round(height * (1 - bottom)),
        )
    )
