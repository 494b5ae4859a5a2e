"""The memory a profiling run needs, counted before it allocates anything.

A run holds its random input and weights (in the timed dtype) and the float64
reference output throughout; one after another it draws the input (in float64
first), computes the reference, and checks and times each (backend, algorithm),
whose own estimate (`Backend.memory_estimate`: the strategy's declared scratch)
is added while it runs. The run's estimate is what it holds plus the largest of
those steps; `check_run` refuses it in one line with the estimate and the limit.
"""

from __future__ import annotations

import numpy as np

from ..core import plan as make_plan
from ..core.memory import MemoryEstimate, array_estimate, check_fits, peak_estimate, plan_estimate

CHECK_TEMPORARIES = 3
"""float64 outputs `check.relative_error` makes at once: the result in float64, its difference
from the reference, and that difference's magnitude."""


def _sizes(conv_plan, dtype) -> tuple[dict[str, int], dict[str, int]]:
    return array_estimate(conv_plan, dtype).parts, array_estimate(conv_plan, np.float64).parts


def reference_estimate(conv_plan) -> MemoryEstimate:
    """`check.make_oracle`: the float64 reference output and what computing it allocates."""
    from ..backends.numpy_backend import NumpyBackend
    from .check import FULL_REFERENCE_POSITIONS, oracle_algorithm

    wide = array_estimate(conv_plan, np.float64).parts
    axes = plan_estimate(conv_plan).total
    if conv_plan.steps <= FULL_REFERENCE_POSITIONS:
        parts = {"input": wide["input"], "weights": wide["weights"], "output": 2 * wide["output"]}
        return MemoryEstimate({**parts, "per-axis maps": axes})
    oracle = NumpyBackend().memory_estimate(conv_plan, np.float64, oracle_algorithm(conv_plan))
    return oracle.plus(**{"per-axis maps": axes})


def step_estimate(backend, algorithm: str, conv_plan, dtype) -> MemoryEstimate:
    """Host memory one (backend, algorithm) allocates while it is checked or timed, beyond the
    input and weights the run already holds: its own estimate and the check's temporaries."""
    narrow, wide = _sizes(conv_plan, dtype)
    check = {"check against the reference": CHECK_TEMPORARIES * wide["output"]}
    if not backend.host:
        # its estimate is of device memory; on the host only the result copied back
        return MemoryEstimate({"result": narrow["output"], **check})
    parts = dict(backend.memory_estimate(conv_plan, dtype, algorithm).parts)
    parts.pop("input", None)
    parts.pop("weights", None)
    return MemoryEstimate({**parts, **check})


def run_estimate(spec_or_plan, dtype="float32", jobs=(), roofline_probe: int = 0) -> MemoryEstimate:
    """The whole run of `profile_events` over `jobs` ((backend, algorithm) pairs)."""
    conv_plan = make_plan(spec_or_plan)
    dtype = np.dtype(dtype)
    narrow, wide = _sizes(conv_plan, dtype)
    held = {"input": narrow["input"], "weights": narrow["weights"], "reference output": wide["output"]}
    reference = reference_estimate(conv_plan)
    steps = {
        "drawing the input in float64": MemoryEstimate({"input": wide["input"], "weights": wide["weights"]}),
        # the reference output is counted as held
        "the float64 reference": MemoryEstimate({**reference.parts,
                                                 "output": reference.parts["output"] - wide["output"]}),
    }
    if roofline_probe:
        steps["measuring the CPU peaks"] = MemoryEstimate({"probe": roofline_probe})
    for backend, algorithm in jobs:
        steps[f"{backend.name} {algorithm}"] = step_estimate(backend, algorithm, conv_plan, dtype)
    return peak_estimate(held, steps)


def check_run(spec_or_plan, dtype="float32", jobs=(), roofline_probe: int = 0, limit: int | None = None) -> None:
    """Refuse, with the estimate and the limit, a run that cannot fit in host memory."""
    conv_plan = make_plan(spec_or_plan)
    check_fits(run_estimate(conv_plan, dtype, jobs, roofline_probe), limit,
               what=f"timing {conv_plan.spec.describe()}")
