"""The correctness check every backend and peer passes before it is timed.

The oracle is float64. Small outputs (up to FULL_REFERENCE_POSITIONS window
positions) are compared in full with `reference_conv2d`. For larger ones the
loop-per-position reference would take minutes, so the whole output is
compared with a float64 run of the NumPy backend's textbook ``im2col``
strategy, and that oracle is itself checked, at SAMPLED_POSITIONS output
positions (all four corners included), against the reference formula
evaluated directly through the plan's padding maps (the same code path as
`reference_conv2d`, restricted to those positions).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core import reference_conv2d
from ..core.reference import reference_at

FULL_REFERENCE_POSITIONS = 4096
SAMPLED_POSITIONS = 256
TOLERANCE = {"float32": 1e-4, "float64": 1e-10}
TF32_TOLERANCE = 5e-3


class OracleError(AssertionError):
    """The float64 im2col oracle disagrees with the reference formula (a convviz bug)."""


@dataclass
class Oracle:
    expected: np.ndarray
    method: str


def sample_positions(conv_plan, count: int, seed: int = 0) -> list[tuple[int, int]]:
    ho, wo = conv_plan.output_size
    corners = {(0, 0), (0, wo - 1), (ho - 1, 0), (ho - 1, wo - 1)}
    rng = np.random.default_rng(seed)
    flat = rng.choice(ho * wo, size=min(count, ho * wo), replace=False)
    return sorted(corners | {divmod(int(position), wo) for position in flat})


def oracle_algorithm(conv_plan) -> str:
    """The NumPy strategy whose float64 run is the oracle of a large output: the textbook
    ``im2col-chunked`` for convolution without groups, the operation's own strategy otherwise."""
    from ..backends.numpy_backend import NumpyBackend

    backend = NumpyBackend()
    if "im2col-chunked" in backend.algorithms_for(conv_plan):
        return "im2col-chunked"
    return backend.choose_algorithm(conv_plan, np.float64)


def make_oracle(x, w, conv_plan, seed: int = 0) -> Oracle:
    if conv_plan.steps <= FULL_REFERENCE_POSITIONS:
        return Oracle(reference_conv2d(x, w, conv_plan), "reference_conv2d (float64, every position)")
    from ..backends.numpy_backend import NumpyBackend

    algorithm = oracle_algorithm(conv_plan)
    expected = NumpyBackend().convolve(
        np.asarray(x, dtype=np.float64), None if w is None else np.asarray(w, dtype=np.float64), conv_plan,
        algorithm=algorithm)
    positions = sample_positions(conv_plan, SAMPLED_POSITIONS, seed)
    exact = reference_at(x, w, conv_plan, positions)
    rows, cols = zip(*positions)
    sampled = expected[:, :, list(rows), list(cols)]
    if relative_error(sampled, exact) > TOLERANCE["float64"]:
        raise OracleError(f"float64 {algorithm} disagrees with the reference formula for {conv_plan.spec.describe()}")
    return Oracle(expected, f"float64 {algorithm}, checked against the reference at {len(positions)} positions")


def relative_error(result, expected) -> float:
    """max |result − expected| / max |expected| (inf for a wrong shape or non-finite values)."""
    result = np.asarray(result, dtype=np.float64)
    if result.shape != expected.shape:
        return float("inf")
    # max pooling over a window of padding only is −∞ in both: equal, not an error
    agree = (result == expected) & ~np.isfinite(expected)
    with np.errstate(invalid="ignore"):
        scale = float(np.max(np.abs(expected), where=~agree, initial=0.0)) if expected.size else 0.0
        error = float(np.max(np.abs(result - expected), where=~agree, initial=0.0)) if expected.size else 0.0
    if not np.isfinite(error):
        return float("inf")
    return error / scale if scale > 0 else error


def tolerance(dtype, algorithm: str = "") -> float:
    if "tf32" in algorithm:
        return TF32_TOLERANCE
    return TOLERANCE[np.dtype(dtype).name]
