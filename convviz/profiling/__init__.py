"""The profiler: honest timings of every backend and peer. Never imports Qt.

    profile(spec, ...) -> list[Measurement]      one spec, every backend asked for
    sweep(spec, parameter, values, ...)          one parameter varied
    profile_events(...), sweep_events(...)       the same as generators of events (events.py):
                                                 Progress, Skipped, each Measurement as it is timed
    crossover(records, gpu, cpu)                 where the GPU starts to win (results.sweep_crossover:
                                                 convviz's own device and host backends, as declared)
    machine_info()                               CPU, cores, versions, threads
"""

from .compare import Comparison, compare
from .events import Cancelled, Progress, Skipped, SweptValue
from .machine import machine_info, thread_counts
from .records import Measurement, records_from_json, records_to_csv, records_to_json
from .runner import known_names, profile, profile_events
from .stats import Summary, percentile, summarize
from .sweep import PARAMETERS, crossover, sweep, sweep_events, sweep_values, vary

__all__ = [
    "PARAMETERS", "Cancelled", "Comparison", "compare", "Measurement", "Progress", "Skipped", "Summary", "SweptValue",
    "crossover", "known_names", "machine_info", "percentile", "profile", "profile_events", "records_from_json",
    "records_to_csv", "records_to_json", "summarize", "sweep", "sweep_events", "sweep_values", "thread_counts", "vary",
]
