"""Run profiling cases in this process and print, per case, the memory estimate and the
measured peak RSS above the RSS before it (JSON lines). Run as a script, in a fresh process,
so that nothing else allocates meanwhile: `python memory_probe.py SEED COUNT` for convviz's NumPy
strategies, `python memory_probe.py peers SEED torch-cpu,scipy-ndimage` for the peers.

The kernel's high-water mark (VmHWM) is reset before each case by writing 5 to
/proc/self/clear_refs, so cases can follow one another in one process."""

from __future__ import annotations

import gc
import json
import sys

import numpy as np

from convviz import ConvSpec, ConvSpecError, plan
from convviz.backends import get_backend as get_own_backend
from convviz.core.spec import PADDING_MODES
from convviz.profiling.memory import run_estimate
from convviz.profiling.runner import profile_events

LOW, HIGH = 48 * 2**20, 320 * 2**20
"""Estimates drawn between these: far above the interpreter's own noise, quick to run."""
MAX_FLOPS = 2e9


def get_backend(name: str):
    """convviz's backend or a peer, by name."""
    from convviz.profiling.peers import PEER_CLASSES, get_peer

    return get_peer(name) if name in PEER_CLASSES else get_own_backend(name)


def _status(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak() -> None:
    with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
        clear.write("5")


OPERATOR_ALGORITHMS = ("grouped-gemm", "per-group", "depthwise-taps", "col2im", "window-taps")
"""The strategies of the other operations (backends/numpy_operators.py)."""


def algorithms() -> list[str]:
    return [*get_backend("numpy").algorithms, *OPERATOR_ALGORITHMS]


def _operator_fields(rng, algorithm: str, fields: dict) -> dict:
    """The random convolution's fields turned into a spec `algorithm` runs."""
    n, c, h, w = fields["input_shape"]
    if algorithm in ("grouped-gemm", "per-group"):
        groups = int(rng.integers(2, 5))
        return dict(fields, input_shape=(n, groups * max(1, c // groups), h, w),
                    out_channels=groups * max(1, fields["out_channels"] // groups), groups=groups)
    if algorithm == "depthwise-taps":
        multiplier = int(rng.integers(1, 3))
        return dict(fields, out_channels=c * multiplier, groups=c, stride=1 if multiplier == 1 else fields["stride"])
    if algorithm == "col2im":
        return dict(fields, operation="conv_transpose", padding=[p // 2 for p in fields["padding"]],
                    padding_mode="zeros", input_shape=(n, c, max(1, h // 3), max(1, w // 3)))
    kernel = fields["kernel_size"]
    return dict(input_shape=fields["input_shape"], kernel_size=kernel, stride=fields["stride"],
                padding=[min(p, k // 2) for p, k in zip(fields["padding"], kernel)],
                operation=str(rng.choice(["max_pool", "avg_pool"])), ceil_mode=bool(rng.integers(0, 2)))


def random_case(rng, algorithms):
    """(spec, algorithm, dtype) whose estimate lies between LOW and HIGH, in the algorithm's domain."""
    backend = get_backend("numpy")
    while True:
        algorithm = str(rng.choice(algorithms))
        size = int(rng.integers(16, 700))
        kernel = int(rng.integers(1, 8))
        padding = [int(rng.integers(0, kernel + 1)) for _ in range(2)]
        spec_fields = dict(
            input_shape=(int(rng.integers(1, 5)), int(rng.integers(1, 33)), size, int(rng.integers(16, 700))),
            out_channels=int(rng.integers(1, 33)), kernel_size=(kernel, int(rng.integers(1, 8))),
            stride=(int(rng.integers(1, 4)), int(rng.integers(1, 4))),
            dilation=(int(rng.integers(1, 4)), int(rng.integers(1, 4))),
            padding=padding, padding_mode=str(rng.choice(PADDING_MODES)),
        )
        if algorithm == "toeplitz":  # one channel: a larger batch to reach the estimates drawn
            spec_fields.update(input_shape=(int(rng.integers(8, 33)), 1, size, int(rng.integers(300, 700))),
                               out_channels=1)
        if algorithm == "pointwise":
            spec_fields.update(kernel_size=1, stride=1, padding=0)
        if algorithm == "shifted":
            spec_fields.update(stride=1)
        if algorithm in OPERATOR_ALGORITHMS:
            spec_fields = _operator_fields(rng, algorithm, spec_fields)
        try:
            spec = ConvSpec(**spec_fields)
            conv_plan = plan(spec)
        except ConvSpecError:
            continue
        if not conv_plan.steps or conv_plan.flops > MAX_FLOPS:
            continue
        if backend.supports(conv_plan) or algorithm not in backend.algorithms_for(conv_plan):
            continue
        dtype = str(rng.choice(["float32", "float64"]))
        estimate = run_estimate(conv_plan, dtype, [(backend, algorithm)]).total
        if LOW <= estimate <= HIGH:
            return spec, algorithm, dtype


PEER_KINDS = {
    "torch-cpu": (("conv", "float32", False), ("conv", "float64", False), ("conv", "float64", True),
                  ("conv_transpose", "float32", False), ("conv_transpose", "float64", True),
                  ("max_pool", "float32", False)),
    "scipy-ndimage": (("conv", "float64", False), ("conv", "float32", False)),
    "scipy-signal": (("conv", "float64", False),),
}
"""Per peer, the (operation, dtype, grouped or dilated) kinds tried: each of its code paths."""


def random_peer_case(rng, name: str, operation: str, dtype: str, variant: bool):
    """(spec, algorithm, dtype) for peer `name` whose estimate lies between LOW and HIGH."""
    peer = get_backend(name)
    single = name.startswith("scipy")
    while True:
        kernel = (int(rng.integers(1, 8)), int(rng.integers(1, 8)))
        channels = 1 if single else int(rng.integers(1, 33))
        fields = dict(
            input_shape=(int(rng.integers(1, 5)), channels, int(rng.integers(16, 600)), int(rng.integers(16, 600))),
            out_channels=1 if single else int(rng.integers(1, 33)), kernel_size=kernel,
            stride=1 if single else (int(rng.integers(1, 4)), int(rng.integers(1, 4))),
            dilation=(2, 2) if variant and operation == "conv" else 1,
            padding=[int(rng.integers(0, k + 1)) for k in kernel], padding_mode=str(rng.choice(PADDING_MODES)),
        )
        if operation == "conv_transpose":
            n, c, h, w = fields["input_shape"]
            groups = int(rng.integers(2, 5)) if variant else 1
            fields.update(operation=operation, padding_mode="zeros", groups=groups,
                          input_shape=(n, groups * max(1, c // groups), max(1, h // 3), max(1, w // 3)),
                          out_channels=groups * max(1, fields["out_channels"] // groups))
        elif operation != "conv":
            fields = dict(input_shape=fields["input_shape"], kernel_size=kernel, operation=operation,
                          padding=[min(p, k // 2) for p, k in zip(fields["padding"], kernel)])
        try:
            conv_plan = plan(ConvSpec(**fields))
        except ConvSpecError:
            continue
        if not conv_plan.steps or conv_plan.flops > MAX_FLOPS or peer.supports(conv_plan):
            continue
        algorithm = peer.choose_algorithm(conv_plan, dtype)
        if LOW <= run_estimate(conv_plan, dtype, [(peer, algorithm)]).total <= HIGH:
            return conv_plan.spec, algorithm, dtype


def run_case(spec, algorithm, dtype, name: str = "numpy") -> dict:
    backend = get_backend(name)
    estimate = run_estimate(spec, dtype, [(backend, algorithm)])
    gc.collect()
    reset_peak()
    before = _status("VmRSS")
    events = profile_events(spec, backends=[name], algorithms=[algorithm], dtype=dtype, repeats=1,
                            roofline_peaks=False, settle_s=0)
    for _ in events:
        pass
    peak = _status("VmHWM")
    return {"spec": spec.describe(), "fields": spec.to_dict(), "algorithm": algorithm, "dtype": dtype,
            "estimate": estimate.total, "measured": peak - before, "parts": estimate.parts}


def main_peers(seed: int, names: list[str]) -> None:
    rng = np.random.default_rng(seed)
    for name in names:
        for small in (ConvSpec((1, 3, 20, 20), 4, 3, padding=1), ConvSpec((1, 3, 20, 20), 4, 3, padding=1,
                                                                        padding_mode="reflect")):
            if not get_backend(name).supports(plan(small)):
                for dtype in ("float32", "float64"):
                    run_case(small, get_backend(name).choose_algorithm(plan(small), dtype), dtype, name)
        for kind in PEER_KINDS[name]:
            case = run_case(*random_peer_case(rng, name, *kind), name)
            print(json.dumps(dict(case, algorithm=f"{name} {case['algorithm']}")), flush=True)


def main(seed: int, count: int) -> None:
    rng = np.random.default_rng(seed)
    names = algorithms()
    # warm up: BLAS thread buffers, NumPy's caches, the modules the run imports
    for small in (ConvSpec((1, 3, 20, 20), 4, 3, padding=1), ConvSpec((1, 1, 20, 20), 1, 3), ConvSpec((1, 3, 20, 20), 4, 1)):
        for algorithm in get_backend("numpy").algorithms_for(plan(small)):
            for dtype in ("float32", "float64"):
                run_case(small, algorithm, dtype)
    for index in range(count):
        # every strategy at least once, the rest at random
        chosen = [names[index]] if index < len(names) else names
        print(json.dumps(run_case(*random_case(rng, chosen))), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "peers":
        main_peers(int(sys.argv[2]), sys.argv[3].split(","))
    else:
        main(int(sys.argv[1]), int(sys.argv[2]))
