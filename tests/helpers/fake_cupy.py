"""A stand-in for the parts of CuPy the GPU backend uses, running kernels under the CPU emulation.

With it the backend's own `convolve` (array handling, argument order, bias, constant-memory
weights, compile cache, the kind of array returned) runs end to end on a machine with no GPU.
"Device" arrays are a NumPy subclass; `empty` fills with NaN so an unwritten output shows.
"""

from __future__ import annotations

import ctypes
import time
from types import SimpleNamespace

import numpy as np

from .cuda_emulation import EmulationBuilds


class ndarray(np.ndarray):  # noqa: N801 - the name CuPy uses
    pass


def _device(array) -> ndarray:
    return np.asarray(array).view(ndarray)


class FakeCupy:
    def __init__(self, builds: EmulationBuilds):
        self.ndarray = ndarray
        self.modules_built = 0
        self.constant_copies = 0
        self.waited_events = 0
        self.device_free = 16 * 2**30
        """What the fake driver reports free, in bytes (tests shrink it)."""
        self.pool = _Pool()
        fake = self

        class Error(RuntimeError):
            pass

        class RawModule:
            def __init__(self, code, options=()):
                self.code, self.options = code, tuple(options)
                self.library = None

            def get_function(self, name):
                fake.modules_built += 1
                self.library = ctypes.CDLL(str(builds.library(self.code, self.options, name)))
                return _Function(self.library)

            def get_global(self, name):
                assert name == "c_weights" and self.library is not None
                return _Constant(self.library, fake)

        class Stream:
            def wait_event(self, event):
                fake.waited_events += 1

            def record(self):
                return object()

        class Event:
            def record(self):
                self.at = time.perf_counter()

            def synchronize(self):
                pass

        class Device:
            id = 0

            def synchronize(self):
                fake.synchronized += 1

        stream = Stream()
        self.synchronized = 0
        self.RawModule = RawModule
        self.cuda = SimpleNamespace(
            Event=Event,
            Device=Device,
            get_elapsed_time=lambda start, end: (end.at - start.at) * 1e3,
            get_current_stream=lambda: stream,
            memory=SimpleNamespace(OutOfMemoryError=type("OutOfMemoryError", (MemoryError,), {})),
            runtime=SimpleNamespace(CUDARuntimeError=Error, memGetInfo=lambda: (fake.device_free, 16 * 2**30),
                                    getDeviceProperties=lambda device: {"name": b"Emulated GPU"}),
            driver=SimpleNamespace(CUDADriverError=Error),
            compiler=SimpleNamespace(CompileException=type("CompileException", (Exception,), {})),
        )

    def get_default_memory_pool(self):
        return self.pool

    @staticmethod
    def asarray(array, dtype=None):
        return _device(np.asarray(array, dtype=dtype))

    @staticmethod
    def ascontiguousarray(array):
        return _device(np.ascontiguousarray(array))

    @staticmethod
    def empty(shape, dtype):
        return _device(np.full(shape, np.nan, dtype=dtype))

    @staticmethod
    def asnumpy(array):
        return np.array(array).view(np.ndarray)


class _Pool:
    """CuPy's memory pool as the backend's guard sees it: bytes held unused, used, and a limit."""

    def __init__(self):
        self.unused, self.used, self.limit = 0, 0, 0

    def free_bytes(self):
        return self.unused

    def used_bytes(self):
        return self.used

    def get_limit(self):
        return self.limit


class _Function:
    def __init__(self, library):
        self._library = library

    def __call__(self, grid, block, arguments):
        converted = []
        for argument in arguments:
            if isinstance(argument, np.ndarray):
                assert argument.flags.c_contiguous
                converted.append(ctypes.c_void_p(argument.ctypes.data))
            else:
                assert isinstance(argument, np.int32), f"kernel integers must be int32, got {type(argument)}"
                converted.append(ctypes.c_int(int(argument)))
        dims = [ctypes.c_uint(value) for value in (*grid, *block)]
        self._library.emu_run(*converted, *dims)


class _Constant:
    def __init__(self, library, fake: FakeCupy):
        self._library, self._fake = library, fake
        self._library.emu_set_constant_weights.argtypes = [ctypes.c_void_p, ctypes.c_longlong]

    def copy_from_device_async(self, source, size, stream=None):
        data = np.frombuffer(source, dtype=np.uint8, count=size)
        assert self._library.emu_set_constant_weights(data.ctypes.data, size) == 0, "weights overflow c_weights"
        self._fake.constant_copies += 1
