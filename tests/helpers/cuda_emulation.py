"""Build a kernel variant with g++ under tests/emulation/cuda_shim.h and run it through ctypes.

The kernel text, its -D options and the launch grid all come from
convviz.backends.cuda_kernels, exactly as the CuPy backend uses them.
"""

from __future__ import annotations

import ctypes
import hashlib
import shutil
import subprocess
from pathlib import Path

import numpy as np

from convviz.backends.cuda_kernels import REDUCE_FUNCTION, KernelVariant, Launch, kernel_arguments, kernel_source

EMULATION_DIR = Path(__file__).resolve().parent / "emulation"
SHIM = EMULATION_DIR / "cuda_shim.h"
HARNESS = EMULATION_DIR / "harness.cpp"


def compiler() -> str | None:
    return shutil.which("g++")


FLAGS = ("-std=c++20", "-O0", "-fPIC", "-pthread", "-w")


def precompile_shim(directory: Path) -> Path:
    """The shim header beside its precompiled form in `directory` (halves each variant's build).

    g++ falls back to the plain header by itself if the precompiled one cannot be used.
    """
    if compiler() is None:
        return SHIM
    header = directory / SHIM.name
    shutil.copyfile(SHIM, header)
    command = [compiler() or "g++", *FLAGS, "-x", "c++-header", str(header), "-o", f"{header}.gch"]
    subprocess.run(command, capture_output=True, text=True, timeout=300)
    return header


def build(variant: KernelVariant, directory: Path, shim: Path = SHIM) -> tuple[Path, Path | None]:
    """Compile `variant` into shared libraries in `directory`: its kernel, and for a split-K GEMM
    the reduction that sums the shares (else None)."""
    source = kernel_source(variant.algorithm)
    main = build_source(source, variant.options(), variant.function_name, directory, shim)
    if variant.split_k == 1:
        return main, None
    return main, build_source(source, variant.options(), REDUCE_FUNCTION, directory, shim)


def build_source(source: str, options, function_name: str, directory: Path, shim: Path = SHIM) -> Path:
    """Compile kernel `function_name` of `source` with NVRTC-style `options` (only -D are used)."""
    defines = [option for option in options if option.startswith("-D")]
    name = hashlib.sha1(repr((source, defines, function_name)).encode()).hexdigest()[:16]
    source_path = directory / f"{name}.cu"
    source_path.write_text(source, encoding="utf-8")
    library = directory / f"{name}.so"
    command = [
        compiler() or "g++", *FLAGS, "-shared", "-x", "c++", "-include", str(shim),
        f'-DCONV_SOURCE="{source_path}"', f"-DKERNEL_FUNCTION={function_name}",
        *defines, str(HARNESS), "-o", str(library),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"g++ failed for {function_name} {' '.join(defines)}:\n{result.stderr}")
    return library


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
