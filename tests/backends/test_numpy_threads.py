"""The NumPy backend's copies and adds split over threads: pieces cover the work exactly, run on
several threads, follow the BLAS thread limit, and leave every result equal to the reference."""

import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from convviz.backends import numpy_threads
from convviz.backends.numpy_backend import NumpyBackend
from convviz.backends.numpy_threads import Threads, pieces
from convviz.core import ConvSpec, plan, reference_conv2d


@pytest.mark.parametrize("count, parts", [(1, 3), (5, 2), (7, 3), (64, 5), (3, 8)])
def test_pieces_cover_the_range_once_and_nearly_evenly(count, parts):
    cut = pieces(count, parts)
    covered = [index for piece in cut for index in range(piece.start, piece.stop)]
    assert covered == list(range(count))
    lengths = [piece.stop - piece.start for piece in cut]
    assert len(cut) == min(count, parts) and min(lengths) >= 1 and max(lengths) - min(lengths) <= 1


def test_work_runs_on_several_threads_and_covers_every_item():
    seen = np.zeros(1000, dtype=int)
    names = set()
    barrier = threading.Barrier(3, timeout=30)

    def work(piece):
        names.add(threading.current_thread().name)
        barrier.wait()  # all three pieces are running at once
        seen[piece] += 1

    Threads(3, min_piece_bytes=1).run(work, 1000, nbytes=4000)
    assert (seen == 1).all() and len(names) == 3


def test_small_work_stays_on_the_calling_thread():
    names = []
    Threads(4).run(lambda piece: names.append(threading.current_thread().name), 64, nbytes=1024)
    assert names == [threading.current_thread().name]
    assert Threads(4).parts(64, 10 * numpy_threads.MIN_PIECE_BYTES) == 4 * numpy_threads.PIECES_PER_THREAD
    assert Threads(1).parts(64, 10**9) == 1


def test_an_error_in_a_piece_reaches_the_caller():
    def work(piece):
        if piece.start > 0:
            raise ValueError(f"piece {piece.start}")

    with pytest.raises(ValueError, match="piece"):
        Threads(2, min_piece_bytes=1).run(work, 10, nbytes=100)


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_the_backend_splits_over_the_blas_threads_only_when_asked(limit):
    with threadpool_limits(limits=limit, user_api="blas"):
        assert NumpyBackend(split_copies=True).thread_count() == limit
        assert NumpyBackend().thread_count() == 1  # measured slower on a quiet machine: off by default
    assert NumpyBackend(threads=5).thread_count() == 5


@pytest.mark.parametrize("spec, algorithm", [
    (ConvSpec(input_shape=(2, 6, 40, 37), out_channels=5, kernel_size=3, padding=1, padding_mode="reflect"), "shifted"),
    (ConvSpec(input_shape=(1, 3, 45, 41), out_channels=4, kernel_size=7, stride=2, padding=3), "im2col-chunked"),
    (ConvSpec(input_shape=(5, 9, 6, 7), out_channels=8, kernel_size=3, padding=1, padding_mode="circular"),
     "im2col-chunked"),
    (ConvSpec(input_shape=(1, 4, 30, 33), out_channels=3, kernel_size=(3, 4), stride=(2, 3), dilation=2,
              padding=(2, 1), padding_mode="replicate"), "im2col"),
], ids=lambda value: value.describe() if isinstance(value, ConvSpec) else value)
@pytest.mark.parametrize("block_bytes", [None, 1500])
def test_split_strategies_match_the_reference(spec, algorithm, block_bytes):
    """Many pieces of uneven sizes (7 threads, no minimum piece), blocks of whole images,
    bands of rows and parts of rows, against the float64 reference."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal(spec.input_shape).astype(np.float32)
    w = rng.standard_normal(spec.weight_shape).astype(np.float32)
    conv_plan = plan(spec)
    expected = reference_conv2d(x.astype(np.float64), w.astype(np.float64), conv_plan)
    backend = NumpyBackend(block_bytes=block_bytes, threads=7, min_piece_bytes=1)
    for _ in range(2):
        result = backend.convolve(x, w, conv_plan, algorithm=algorithm)
        np.testing.assert_allclose(result, expected, rtol=0, atol=1e-4 * max(1.0, np.abs(expected).max()))


@pytest.mark.parametrize("spec", [
    ConvSpec(input_shape=(2, 5, 11, 9), out_channels=5, kernel_size=3, padding=1, groups=5),
    ConvSpec(input_shape=(3, 4, 10, 12), out_channels=8, kernel_size=(3, 2), stride=(2, 1), dilation=(1, 2),
             padding=(2, 1), padding_mode="reflect", groups=4),
    ConvSpec(input_shape=(1, 6, 9, 9), out_channels=6, kernel_size=5, padding="same", padding_mode="circular",
             groups=6),
], ids=lambda spec: spec.describe())
@pytest.mark.parametrize("threads", [1, 3])
def test_depthwise_chunks_and_threads_match_the_reference(spec, threads, monkeypatch):
    """Chunks of one or two planes (so several per image and across images), split over threads."""
    from convviz.backends import numpy_operators

    conv_plan = plan(spec)
    hp, wp = conv_plan.padded_shape
    monkeypatch.setattr(numpy_operators, "DEPTHWISE_CHUNK_BYTES", 2 * (hp + 1) * wp * 8 - 1)
    taps = spec.kernel_size[0] * spec.kernel_size[1]
    monkeypatch.setattr(numpy_operators, "DEPTHWISE_WINDOWS_BYTES", 2 * taps * conv_plan.output_size[0] * wp * 8 - 1)
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal(spec.input_shape), rng.standard_normal(spec.weight_shape)
    backend = NumpyBackend(threads=threads, min_piece_bytes=1)
    result = backend.convolve(x, w, conv_plan, algorithm="depthwise-taps")
    np.testing.assert_allclose(result, reference_conv2d(x, w, conv_plan), rtol=0, atol=1e-12)
    assert numpy_operators._depthwise_chunk(conv_plan, 8) == 1
