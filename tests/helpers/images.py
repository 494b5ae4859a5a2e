"""Test pictures written with QImage."""

import os

import numpy as np
from PyQt6 import QtGui


def write_grey_png(values: np.ndarray, path) -> None:
    """Save a 2-D array of 0…255 as an 8-bit grey PNG."""
    data = np.ascontiguousarray(np.clip(np.round(values), 0, 255).astype(np.uint8))
    height, width = data.shape
    image = QtGui.QImage(data.data, width, height, width, QtGui.QImage.Format.Format_Grayscale8)
    if not image.copy().save(os.fspath(path), "PNG"):
        raise OSError(f"cannot write {path}")
