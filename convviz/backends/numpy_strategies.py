"""The NumPy backend's convolution strategies, and the scratch bytes each needs.

Every strategy spends its time in one BLAS matrix product per block; what
differs is how the operands are laid out, because on the CPU moving data costs
more than the multiply-adds (see BENCHMARKS.md). Each takes the input and
weights already checked (same dtype, C-contiguous weights), the plan, a
`Scratch` for reusable work arrays and a block size in bytes, and returns a new
(N, K, Ho, Wo) array that shares no memory with the scratch.

Each strategy has a `*_scratch` function next to it: the work arrays it allocates,
{part: bytes}, which the backend declares (`numpy_backend.declares_scratch`).

`threads` (`numpy_threads.Threads`) splits the strategy's copies and adds over as many
threads as the BLAS computes its matmuls with; the pieces write disjoint parts of arrays
allocated before the split, so they allocate nothing but their own ufunc buffers.
"""

from __future__ import annotations

import math
import threading

import numpy as np

from .numpy_threads import SERIAL, Threads

SCRATCH_KEEP_BYTES = 64 * 2**20
"""Scratch buffers are kept between calls (per thread) up to this many bytes in all: a fresh
multi-megabyte buffer can cost a page fault per 4 KiB on first touch (measured: 8×64×56×56
took 21 ms with fresh work arrays, 16 ms with reused ones); beyond it they are freed after
the call, so an idle backend holds at most this much."""

UFUNC_BUFFER_BYTES = 3 * np.getbufsize() * 8
"""What NumPy's ufunc loops may allocate for their buffers (up to `np.getbufsize()` elements
per operand, three operands, 8-byte items): an add between strided views allocates 64 KiB.
Per thread: each thread's ufunc calls have their own."""


class Scratch(threading.local):
    """Reusable work arrays, one set per thread, so a shared backend stays thread-safe."""

    def __init__(self):
        self.buffers = {}

    def get(self, name: str, shape, dtype) -> np.ndarray:
        dtype = np.dtype(dtype)
        count = math.prod(shape)
        held = self.buffers.get((name, dtype))
        if held is not None and held.size >= count:
            return held[:count].reshape(shape)
        if held is not None:
            del self.buffers[(name, dtype)]
        array = np.empty(count, dtype=dtype)
        if sum(kept.nbytes for kept in self.buffers.values()) + array.nbytes <= SCRATCH_KEEP_BYTES:
            self.buffers[(name, dtype)] = array
        return array.reshape(shape)


def strided(base: np.ndarray, offset: int, shape, strides) -> np.ndarray:
    """A read-only view of C-contiguous `base` from element `offset`, strides in elements
    (np.lib.stride_tricks.as_strided does the same, ten times slower per call)."""
    size = base.itemsize
    view = np.ndarray(shape, base.dtype, buffer=base, offset=offset * size, strides=[step * size for step in strides])
    view.flags.writeable = False
    return view


# padding ------------------------------------------------------------------------------------
def fill_padded(target: np.ndarray, x: np.ndarray, conv_plan, threads: Threads = SERIAL,
                value: float = 0.0) -> np.ndarray:
    """Write `x` and its padding into `target` (N, C, Hp, Wp, any strides), in place, the
    channels split over `threads`; zero padding is `value` (−∞ for max pooling).

    Only the borders are computed: rows first (from the input), then whole
    columns (from the padded rows), through each axis' `source` map, so every
    mode (zeros, reflect, replicate, circular) takes the same few copies."""
    threads.run(lambda part: _fill_padded(target[:, part], x[:, part], conv_plan, value),
                      x.shape[1], target.size * target.itemsize)
    return target


def _fill_padded(target: np.ndarray, x: np.ndarray, conv_plan, value: float = 0.0) -> np.ndarray:
    top, bottom, left, right = conv_plan.pads
    height, width = x.shape[2:]
    target[:, :, top:top + height, left:left + width] = x
    if not any(conv_plan.pads):
        return target
    rows, cols = conv_plan.axes
    if conv_plan.spec.padding_mode == "zeros":
        target[:, :, :top] = value
        target[:, :, top + height:] = value
        target[:, :, top:top + height, :left] = value
        target[:, :, top:top + height, left + width:] = value
        return target
    if top:
        target[:, :, :top, left:left + width] = x[:, :, rows.source[:top]]
    if bottom:
        target[:, :, top + height:, left:left + width] = x[:, :, rows.source[top + height:]]
    if left:
        target[:, :, :, :left] = target[:, :, :, cols.source[:left] + left]
    if right:
        target[:, :, :, left + width:] = target[:, :, :, cols.source[left + width:] + left]
    return target


def padded_input(x: np.ndarray, conv_plan, scratch: Scratch, threads: Threads = SERIAL) -> np.ndarray:
    """x itself when there is no padding, else its padded copy (N, C, Hp, Wp) in scratch."""
    if not any(conv_plan.pads):
        return x
    n, c = x.shape[:2]
    target = scratch.get("padded", (n, c, *conv_plan.padded_shape), x.dtype)
    return fill_padded(target, x, conv_plan, threads)


def padded_copy(x: np.ndarray, conv_plan, value: float = 0.0) -> np.ndarray:
    """x itself when there is no padding, else a new padded array (N, C, Hp, Wp) that the
    caller keeps (the operators' strategies); zero padding is `value`."""
    if not any(conv_plan.pads):
        return x
    target = np.empty((*x.shape[:2], *conv_plan.padded_shape), dtype=x.dtype)
    return fill_padded(target, x, conv_plan, value=value)


def padded_scratch(conv_plan, itemsize: int) -> int:
    if not any(conv_plan.pads):
        return 0
    spec = conv_plan.spec
    return math.prod((spec.batch, spec.in_channels, *conv_plan.padded_shape)) * itemsize


# pointwise ----------------------------------------------------------------------------------
def pointwise(x, w, conv_plan, scratch, block_bytes) -> np.ndarray:
    """1×1, stride 1, no padding: y[n] = W (K×C) · x[n] (C×HW), one matmul per image straight
    into the output; nothing is copied (unless the input is a strided view)."""
    n, c, height, width = x.shape
    k = w.shape[0]
    y = np.empty((n, k, height, width), dtype=x.dtype)
    np.matmul(w.reshape(k, c), np.ascontiguousarray(x).reshape(n, c, height * width),
              out=y.reshape(n, k, height * width))
    return y


def pointwise_scratch(conv_plan, itemsize, block_bytes) -> dict[str, int]:
    return {}


# im2col -------------------------------------------------------------------------------------
FOLD_POSITIONS = 1024
"""Below this many output positions per image, im2col folds the images of a block into one
matmul (N·Ho·Wo columns) rather than one matmul per image: a 512×4608 by 4608×49 product runs
at about 100 GFLOP/s on one core, 512×4608 by 4608×392 at about 170."""


class _Windows:
    """Copies the windows of a block of output rows into an im2col matrix, in (c, r, s) order,
    the order of the weights' own layout, so the weights need no copy.

    At column stride 1 one strided copy does it (each window row is a contiguous run). At a
    larger column stride that copy would gather single elements, so the padded input is first
    split into its column phases (columns b, b+sw, ...; a contiguous copy each) and then
    one copy per kernel column s reads phase (s·dw) mod sw, whose rows are contiguous again.
    Both copies are split over `threads`: the phases by channel, the windows by channel or
    by output row, whichever has more (a 3-channel stem has rows, a 512-channel 7×7 layer
    channels)."""

    def __init__(self, xp: np.ndarray, conv_plan, scratch: Scratch, threads: Threads = SERIAL):
        self.rows, self.cols = conv_plan.axes
        self.kh, self.kw = self.rows.kernel, self.cols.kernel
        self.threads = threads
        sw = self.cols.stride
        if sw == 1:
            self.phases = {0: xp}
            return
        needed = sorted({offset % sw for offset in self.cols.tap_offsets.tolist()})
        wq = -(-xp.shape[3] // sw)
        store = scratch.get("phases", (len(needed), *xp.shape[:3], wq), xp.dtype)
        self.phases = {phase: store[index] for index, phase in enumerate(needed)}

        def split(channels: slice) -> None:
            for index, phase in enumerate(needed):
                part = xp[:, channels, :, phase::sw]
                store[index, :, channels, :, :part.shape[3]] = part

        threads.run(split, xp.shape[1], store.size * store.itemsize)

    def fill(self, target: np.ndarray, images: slice, first_row: int, rows: int, first_col: int, cols: int) -> None:
        """target: (images, C, kh, kw, rows, cols), any strides: the windows of output rows
        first_row.. and columns first_col.., split over the threads."""
        channels = target.shape[1]
        nbytes = target.size * target.itemsize
        if channels >= rows:
            self.threads.run(lambda part: self._fill(target[:, part], images, part, first_row, rows, first_col, cols),
                             channels, nbytes)
        else:
            self.threads.run(lambda part: self._fill(target[..., part, :], images, slice(None), first_row + part.start,
                                                     part.stop - part.start, first_col, cols), rows, nbytes)

    def _fill(self, target, images: slice, channels: slice, first_row: int, rows: int, first_col: int, cols: int):
        sh, dh = self.rows.stride, self.rows.dilation
        sw, dw = self.cols.stride, self.cols.dilation
        for s in range(self.kw if sw > 1 else 1):
            shift, phase = divmod(s * dw, sw)
            corner = (images, channels, slice(first_row * sh, None), slice(first_col + shift, None))
            if sw == 1:
                axes = [(self.kh, (dh, 0)), (self.kw, (0, dw)), (rows, (sh, 0)), (cols, (0, 1))]
                np.copyto(target, _windows_view(self.phases[0], corner, axes))
            else:
                axes = [(self.kh, (dh, 0)), (rows, (sh, 0)), (cols, (0, 1))]
                np.copyto(target[:, :, :, s], _windows_view(self.phases[phase], corner, axes))


def _windows_view(source: np.ndarray, corner: tuple[slice, ...], axes) -> np.ndarray:
    """The read-only view of source[corner] as (images, channels, *axes): each axis a
    (length, (rows, columns) it steps by). A C-contiguous source (a padded copy or a phase)
    gets `strided`, as_strided without its 10 µs per call (a blocked im2col makes kw views
    per block); the caller's own unpadded input, which may have any strides, gets as_strided."""
    contiguous = source.flags.c_contiguous
    if contiguous:  # steps in elements, from the start of the source's own buffer
        steps = [step // source.itemsize for step in source.strides]
        ranges = [range(*edge.indices(length)) for edge, length in zip(corner, source.shape)]
        start = sum(axis.start * step for axis, step in zip(ranges, steps))
        counts = (len(ranges[0]), len(ranges[1]))
    else:  # steps in bytes, from the corner
        source = source[corner]
        steps, counts = source.strides, source.shape[:2]
    image_step, channel_step, row_step, col_step = steps
    shape = (*counts, *(length for length, _ in axes))
    strides = (image_step, channel_step, *(r * row_step + c * col_step for _, (r, c) in axes))
    if contiguous:
        return strided(source, start, shape, strides)
    return np.lib.stride_tricks.as_strided(source, shape=shape, strides=strides, writeable=False)


def _phases_scratch(conv_plan, itemsize: int) -> int:
    cols = conv_plan.axes[1]
    if cols.stride == 1:
        return 0
    needed = len({offset % cols.stride for offset in cols.tap_offsets.tolist()})
    spec = conv_plan.spec
    wq = -(-conv_plan.padded_shape[1] // cols.stride)
    return needed * spec.batch * spec.in_channels * conv_plan.padded_shape[0] * wq * itemsize


def im2col_blocks(conv_plan, itemsize: int, block_bytes: int | None) -> tuple[int, int, int]:
    """(images, output rows, output columns) per block, so one block's column matrix stays
    under `block_bytes` (None: the whole batch at once): whole images while they fit, else
    whole rows of one image, else part of one row (at least one position)."""
    spec = conv_plan.spec
    ho, wo = conv_plan.output_size
    if block_bytes is None:
        return spec.batch, ho, wo
    per_position = spec.in_channels * spec.kernel_size[0] * spec.kernel_size[1] * itemsize
    positions = max(1, block_bytes // max(per_position, 1))
    if positions >= ho * wo:
        return max(1, min(spec.batch, positions // max(ho * wo, 1))), ho, wo
    if positions >= wo:
        return 1, positions // wo, wo
    return 1, 1, positions


def im2col(x, w, conv_plan, scratch, block_bytes, threads: Threads = SERIAL) -> np.ndarray:
    """Windows copied into a (C·kh·kw, positions) matrix (`_Windows`), then one matmul by the
    weights as they lie (K, C·kh·kw). Whole images and bands of whole rows go straight into
    the output (small images folded into one matmul, whose product is then reordered); part
    of a row (when one row's matrix is over `block_bytes`) goes through a small buffer. Any
    stride, dilation and padding; the copies split over `threads`."""
    n, k, ho, wo = conv_plan.output_shape
    xp = padded_input(x, conv_plan, scratch, threads)
    windows = _Windows(xp, conv_plan, scratch, threads)
    c = xp.shape[1]
    kh, kw = conv_plan.spec.kernel_size
    depth = c * kh * kw
    w2d = w.reshape(k, depth)
    y = np.empty((n, k, ho, wo), dtype=x.dtype)
    images, rows, cols = im2col_blocks(conv_plan, x.dtype.itemsize, block_bytes)
    if rows == ho and images > 1 and ho * wo < FOLD_POSITIONS:
        # small images: the batch folded into one matmul's columns, then the product reordered
        for first in range(0, n, images):
            count = min(images, n - first)
            matrix = scratch.get("cols", (c, kh, kw, count, ho, wo), x.dtype)
            windows.fill(matrix.transpose(3, 0, 1, 2, 4, 5), slice(first, first + count), 0, ho, 0, wo)
            product = scratch.get("product", (k, count, ho, wo), x.dtype)
            np.matmul(w2d, matrix.reshape(depth, count * ho * wo), out=product.reshape(k, count * ho * wo))
            target = y[first:first + count]
            threads.run(lambda part, target=target, product=product: np.copyto(
                target[:, part], product[part].transpose(1, 0, 2, 3)), k, product.size * product.itemsize)
        return y
    if rows == ho:
        for first in range(0, n, images):
            count = min(images, n - first)
            matrix = scratch.get("cols", (count, c, kh, kw, ho, wo), x.dtype)
            windows.fill(matrix, slice(first, first + count), 0, ho, 0, wo)
            np.matmul(w2d, matrix.reshape(count, depth, ho * wo), out=y[first:first + count].reshape(count, k, ho * wo))
        return y
    for item in range(n):
        for top in range(0, ho, rows):
            height = min(rows, ho - top)
            for left in range(0, wo, cols):
                width = min(cols, wo - left)
                matrix = scratch.get("cols", (1, c, kh, kw, height, width), x.dtype)
                windows.fill(matrix, slice(item, item + 1), top, height, left, width)
                if width == wo:  # whole rows: straight into the output (rows of K·Ho·Wo apart)
                    np.matmul(w2d, matrix.reshape(depth, height * wo),
                              out=y[item, :, top:top + height].reshape(k, height * wo))
                    continue
                product = scratch.get("product", (k, height * width), x.dtype)
                np.matmul(w2d, matrix.reshape(depth, height * width), out=product)
                y[item, :, top:top + height, left:left + width] = product.reshape(k, height, width)
    return y


def im2col_scratch(conv_plan, itemsize, block_bytes) -> dict[str, int]:
    spec = conv_plan.spec
    images, rows, cols = im2col_blocks(conv_plan, itemsize, block_bytes)
    ho, wo = conv_plan.output_size
    folded = rows == ho and images > 1 and ho * wo < FOLD_POSITIONS
    product = images * ho * wo if folded else (rows * cols if cols < wo else 0)
    return {"padded input": padded_scratch(conv_plan, itemsize),
            "column phases": _phases_scratch(conv_plan, itemsize),
            "im2col matrix": images * spec.in_channels * spec.kernel_size[0] * spec.kernel_size[1] * rows * cols
            * itemsize,
            "block product": spec.out_channels * product * itemsize}


# shifted ------------------------------------------------------------------------------------
class _ShiftedGeometry:
    """The padded input channel-major and flat, (C, N·Hp·Wp + tail): output (n, i, j) sits at
    flat position n·Hp·Wp + i·Wp + j and its tap (r, s) reads that position plus r·dh·Wp + s·dw
    (stride 1). Columns j ≥ Wo and rows i ≥ Ho of each image are computed and dropped."""

    def __init__(self, conv_plan, itemsize: int, block_bytes: int):
        spec = conv_plan.spec
        self.hp, self.wp = conv_plan.padded_shape
        self.ho, self.wo = conv_plan.output_size
        self.kh, self.kw = spec.kernel_size
        self.dh, self.dw = spec.dilation
        self.n, self.c, self.k = spec.batch, spec.in_channels, spec.out_channels
        self.image = self.hp * self.wp
        self.tail = (self.kw - 1) * self.dw
        self.length = self.n * self.image + self.tail
        self.halo = (self.kh - 1) * self.dh  # padded rows a band reads below its last output row
        per_position = (self.kw * self.c + self.kh * self.k) * itemsize
        per_image = per_position * self.image
        if per_image <= block_bytes:
            self.images, self.rows = max(1, min(self.n, block_bytes // per_image)), self.ho
        else:
            self.images = 1
            self.rows = max(1, min(self.ho, block_bytes // (per_position * self.wp) - self.halo))

    def blocks(self):
        """(first image, images, first row, rows, flat start, flat length) per block."""
        if self.rows == self.ho:
            for first in range(0, self.n, self.images):
                count = min(self.images, self.n - first)
                yield first, count, 0, self.ho, first * self.image, count * self.image
            return
        for item in range(self.n):
            for first in range(0, self.ho, self.rows):
                count = min(self.rows, self.ho - first)
                yield item, 1, first, count, item * self.image + first * self.wp, (count + self.halo) * self.wp

    def block_length(self) -> int:
        if self.rows == self.ho:
            return self.images * self.image
        return (self.rows + self.halo) * self.wp

    def scratch_parts(self, itemsize: int) -> dict[str, int]:
        return {"padded input, channel-major": self.c * self.length * itemsize,
                "weights by kernel row": self.k * self.c * self.kh * self.kw * itemsize,
                "shifted copies": self.kw * self.c * self.block_length() * itemsize,
                "products by kernel row": self.kh * self.k * self.block_length() * itemsize}


def shifted(x, w, conv_plan, scratch, block_bytes, threads: Threads = SERIAL) -> np.ndarray:
    """Stride 1: kw column-shifted copies of the flat padded input (kw·C rows), one matmul by
    the weights of all kh kernel rows stacked (kh·K rows), then kh−1 row-shifted adds straight
    into the output. Copies kw× the input instead of im2col's kh·kw×, and makes a squarer
    matmul (kh·K × kw·C) than im2col's K × C·kh·kw — what thin layers with large images need.
    The padding and the copies are split over `threads` by input channel, the adds by output
    channel; the matmul uses BLAS's threads."""
    g = _ShiftedGeometry(conv_plan, x.dtype.itemsize, block_bytes)
    flat = scratch.get("flat-padded", (g.c, g.length), x.dtype)
    body = flat[:, :g.n * g.image].reshape(g.c, g.n, g.hp, g.wp)
    fill_padded(body.transpose(1, 0, 2, 3), x, conv_plan, threads)
    flat[:, g.n * g.image:] = 0
    # (r, k) × (s, c): the one weight copy this strategy makes
    w2d = scratch.get("weights", (g.kh, g.k, g.kw, g.c), x.dtype)
    np.copyto(w2d, w.transpose(2, 0, 3, 1))
    w2d = w2d.reshape(g.kh * g.k, g.kw * g.c)
    y = np.empty((g.n, g.k, g.ho, g.wo), dtype=x.dtype)
    for item, images, first_row, rows, start, length in g.blocks():
        shifted_copies = scratch.get("shifted", (g.kw, g.c, length), x.dtype)

        def copy(channels: slice, start=start, length=length, shifted_copies=shifted_copies) -> None:
            for s in range(g.kw):
                offset = start + s * g.dw
                shifted_copies[s, channels] = flat[channels, offset:offset + length]

        threads.run(copy, g.c, shifted_copies.size * shifted_copies.itemsize)
        products = scratch.get("products", (g.kh, g.k, length), x.dtype)
        np.matmul(w2d, shifted_copies.reshape(g.kw * g.c, length), out=products.reshape(g.kh * g.k, length))
        target = y[item:item + images, :, first_row:first_row + rows]

        def add(outputs: slice, length=length, products=products, target=target, images=images, rows=rows) -> None:
            count = outputs.stop - outputs.start
            views = [strided(products, (r * g.k + outputs.start) * length + r * g.dh * g.wp, (images, count, rows, g.wo),
                             (g.image, length, g.wp, 1)) for r in range(g.kh)]
            part = target[:, outputs]
            if g.kh == 1:
                np.copyto(part, views[0])
                return
            np.add(views[0], views[1], out=part)
            for view in views[2:]:
                part += view

        threads.run(add, g.k, g.kh * target.size * target.itemsize)
    return y


def shifted_scratch(conv_plan, itemsize, block_bytes) -> dict[str, int]:
    return _ShiftedGeometry(conv_plan, itemsize, block_bytes).scratch_parts(itemsize)


# toeplitz -----------------------------------------------------------------------------------
TOEPLITZ_ROWS = 8
"""Output rows per band of the single-channel strategy (see `toeplitz`). Each output costs
2·kw·(rows·sh + reach − sh) multiply-adds in the band matmul against kh·kw useful ones, so fewer
rows waste less, down to where the matmul gets too thin: 8 was the best of 4, 8, 16 and 32
measured (16 took 1.1–1.4× as long, 32 1.4–2×)."""


def _band_matrix(kernel: np.ndarray, rows: int, conv_plan) -> np.ndarray:
    """(kw·rows, rows_in): row s·rows + i holds kernel column s at the padded rows output row i
    reads, i·sh + r·dh — the kernel rows expanded into a band (Toeplitz) matrix."""
    row_axis = conv_plan.axes[0]
    kh, kw = kernel.shape
    rows_in = row_axis.span(rows)
    band = np.zeros((kw, rows, rows_in), dtype=kernel.dtype)
    i = np.arange(rows)
    for r in range(kh):
        band[:, i, i * row_axis.stride + r * row_axis.dilation] = kernel[r][:, None]
    return band.reshape(kw * rows, rows_in)


def _toeplitz_groups(conv_plan, itemsize, block_bytes):
    rows = min(TOEPLITZ_ROWS, conv_plan.output_size[0])
    per_band = conv_plan.spec.kernel_size[1] * rows * conv_plan.padded_shape[1] * itemsize
    return rows, max(1, block_bytes // per_band)


def toeplitz(x, w, conv_plan, scratch, block_bytes) -> np.ndarray:
    """One input and one output channel: the image in bands of `TOEPLITZ_ROWS` output rows; each
    band's padded rows (a view, no copy) are multiplied by a band matrix holding the kernel rows
    at their offsets, giving kw partial images (one per kernel column) that kw−1 column-shifted
    adds sum into the output. A run of bands is one stacked matmul, so OpenBLAS's threads do the
    multiply-adds that a per-tap loop would do on one core."""
    n = x.shape[0]
    ho, wo = conv_plan.output_size
    kh, kw = conv_plan.spec.kernel_size
    row_axis, col_axis = conv_plan.axes
    sh, sw, dw = row_axis.stride, col_axis.stride, col_axis.dilation
    wp = conv_plan.padded_shape[1]
    xp = padded_input(x, conv_plan, scratch)
    if xp.strides[3] != xp.itemsize:
        xp = np.ascontiguousarray(xp)
    y = np.empty((n, 1, ho, wo), dtype=x.dtype)
    rows, group = _toeplitz_groups(conv_plan, x.dtype.itemsize, block_bytes)
    full_band = _band_matrix(w[0, 0], rows, conv_plan)
    span = (wo - 1) * sw + 1
    for item in range(n):
        image = xp[item, 0]
        first = 0
        while first < ho:
            bands = min(group, (ho - first) // rows)
            if bands == 0:  # the last rows, fewer than a band
                count = ho - first
                matrix = np.ascontiguousarray(
                    full_band.reshape(kw, rows, -1)[:, :count, :row_axis.span(count)]).reshape(kw * count, -1)
                source = image[first * sh:first * sh + row_axis.span(count)][None]
                bands, band_rows = 1, count
            else:
                matrix, band_rows = full_band, rows
                source = np.lib.stride_tricks.as_strided(
                    image[first * sh:], shape=(bands, matrix.shape[1], wp),
                    strides=(rows * sh * image.strides[0], image.strides[0], image.strides[1]), writeable=False)
            partial = scratch.get("partial", (bands, kw, band_rows, wp), x.dtype)
            np.matmul(matrix, source, out=partial.reshape(bands, kw * band_rows, wp))
            target = y[item, 0, first:first + bands * band_rows].reshape(bands, band_rows, wo)
            first += bands * band_rows
            if kw == 1:
                np.copyto(target, partial[:, 0, :, 0:span:sw])
                continue
            np.add(partial[:, 0, :, 0:span:sw], partial[:, 1, :, dw:dw + span:sw], out=target)
            for s in range(2, kw):
                target += partial[:, s, :, s * dw:s * dw + span:sw]
    return y


def toeplitz_scratch(conv_plan, itemsize, block_bytes) -> dict[str, int]:
    rows, group = _toeplitz_groups(conv_plan, itemsize, block_bytes)
    kw = conv_plan.spec.kernel_size[1]
    return {"padded input": padded_scratch(conv_plan, itemsize),
            "partial images": group * kw * rows * conv_plan.padded_shape[1] * itemsize,
            "band matrices": 2 * kw * rows * conv_plan.axes[0].span(rows) * itemsize}
