"""The NumPy strategies of the operations beyond plain convolution.

- ``grouped-gemm``: convolution with groups: the windows of each group gathered into a
  (Cg·kh·kw, positions) matrix, all groups multiplied by their weights in one batched matmul
  ((G, Kg, Cg·kh·kw) @ (G, Cg·kh·kw, positions)), a band of output rows at a time.
- ``per-group``: convolution with groups: each group run as its own convolution through the NumPy
  backend's convolution strategies (the fastest measured for a few wide groups).
- ``depthwise-taps``: one input channel per group (depthwise, with any channel multiplier):
  one broadcast multiply-add per kernel tap. At stride 1 with one output per input channel
  the padded input is laid out flat per channel, so every tap is one contiguous slice (the
  row ends it computes past the output are dropped); otherwise strided views of it.
- ``col2im``: transposed convolution: one batched matmul per group turns every input cell
  into its weighted kernel, (G, Kg·kh·kw, Cg) @ (G, Cg, N·H·W); each tap's plane is then added
  at its place in the output with one strided slice (the scatter of the definition), and the
  padding is cropped.
- ``window-taps``: pooling: the running max (or sum) of the kernel's strided views of the padded
  input (−∞ padding for max, zeros for the average, which then divides by each window's count).

Each strategy declares the bytes it allocates beyond the input, weights and output
(`strategy.scratch`, as numpy_backend.declares_scratch marks the convolution strategies), which
the backend's memory estimate adds.
"""

from __future__ import annotations

import numpy as np

from . import numpy_strategies as strategies
from .numpy_threads import SERIAL

ALGORITHMS = {"conv": ("grouped-gemm", "per-group", "depthwise-taps"), "conv_transpose": ("col2im",),
              "max_pool": ("window-taps",), "avg_pool": ("window-taps",)}
SCRATCH_BUDGET = 64 * 2**20
"""Largest gathered-windows matrix ``grouped-gemm`` builds at once (a band of output rows)."""


def handles(conv_plan) -> bool:
    """Whether the plan needs these strategies (anything but convolution without groups)."""
    spec = conv_plan.spec
    return spec.operation != "conv" or spec.groups > 1


def algorithms_for(conv_plan) -> tuple[str, ...]:
    spec = conv_plan.spec
    if spec.operation == "conv" and spec.in_channels != spec.groups:
        return ("grouped-gemm", "per-group")
    return ALGORITHMS[spec.operation]



PER_GROUP_CHANNELS = 8
"""Input channels per group from which ``per-group`` beats ``grouped-gemm`` (see `choose`)."""


def choose(conv_plan) -> str:
    """``depthwise-taps`` when each group has one input channel; for wider groups ``per-group``
    (each group through the convolution strategies) from `PER_GROUP_CHANNELS` input channels
    per group, else ``grouped-gemm`` (one batched matmul for all groups, no per-group calls).
    Measured (one thread, CPU time): per-group 1.3× faster on 64 channels in 4 groups at 56×56
    and 1.4× on 64 → 128 in 8 groups at 8×28×28; grouped-gemm 2.7× faster on 128 channels in
    32 groups at 28×28 and 1.2× on 64 in 16 groups at 56×56 (4 channels a group: 32 or 16
    convolution calls cost more than the one gather); at 128 channels a group (256 in 2) the
    two were within 10 %. The operation's own strategy otherwise."""
    spec = conv_plan.spec
    if spec.operation == "conv" and spec.groups > 1 and spec.in_channels != spec.groups:
        return "per-group" if spec.in_channels // spec.groups >= PER_GROUP_CHANNELS else "grouped-gemm"
    return algorithms_for(conv_plan)[-1]


def _tap_view(xp: np.ndarray, conv_plan, r: int, s: int, rows: range | None = None) -> np.ndarray:
    """(N, C, rows, Wo): what tap (r, s) reads in every window (of output rows `rows`)."""
    row_axis, col_axis = conv_plan.axes
    rows = range(row_axis.output_size) if rows is None else rows
    return xp[:, :, row_axis.tap_slice(r, rows.start, len(rows)), col_axis.tap_slice(s)]


# convolution with groups ------------------------------------------------------------------------
def _grouped_rows(conv_plan, itemsize: int) -> int:
    spec = conv_plan.spec
    kh, kw = spec.kernel_size
    per_row = spec.batch * spec.in_channels * kh * kw * conv_plan.output_size[1] * itemsize
    return max(1, min(conv_plan.output_size[0], SCRATCH_BUDGET // max(per_row, 1)))


def grouped_gemm(x, w, conv_plan) -> np.ndarray:
    spec = conv_plan.spec
    n, k, ho, wo = conv_plan.output_shape
    g, c = spec.groups, spec.in_channels
    kh, kw = spec.kernel_size
    xp = strategies.padded_copy(x, conv_plan)
    weights = w.reshape(g, k // g, (c // g) * kh * kw)
    y = np.empty((g, k // g, n, ho, wo), dtype=x.dtype)
    band = _grouped_rows(conv_plan, x.dtype.itemsize)
    for first in range(0, ho, band):
        rows = range(first, min(first + band, ho))
        cells = np.empty((c, kh, kw, n, len(rows), wo), dtype=x.dtype)
        for r in range(kh):
            for s in range(kw):
                cells[:, r, s] = _tap_view(xp, conv_plan, r, s, rows).transpose(1, 0, 2, 3)
        product = np.matmul(weights, cells.reshape(g, (c // g) * kh * kw, n * len(rows) * wo))
        y[:, :, :, rows.start:rows.stop] = product.reshape(g, k // g, n, len(rows), wo)
    return np.ascontiguousarray(y.reshape(k, n, ho, wo).transpose(1, 0, 2, 3))


def _group_plan(conv_plan):
    """One group's convolution: C/g inputs to K/g outputs, the same geometry."""
    from ..core import plan

    spec = conv_plan.spec
    g = spec.groups
    return plan(spec.replace(input_shape=(spec.batch, spec.in_channels // g, *spec.input_size),
                             out_channels=spec.out_channels // g, groups=1))


def per_group(x, w, conv_plan, backend=None) -> np.ndarray:
    spec = conv_plan.spec
    g = spec.groups
    group_in, group_out = spec.in_channels // g, spec.out_channels // g
    group_plan = _group_plan(conv_plan)
    algorithm = backend.choose_algorithm(group_plan, x.dtype)
    y = np.empty(conv_plan.output_shape, dtype=x.dtype)
    for group in range(g):
        y[:, group * group_out:(group + 1) * group_out] = backend.convolve(
            x[:, group * group_in:(group + 1) * group_in], w[group * group_out:(group + 1) * group_out],
            group_plan, algorithm=algorithm)
    return y


DEPTHWISE_CHUNK_BYTES = 256 * 2**10
"""Bytes of padded input per chunk of ``depthwise-taps``: each of its kh·kw multiply-adds passes
over the chunk's planes, so the chunk, its total and one tap's product should stay in the core's
cache between taps. Measured (one thread, CPU time, 32 KiB to 1 MiB chunks): 256 KiB was the
best or within 5 % of it on 1×64×56×56 (3×3), 8×32×112×112 (3×3) and 1×32×64×64 → 64 (5×5,
reflect); 1 MiB took 1.3–2.4× as long, 32 KiB 1.7–2.2×. Before the chunks (every tap over
the whole layer at once) the same layers took 1.4–1.8× as long as now."""


def _flat_taps(conv_plan) -> bool:
    spec = conv_plan.spec
    return spec.stride == (1, 1) and spec.out_channels == spec.in_channels


DEPTHWISE_WINDOWS_BYTES = 2**20
"""Bytes of the stacked tap slices of a chunk in ``depthwise-taps``' flat path (stride 1, one
output per input channel): copied, then read once by the matmul, so they should stay in cache.
Measured on 1×64×56×56, 3×3, one thread, CPU time: 1 MiB 0.61 ms a call, 512 KiB 0.67,
2 MiB 0.73, 256 KiB 0.97."""


def _depthwise_chunk(conv_plan, itemsize: int) -> int:
    """Planes (image, channel) per chunk of ``depthwise-taps``: about `DEPTHWISE_WINDOWS_BYTES`
    of stacked tap slices in the flat path, else about `DEPTHWISE_CHUNK_BYTES` of padded input."""
    hp, wp = conv_plan.padded_shape
    if _flat_taps(conv_plan):
        taps = conv_plan.spec.kernel_size[0] * conv_plan.spec.kernel_size[1]
        return max(1, DEPTHWISE_WINDOWS_BYTES // (taps * conv_plan.output_size[0] * wp * itemsize))
    return max(1, DEPTHWISE_CHUNK_BYTES // ((hp + 1) * wp * itemsize))


def depthwise_taps(x, w, conv_plan, backend=None) -> np.ndarray:
    """Groups of one input channel: output channel c·m + j reads input channel c with weight
    w[c·m + j]. Every (image, channel) plane is a convolution of its own, so the planes are
    taken a cache-sized chunk at a time (`_depthwise_chunk`), the chunks split over the
    backend's threads, and each chunk is padded in place into a small buffer. At stride 1 with
    one output per input channel each padded plane is one flat row (+ a row of slack) and every
    tap one contiguous slice starting at r·dh·Wp + s·dw (the products past each output row's end
    are dropped): the kh·kw slices of a plane are stacked into a (kh·kw, Ho·Wp) matrix and one
    batched matmul by each plane's weights sums them (NumPy cannot fuse a multiply and an add:
    on 1×64×56×56, 3×3, one thread, the stacking and matmul took 0.30 ms where a multiply and an
    add per tap took 0.39 ms; the whole call, with the padding and the copy out, 0.56 ms against
    0.57–0.66 ms). Otherwise each tap is one broadcast multiply and one add over the chunk's
    strided views."""
    spec = conv_plan.spec
    n, k, ho, wo = conv_plan.output_shape
    c = spec.in_channels
    multiplier = k // c
    hp, wp = conv_plan.padded_shape
    taps = spec.kernel_size[0] * spec.kernel_size[1]
    planes = x.reshape(1, n * c, *spec.input_size)
    weights = np.tile(w.reshape(c, multiplier, taps), (n, 1, 1))
    y = np.empty((n * c, multiplier, ho, wo), dtype=x.dtype)
    chunk = _depthwise_chunk(conv_plan, x.dtype.itemsize)
    flat = _flat_taps(conv_plan)
    rows, cols = conv_plan.axes

    shape = (multiplier, ho * wp) if flat else (multiplier, ho, wo)

    scratch = backend.scratch if backend is not None else strategies.Scratch()

    def work(part: slice) -> None:  # its buffers: the running thread's own, kept between calls
        size = min(chunk, part.stop - part.start)
        padded = scratch.get("depthwise padded", (size, (hp + 1) * wp), x.dtype)
        padded[:, hp * wp:] = 0
        total = scratch.get("depthwise total", (size, *shape), x.dtype)
        if flat:
            stacked = scratch.get("depthwise windows", (size, taps, ho * wp), x.dtype)
        else:
            product = scratch.get("depthwise product", (size, *shape), x.dtype)
        for first in range(part.start, part.stop, chunk):
            count = min(chunk, part.stop - first)
            grid = padded[:count, :hp * wp].reshape(count, hp, wp)
            strategies.fill_padded(grid[None], planes[:, first:first + count], conv_plan)
            if flat:
                for tap, (r, s) in enumerate(np.ndindex(*spec.kernel_size)):
                    start = r * rows.dilation * wp + s * cols.dilation
                    stacked[:count, tap] = padded[:count, start:start + ho * wp]
                np.matmul(weights[first:first + count], stacked[:count], out=total[:count])
            for tap, (r, s) in enumerate(np.ndindex(*spec.kernel_size)) if not flat else ():
                view = grid[:, None, rows.tap_slice(r), cols.tap_slice(s)]
                scale = weights[first:first + count, :, tap, None, None]
                np.multiply(view, scale, out=total[:count] if tap == 0 else product[:count])
                if tap:
                    total[:count] += product[:count]
            result = total[:count].reshape(count, multiplier, ho, wp)[..., :wo] if flat else total[:count]
            np.copyto(y[first:first + count], result)

    threads = backend.splitting() if backend is not None else SERIAL
    threads.run(work, n * c, x.size * x.itemsize)
    return y.reshape(n, k, ho, wo)


# transposed convolution ------------------------------------------------------------------------
def _transposed_full(conv_plan) -> tuple[int, int]:
    """Rows and columns of the uncropped scatter: every tap of every input cell, and the output
    padding past it."""
    return tuple(max((axis.size - 1) * axis.upsample + axis.reach, axis.padding + axis.output_size)
                 for axis in conv_plan.axes)


def col2im(x, w, conv_plan) -> np.ndarray:
    spec = conv_plan.spec
    n, k, ho, wo = conv_plan.output_shape
    g, c = spec.groups, spec.in_channels
    h, width = spec.input_size
    kh, kw = spec.kernel_size
    rows, cols = conv_plan.axes
    inputs = x.transpose(1, 0, 2, 3).reshape(g, c // g, n * h * width)
    weights = w.reshape(g, c // g, (k // g) * kh * kw).transpose(0, 2, 1)
    planes = np.matmul(weights, inputs).reshape(g, k // g, kh, kw, n, h, width)
    full_h, full_w = _transposed_full(conv_plan)
    y = np.zeros((g, k // g, n, full_h, full_w), dtype=x.dtype)
    for r in range(kh):
        top = r * rows.dilation
        row_slice = slice(top, top + (h - 1) * rows.upsample + 1, rows.upsample)
        for s in range(kw):
            left = s * cols.dilation
            y[..., row_slice, left:left + (width - 1) * cols.upsample + 1:cols.upsample] += planes[:, :, r, s]
    cropped = y[..., rows.padding:rows.padding + ho, cols.padding:cols.padding + wo]
    return np.ascontiguousarray(cropped.reshape(k, n, ho, wo).transpose(1, 0, 2, 3))


# pooling -----------------------------------------------------------------------------------------
def window_taps(x, w, conv_plan) -> np.ndarray:
    spec = conv_plan.spec
    maximum = spec.operation == "max_pool"
    xp = strategies.padded_copy(x, conv_plan, -np.inf if maximum else 0.0)
    kh, kw = spec.kernel_size
    y = np.array(_tap_view(xp, conv_plan, 0, 0), copy=True)
    combine = np.maximum if maximum else np.add
    for r in range(kh):
        for s in range(kw):
            if r or s:
                combine(y, _tap_view(xp, conv_plan, r, s), out=y)
    if not maximum:
        rows, cols = conv_plan.axes
        which = 0 if spec.count_include_pad else 1
        divisor = np.outer(rows.divisors[which], cols.divisors[which]).astype(x.dtype)
        y /= divisor
    return y


STRATEGIES = {"grouped-gemm": grouped_gemm, "per-group": per_group, "depthwise-taps": depthwise_taps,
              "col2im": col2im, "window-taps": window_taps}
NEEDS_BACKEND = ("per-group", "depthwise-taps")
"""Strategies called with backend= (to run its convolution strategies, or split over its threads)."""


def _output_bytes(conv_plan, itemsize: int) -> int:
    return int(np.prod(conv_plan.output_shape, dtype=np.int64)) * itemsize


def _grouped_scratch(backend, conv_plan, itemsize: int) -> dict[str, int]:
    spec = conv_plan.spec
    kh, kw = spec.kernel_size
    band = _grouped_rows(conv_plan, itemsize)
    cells = spec.batch * spec.in_channels * kh * kw * band * conv_plan.output_size[1] * itemsize
    return {"padded input": strategies.padded_scratch(conv_plan, itemsize), "gathered windows": cells,
            "band product": spec.batch * spec.out_channels * band * conv_plan.output_size[1] * itemsize,
            "output by group": _output_bytes(conv_plan, itemsize)}


def _per_group_scratch(backend, conv_plan, itemsize: int) -> dict[str, int]:
    group_plan = _group_plan(conv_plan)
    algorithm = backend.choose_algorithm(group_plan, np.float64 if itemsize == 8 else np.float32)
    parts = backend.memory_estimate(group_plan, np.float64 if itemsize == 8 else np.float32, algorithm).parts
    # one group's convolution at a time: its own scratch and output (its input is a view)
    return {"one group's convolution": sum(size for name, size in parts.items() if name not in ("input", "weights"))}


def _depthwise_scratch(backend, conv_plan, itemsize: int) -> dict[str, int]:
    """Per thread: one chunk of padded planes, its total, and its stacked tap slices (flat) or
    one tap's product."""
    spec = conv_plan.spec
    hp, wp = conv_plan.padded_shape
    ho, wo = conv_plan.output_size
    length = ho * wp if _flat_taps(conv_plan) else ho * wo
    chunk = min(_depthwise_chunk(conv_plan, itemsize), spec.batch * spec.in_channels)
    multiplier = spec.out_channels // spec.in_channels
    taps = spec.kernel_size[0] * spec.kernel_size[1]
    last = taps * length if _flat_taps(conv_plan) else multiplier * length
    per_thread = chunk * ((hp + 1) * wp + multiplier * length + last) * itemsize
    return {"padded chunks, totals, tap slices or products (per thread)": backend.thread_count() * per_thread,
            "weights per plane": spec.batch * spec.out_channels * spec.kernel_size[0] * spec.kernel_size[1] * itemsize,
            "ufunc buffers": backend.thread_count() * strategies.UFUNC_BUFFER_BYTES}


def _col2im_scratch(backend, conv_plan, itemsize: int) -> dict[str, int]:
    spec = conv_plan.spec
    n, k = spec.batch, spec.out_channels
    h, width = spec.input_size
    full_h, full_w = _transposed_full(conv_plan)
    return {"input by group": n * spec.in_channels * h * width * itemsize,
            "weighted kernels": n * k * spec.kernel_size[0] * spec.kernel_size[1] * h * width * itemsize,
            "uncropped output": n * k * full_h * full_w * itemsize}


def _window_scratch(backend, conv_plan, itemsize: int) -> dict[str, int]:
    return {"padded input": strategies.padded_scratch(conv_plan, itemsize)}


grouped_gemm.scratch = _grouped_scratch
per_group.scratch = _per_group_scratch
depthwise_taps.scratch = _depthwise_scratch
col2im.scratch = _col2im_scratch
window_taps.scratch = _window_scratch
"""Each strategy's scratch(backend, conv_plan, itemsize) -> {part: bytes} it allocates beyond its input,
weights and output: the NumPy backend's convention (numpy_backend.declares_scratch)."""
