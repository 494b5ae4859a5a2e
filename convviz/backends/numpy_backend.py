"""The CPU backend: NumPy, one strategy chosen per shape (`NumpyBackend.choose_algorithm`).

The strategies live in `numpy_strategies`; each spends its time in BLAS matrix
products and differs in how it lays the operands out:

- ``toeplitz``: one input and one output channel; bands of output rows as one
  stacked matmul by a band matrix of the kernel rows, then kw shifted adds.
- ``pointwise``: 1×1, stride 1, no padding: one matmul per image into the output.
- ``shifted``: stride 1: kw shifted copies of the padded input, one matmul by all
  kh kernel rows' weights, kh−1 shifted adds into the output.
- ``im2col``: every window copied into a matrix by one strided copy, one matmul
  by the weights as they lie; any stride and dilation, the whole batch at once
  (the textbook method). ``im2col-chunked``: the same a block at a time (whole
  images, rows, or part of a row), each block's matrix under the block size and
  the scratch budget; the float64 oracle of the profiler's check.

Each strategy declares, beside its code (`declares_scratch`), the bytes it
allocates beyond its input, weights and output; `memory_estimate` adds them up.

The strategies' copies and adds can be split over as many threads as the BLAS computes
with (`numpy_threads`, `split_copies=True`). It is off by default: on a quiet 2-core
machine the split made the channel-heavy median 1.66× PyTorch against 1.54× without it
(worst 3.76× against 2.94×; BENCHMARKS.md), since OpenBLAS's threads keep spinning on the
other core after each matmul. Only on a loaded machine did it win.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from ..core import ConvSpecError, check_arrays
from ..core.memory import MemoryEstimate, array_estimate
from . import numpy_operators, numpy_threads
from . import numpy_strategies as strategies
from .base import CONVVIZ, Availability, Backend

NUMPY_PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}
"""The padding modes by the names `np.pad` gives them (what each pads with is `Axis.source`)."""
DEFAULT_SCRATCH_BUDGET = 256 * 2**20
"""The most one block of ``im2col-chunked``'s matrix may take (it bounds the oracle's memory)."""
BLOCK_BYTES = {"toeplitz": 2**20, "shifted": 8 * 2**20, "im2col-chunked": 8 * 2**20}
"""Work arrays of one block (toeplitz's partial images, shifted's copies and products,
im2col's matrix): large enough for efficient BLAS calls, small enough to stay in cache.
The best of 1–16 MiB measured on benchmarks/cpu_vs_torch.py's shapes (one core): toeplitz
1 MiB (8 MiB took 1.3–1.7× as long), the others 8 MiB (1 MiB: up to 2.8× as long on the
dilated 5×5 layer; 16 MiB no faster)."""
IM2COL_BLOCK_POSITIONS = 4096
"""Output positions per block of ``im2col-chunked`` and per BLAS thread (within `BLOCK_BYTES`;
deep layers fill those 8 MiB first). Measured on 1×3×224×224 → 64, 7×7 stride 2, the layer
it decides: on an Intel Xeon (one thread) 8 MiB blocks took 1.25× as long as 1 MiB (2048
positions); on an AMD EPYC (L2 1 MiB, paired rounds) 4096 positions took 0.96× the time of
2048 on one thread, and 8192 took 0.76× on two: a matmul split over more threads needs more
columns per block."""
SHIFTED_POSITIONS_PER_CHANNEL = 2
"""``shifted`` is chosen when the padded image has at least this many positions per input and
output channel (see `NumpyBackend._shifted_pays`)."""


def pad_input(x: np.ndarray, conv_plan) -> np.ndarray:
    """x padded as the plan says, by `np.pad` (the SciPy peers use it; the strategies pad in place)."""
    top, bottom, left, right = conv_plan.pads
    if not any(conv_plan.pads):
        return x
    mode = NUMPY_PAD_MODES[conv_plan.spec.padding_mode]
    return np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), mode=mode)


def declares_scratch(scratch):
    """Mark a strategy with what it allocates beyond the input, weights and output it is given
    and returns: scratch(backend, conv_plan, itemsize) -> {part name: bytes}. The memory
    guard adds these parts, so they must bound the strategy's real allocations (held to it by
    tests/profiling/test_memory_truth.py, which measures peak RSS)."""

    def mark(method):
        method.scratch = scratch
        return method

    return mark


def _declared(name: str):
    """The scratch of strategy `name` at the backend's block size for it, plus NumPy's ufunc buffers."""
    function = getattr(strategies, name.replace("-chunked", "") + "_scratch")

    def scratch(backend, conv_plan, itemsize: int) -> dict[str, int]:
        parts = function(conv_plan, itemsize, backend.block_size(name, conv_plan, itemsize))
        return {**parts, "ufunc buffers": strategies.UFUNC_BUFFER_BYTES * backend.thread_count()}

    return scratch


def _im2col_depth(conv_plan) -> int:
    spec = conv_plan.spec
    return spec.in_channels * spec.kernel_size[0] * spec.kernel_size[1]


def unsupported(conv_plan, algorithm: str) -> str | None:
    """Why `algorithm` cannot run `conv_plan`, in words; None when it can."""
    spec = conv_plan.spec
    if algorithm == "toeplitz" and spec.in_channels * spec.out_channels != 1:
        return "the toeplitz strategy takes one input and one output channel"
    if algorithm == "pointwise" and (spec.kernel_size != (1, 1) or spec.stride != (1, 1) or any(conv_plan.pads)):
        return "the pointwise strategy takes a 1×1 kernel at stride 1 without padding"
    if algorithm == "shifted" and spec.stride != (1, 1):
        return "the shifted strategy takes stride 1 only"
    return None


class NumpyBackend(Backend):
    name = "numpy"
    device = "CPU (NumPy)"
    host = True
    family = CONVVIZ
    strategies = {"toeplitz": "_toeplitz", "pointwise": "_pointwise", "shifted": "_shifted",
                  "im2col": "_im2col", "im2col-chunked": "_im2col_chunked"}
    """Algorithm name → the method that runs it; each method declares its scratch (`declares_scratch`)."""
    algorithms = tuple(strategies)

    def __init__(self, scratch_budget: int = DEFAULT_SCRATCH_BUDGET, block_bytes: int | None = None,
                 threads: int | None = None, min_piece_bytes: int = numpy_threads.MIN_PIECE_BYTES,
                 split_copies: bool = False):
        self.scratch_budget = scratch_budget
        self.block_bytes = block_bytes
        self.threads = threads
        self.split_copies = split_copies
        self.min_piece_bytes = min_piece_bytes
        self.scratch = strategies.Scratch()

    def thread_count(self) -> int:
        """Threads the copies and adds are split over: those given; else, with `split_copies`,
        as many as NumPy's BLAS computes with now (`numpy_threads.blas_threads`); else one."""
        if self.threads:
            return self.threads
        return numpy_threads.blas_threads() if self.split_copies else 1

    def splitting(self) -> numpy_threads.Threads:
        return numpy_threads.Threads(self.thread_count(), self.min_piece_bytes)

    def available(self) -> Availability:
        return Availability(True)

    def choose_algorithm(self, conv_plan, dtype) -> str:
        """The strategy for this shape; every rule below was measured (benchmarks/cpu_vs_torch.py).

        - One channel in and out: ``toeplitz``. A per-tap multiply-add loop runs on one
          core at memory speed; the band matmul is 2–5× faster and uses every BLAS thread.
        - 1×1 at stride 1 without padding: ``pointwise``, a plain matmul with no copy.
        - Stride 1 on a large image for its channels (`_shifted_pays`): ``shifted``.
        - Anything else (strided, or small images with many channels): ``im2col-chunked``,
          which folds a batch of small images into one matmul.
        """
        spec = conv_plan.spec
        if numpy_operators.handles(conv_plan):
            return numpy_operators.choose(conv_plan)
        if spec.in_channels * spec.out_channels == 1:
            return "toeplitz"
        if unsupported(conv_plan, "pointwise") is None:
            return "pointwise"
        if spec.stride == (1, 1) and self._shifted_pays(conv_plan):
            return "shifted"
        return "im2col-chunked"

    @staticmethod
    def _shifted_pays(conv_plan) -> bool:
        """Large images against few channels. ``shifted`` copies the input kw times and adds
        the output kh times where im2col copies the input kh·kw times, and its matmul is
        squarer (kh·K × kw·C against K × kh·kw·C), which OpenBLAS runs faster on thin
        layers; but it computes the padded positions it then drops and copies the weights
        once, which is what costs on small images with many channels. Measured (one core):
        16×128×128, 64×56×56 (zeros, replicate), 8×64×56×56, 32×64×64 dilated: shifted 1.3–1.7×
        faster; 256×14×14, 512×7×7: im2col 1.5–2.4× faster."""
        spec = conv_plan.spec
        hp, wp = conv_plan.padded_shape
        return hp * wp >= SHIFTED_POSITIONS_PER_CHANNEL * (spec.in_channels + spec.out_channels)

    def algorithms_for(self, conv_plan) -> tuple[str, ...]:
        """The strategies that can run `conv_plan`: numpy_operators' for other operations and groups."""
        if numpy_operators.handles(conv_plan):
            return numpy_operators.algorithms_for(conv_plan)
        return tuple(name for name in self.algorithms if unsupported(conv_plan, name) is None)

    def check_algorithm(self, algorithm: str, conv_plan=None) -> str:
        if conv_plan is not None and numpy_operators.handles(conv_plan):
            return super().check_algorithm(algorithm, conv_plan)
        super().check_algorithm(algorithm)
        reason = None if conv_plan is None else unsupported(conv_plan, algorithm)
        if reason:
            raise ConvSpecError(f"{reason}; this spec is {conv_plan.spec.describe()}")
        return algorithm

    def block_size(self, algorithm: str, conv_plan=None, itemsize: int = 4, threads: int | None = None) -> int | None:
        """Bytes of one block of work arrays (`BLOCK_BYTES`, or the block size given), within the
        scratch budget; None (no blocks) for the textbook ``im2col``. With `threads` (the BLAS
        threads of a run), im2col's blocks hold `IM2COL_BLOCK_POSITIONS` positions per thread
        (at least 1 MiB): enough for the matmul on every thread, and a shallow matrix (few
        channels) stays in cache between its copy and its matmul. Without, the largest block
        any thread count gets (what the memory estimate counts)."""
        if algorithm == "im2col":
            return None
        block = BLOCK_BYTES.get(algorithm, 0) if self.block_bytes is None else self.block_bytes
        if algorithm == "im2col-chunked" and self.block_bytes is None and conv_plan is not None and threads:
            positions = IM2COL_BLOCK_POSITIONS * threads
            block = min(block, max(2**20, _im2col_depth(conv_plan) * itemsize * positions))
        return min(block, self.scratch_budget)

    def chunk_shape(self, conv_plan, itemsize: int) -> tuple[int, int]:
        """(rows, columns) of output per block of ``im2col-chunked`` (for one image)."""
        block = self.block_size("im2col-chunked", conv_plan, itemsize, numpy_threads.blas_threads())
        return strategies.im2col_blocks(conv_plan, itemsize, block)[1:]

    def strategy(self, algorithm: str, conv_plan=None):
        """The bound method (or numpy_operators function) that runs `algorithm` (checked against
        `conv_plan` when given)."""
        if algorithm in numpy_operators.STRATEGIES:
            if conv_plan is not None:
                self.check_algorithm(algorithm, conv_plan)
            function = numpy_operators.STRATEGIES[algorithm]
            if algorithm in numpy_operators.NEEDS_BACKEND:
                bound = partial(function, backend=self)
                bound.scratch = function.scratch
                return bound
            return function
        return getattr(self, self.strategies[self.check_algorithm(algorithm, conv_plan)])

    def scratch_parts(self, conv_plan, dtype, algorithm: str) -> dict[str, int]:
        """What `algorithm` allocates besides the input, weights and output, by part (also for
        a spec it cannot run, which it refuses when asked to run it, allocating nothing)."""
        return self.strategy(algorithm).scratch(self, conv_plan, np.dtype(dtype).itemsize)

    def memory_estimate(self, conv_plan, dtype, algorithm: str) -> MemoryEstimate:
        """Input, weights and output, and the scratch `algorithm` declares beside its code."""
        given = array_estimate(conv_plan, dtype).parts
        parts = {name: given[name] for name in ("input", "weights", "output")}
        parts.update(self.scratch_parts(conv_plan, dtype, algorithm))
        return MemoryEstimate(parts)

    def convolve(self, x, w, conv_plan, bias=None, algorithm=None):
        dtype = check_arrays(x, w, conv_plan, bias)
        x = np.asarray(x, dtype=dtype)
        w = None if w is None else np.ascontiguousarray(w, dtype=dtype)
        if algorithm is None:
            algorithm = self.choose_algorithm(conv_plan, dtype)
        y = self.strategy(algorithm, conv_plan)(x, w, conv_plan)
        if bias is not None:
            y += np.asarray(bias, dtype=dtype)[None, :, None, None]
        return y

    @declares_scratch(_declared("toeplitz"))
    def _toeplitz(self, x, w, conv_plan) -> np.ndarray:
        return strategies.toeplitz(x, w, conv_plan, self.scratch, self.block_size("toeplitz", conv_plan, x.itemsize))

    @declares_scratch(_declared("pointwise"))
    def _pointwise(self, x, w, conv_plan) -> np.ndarray:
        return strategies.pointwise(x, w, conv_plan, self.scratch, self.block_size("pointwise", conv_plan, x.itemsize))

    @declares_scratch(_declared("shifted"))
    def _shifted(self, x, w, conv_plan) -> np.ndarray:
        return strategies.shifted(x, w, conv_plan, self.scratch, self.block_size("shifted", conv_plan, x.itemsize),
                                  self.splitting())

    @declares_scratch(_declared("im2col"))
    def _im2col(self, x, w, conv_plan) -> np.ndarray:
        return strategies.im2col(x, w, conv_plan, self.scratch, self.block_size("im2col", conv_plan, x.itemsize),
                                 self.splitting())

    @declares_scratch(_declared("im2col-chunked"))
    def _im2col_chunked(self, x, w, conv_plan) -> np.ndarray:
        block = self.block_size("im2col-chunked", conv_plan, x.itemsize, numpy_threads.blas_threads())
        return strategies.im2col(x, w, conv_plan, self.scratch, block, self.splitting())
