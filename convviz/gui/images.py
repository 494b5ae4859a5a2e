"""Reading pictures with QImage: user image files as grey arrays."""

from __future__ import annotations

import os

import numpy as np
from PyQt6 import QtGui

from ..session.patterns import MAX_IMAGE_SIDE

MAX_FILE_BYTES = 64 * 2**20


class ImageError(ValueError):
    """An image that cannot be used, with the reason in words."""


def grey_array(image: QtGui.QImage) -> np.ndarray:
    """A QImage as a float64 (H, W) array of grey levels 0…255."""
    grey = image.convertToFormat(QtGui.QImage.Format.Format_Grayscale8)
    height, width = grey.height(), grey.width()
    pointer = grey.constBits()
    pointer.setsize(grey.sizeInBytes())
    rows = np.frombuffer(pointer, dtype=np.uint8).reshape(height, grey.bytesPerLine())
    return rows[:, :width].astype(np.float64)


def read_image(path) -> np.ndarray:
    """The grey levels of an image file; refuses what is missing, unreadable or huge."""
    path = os.fspath(path)
    try:
        size = os.path.getsize(path)
    except OSError as error:
        raise ImageError(f"cannot read {path}: {error.strerror or error}") from None
    if size > MAX_FILE_BYTES:
        raise ImageError(f"{os.path.basename(path)} is {size / 2**20:.0f} MiB; convviz reads images up to "
                         f"{MAX_FILE_BYTES // 2**20} MiB")
    reader = QtGui.QImageReader(path)
    dimensions = reader.size()
    if dimensions.isValid() and max(dimensions.width(), dimensions.height()) > MAX_IMAGE_SIDE:
        raise ImageError(f"{os.path.basename(path)} is {dimensions.width()}×{dimensions.height()}; "
                         f"convviz reads images up to {MAX_IMAGE_SIDE} pixels a side")
    image = reader.read()
    if image.isNull():
        raise ImageError(f"{os.path.basename(path)} is not an image convviz can read ({reader.errorString()})")
    return grey_array(image)
