"""Build a kernel variant with g++ under tests/helpers/emulation/cuda_shim.h and run it through ctypes.

The kernel text, its -D options and the launch grid all come from
convviz.backends.cuda_kernels, exactly as the CuPy backend uses them.

One `EmulationBuilds` serves the whole test session (the `emulation_builds` fixture): the shim's
runtime is compiled once, and each (kernel source, -D options, function) is built once, whether
the emulation test, the stand-in CuPy or the background thread started when collection ends
(tests/conftest.py) asks for it first.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np

from convviz.backends.cuda_kernels import REDUCE_FUNCTION, KernelVariant, Launch, kernel_arguments, kernel_source

EMULATION_DIR = Path(__file__).resolve().parent / "emulation"
SHIM = EMULATION_DIR / "cuda_shim.h"
RUNTIME = EMULATION_DIR / "runtime.cpp"
HARNESS = EMULATION_DIR / "harness.cpp"


def compiler() -> str | None:
    return shutil.which("g++")


FLAGS = ("-std=c++20", "-O0", "-fPIC", "-pthread", "-w")


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"g++ failed for {what}:\n{result.stderr}")


class EmulationBuilds:
    """Emulated kernels built in one directory, each at most once (thread-safe)."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self._lock = threading.Lock()
        self._builds: dict[str, Future] = {}
        self._background: threading.Thread | None = None
        self._stop = threading.Event()

    def _once(self, key: str, make) -> Path:
        with self._lock:
            future = self._builds.get(key)
            owner = future is None
            if owner:
                future = self._builds[key] = Future()
        if owner:
            try:
                future.set_result(make())
            except BaseException as error:
                future.set_exception(error)
        return future.result()

    def runtime(self) -> Path:
        """The shim's launch machinery, built once into a shared library every kernel library
        links (by absolute path, so the process loads one copy: one team of threads)."""

        def make() -> Path:
            target = self.directory / "libemu_runtime.so"
            _run([compiler() or "g++", *FLAGS, "-shared", str(RUNTIME), "-o", str(target)], "the emulation runtime")
            return target

        return self._once("runtime", make)

    def _source(self, source: str) -> Path:
        digest = hashlib.sha1(source.encode()).hexdigest()[:16]

        def make() -> Path:
            path = self.directory / f"kernel-{digest}.cu"
            path.write_text(source, encoding="utf-8")
            return path

        return self._once(f"source {digest}", make)

    def library(self, source: str, options, function_name: str) -> Path:
        """Kernel `function_name` of `source` built with NVRTC-style `options` (only -D are used)."""
        defines = [option for option in options if option.startswith("-D")]
        name = hashlib.sha1(repr((source, defines, function_name)).encode()).hexdigest()[:16]

        def make() -> Path:
            runtime, source_path = self.runtime(), self._source(source)
            target = self.directory / f"{name}.so"
            _run([compiler() or "g++", *FLAGS, "-shared", "-x", "c++", "-include", str(SHIM),
                  f'-DCONV_SOURCE="{source_path}"', f"-DKERNEL_FUNCTION={function_name}", *defines, str(HARNESS),
                  "-x", "none", str(runtime), "-o", str(target)],
                 f"{function_name} {' '.join(defines)}")
            return target

        return self._once(name, make)

    def variant(self, variant: KernelVariant) -> tuple[Path, Path | None]:
        """`variant`'s kernel library, and for a split-K GEMM the reduction's (else None)."""
        source = kernel_source(variant.algorithm)
        main = self.library(source, variant.options(), variant.function_name)
        if variant.split_k == 1:
            return main, None
        return main, self.library(source, variant.options(), REDUCE_FUNCTION)

    def variants(self, variants) -> list[tuple[Path, Path | None]]:
        """Build `variants` on every core (g++ runs in subprocesses, so threads suffice)."""
        variants = list(variants)
        self.runtime()
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            return list(pool.map(self.variant, variants))

    def build_in_background(self, variants) -> None:
        """Build the runtime and `variants`, one g++ at a time, on a daemon thread (g++ runs in
        its own process: the thread only waits). Whoever asks for one of them meanwhile waits
        for it, or builds it if the thread has not come to it yet."""
        variants = list(variants)

        def run():
            for build in (self.runtime, *(partial(self.variant, variant) for variant in variants)):
                if self._stop.is_set():
                    return
                try:
                    build()
                except Exception:
                    pass  # whoever needs the failed build gets its error

        self._background = threading.Thread(target=run, name="emulation builds", daemon=True)
        self._background.start()

    def close(self) -> None:
        """Stop the background builds (after the one in progress)."""
        self._stop.set()
        if self._background is not None:
            self._background.join(timeout=60)


class EmulatedKernel:
    """One built variant, callable like the backend's launch."""

    def __init__(self, libraries: tuple[Path, Path | None], variant: KernelVariant):
        self.variant = variant
        main, reduce = libraries
        self._library = ctypes.CDLL(str(main))
        self._library.emu_run.restype = None
        self._library.emu_set_constant_weights.restype = ctypes.c_int
        self._library.emu_set_constant_weights.argtypes = [ctypes.c_void_p, ctypes.c_longlong]
        self._reduce = ctypes.CDLL(str(reduce)) if reduce is not None else None

    def run(self, launch: Launch, conv_plan, x, w, bias=None, poison=np.nan) -> np.ndarray:
        assert launch.variant == self.variant
        dtype = np.dtype(self.variant.dtype)
        x = np.ascontiguousarray(x, dtype=dtype)
        w = np.ascontiguousarray(w, dtype=dtype)
        bias_array = w if bias is None else np.ascontiguousarray(bias, dtype=dtype)
        y = np.full(conv_plan.output_shape, poison, dtype=dtype)
        if self.variant.weights_in_constant:
            status = self._library.emu_set_constant_weights(w.ctypes.data, w.nbytes)
            assert status == 0, "weights do not fit the constant buffer"
        integers = [ctypes.c_int(value) for value in (*kernel_arguments(conv_plan), int(bias is not None))]

        def launch_on(library, grid, block, first, last):
            pointers = [ctypes.c_void_p(array.ctypes.data) for array in (first, w, bias_array, last)]
            library.emu_run(*pointers, *integers, *(ctypes.c_uint(value) for value in (*grid, *block)))

        if launch.reduce_grid is None:
            launch_on(self._library, launch.grid, launch.block, x, y)
            return y
        shares = np.full(launch.workspace_elements, poison, dtype=dtype)
        launch_on(self._library, launch.grid, launch.block, x, shares)
        launch_on(self._reduce, launch.reduce_grid, launch.reduce_block, shares, y)
        return y
