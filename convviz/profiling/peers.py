"""Peers: other libraries' convolutions, timed exactly like convviz's own backends.

Each peer has the Backend interface (available, choose_algorithm, convolve,
to_device, to_host, synchronize, timer), declares where it computes (`host`)
and its family (PEER), and says in `supports(plan)` what it cannot do for a
spec (None when it can). A peer is used only when its library is installed;
the profiler checks it against the float64 reference before timing it, like
any backend.
"""

from __future__ import annotations

import importlib.util
import math

import numpy as np

from ..backends.base import PEER, Availability, Backend, Timer
from ..backends.numpy_backend import pad_input

TORCH_PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


class Peer(Backend):
    family = PEER


class TorchPeer(Peer):
    """torch.nn.functional.conv2d; padding that conv2d cannot express goes through F.pad first."""

    thread_pool = "torch"
    """Computes with PyTorch's intra-op threads (torch.set_num_threads), not the BLAS's."""

    def _torch(self):
        import torch

        return torch

    def _arguments(self, conv_plan):
        spec = conv_plan.spec
        top, bottom, left, right = conv_plan.pads
        symmetric = top == bottom and left == right
        if spec.padding_mode == "zeros" and symmetric:
            return None, (top, left)
        return (left, right, top, bottom), (0, 0)

    def _conv(self, x, w, conv_plan, bias=None):
        torch = self._torch()
        functional = torch.nn.functional
        spec = conv_plan.spec
        if spec.operation != "conv":
            return self._operation(functional, x, w, conv_plan, bias)
        explicit, padding = self._arguments(conv_plan)
        if explicit is not None:
            mode = TORCH_PAD_MODES[conv_plan.spec.padding_mode]
            x = functional.pad(x, explicit, mode=mode) if mode != "constant" else functional.pad(x, explicit)
        return functional.conv2d(
            x, w, bias, stride=conv_plan.spec.stride, padding=padding, dilation=conv_plan.spec.dilation,
            groups=conv_plan.spec.groups,
        )

    @staticmethod
    def _operation(functional, x, w, conv_plan, bias):
        """Transposed convolution and pooling, with the spec's own numbers (symmetric padding)."""
        spec = conv_plan.spec
        padding = (conv_plan.rows.padding, conv_plan.cols.padding)
        if spec.operation == "conv_transpose":
            return functional.conv_transpose2d(x, w, bias, spec.stride, padding, spec.output_padding, spec.groups,
                                               spec.dilation)
        if spec.operation == "max_pool":
            return functional.max_pool2d(x, spec.kernel_size, spec.stride, padding, spec.dilation,
                                         ceil_mode=spec.ceil_mode)
        return functional.avg_pool2d(x, spec.kernel_size, spec.stride, padding, ceil_mode=spec.ceil_mode,
                                     count_include_pad=spec.count_include_pad)

    def to_host(self, array):
        return array.detach().cpu().numpy()


class TorchCpuPeer(TorchPeer):
    name = "torch-cpu"
    device = "CPU (PyTorch)"
    host = True

    algorithms = ("conv2d",)
    """PyTorch picks the library per call: oneDNN for most float32 convolutions, ATen's im2col for
    float64 and for small single-threaded 1×1 ones (its `use_mkldnn` rule), so the record names
    the function, not a library it may not have used."""

    def _algorithm(self) -> str:
        return self.algorithms[0]

    def available(self) -> Availability:
        if not _installed("torch"):
            return Availability(False, "PyTorch is not installed (pip install convviz[peers])")
        return Availability(True)

    def choose_algorithm(self, conv_plan, dtype) -> str:
        """The function's own name (conv2d, conv_transpose2d, max_pool2d, avg_pool2d)."""
        operation = conv_plan.spec.operation
        if operation == "conv":
            return self._algorithm()
        return {"conv_transpose": "conv_transpose2d", "max_pool": "max_pool2d", "avg_pool": "avg_pool2d"}[operation]

    def algorithms_for(self, conv_plan) -> tuple[str, ...]:
        return (self.choose_algorithm(conv_plan, None),)

    def to_device(self, array):
        if array is None:
            return None
        return self._torch().from_numpy(np.ascontiguousarray(array))

    def memory_estimate(self, conv_plan, dtype, algorithm: str):
        """Input, weights, output and padded copy, plus what PyTorch allocates inside, as measured
        (peak RSS, PyTorch 2.13 CPU): float32 convolutions go through oneDNN, which copies the
        input and the output into its blocked layout (and the heap may keep the larger copy
        between calls); other dtypes through ATen's im2col, whose
        columns hold one group of every image at once, and the heap keeps as much again between
        calls (a dilated one goes image by image, with two more output-sized buffers, yet peaked
        as high); grouped ones build each group's output before joining them. Pooling adds
        nothing of note."""
        estimate = super().memory_estimate(conv_plan, dtype, algorithm)
        spec = conv_plan.spec
        if spec.is_pooling:
            return estimate
        itemsize = np.dtype(dtype).itemsize
        parts = estimate.parts
        kernel_taps = spec.kernel_size[0] * spec.kernel_size[1]
        if spec.operation == "conv_transpose":
            image_columns = spec.out_channels // spec.groups * kernel_taps * math.prod(spec.input_size) * itemsize
        else:
            out_h, out_w = conv_plan.output_shape[2:]
            image_columns = spec.in_channels // spec.groups * kernel_taps * out_h * out_w * itemsize
        if np.dtype(dtype) == np.float32:
            scratch = {"oneDNN input layout": parts["padded input"] or parts["input"],
                       "oneDNN output layout": parts["output"]}
            scratch["freed blocks kept by the allocator"] = max(scratch.values())
            if spec.operation == "conv_transpose":
                scratch["im2col columns"] = image_columns
            elif spec.kernel_size == spec.stride == spec.dilation == (1, 1):
                # PyTorch leaves single-threaded 1×1 convolutions to ATen's im2col
                scratch["im2col columns"] = spec.batch * image_columns
        else:
            dilated = spec.operation == "conv" and spec.dilation != (1, 1)
            scratch = {"im2col columns": spec.batch * image_columns}
            # blocks under glibc's mmap threshold, freed between calls, stay in the heap
            scratch["freed blocks kept by the allocator"] = scratch["im2col columns"] + parts["output"]
            if dilated:
                scratch["dilated outputs"] = 2 * parts["output"]
        if spec.groups > 1:
            scratch["outputs per group"] = parts["output"]
        return estimate.plus(**scratch)

    def convolve(self, x, w, conv_plan, bias=None, algorithm=None):
        with self._torch().no_grad():
            return self._conv(x, w, conv_plan, bias)


class CudaEventTimer(Timer):
    def __init__(self, torch):
        self._start = torch.cuda.Event(enable_timing=True)
        self._stop = torch.cuda.Event(enable_timing=True)

    def start(self) -> None:
        self._start.record()

    def stop(self) -> float:
        self._stop.record()
        self._stop.synchronize()
        return float(self._start.elapsed_time(self._stop))


class TorchCudaPeer(TorchPeer):
    """cuDNN through PyTorch, in IEEE float32 (TF32 off) and in PyTorch's TF32 mode."""

    name = "torch-cuda"
    device = "GPU (PyTorch cuDNN)"
    host = False
    algorithms = ("cudnn-fp32", "cudnn-tf32")

    def available(self) -> Availability:
        if not _installed("torch"):
            return Availability(False, "PyTorch is not installed (pip install convviz[peers])")
        torch = self._torch()
        if not torch.cuda.is_available():
            built = getattr(torch.version, "cuda", None)
            reason = "no CUDA device found" if built else "this PyTorch build has no CUDA support"
            return Availability(False, f"PyTorch CUDA: {reason}")
        return Availability(True)

    def choose_algorithm(self, conv_plan, dtype) -> str:
        return "cudnn-fp32"

    def default_algorithms(self, conv_plan, dtype) -> tuple[str, ...]:
        """Both modes: IEEE float32, and the TF32 that PyTorch users may have switched on."""
        return self.algorithms

    def to_device(self, array):
        if array is None:
            return None
        return self._torch().from_numpy(np.ascontiguousarray(array)).cuda()

    def synchronize(self) -> None:
        self._torch().cuda.synchronize()

    def timer(self) -> Timer:
        return CudaEventTimer(self._torch())

    def convolve(self, x, w, conv_plan, bias=None, algorithm=None):
        torch = self._torch()
        algorithm = algorithm or "cudnn-fp32"
        self.check_algorithm(algorithm)
        previous = torch.backends.cudnn.allow_tf32
        torch.backends.cudnn.allow_tf32 = algorithm == "cudnn-tf32"
        try:
            with torch.no_grad():
                return self._conv(x, w, conv_plan, bias)
        finally:
            torch.backends.cudnn.allow_tf32 = previous


class ScipyPeer(Peer):
    """Single-channel specs only (one input and one output channel), dilation 1.

    The input is padded as the plan says, correlated, and the valid part kept;
    strides keep every s-th output, so the peer computes every position.
    """

    device = "CPU (SciPy)"
    host = True

    def available(self) -> Availability:
        if not _installed("scipy"):
            return Availability(False, "SciPy is not installed (pip install convviz[peers])")
        return Availability(True)

    def supports(self, conv_plan) -> str | None:
        spec = conv_plan.spec
        if spec.operation != "conv":
            return f"{self.name} runs convolution only, not {spec.operation}"
        if spec.in_channels != 1 or spec.out_channels != 1:
            return f"{self.name} handles one input and one output channel only"
        if spec.dilation != (1, 1):
            return f"{self.name} has no dilation"
        return None

    def choose_algorithm(self, conv_plan, dtype) -> str:
        return self.algorithms[0]

    def memory_estimate(self, conv_plan, dtype, algorithm: str):
        """Input, weights, output and padded copy, plus one image's correlation (at most the
        padded image's size: ndimage returns it whole before the valid part is kept)."""
        rows, cols = conv_plan.padded_shape
        return super().memory_estimate(conv_plan, dtype, algorithm).plus(
            **{"one image's correlation": rows * cols * np.dtype(dtype).itemsize})

    def convolve(self, x, w, conv_plan, bias=None, algorithm=None):
        reason = self.supports(conv_plan)
        if reason:
            from ..core import ConvSpecError

            raise ConvSpecError(reason)
        spec = conv_plan.spec
        xp = pad_input(np.asarray(x), conv_plan)
        kernel = np.asarray(w)[0, 0]
        rows, cols = conv_plan.axes
        y = np.empty(conv_plan.output_shape, dtype=np.result_type(xp, kernel))
        for item in range(spec.batch):
            # the valid correlation holds every stride-1 window; keep those starting where the plan's windows start
            full = self._valid(xp[item, 0], kernel)
            y[item, 0] = full[rows.tap_slice(0), cols.tap_slice(0)]
        if bias is not None:
            y += np.asarray(bias)[None, :, None, None]
        return y


class ScipyNdimagePeer(ScipyPeer):
    name = "scipy-ndimage"
    algorithms = ("ndimage.correlate",)

    def _valid(self, image, kernel):
        from scipy import ndimage

        kh, kw = kernel.shape
        result = ndimage.correlate(image, kernel, mode="constant", cval=0.0)
        # ndimage centres the kernel on tap (kh // 2, kw // 2)
        return result[kh // 2: kh // 2 + image.shape[0] - kh + 1, kw // 2: kw // 2 + image.shape[1] - kw + 1]


class ScipySignalPeer(ScipyPeer):
    name = "scipy-signal"
    algorithms = ("signal.correlate2d",)

    def _valid(self, image, kernel):
        from scipy import signal

        return signal.correlate2d(image, kernel, mode="valid")


PEER_CLASSES = {
    "torch-cpu": TorchCpuPeer,
    "torch-cuda": TorchCudaPeer,
    "scipy-ndimage": ScipyNdimagePeer,
    "scipy-signal": ScipySignalPeer,
}
ALIASES = {"torch": ("torch-cpu", "torch-cuda"), "scipy": ("scipy-ndimage", "scipy-signal")}
_peers: dict[str, Peer] = {}


def get_peer(name: str) -> Peer:
    if name not in _peers:
        _peers[name] = PEER_CLASSES[name]()
    return _peers[name]
