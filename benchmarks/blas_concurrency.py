"""Do two threads of one process get two cores' worth of NumPy matmuls? (Why the NumPy backend
does not cut a convolution into a piece per thread.)

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/blas_concurrency.py
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 python benchmarks/blas_concurrency.py

Times `--calls` float32 matmuls of `--size`² (and copies of a `--copy`-element array) three ways:
on one thread with BLAS on one thread; the same on each of two threads at once (twice the work);
and twice the work on one thread with BLAS on two threads. A throughput above 1 means the
second thread added work done per second. Medians of `--repeats`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from convviz.profiling.machine import available_cpus, cpu_model, load_1min  # noqa: E402


def median_ms(work, repeats: int) -> float:
    work()
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1e3


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--copy", type=int, default=16 * 130 * 130, help="elements per copy")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    from threadpoolctl import ThreadpoolController

    blas = ThreadpoolController().select(user_api="blas").lib_controllers[0]
    rng = np.random.default_rng(0)
    operands = [(rng.random((args.size, args.size), dtype=np.float32),
                 rng.random((args.size, args.size), dtype=np.float32)) for _ in range(2)]
    copies = [(rng.random(args.copy + 2, dtype=np.float32), np.empty(args.copy, np.float32)) for _ in range(2)]
    pool = ThreadPoolExecutor(2)

    def matmuls(which: int) -> None:
        a, b = operands[which]
        for _ in range(args.calls):
            a @ b

    def copying(which: int) -> None:
        source, target = copies[which]
        for _ in range(args.calls):
            np.copyto(target, source[1:-1])

    print(f"- machine: {cpu_model()}, {available_cpus()} CPUs; NumPy {np.__version__}, "
          f"{blas.internal_api} {blas.version} ({blas.num_threads} threads at start); load {load_1min()}")
    print("| work | one thread, BLAS 1 | two threads at once, BLAS 1 each | one thread, BLAS 2 | "
          "throughput, two threads | throughput, BLAS 2 |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, work in ((f"{args.calls} matmuls {args.size}²", matmuls), (f"{args.calls} copies of {args.copy}", copying)):
        blas.set_num_threads(1)
        alone = median_ms(lambda work=work: work(0), args.repeats)
        both = median_ms(lambda work=work: list(pool.map(work, range(2))), args.repeats)
        blas.set_num_threads(2)
        wide = median_ms(lambda work=work: (work(0), work(1)), args.repeats)
        print(f"| {name} | {alone:.1f} ms | {both:.1f} ms | {wide:.1f} ms | {2 * alone / both:.2f}× | "
              f"{2 * alone / wide:.2f}× |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
