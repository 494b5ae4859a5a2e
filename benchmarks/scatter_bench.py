"""Scatter view speed: frames/s stepping a transposed convolution drawn as a scatter, every frame painted.

    QT_QPA_PLATFORM=offscreen python benchmarks/scatter_bench.py [--frames 60]

Kernel 3, stride 2, padding 1, output padding 1 (the output is twice the input) at inputs 16², 128²
and 512², a 1280×800 view with the whole grids in view; steps forward from the middle step as
playback does. Also the time to build one frame (`session.frame`) alone.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    args = parser.parse_args()
    from convviz.core import ConvSpec
    from convviz.gui.app import offscreen_application
    from convviz.gui.session_view import SessionView
    from convviz.session import Session

    app = offscreen_application()
    for side in (16, 128, 512):
        session = Session(ConvSpec((1, 1, side, side), 1, 3, stride=2, padding=1, output_padding=1,
                                   operation="conv_transpose"))
        session.set_transposed_view("scatter")
        view = SessionView(session)
        view.resize(1280, 800)
        view.show()
        for _ in range(3):
            app.processEvents()
        view.grab()  # the first paint of a new view is not a frame
        start, slowest = session.steps // 2, 0.0
        began = time.perf_counter()
        for frame in range(args.frames):
            moment = time.perf_counter()
            session.set_step(start + frame + 1)
            app.processEvents()
            slowest = max(slowest, time.perf_counter() - moment)
        per_frame = (time.perf_counter() - began) / args.frames
        moment = time.perf_counter()
        for frame in range(args.frames):
            session.frame(start + frame + 1)
        building = (time.perf_counter() - moment) / args.frames
        ho, wo = session.plan.output_size
        print(f"input {side}², output {ho}×{wo}: {1 / per_frame:.0f} frames/s (slowest {slowest * 1e3:.0f} ms); "
              f"session.frame {building * 1e3:.1f} ms", flush=True)
        view.detach()
        view.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
