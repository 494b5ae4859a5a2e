"""The profiler: honest timings of every backend and peer. Never imports Qt.

    profile(spec, ...) -> list[Measurement]      one spec, every backend asked for
    sweep(spec, parameter, values, ...)          one parameter varied
    crossover(records, gpu="cupy", cpu="numpy")  where the GPU starts to win
    machine_info()                               CPU, cores, versions, threads
"""

from .compare import Comparison, compare
from .machine import machine_info, thread_counts
from .records import Measurement, records_from_json, records_to_csv, records_to_json
from .runner import Cancelled, Skipped, profile
from .stats import Summary, percentile, summarize
from .sweep import PARAMETERS, crossover, sweep, sweep_values, vary

__all__ = [
    "PARAMETERS", "Cancelled", "Comparison", "compare", "Measurement", "Skipped", "Summary", "crossover", "machine_info", "percentile",
    "profile", "records_from_json", "records_to_csv", "records_to_json", "summarize", "sweep", "sweep_values",
    "thread_counts", "vary",
]
