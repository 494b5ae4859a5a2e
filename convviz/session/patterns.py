"""Kernel presets and input patterns for the animation: plain NumPy, no Qt.

Every function returns a float64 2-D array of the size asked for, so a preset
or a pattern works with any kernel or input size the spec allows.
"""

from __future__ import annotations

from math import comb

import numpy as np

KERNEL_PRESETS = ("identity", "box blur", "gaussian", "sobel x", "sobel y", "laplacian", "sharpen", "random")
INPUT_PATTERNS = ("random integers", "gradient", "checkerboard", "sample image", "image file")
MAX_IMAGE_SIDE = 8192
"""Largest image side convviz will read (the image is resampled to the input size anyway)."""


def _binomial(size: int) -> np.ndarray:
    return np.array([comb(size - 1, index) for index in range(size)], dtype=np.float64)


READABLE_BINOMIAL = 100
"""Largest Pascal number a Sobel preset shows as is (9 taps: 1 8 28 56 70 56 28 8 1)."""


def _smoothing(size: int) -> np.ndarray:
    """Sobel's smoothing row: Pascal's row while its numbers stay readable, else that row scaled
    to a peak of 1 (61 taps would reach 1.2·10¹⁷ and every total with them)."""
    weights = _binomial(size)
    return weights if weights.max() <= READABLE_BINOMIAL else weights / weights.max()


def _derivative(size: int) -> np.ndarray:
    """Central difference stretched to `size` taps: -1 … 0 … +1 (a single tap cannot differentiate)."""
    if size == 1:
        return np.ones(1)
    return np.linspace(-1.0, 1.0, size).round(6)


def kernel_preset(name: str, size: tuple[int, int], seed: int = 0) -> np.ndarray:
    """The weights of preset `name` at kernel size (kh, kw)."""
    kh, kw = (int(size[0]), int(size[1]))
    name = name.strip().lower()
    if name == "identity":
        weights = np.zeros((kh, kw))
        weights[kh // 2, kw // 2] = 1.0
        return weights
    if name == "box blur":
        return np.full((kh, kw), 1.0 / (kh * kw))
    if name == "gaussian":
        weights = np.outer(_binomial(kh), _binomial(kw))
        return weights / weights.sum()
    if name == "sobel x":
        return np.outer(_smoothing(kh), _derivative(kw))
    if name == "sobel y":
        return np.outer(_derivative(kh), _smoothing(kw))
    if name == "laplacian":
        weights = np.ones((kh, kw))
        weights[kh // 2, kw // 2] = 1.0 - kh * kw
        return weights if kh * kw > 1 else np.ones((1, 1))
    if name == "sharpen":
        weights = -np.ones((kh, kw)) / (kh * kw)
        weights[kh // 2, kw // 2] += 2.0
        return weights
    if name == "random":
        return np.random.default_rng(seed).integers(-2, 3, size=(kh, kw)).astype(np.float64)
    raise ValueError(f"unknown kernel preset {name!r}; choose one of {', '.join(KERNEL_PRESETS)}")


def _variants(values: np.ndarray, numbers: np.ndarray, turn: bool) -> np.ndarray:
    """Variant n of a 2-D array for each n of `numbers`, by n mod 4: quarter turns when `turn`
    (square), else flips (left-right, up-down, both). Channels made of one pattern this way
    differ visibly."""
    if turn:
        four = np.stack([np.rot90(values, n) for n in range(4)])
    else:
        four = np.stack([values, values[:, ::-1], values[::-1, :], values[::-1, ::-1]])
    return four[np.asarray(numbers) % 4]


def input_channels(name: str, size: tuple[int, int], channels: int, seed: int = 0,
                   image: np.ndarray | None = None) -> np.ndarray:
    """(channels, H, W) inputs: channel 0 is `input_pattern(name, size, seed, image)`; the others
    are more random integers (another seed) or flipped copies of the pattern."""
    first = input_pattern(name, size, seed=seed, image=image)
    if channels == 1:
        return first[None]
    if name.strip().lower() == "random integers":
        rest = np.random.default_rng(seed + 1).integers(0, 10, size=(channels - 1, *first.shape)).astype(np.float64)
        return np.concatenate([first[None], rest])
    return _variants(first, np.arange(channels), turn=False)


def kernel_slices(name: str, size: tuple[int, int], out_channel: int, channels: int, seed: int = 0) -> np.ndarray:
    """(channels, kh, kw) weights of output channel `out_channel`, one slice per input channel:
    slice (0, 0) is `kernel_preset(name, size, seed)`; the others turn (square kernels) or flip it
    by (k + c) quarter turns, or draw other random integers for "random"."""
    first = kernel_preset(name, size, seed=seed)
    if name.strip().lower() == "random":
        rng = np.random.default_rng([seed, out_channel])
        slices = rng.integers(-2, 3, size=(channels, *first.shape)).astype(np.float64)
        if out_channel == 0:
            slices[0] = first
        return slices
    return _variants(first, np.arange(channels) + out_channel, turn=first.shape[0] == first.shape[1])


def sample_image(height: int = 64, width: int = 64) -> np.ndarray:
    """A small procedural picture (0…255): sky gradient, a sun, a house with a door and a window.

    Edges in both directions and flat areas, so every preset shows something.
    """
    rows, cols = np.mgrid[0:height, 0:width]
    y, x = (rows + 0.5) / height, (cols + 0.5) / width
    picture = 200.0 - 80.0 * y
    picture = np.where((x - 0.78) ** 2 + (y - 0.2) ** 2 < 0.012, 250.0, picture)
    picture = np.where(y > 0.8, 70.0, picture)
    wall = (x > 0.18) & (x < 0.62) & (y > 0.45) & (y <= 0.8)
    picture = np.where(wall, 150.0, picture)
    roof = (y > 0.22) & (y <= 0.45) & (np.abs(x - 0.4) < (y - 0.22) * 1.1)
    picture = np.where(roof, 40.0, picture)
    door = (x > 0.33) & (x < 0.43) & (y > 0.6) & (y <= 0.8)
    window = (x > 0.48) & (x < 0.57) & (y > 0.52) & (y < 0.62)
    picture = np.where(door | window, 20.0, picture)
    return np.round(picture)


def resample(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Area-average (when shrinking) or nearest-neighbour (when growing) resampling to (H, W).

    Target cell i of an axis averages source cells [i·S//T, (i+1)·S//T) (at least one): the bins
    tile the source when shrinking and repeat single cells when growing, so one `np.add.reduceat`
    (or `np.take`) per axis sums them: a 1024² image into a 1024² input took 19 ms, against 107 ms
    through an integral image, on the GUI thread when an image is opened."""
    image = np.asarray(image, dtype=np.float64)
    height, width = int(size[0]), int(size[1])
    source_h, source_w = image.shape

    def edges(source: int, target: int) -> tuple[np.ndarray, np.ndarray]:
        starts = (np.arange(target) * source) // target
        stops = np.maximum(((np.arange(target) + 1) * source) // target, starts + 1)
        return starts, stops

    def binned(values: np.ndarray, starts: np.ndarray, stops: np.ndarray, axis: int) -> np.ndarray:
        if (stops - starts == 1).all():  # one source cell a bin: the same size, or growing
            return values if len(starts) == values.shape[axis] else np.take(values, starts, axis=axis)
        return np.add.reduceat(values, starts, axis=axis)

    row_starts, row_stops = edges(source_h, height)
    col_starts, col_stops = edges(source_w, width)
    total = binned(binned(image, row_starts, row_stops, 0), col_starts, col_stops, 1)
    area = np.outer(row_stops - row_starts, col_stops - col_starts)
    return np.round(total / area)


def input_pattern(name: str, size: tuple[int, int], seed: int = 0, image: np.ndarray | None = None) -> np.ndarray:
    """Input values of pattern `name` at input size (H, W).

    "image file" resamples `image` (a 2-D grey array); without one it falls back to the sample image.
    """
    height, width = (int(size[0]), int(size[1]))
    name = name.strip().lower()
    if name == "random integers":
        return np.random.default_rng(seed).integers(0, 10, size=(height, width)).astype(np.float64)
    if name == "gradient":
        rows, cols = np.mgrid[0:height, 0:width]
        return (rows + cols).astype(np.float64)
    if name == "checkerboard":
        rows, cols = np.mgrid[0:height, 0:width]
        return (((rows // 2) + (cols // 2)) % 2 * 9).astype(np.float64)
    if name == "sample image":
        return resample(sample_image(), (height, width))
    if name == "image file":
        source = sample_image() if image is None else image
        return resample(source, (height, width))
    raise ValueError(f"unknown input pattern {name!r}; choose one of {', '.join(INPUT_PATTERNS)}")


def format_value(value: float) -> str:
    """A cell's value in at most about four characters: 3, −1.5, 0.11, 1e+03."""
    value = float(value)
    if np.isnan(value):
        return "…"  # not computed yet
    if np.isinf(value):
        return "−∞" if value < 0 else "∞"
    if value == int(value) and abs(value) < 10000:
        text = str(int(value))
    elif abs(value) >= 100:
        text = f"{value:.0f}" if abs(value) < 10000 else f"{value:.0e}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}".rstrip("0").rstrip(".")
        if text in ("-0", ""):
            text = "0"
    return text.replace("-", "−")
