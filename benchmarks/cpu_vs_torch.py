"""NumPy backend against PyTorch-CPU (and scipy.ndimage for one channel), side by side in one run.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/cpu_vs_torch.py --threads 2 --markdown

Three groups of shapes: channel-heavy convolutions, single-channel ones, and the other
operations (depthwise and grouped convolution, transposed convolution, max and average
pooling). The output starts with what BENCHMARKS.md records (the command, the machine, the
date, the thread count, the load) and gives each row a stability verdict: the profiler's
(`convviz.profiling.stats.judge`: p90/p10 of every backend's calls within the limit, and the
1-minute load not above the CPUs before and after the shape).

Every backend runs every shape at the same thread count (threadpoolctl for OpenBLAS,
torch.set_num_threads for PyTorch). Repeats are interleaved: each round runs every
backend in turn, a short block each (a warm-up call, then timed calls filling about
`--block` seconds), rotating which goes first, so the machine's noise falls on all of
them alike. Blocks, with a rest before each, rather than single calls: a library's
worker threads spin for a while after each call (OpenBLAS for about 0.1 s) and would
take the cores from the next library. Medians
over all timed calls; each result is checked against PyTorch's first.

`--baseline REF` also times the NumPy backend of another git revision (checked out in
a temporary worktree) in the same rounds, for before/after ratios from one run.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from convviz.backends import convolve, get_backend  # noqa: E402
from convviz.core import ConvSpec, plan  # noqa: E402
from convviz.profiling.machine import available_cpus, cpu_model  # noqa: E402
from convviz.profiling.stats import judge, summarize  # noqa: E402

CHANNEL_HEAVY = [
    ConvSpec(input_shape=(4, 16, 128, 128), out_channels=16, kernel_size=5, padding="same", padding_mode="reflect"),
    ConvSpec(input_shape=(1, 16, 128, 128), out_channels=16, kernel_size=3, padding=1),
    ConvSpec(input_shape=(1, 64, 56, 56), out_channels=64, kernel_size=3, padding=1),
    ConvSpec(input_shape=(8, 64, 56, 56), out_channels=64, kernel_size=3, padding=1),
    ConvSpec(input_shape=(1, 256, 14, 14), out_channels=256, kernel_size=3, padding=1),
    ConvSpec(input_shape=(1, 512, 7, 7), out_channels=512, kernel_size=3, padding=1),
    ConvSpec(input_shape=(8, 512, 7, 7), out_channels=512, kernel_size=3, padding=1),
    ConvSpec(input_shape=(1, 32, 64, 64), out_channels=32, kernel_size=5, padding=4, dilation=2),
    ConvSpec(input_shape=(1, 64, 56, 56), out_channels=64, kernel_size=3, padding=1, padding_mode="replicate"),
    ConvSpec(input_shape=(1, 256, 56, 56), out_channels=64, kernel_size=1),
    ConvSpec(input_shape=(1, 64, 56, 56), out_channels=256, kernel_size=1),
    ConvSpec(input_shape=(1, 512, 7, 7), out_channels=2048, kernel_size=1),
    ConvSpec(input_shape=(8, 512, 7, 7), out_channels=512, kernel_size=1),
    ConvSpec(input_shape=(1, 3, 224, 224), out_channels=64, kernel_size=7, stride=2, padding=3),
    ConvSpec(input_shape=(1, 64, 56, 56), out_channels=128, kernel_size=3, stride=2, padding=1),
    ConvSpec(input_shape=(1, 256, 56, 56), out_channels=512, kernel_size=1, stride=2),
    ConvSpec(input_shape=(1, 256, 28, 28), out_channels=256, kernel_size=3, stride=2, padding=1),
]
SINGLE_CHANNEL = [
    ConvSpec(input_shape=(1, 1, 512, 512), out_channels=1, kernel_size=3),
    ConvSpec(input_shape=(1, 1, 1024, 1024), out_channels=1, kernel_size=5),
    ConvSpec(input_shape=(1, 1, 512, 512), out_channels=1, kernel_size=7, padding="same", padding_mode="reflect"),
    ConvSpec(input_shape=(4, 1, 256, 256), out_channels=1, kernel_size=3, padding="same"),
    ConvSpec(input_shape=(1, 1, 2048, 2048), out_channels=1, kernel_size=3, padding="same", padding_mode="replicate"),
]
OPERATORS = [
    ConvSpec(input_shape=(1, 64, 56, 56), out_channels=64, kernel_size=3, padding=1, groups=64),
    ConvSpec(input_shape=(1, 128, 28, 28), out_channels=128, kernel_size=3, stride=2, padding=1, groups=128),
    ConvSpec(input_shape=(8, 32, 112, 112), out_channels=32, kernel_size=3, padding=1, groups=32),
    ConvSpec(input_shape=(1, 32, 64, 64), out_channels=64, kernel_size=5, padding=2, groups=32, padding_mode="reflect"),
    ConvSpec(input_shape=(1, 64, 56, 56), out_channels=64, kernel_size=3, padding=1, groups=4),
    ConvSpec(input_shape=(1, 128, 28, 28), out_channels=128, kernel_size=3, padding=1, groups=32),
    ConvSpec(input_shape=(1, 64, 28, 28), out_channels=32, kernel_size=4, stride=2, padding=1,
             operation="conv_transpose"),
    ConvSpec(input_shape=(1, 16, 64, 64), out_channels=16, kernel_size=3, stride=2, padding=1, output_padding=1,
             operation="conv_transpose"),
    ConvSpec(input_shape=(1, 64, 112, 112), kernel_size=3, stride=2, padding=1, operation="max_pool"),
    ConvSpec(input_shape=(1, 64, 56, 56), kernel_size=2, stride=2, operation="avg_pool"),
]
GROUPS = {"heavy": ("channel-heavy", CHANNEL_HEAVY), "single": ("single-channel", SINGLE_CHANNEL),
          "operators": ("operators", OPERATORS)}
SCIPY_MODES = {"zeros": "constant", "reflect": "mirror", "replicate": "nearest", "circular": "wrap"}
"""scipy.ndimage's names for the padding modes ('mirror' is d c b | a b c d | c b a, torch's reflect)."""


def load_baseline(ref: str):
    """A call of the NumPy backend as it is at git revision `ref`, imported from a temporary
    worktree as the package `convviz_before` (its imports are relative, so none reach this
    checkout's modules), and the worktree to remove afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="convviz-baseline-"))
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(folder / "tree"), ref],
                   check=True, capture_output=True)
    (folder / "convviz_before").symlink_to(folder / "tree" / "convviz")
    sys.path.insert(0, str(folder))
    try:
        old_backends = importlib.import_module("convviz_before.backends")
        old_core = importlib.import_module("convviz_before.core")
    finally:
        sys.path.remove(str(folder))
    old_backends.BACKEND_CLASSES["numpy"] = ("convviz_before.backends.numpy_backend", "NumpyBackend")
    backend = old_backends.get_backend("numpy")
    if type(backend).__module__ != "convviz_before.backends.numpy_backend":
        raise SystemExit(f"the baseline backend came from {type(backend).__module__}")
    plans = {}

    def run(x, w, spec):
        if spec not in plans:
            fields = {field.name: getattr(spec, field.name) for field in dataclasses.fields(old_core.ConvSpec)}
            plans[spec] = old_core.plan(old_core.ConvSpec(**fields))
        return old_backends.convolve(x, w, plans[spec], backend="numpy")

    return run, folder


def torch_runner(torch, spec):
    """The PyTorch call of the spec's operation with its numbers (as convviz's torch-cpu peer makes it)."""
    functional = torch.nn.functional
    conv_plan = plan(spec)
    top, bottom, left, right = conv_plan.pads
    modes = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}
    explicit = not (spec.padding_mode == "zeros" and top == bottom and left == right)
    symmetric = (conv_plan.rows.padding, conv_plan.cols.padding)
    if spec.operation == "conv_transpose":
        return lambda x, w: functional.conv_transpose2d(x, w, None, spec.stride, symmetric, spec.output_padding,
                                                        spec.groups, spec.dilation)
    if spec.operation == "max_pool":
        return lambda x, w: functional.max_pool2d(x, spec.kernel_size, spec.stride, symmetric, spec.dilation,
                                                  ceil_mode=spec.ceil_mode)
    if spec.operation == "avg_pool":
        return lambda x, w: functional.avg_pool2d(x, spec.kernel_size, spec.stride, symmetric,
                                                  ceil_mode=spec.ceil_mode, count_include_pad=spec.count_include_pad)

    def run(x, w):
        if explicit:
            x = functional.pad(x, (left, right, top, bottom), mode=modes[spec.padding_mode])
            padding = 0
        else:
            padding = (top, left)
        return functional.conv2d(x, w, stride=spec.stride, padding=padding, dilation=spec.dilation, groups=spec.groups)

    return run


def scipy_runner(spec):
    """scipy.ndimage.correlate on each image, its own padding where it matches the spec's."""
    from scipy import ndimage

    conv_plan = plan(spec)
    kh, kw = spec.kernel_size
    top, bottom, left, right = conv_plan.pads
    same = (top, bottom, left, right) == (kh // 2, kh // 2, kw // 2, kw // 2)
    if spec.stride != (1, 1) or spec.dilation != (1, 1) or not (same or not any(conv_plan.pads)):
        return None
    mode = SCIPY_MODES[spec.padding_mode] if same else "constant"
    crop = (slice(None), slice(None)) if same else (slice(kh // 2, kh // 2 + conv_plan.output_size[0]),
                                                   slice(kw // 2, kw // 2 + conv_plan.output_size[1]))

    def run(x, w):
        kernel = w[0, 0]
        out = np.empty(conv_plan.output_shape, dtype=x.dtype)
        for item in range(spec.batch):
            full = ndimage.correlate(x[item, 0], kernel, mode=mode)
            out[item, 0] = full[crop]
        return out

    return run


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
"""wall: elapsed time. cpu: this process' CPU time, which other processes' load does not
inflate; meaningful with one thread only (with more it counts spinning worker threads)."""


def split_call(x, w, conv_plan):
    """The NumPy backend with its copies and adds split over the BLAS threads (`numpy_threads`,
    off by default): what the split would change, measured in the same run."""
    backend = get_backend("numpy")
    backend.split_copies = True
    try:
        return convolve(x, w, conv_plan, backend="numpy")
    finally:
        backend.split_copies = False


def runners_for(spec, conv_plan, x, w, xt, wt, torch_conv, has_scipy, baseline, split=False) -> dict:
    """name → a call of that backend on this spec's arrays."""
    runners = {
        "numpy": lambda: convolve(x, w, conv_plan, backend="numpy"),
        "torch": lambda: torch_conv(xt, wt),
    }
    if split:
        runners["split"] = lambda: split_call(x, w, conv_plan)
    single = spec.operation == "conv" and spec.in_channels * spec.out_channels == 1
    scipy_conv = scipy_runner(spec) if has_scipy and single else None
    if scipy_conv:
        runners["scipy"] = lambda: scipy_conv(x, w)
    if baseline:
        runners["before"] = lambda: baseline(x, w, spec)
    return runners


def time_block(fn, budget: float, clock=time.perf_counter) -> list[float]:
    fn()  # warm-up: the library's threads wake, caches fill
    times = []
    began = time.perf_counter()
    while True:
        start = clock()
        fn()
        end = clock()
        times.append((end - start) * 1e3)
        if time.perf_counter() - began >= budget and len(times) >= 2:
            return times


def measure(runners: dict, rounds: int, block: float, gap: float, clock=time.perf_counter) -> dict[str, list[float]]:
    samples = {name: [] for name in runners}
    names = list(runners)
    for index in range(rounds):
        order = names[index % len(names):] + names[:index % len(names)]
        for name in order:
            time.sleep(gap)
            samples[name].extend(time_block(runners[name], block, clock))
    return samples


def load_average() -> float:
    return os.getloadavg()[0]


def stability(samples: dict[str, list[float]], load_before: float, load_after: float) -> str:
    """The row's verdict: the first backend judged unstable names the cause, else "stable"."""
    for name, times in samples.items():
        verdict = judge(summarize(times), load_before, load_after, available_cpus())
        if not verdict.stable:
            return f"{name} {verdict.short}"
    return "stable"


def describe_machine(torch, threads: int, blas: list[str]) -> list[str]:
    """Lines for BENCHMARKS.md: the command, the machine, the date, the threads."""
    unset = [name for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if name in os.environ]
    command = " ".join(["python", "benchmarks/cpu_vs_torch.py", *sys.argv[1:]])
    scipy_version = "not installed"
    if importlib.util.find_spec("scipy"):
        import scipy

        scipy_version = scipy.__version__
    return [f"- command: `{command}`" + (f" (with {', '.join(unset)} SET: unset them for benchmarks)" if unset else
                                         " (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset)"),
            f"- machine: {cpu_model()}, {available_cpus()} CPUs available ({os.cpu_count()} logical); "
            f"{platform.platform()}; Python {platform.python_version()}",
            f"- libraries: NumPy {np.__version__} (BLAS: {', '.join(blas) or 'unknown'}), PyTorch {torch.__version__} "
            f"({torch.get_num_threads()} intra-op threads), SciPy {scipy_version}",
            f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
            f"- threads: {threads} for OpenBLAS (threadpoolctl; the NumPy backend's copies and adds stay on one thread unless split) and "
            f"for PyTorch (torch.set_num_threads)"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="BLAS and PyTorch threads (default 2)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per shape")
    parser.add_argument("--block", type=float, default=0.03, help="seconds of timed calls per block")
    parser.add_argument("--gap", type=float, default=0.2,
                        help="seconds of rest before each block, so the last library's spinning threads sleep")
    parser.add_argument("--clock", choices=tuple(CLOCKS), default="wall",
                        help="wall time (default) or process CPU time (with --threads 1 only)")
    parser.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    parser.add_argument("--baseline", metavar="REF", help="also time the NumPy backend at this git revision")
    parser.add_argument("--only", choices=tuple(GROUPS), action="append",
                        help="only this group of shapes (repeatable; default: all three)")
    parser.add_argument("--split", action="store_true",
                        help="also time the NumPy backend with its copies and adds split over the BLAS threads (off by default)")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args(argv)
    if args.clock == "cpu" and args.threads != 1:
        parser.error("--clock cpu measures one thread's work: use it with --threads 1")

    import torch
    from threadpoolctl import threadpool_info, threadpool_limits

    torch.set_num_threads(args.threads)
    limiter = threadpool_limits(limits=args.threads, user_api="blas")
    has_scipy = importlib.util.find_spec("scipy") is not None
    baseline = folder = None
    if args.baseline:
        baseline, folder = load_baseline(args.baseline)
    dtype = np.dtype(args.dtype)
    blas = [f"{info['internal_api']} {info['version']} ({info.get('architecture')}, {info['num_threads']} threads)"
            for info in threadpool_info() if info["user_api"] == "blas"]
    print("\n".join(describe_machine(torch, args.threads, blas)))
    print(f"- {args.clock} clock, {dtype}, {args.rounds} interleaved rounds of {args.block * 1e3:g} ms blocks per "
          f"backend; 1-minute load {load_average():.2f} before the run")
    groups = [GROUPS[name] for name in (args.only or GROUPS)]
    rng = np.random.default_rng(0)
    header = ["shape", "numpy ms", "torch ms", "scipy ms", "numpy/torch", "numpy/scipy", "stability"]
    if args.split:
        header += ["split ms", "split/torch"]
    if baseline:
        header += ["before ms", "before/torch", "speed-up"]
    summary = {}
    try:
        for group, specs in groups:
            print(f"\n## {group}\n")
            if args.markdown:
                print("| " + " | ".join(header) + " |")
                print("|" + "|".join("---" if name in ("shape", "stability") else "---:" for name in header) + "|")
            else:
                print("  ".join(f"{name:>12}" if i else f"{name:<46}" for i, name in enumerate(header)))
            ratios = {"torch": [], "scipy": [], "split": [], "before": [], "speed-up": []}
            for spec in specs:
                conv_plan = plan(spec)
                x = rng.standard_normal(spec.input_shape).astype(dtype)
                w = None if spec.weight_shape is None else rng.standard_normal(spec.weight_shape).astype(dtype)
                xt, wt = torch.from_numpy(x), None if w is None else torch.from_numpy(w)
                torch_conv = torch_runner(torch, spec)
                runners = runners_for(spec, conv_plan, x, w, xt, wt, torch_conv, has_scipy, baseline, args.split)
                expected = torch_conv(xt, wt).numpy()
                scale = float(np.abs(expected).max()) or 1.0
                tolerance = 1e-4 if dtype == np.float32 else 1e-10
                for name, run in list(runners.items()):
                    try:
                        result = np.asarray(run())
                    except Exception as error:  # an older baseline without this operation
                        if name != "before":
                            raise
                        print(f"(before: {type(error).__name__}: {error})", file=sys.stderr)
                        del runners[name]
                        continue
                    error = float(np.abs(result - expected).max()) / scale
                    if error > tolerance:
                        raise SystemExit(f"{name} disagrees with PyTorch on {spec.describe()}: {error:.2e}")
                load_before = load_average()
                samples = measure(runners, args.rounds, args.block, args.gap, CLOCKS[args.clock])
                verdict = stability(samples, load_before, load_average())
                median = {name: statistics.median(times) for name, times in samples.items()}
                row = [spec.describe(), f"{median['numpy']:.3f}", f"{median['torch']:.3f}"]
                ratio = median["numpy"] / median["torch"]
                ratios["torch"].append(ratio)
                if "scipy" in median:
                    ratios["scipy"].append(median["numpy"] / median["scipy"])
                    row += [f"{median['scipy']:.3f}", f"{ratio:.2f}", f"{ratios['scipy'][-1]:.2f}"]
                else:
                    row += ["–", f"{ratio:.2f}", "–"]
                row.append(verdict)
                if args.split:
                    ratios["split"].append(median["split"] / median["torch"])
                    row += [f"{median['split']:.3f}", f"{ratios['split'][-1]:.2f}"]
                if baseline and "before" in median:
                    ratios["before"].append(median["before"] / median["torch"])
                    ratios["speed-up"].append(median["before"] / median["numpy"])
                    row += [f"{median['before']:.3f}", f"{ratios['before'][-1]:.2f}",
                            f"{ratios['speed-up'][-1]:.2f}"]
                elif baseline:
                    row += ["–"] * 3
                if args.markdown:
                    print("| " + " | ".join(row) + " |", flush=True)
                else:
                    print("  ".join(f"{cell:>12}" if i else f"{cell:<46}" for i, cell in enumerate(row)), flush=True)
            summary[group] = ratios
            print()
            for key, label in (("torch", "numpy ÷ torch"), ("scipy", "numpy ÷ scipy.ndimage"),
                               ("split", "numpy with its copies and adds split over the BLAS threads ÷ torch"),
                               ("before", "before ÷ torch"), ("speed-up", "before ÷ numpy (speed-up)")):
                values = ratios[key]
                if values:
                    print(f"- {group}, {label}: median {statistics.median(values):.2f}, "
                          f"best {min(values):.2f}, worst {max(values):.2f} ({len(values)} shapes)")
    finally:
        limiter.restore_original_limits()
        if folder is not None:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(folder / "tree")],
                           capture_output=True)
            shutil.rmtree(folder, ignore_errors=True)
    print(f"\n- 1-minute load {load_average():.2f} after the run")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
