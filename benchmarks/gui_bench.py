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
4. spec-change stalls (`stalls_on_spec_changes`): the same gap measure from each control change at
   960×960 with a 61×61 kernel until its output is drawn, and while an 8192×8192 PNG is opened.
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


SPEC_CHANGES = (
    ("kernel 61 → 63", {"kernel_size": [63, 63]}),
    ("padding mode reflect", {"padding_mode": "reflect"}),
    ("stride 2", {"stride": [2, 2]}),
    ("dilation 2", {"dilation": [2, 2]}),
    ("input 960 → 1000", {"input_shape": [1, 1, 1000, 1000]}),
)
"""reliable's part: control changes at the largest sizes the window animates (issue 14)."""


def stalls_on_spec_changes(app) -> list[dict]:
    """The longest GUI-thread gap (a 5 ms timer's ticks) from each control change until its output
    (computed off the GUI thread when large) is drawn, at 960×960 with a 61×61 kernel; and while an
    8192×8192 PNG is opened as the input."""
    from PyQt6 import QtCore, QtGui

    from convviz.core import ConvSpec
    from convviz.gui.app import make_window

    app.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete.value)
    gc.collect()
    window = make_window(ConvSpec((1, 1, 960, 960), 1, 61, padding="same"), restore=False)
    window.resize(1280, 800)
    window.show()
    session = window.session
    while session.output_pending:
        app.processEvents()
    picture = Path(os.environ.get("TMPDIR", "/tmp")) / "convviz_gui_bench_8192.png"
    if not picture.exists():
        import numpy as np

        rows, cols = np.mgrid[0:8192, 0:8192]
        grey = ((rows ^ cols) & 255).astype(np.uint8)
        QtGui.QImage(grey.data, 8192, 8192, 8192, QtGui.QImage.Format.Format_Grayscale8).save(str(picture))
    figures = []
    for name, change in (*SPEC_CHANGES, ("open an 8192×8192 PNG", None)):
        gaps, last = [], [time.perf_counter()]

        def tick(gaps=gaps, last=last):
            now = time.perf_counter()
            gaps.append(now - last[0])
            last[0] = now

        timer = QtCore.QTimer()
        timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        timer.timeout.connect(tick)
        timer.start(5)
        began = last[0] = time.perf_counter()
        if change is None:
            QtCore.QTimer.singleShot(0, lambda: window.open_image(str(picture)))
        else:
            QtCore.QTimer.singleShot(0, lambda change=change: session.update_spec(**change))
        settled = None
        while time.perf_counter() - began < 120:
            app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 5)
            if session.output_pending or time.perf_counter() - began < 0.3:
                settled = None
                continue
            settled = settled or time.perf_counter()
            if time.perf_counter() - settled > 0.3:
                break
        timer.stop()
        figures.append({"change": name, "spec": session.spec.describe(), "error": session.error,
                        "done_s": time.perf_counter() - began, "max_gap_ms": max(gaps) * 1e3 if gaps else None})
    window.close()
    app.processEvents()
    return figures


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
    args = parser.parse_args()
    if args.operations:
        return operations(args.frames)
    from convviz.gui.app import _application

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
    changes = stalls_on_spec_changes(app)
    results["spec_change_stalls"] = changes
    for figures in changes:
        print(f"{figures['change']}: longest GUI-thread gap {figures['max_gap_ms']:.0f} ms "
              f"(all drawn after {figures['done_s']:.1f} s){'; ' + figures['error'] if figures['error'] else ''}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
