"""User image files as grey arrays, read with Pillow (no Qt object is made here).

Opening is two steps: `inspect_image` reads the file (a regular file, at most MAX_FILE_BYTES)
and the image's header, and refuses in words what cannot be used, at once; `decode_image`
decodes the pixels, the slow part, which can run on a worker thread (Pillow releases the GIL
while it decodes).
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass

import numpy as np

from ..session.patterns import MAX_IMAGE_SIDE

MAX_FILE_BYTES = 64 * 2**20
MAX_DECODED_SIDE = 1024
"""Images are decoded at most this large a side (the animation draws at most 1024 cells a side)."""
SIXTEEN_BIT_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I")


class ImageError(ValueError):
    """An image that cannot be used, with the reason in words."""


@dataclass(frozen=True)
class ImageFile:
    """An image file read and its header checked, not decoded yet."""

    name: str
    data: bytes
    width: int
    height: int

    @property
    def pixels(self) -> int:
        return self.width * self.height


def _opened(image: ImageFile):
    from PIL import Image

    return Image.open(io.BytesIO(image.data))


def inspect_image(path) -> ImageFile:
    """The file at `path` and its image size; refuses, in words and before decoding, what is
    missing, not a regular file, huge on disk or in pixels, or not an image."""
    from PIL import Image, UnidentifiedImageError

    from ..core import ConvSpecError
    from ..session.files import read_bytes_file

    path = os.fspath(path)
    name = os.path.basename(path)
    try:
        data = read_bytes_file(path, "image", MAX_FILE_BYTES)
    except ConvSpecError as error:
        raise ImageError(str(error)) from None
    try:
        with Image.open(io.BytesIO(data)) as header:
            width, height = header.size
    except Image.DecompressionBombError as error:
        raise ImageError(f"{name} is larger than convviz reads (up to {MAX_IMAGE_SIDE} pixels a side): "
                         f"{error}") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        raise ImageError(f"{name} is not an image convviz can read ({error})") from None
    if max(width, height) > MAX_IMAGE_SIDE:
        raise ImageError(f"{name} is {width}×{height}; convviz reads images up to {MAX_IMAGE_SIDE} pixels a side")
    if min(width, height) < 1:
        raise ImageError(f"{name} is {width}×{height}: it has no pixels")
    return ImageFile(name, data, width, height)


def decoded_size(width: int, height: int) -> tuple[int, int]:
    """(width, height) an image is decoded at: at most MAX_DECODED_SIDE a side, its aspect kept."""
    if max(width, height) <= MAX_DECODED_SIDE:
        return width, height
    scale = MAX_DECODED_SIDE / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def decode_image(image: ImageFile) -> np.ndarray:
    """The grey levels 0…255 (float64, (H, W)) of an inspected image, at `decoded_size`."""
    from PIL import Image

    size = decoded_size(image.width, image.height)
    try:
        with _opened(image) as picture:
            picture.draft("L", size)  # JPEG decodes at a reduced scale; other formats ignore it
            if picture.mode in SIXTEEN_BIT_MODES:
                levels = np.asarray(picture, dtype=np.float64) / 257.0
                picture = Image.fromarray(np.clip(np.rint(levels), 0, 255).astype(np.uint8))
            elif picture.mode == "F":
                picture = Image.fromarray(np.clip(np.rint(np.asarray(picture)), 0, 255).astype(np.uint8))
            grey = picture.convert("L")
            if grey.size != size:
                grey = grey.resize(size, Image.Resampling.BOX, reducing_gap=2.0)
            return np.asarray(grey, dtype=np.float64)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise ImageError(f"{image.name} is not an image convviz can read ({error})") from None


def read_image(path) -> np.ndarray:
    """The grey levels of an image file, decoded at most MAX_DECODED_SIDE a side
    (`inspect_image` then `decode_image`)."""
    return decode_image(inspect_image(path))
