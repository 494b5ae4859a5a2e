"""GUI speed: time to a shown window, animation frames per second, GUI-thread stalls while timing.

    QT_QPA_PLATFORM=offscreen python benchmarks/gui_bench.py [--frames 300] [--json out.json]

1. launch: a fresh `python` process imports convviz, builds the main window and shows it
   (measured from just before the process is spawned until the window is exposed and painted);
2. animation: steps through the animation as playback does, every frame painted, at input
   64×64, 256×256 and 1024×1024 (3×3 kernel, same padding, a 1280×800 window), once with the
   whole grid in view ("fit") and once zoomed in until values are readable with "Follow the
   kernel" on ("follow": each frame pans and writes the texts that come into view); reports
   frames/s, the slowest frame, and the time of a spec change (stride 1 → 2 → 1, views redrawn);
3. responsiveness: runs the profiler in the window's worker thread on a mid-size spec while a
   5 ms QTimer on the GUI thread records the longest gap between its ticks (the worst stall);
4. stall table (`stall_table`, alone with --stalls-only): a 10 ms heartbeat timer on the GUI
   thread records the longest gap between its ticks while a window opens, at each control change
   (stride, padding mode, dilation, back) until everything is drawn, while playing at 60 steps/s,
   while pointing at cells of each grid, and while an 8192×8192 PNG is opened as the input; at
   64², 256² and 1024² inputs with 3×3 and 61×61 kernels (same padding, 1280×800 window);
5. stall cases (`stall_cases`, alone with --cases-only): the same heartbeat while a 512² transposed
   convolution switches to its scatter view, changes its kernel there and switches back, and while
   compare mode opens on a copy of a 1024² spec (3×3 and 61×61 kernels), changes B and closes.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

LAUNCH_SCRIPT = """
import sys, time
began = float(sys.argv[1])
from PyQt6 import QtWidgets
from convviz.gui.app import _application, make_window
app = _application()
window = make_window(restore=False)
window.show()
for _ in range(3):
    app.processEvents()
window.grab()
print(time.time() - began)
"""


def launch_seconds(runs: int = 3) -> list[float]:
    times = []
    for _ in range(runs):
        began = time.time()
        result = subprocess.run([sys.executable, "-c", LAUNCH_SCRIPT, repr(began)], capture_output=True, text=True,
                                cwd=ROOT, timeout=60)
        if result.returncode != 0:
            raise RuntimeError(result.stderr)
        times.append(float(result.stdout.strip().splitlines()[-1]))
    return times


class PaintCounter:
    def __init__(self, widget):
        from PyQt6 import QtCore

        class Filter(QtCore.QObject):
            count = 0

            def eventFilter(self, watched, event):  # noqa: N802 (Qt's name)
                if event.type() == QtCore.QEvent.Type.Paint:
                    Filter.count += 1
                return False

        self.filter = Filter()
        widget.installEventFilter(self.filter)

    @property
    def count(self) -> int:
        return type(self.filter).count


def animation_fps(app, size: int, frames: int, view: str = "fit", spec=None) -> dict:
    """Frames/s stepping a size×size input (3×3, same) the way playback does, at 1280×800.

    view "fit": the whole grid on screen (values written only where cells are big enough to read);
    "follow": zoomed in until values are readable, "Follow the kernel" on, so every frame also
    pans the view with the window and writes the texts that come into view."""
    from PyQt6 import QtCore

    from convviz.core import ConvSpec
    from convviz.gui.app import make_window

    spec = spec or ConvSpec((1, 1, size, size), 1, 3, padding="same")
    window = make_window(spec, restore=False, presentation=False)
    window.resize(1280, 800)
    window.show()
    for _ in range(3):
        app.processEvents()
    session, shown = window.session, window.view
    shown.animation.follow.setChecked(False)
    if view == "follow":
        shown.animation.follow.setChecked(True)  # zooms in until values are readable
    for _ in range(3):
        app.processEvents()
    window.grab()  # the first paint of a new window is not a frame
    counter = PaintCounter(shown.animation.grid.viewport())
    steps = session.steps
    start_step = steps // 2 - frames // 2 if size > 64 else 0
    slowest = 0.0
    began = time.perf_counter()
    for frame in range(frames):
        start = time.perf_counter()
        session.set_step((start_step + frame + 1) % steps)
        app.processEvents()
        slowest = max(slowest, time.perf_counter() - start)
    elapsed = time.perf_counter() - began
    painted = counter.count
    texts = len(shown.animation.grid.texts)
    rebuilds = []
    # convolution: stride 1 → 2 → 1; the other operations: kernel 3 → 2 → 3 (or 2 → 3 → 2)
    field, value = ("stride", spec.stride) if spec.operation == "conv" else ("kernel_size", spec.kernel_size)
    other = ([2, 2] if value == (1, 1) else [1, 1]) if field == "stride" else ([2, 2] if value == (3, 3) else [3, 3])
    for changed in (other, list(value)):
        rebuild_began = time.perf_counter()
        assert session.update_spec(**{field: changed}), session.error
        app.processEvents()
        while _busy(window):  # large grids are built, and outputs computed, off the GUI thread
            app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 5)
        rebuilds.append(time.perf_counter() - rebuild_began)
    window.close()
    window.deleteLater()
    app.processEvents()
    plain = spec.operation == "conv" and spec.groups == 1
    return {"input": f"{size}×{size}" if plain else spec.describe(), "view": view, "frames": frames, "fps": frames / elapsed,
            "slowest_frame_ms": slowest * 1e3, "paints": painted, "texts": texts,
            "spec_change_ms": [r * 1e3 for r in rebuilds]}


def stall_while_timing(app, min_time_s: float) -> dict:
    from PyQt6 import QtCore

    from convviz.core import ConvSpec
    from convviz.gui.app import make_window

    # windows closed earlier are destroyed now, not during the measurement
    app.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete.value)
    gc.collect()
    window = make_window(ConvSpec((1, 16, 96, 96), 16, 3, padding="same"), restore=False)
    window.show()
    app.processEvents()
    timing = window.timing
    timing.min_time.setValue(min_time_s)
    gaps = []
    last = [time.perf_counter()]

    def tick():
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QtCore.QTimer()
    timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
    timer.timeout.connect(tick)
    loop = QtCore.QEventLoop()
    timing.finished.connect(loop.quit)
    timer.start(5)
    began = time.perf_counter()
    last[0] = began
    timing.start_profile(backends=["numpy"])
    loop.exec()
    elapsed = time.perf_counter() - began
    timer.stop()
    status = timing.status.text()
    window.close()
    app.processEvents()
    return {"spec": "1×16×96×96 → 16, 3×3 same", "run_s": elapsed, "ticks": len(gaps),
            "max_gap_ms": max(gaps) * 1e3, "p99_gap_ms": sorted(gaps)[int(len(gaps) * 0.99)] * 1e3, "status": status}


HEARTBEAT_MS = 10
"""The stall table's heartbeat: a timer on the GUI thread at this interval; a stall is the longest
gap between two of its ticks (so the smallest possible figure is about this)."""
STALL_SIZES = (64, 256, 1024)
STALL_KERNELS = (3, 61)
SPEC_CHANGES = (
    ("stride 2", {"stride": [2, 2]}),
    ("padding reflect", {"padding_mode": "reflect"}),
    ("dilation 2", {"dilation": [2, 2]}),
    ("back to the start", None),
)
"""Control changes of the stall table, one after another from `size`² with a `kernel`² kernel, same
padding (the last restores the first spec)."""


class Heartbeat:
    """A PreciseTimer on the GUI thread. `stop()` gives the longest time between two of its ticks
    (the GUI thread's longest stall, to within the timer's interval) and the most CPU time the GUI
    thread itself used between two ticks (the same stall without the waits for a core that other
    processes on a loaded machine add)."""

    def __init__(self, interval_ms: int = HEARTBEAT_MS):
        from PyQt6 import QtCore

        self.timer = QtCore.QTimer()
        self.timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)
        self.interval_ms = interval_ms
        self.gaps: list[float] = []
        self.cpu_gaps: list[float] = []
        self._last = self._last_cpu = 0.0

    def _tick(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        self.gaps.append(now - self._last)
        self.cpu_gaps.append(cpu - self._last_cpu)
        self._last, self._last_cpu = now, cpu

    def start(self) -> None:
        self.gaps, self.cpu_gaps = [], []
        self._last, self._last_cpu = time.perf_counter(), time.thread_time()
        self.timer.start(self.interval_ms)

    def stop(self) -> tuple[float, float]:
        """(longest gap, most GUI-thread CPU time in one gap), in ms, counting the gap still open."""
        self.timer.stop()
        self._tick()
        return max(self.gaps) * 1e3, max(self.cpu_gaps) * 1e3


def _busy(window) -> bool:
    """Work still under way for what is shown: an image read, a frame build, the output convolution."""
    if hasattr(window, "busy"):
        return window.busy
    return bool(window.session.output_pending)


def run_until_settled(app, window, action, least_s: float = 0.2, most_s: float = 120.0) -> float:
    """Run `action` from the event loop, then the loop itself until nothing is pending and `least_s`
    has passed with nothing pending; the seconds until then."""
    from PyQt6 import QtCore

    loop = QtCore.QEventLoop()
    began = time.perf_counter()
    state = {"settled": None, "done": None}

    def check():
        now = time.perf_counter()
        if _busy(window):
            state["settled"] = None
            state["done"] = None
        elif state["settled"] is None:
            state["settled"] = now
            state["done"] = now - began
        if (state["settled"] is not None and now - state["settled"] >= least_s) or now - began > most_s:
            loop.quit()

    checker = QtCore.QTimer()
    checker.timeout.connect(check)
    QtCore.QTimer.singleShot(0, action)
    checker.start(20)
    loop.exec()
    checker.stop()
    return state["done"] if state["done"] is not None else time.perf_counter() - began


def _measure(app, window, action, **settle) -> tuple[float, float, float]:
    """(longest GUI-thread gap in ms, most GUI-thread CPU ms in one gap, seconds until everything
    was drawn) around `action`."""
    heartbeat = Heartbeat()
    heartbeat.start()
    done = run_until_settled(app, window, action, **settle)
    return (*heartbeat.stop(), done)


def _test_picture(side: int) -> Path:
    picture = Path(os.environ.get("TMPDIR", "/tmp")) / f"convviz_gui_bench_{side}.png"
    if not picture.exists():
        import numpy as np
        from PIL import Image

        rows, cols = np.mgrid[0:side, 0:side]
        Image.fromarray(((rows ^ cols) & 255).astype(np.uint8)).save(picture)
    return picture


def stall_row(app, size: int, kernel: int, picture: Path) -> dict:
    """The longest GUI-thread stalls at `size`² with a `kernel`² kernel (same padding, 1280×800):
    a window opened on it, each control change of SPEC_CHANGES, playing at 60 steps/s for a second,
    pointing at 40 cells of each grid, and opening `picture` as the input."""
    import numpy as np
    from PyQt6 import QtCore

    from convviz.core import ConvSpec
    from convviz.gui.app import make_window

    app.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete.value)
    gc.collect()
    spec = ConvSpec((1, 1, size, size), 1, kernel, padding="same")
    made = {}

    def open_window():
        window = made["window"] = make_window(spec, restore=False, presentation=False)
        window.resize(1280, 800)
        window.show()

    heartbeat = Heartbeat()
    heartbeat.start()
    began = time.perf_counter()
    open_window()
    window = made["window"]
    run_until_settled(app, window, lambda: None)
    row = {"input": f"{size}×{size}", "kernel": f"{kernel}×{kernel}",
           "open window": (*heartbeat.stop(), time.perf_counter() - began)}
    session = window.session
    for name, change in SPEC_CHANGES:
        if change is None:
            row[name] = _measure(app, window, lambda: session.set_spec(spec))
        else:
            row[name] = _measure(app, window, lambda change=change: session.update_spec(**change))
    session.set_speed(60.0)
    session.first()

    def play():
        session.play()
        QtCore.QTimer.singleShot(1000, session.pause)

    row["playing 60 steps/s"] = _measure(app, window, play, least_s=1.2)
    rng = np.random.default_rng(0)
    grids = [window.view.animation.grid, window.view.output.grid, window.view.coverage.grid,
             window.view.kernel.grid]

    def hover():
        for grid in grids:
            height, width = grid.shape
            for _ in range(40):
                grid._hover_at(int(rng.integers(height)), int(rng.integers(width)))
                app.processEvents()
            grid._hover_at(-1, -1)

    row["hover 160 cells"] = _measure(app, window, hover)
    row["open image"] = _measure(app, window, lambda: window.open_image(str(picture)))
    row["error"] = session.error
    window.close()
    window.deleteLater()
    app.processEvents()
    return row


STALL_COLUMNS = ("open window", *(name for name, _ in SPEC_CHANGES), "playing 60 steps/s", "hover 160 cells",
                 "open image")


def stall_table(app, sizes=STALL_SIZES, kernels=STALL_KERNELS, picture_side: int = 8192) -> list[dict]:
    picture = _test_picture(picture_side)
    rows = []
    for size in sizes:
        for kernel in kernels:
            row = stall_row(app, size, kernel, picture)
            rows.append(row)
            print(" | ".join([f"{row['input']:>9} {row['kernel']:>5}",
                              *(f"{row[name][0]:5.0f}/{row[name][1]:<4.0f}" for name in STALL_COLUMNS)]), flush=True)
    return rows


def print_stall_table(rows: list[dict], picture_side: int) -> None:
    print(f"\nlongest GUI-thread gap / most GUI-thread CPU time in one gap, in ms (a {HEARTBEAT_MS} ms heartbeat); "
          f"image: {picture_side}×{picture_side} PNG")
    print("| input | kernel | " + " | ".join(STALL_COLUMNS) + " |")
    print("|---|---|" + "---:|" * len(STALL_COLUMNS))
    for row in rows:
        cells = [f"{row[name][0]:.0f} / {row[name][1]:.0f}" for name in STALL_COLUMNS]
        print(f"| {row['input']} | {row['kernel']} | " + " | ".join(cells) + " |")


SCATTER_SPEC = dict(operation="conv_transpose", input_shape=(1, 1, 512, 512), out_channels=1, kernel_size=3,
                    stride=2)
"""The scatter cases' transposed convolution: 512² input, 1025² output, 3×3 kernel, stride 2."""
COMPARE_SIZE, COMPARE_KERNELS = 1024, (3, 61)


def _settled_window(app, spec):
    """A 1280×800 window on `spec`, everything drawn."""
    from PyQt6 import QtCore

    from convviz.gui.app import make_window

    app.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete.value)
    gc.collect()
    window = make_window(spec, restore=False, presentation=False)
    window.resize(1280, 800)
    window.show()
    run_until_settled(app, window, lambda: None)
    return window


def _closed(app, window) -> None:
    window.close()
    window.deleteLater()
    app.processEvents()


def _compare_actions(window, spec):
    return (("compare: open with a copy", lambda: window.compare_with(spec)),
            ("compare: B's stride 2", lambda: window.comparison.b.update_spec(stride=[2, 2])),
            ("compare: close", window.close_compare))


def stall_cases(app) -> list[dict]:
    """The longest GUI-thread stalls of the views that are not in the stall table: a 512² transposed
    convolution switched to its scatter view, a spec change there and back to the direct view; compare
    mode opened on a copy of a 1024² spec (3×3 and 61×61 kernels, same padding), B's stride changed,
    compare mode closed. Each: (longest gap, most GUI-thread CPU in one gap, seconds until drawn)."""
    from convviz.core import ConvSpec

    rows = []
    window = _settled_window(app, ConvSpec(**SCATTER_SPEC))
    session = window.session
    for name, action in (("scatter: to the scatter view", lambda: session.set_transposed_view("scatter")),
                         ("scatter: kernel 4", lambda: session.update_spec(kernel_size=[4, 4])),
                         ("scatter: back to the direct view", lambda: session.set_transposed_view("direct"))):
        rows.append({"case": f"{name} (512², 3×3, stride 2)", "figures": _measure(app, window, action),
                     "error": session.error})
    _closed(app, window)
    for kernel in COMPARE_KERNELS:
        spec = ConvSpec((1, 1, COMPARE_SIZE, COMPARE_SIZE), 1, kernel, padding="same")
        window = _settled_window(app, spec)
        shown = f"{COMPARE_SIZE}², {kernel}×{kernel}"
        for name, action in _compare_actions(window, spec):
            rows.append({"case": f"{name} ({shown})", "figures": _measure(app, window, action),
                         "error": window.session.error})
        _closed(app, window)
    for row in rows:
        gap, cpu, done = row["figures"]
        print(f"{row['case']:>52}: {gap:5.0f} / {cpu:<4.0f} ms, drawn after {done:.2f} s", flush=True)
    return rows


def print_stall_cases(rows: list[dict]) -> None:
    print(f"\nlongest GUI-thread gap / most GUI-thread CPU time in one gap, in ms (a {HEARTBEAT_MS} ms heartbeat); "
          "seconds until everything was drawn")
    print("| case | stall (ms) | drawn after (s) |")
    print("|---|---:|---:|")
    for row in rows:
        gap, cpu, done = row["figures"]
        print(f"| {row['case']} | {gap:.0f} / {cpu:.0f} | {done:.2f} |")


OPERATION_SPECS = (
    ("conv_transpose", dict(input_shape=(1, 1, 512, 512), out_channels=1, kernel_size=3, stride=2, padding=1,
                            output_padding=1)),
    ("max_pool", dict(input_shape=(1, 1, 1024, 1024), kernel_size=2, stride=2, ceil_mode=True)),
    ("avg_pool", dict(input_shape=(1, 1, 1024, 1024), kernel_size=3, stride=2, padding=1)),
    ("conv", dict(input_shape=(1, 4, 512, 512), out_channels=4, kernel_size=3, padding=1, groups=4)),
)
"""Transposed convolution (a 1025² direct-view grid), pooling at 1024² and a depthwise convolution."""


def operations(frames: int) -> int:
    """Frames/s and spec changes of the animation of each operation, whole grid and following."""
    from convviz.core import ConvSpec
    from convviz.gui.app import _application

    app = _application()
    for operation, values in OPERATION_SPECS:
        spec = ConvSpec(operation=operation, **values)
        for view in ("fit", "follow"):
            figures = animation_fps(app, spec.input_size[0], frames, view, spec)
            print(f"{figures['input']} {view:6}: {figures['fps']:.0f} frames/s over {figures['frames']} frames "
                  f"(slowest {figures['slowest_frame_ms']:.1f} ms, {figures['paints']} paints); spec change "
                  "(kernel 3 ↔ 2, then back; depthwise: stride) " + " / ".join(f"{ms:.0f}" for ms in figures["spec_change_ms"]) + " ms")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--min-time", type=float, default=0.5, help="profiler min time per backend (s)")
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--operations", action="store_true",
                        help="only the animation of the other operations at their largest animated sizes")
    parser.add_argument("--stalls-only", action="store_true", help="only the GUI-thread stall table (part 4)")
    parser.add_argument("--cases-only", action="store_true",
                        help="only the stall cases of the scatter view and compare mode (part 5)")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(STALL_SIZES), help="stall table inputs")
    parser.add_argument("--kernels", type=int, nargs="+", default=list(STALL_KERNELS), help="stall table kernels")
    parser.add_argument("--picture", type=int, default=8192, help="side of the PNG the stall table opens")
    args = parser.parse_args()
    if args.operations:
        return operations(args.frames)
    from convviz.gui.app import _application

    if args.stalls_only or args.cases_only:
        app = _application()
        rows = [] if args.cases_only else stall_table(app, args.sizes, args.kernels, args.picture)
        cases = stall_cases(app)
        if rows:
            print_stall_table(rows, args.picture)
        print_stall_cases(cases)
        if args.json:
            Path(args.json).write_text(json.dumps({"stalls": rows, "cases": cases}, indent=2, ensure_ascii=False))
        return 0

    launch = launch_seconds()
    print(f"window shown after launch: {', '.join(f'{t:.2f}' for t in launch)} s (max {max(launch):.2f} s)")
    app = _application()
    results = {"platform": os.environ.get("QT_QPA_PLATFORM", ""), "launch_s": launch, "animation": []}
    for size in (64, 256, 1024):
        for view in ("fit", "follow"):
            figures = animation_fps(app, size, args.frames, view)
            results["animation"].append(figures)
            print(f"animation {figures['input']} {view:6}: {figures['fps']:.0f} frames/s over {figures['frames']} "
                  f"frames (slowest {figures['slowest_frame_ms']:.1f} ms, {figures['paints']} paints, "
                  f"{figures['texts']} texts); spec change (stride 2, then back) "
                  + " / ".join(f"{ms:.0f}" for ms in figures["spec_change_ms"]) + " ms")
    stall = stall_while_timing(app, args.min_time)
    results["stall"] = stall
    print(f"while timing {stall['spec']} ({stall['run_s']:.1f} s): longest GUI-thread gap "
          f"{stall['max_gap_ms']:.1f} ms (p99 {stall['p99_gap_ms']:.1f} ms, {stall['ticks']} ticks of a 5 ms timer)")
    rows = stall_table(app, args.sizes, args.kernels, args.picture)
    results["stalls"] = rows
    results["cases"] = cases = stall_cases(app)
    print_stall_table(rows, args.picture)
    print_stall_cases(cases)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
