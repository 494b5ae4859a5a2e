"""Run a test's slow builds in a separate process ahead of the test, from the end of collection.

Most of the suite runs on one core; a worker process started when collection ends builds on the
other core while the tests before the one that needs the builds run, and that test takes over
whatever has not started yet. A separate process, not a thread, so the builds' memory never shows
in the tests' own process (the soak tests watch its RSS). Anything that goes wrong here only
means the test builds it all itself.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor


class Ahead:
    def __init__(self):
        self._pool: ProcessPoolExecutor | None = None
        self._futures: dict = {}

    def start(self, function, jobs) -> None:
        """Run function(job) for each job, in order, in one worker process (`function` must be
        importable by name: a module-level function of a helpers module)."""
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        try:
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=context)
            self._futures = {job: self._pool.submit(function, job) for job in jobs}
        except Exception:
            self.close()

    def take(self, jobs) -> dict[object, Future]:
        """Futures of those `jobs` the worker has started or finished; the rest are cancelled,
        left for the caller to run."""
        taken = {}
        for job in jobs:
            future = self._futures.pop(job, None)
            if future is not None and not future.cancel():
                taken[job] = future
        return taken

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool, self._futures = None, {}


AHEAD = Ahead()
"""The session's one background builder (started by tests/conftest.py)."""
