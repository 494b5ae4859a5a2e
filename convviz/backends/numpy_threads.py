"""The NumPy backend's element-wise work split over threads, as many as NumPy's BLAS uses.

NumPy's matmuls run on every BLAS thread, but its copies and ufuncs run on one core. With
2 BLAS threads a strategy's matmul halved while its padding, its shifted or im2col copies
and its shifted adds did not, so at 2 threads the NumPy backend fell behind PyTorch, which
spreads everything over its threads (BENCHMARKS.md). The strategies therefore split those
copies and adds into pieces (over channels, output channels or rows) that a small pool runs
side by side, one piece per BLAS thread: the thread count chosen for a timing
(threadpoolctl, `profiling.machine.thread_limits`) is then the thread count of the whole
convolution. NumPy releases the GIL inside array copies and ufunc loops, so the pieces
really run in parallel; the matmuls stay with BLAS's own threads.

Measured on a quiet machine the split lost (OpenBLAS's threads spin on the other core for a
while after each matmul, so the pieces wait for a core), and won only under load: the backend
uses it only when asked (`NumpyBackend(split_copies=True)`, or `threads=N`).
"""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

MIN_PIECE_BYTES = 128 * 2**10
"""Smallest piece worth handing to another thread: waking a pool thread and waiting for it
costs some 10–30 µs, about what copying 128 KiB takes."""

_pool: ThreadPoolExecutor | None = None
_pool_workers = 0
_pool_lock = threading.Lock()
_in_pool = threading.local()
_blas = None


def blas_threads() -> int:
    """The threads NumPy's BLAS computes with now (its threadpoolctl limit); 1 when unknown."""
    global _blas
    if _blas is None:
        _blas = _numpy_blas()
    if not _blas:
        return 1
    try:
        return max(1, int(_blas() or 1))
    except Exception:  # a BLAS that cannot say: compute on one thread
        return 1


def _numpy_blas():
    """A call that returns the thread count of the BLAS NumPy itself links (the library under
    numpy's own folder, else the first BLAS), or False without threadpoolctl or a BLAS."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return False
    controllers = ThreadpoolController().select(user_api="blas").lib_controllers
    if not controllers:
        return False
    chosen = next((lib for lib in controllers if "numpy" in (lib.filepath or "")), controllers[0])
    return chosen.get_num_threads


def pieces(count: int, parts: int) -> list[slice]:
    """range(count) cut into at most `parts` contiguous slices of nearly equal length."""
    parts = max(1, min(parts, count))
    edges = [count * index // parts for index in range(parts + 1)]
    return [slice(edges[index], edges[index + 1]) for index in range(parts)]


def _executor(workers: int) -> ThreadPoolExecutor:
    global _pool, _pool_workers
    with _pool_lock:
        if _pool is None or _pool_workers < workers:
            old, _pool, _pool_workers = _pool, ThreadPoolExecutor(
                workers, thread_name_prefix="convviz-numpy", initializer=_mark_pool_thread), workers
            if old is not None:
                old.shutdown(wait=False)
        return _pool


def _mark_pool_thread():
    _in_pool.active = True


PIECES_PER_THREAD = 2
"""Pieces per thread: the threads claim them in turn, so a thread the scheduler starts late (on
a busy machine) finds the work already done by the others rather than making them wait."""


@dataclass(frozen=True)
class Threads:
    """How a strategy splits its element-wise work: over `count` threads, in pieces of at
    least `min_piece_bytes` (tests lower it to split even tiny arrays)."""

    count: int = 1
    min_piece_bytes: int = MIN_PIECE_BYTES

    def parts(self, count: int, nbytes: int) -> int:
        """How many pieces work of `count` items and `nbytes` bytes is cut into."""
        if self.count <= 1 or count <= 1:
            return 1
        return max(1, min(PIECES_PER_THREAD * self.count, count, nbytes // max(self.min_piece_bytes, 1)))

    def run(self, work, count: int, nbytes: int) -> None:
        """work(piece) for each piece of range(count) (`pieces`, as many as `parts` says), the
        pieces claimed in order by the calling thread and up to count − 1 pool threads; returns
        when all are done, raising the first error. Inside a pool thread everything runs there
        (no nesting)."""
        parts = self.parts(count, nbytes)
        if parts == 1 or getattr(_in_pool, "active", False):
            work(slice(0, count))
            return
        cut = pieces(count, parts)
        claims = itertools.count()  # next() on it is atomic under the GIL

        def claim_and_work() -> None:
            for index in iter(claims.__next__, None):
                if index >= len(cut):
                    return
                work(cut[index])

        helpers = min(self.count, parts) - 1
        futures = [_executor(helpers).submit(claim_and_work) for _ in range(helpers)]
        try:
            claim_and_work()
        finally:
            errors = [future.exception() for future in futures]
        for error in errors:
            if error is not None:
                raise error


SERIAL = Threads(1)
"""Everything on the calling thread."""
