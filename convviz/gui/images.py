"""Reading pictures with QImage: user image files as grey arrays."""

from __future__ import annotations

import os

import numpy as np
from PyQt6 import QtCore, QtGui

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


MAX_DECODED_SIDE = 1024
"""Images are decoded at most this large a side (the animation draws at most 1024 cells a side)."""


def read_image(path) -> np.ndarray:
    """The grey levels of an image file, decoded at most MAX_DECODED_SIDE a side; refuses, in
    words and before decoding, what is missing, not a regular file, or huge on disk or in pixels."""
    from ..core import ConvSpecError
    from ..session.files import read_bytes_file

    path = os.fspath(path)
    name = os.path.basename(path)
    try:
        data = read_bytes_file(path, "image", MAX_FILE_BYTES)
    except ConvSpecError as error:
        raise ImageError(str(error)) from None
    buffer = QtCore.QBuffer()
    buffer.setData(QtCore.QByteArray(data))
    buffer.open(QtCore.QIODevice.OpenModeFlag.ReadOnly)
    reader = QtGui.QImageReader(buffer)
    dimensions = reader.size()
    if dimensions.isValid():
        width, height = dimensions.width(), dimensions.height()
        if max(width, height) > MAX_IMAGE_SIDE:
            raise ImageError(f"{name} is {width}×{height}; convviz reads images up to "
                             f"{MAX_IMAGE_SIDE} pixels a side")
        if max(width, height) > MAX_DECODED_SIDE:
            scale = MAX_DECODED_SIDE / max(width, height)
            reader.setScaledSize(QtCore.QSize(max(1, round(width * scale)), max(1, round(height * scale))))
    image = reader.read()
    if image.isNull():
        raise ImageError(f"{name} is not an image convviz can read ({reader.errorString()})")
    return grey_array(image)
