"""Hover cost: time from pointing at a cell to the highlight painted, in each direction.

    QT_QPA_PLATFORM=offscreen python benchmarks/hover_bench.py [--repeats 30]

For inputs 64², 256² and 1022² (3×3 kernel, valid padding, so the padded grid stays within the
animation's 1024 per side), points at random output cells, input cells and kernel weights in
turn through `Session.hover` and paints the view (`repaint`), as a pointer crossing cells does.
Reports the median and the slowest per direction, and how many cells each highlight covered.
A weight over a 1022² input multiplies about a million cells: the bound the highlight design
(one fill image, outlines and counts only for few cells) is meant to keep cheap.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from PyQt6 import QtWidgets  # noqa: E402

from convviz.core import ConvSpec  # noqa: E402
from convviz.gui.session_view import SessionView  # noqa: E402
from convviz.session import SelectionTarget, Session  # noqa: E402

SIZES = (64, 256, 1022)


def measure(side: int, repeats: int, rng) -> dict:
    session = Session(ConvSpec((1, 1, side, side), 1, 3))
    view = SessionView(session)
    view.resize(1400, 900)
    view.show()
    QtWidgets.QApplication.processEvents()
    shapes = {"output": session.plan.output_size, "input": session.spec.input_size, "weight": session.spec.kernel_size}
    found = {}
    for kind, (rows, cols) in shapes.items():
        times, cells = [], 0
        for _ in range(repeats):
            target = SelectionTarget(kind, int(rng.integers(rows)), int(rng.integers(cols)))
            start = time.perf_counter()
            session.hover(target)
            view.repaint()
            QtWidgets.QApplication.processEvents()
            times.append(time.perf_counter() - start)
            cells = max(cells, view.animation.picked.cell_count)
            session.hover(None)
            QtWidgets.QApplication.processEvents()
        found[kind] = (statistics.median(times) * 1e3, max(times) * 1e3, cells)
    view.close()
    view.deleteLater()
    QtWidgets.QApplication.processEvents()
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])  # noqa: F841
    rng = np.random.default_rng(0)
    print(f"{'input':>9}  {'direction':<8} {'median ms':>10} {'slowest ms':>11} {'cells lit (input grid)':>23}")
    for side in SIZES:
        for kind, (median, slowest, cells) in measure(side, args.repeats, rng).items():
            print(f"{side:>4}×{side:<4}  {kind:<8} {median:>10.1f} {slowest:>11.1f} {cells:>23,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
