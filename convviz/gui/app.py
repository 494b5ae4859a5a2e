"""Start the window: `run_gui(args)` from the command line, `--screenshot` renders offscreen."""

from __future__ import annotations

import os
import sys


def _application():
    from PyQt6 import QtWidgets

    app = QtWidgets.QApplication.instance()
    if app is None:
        app = QtWidgets.QApplication(sys.argv[:1])
        app.setOrganizationName("convviz")
        app.setApplicationName("convviz")
    return app


def make_window(spec=None, settings=None, restore=True, step=None):
    """A MainWindow on `spec` (or the remembered spec), not yet shown."""
    from ..session import Session
    from .window import MainWindow

    session = None
    if spec is not None:
        session = Session(spec)
    window = MainWindow(session=session, settings=settings, restore=restore)
    if step is not None:
        window.session.set_step(step)
    return window


def screenshot(path: str, spec=None, size=(1500, 980), step=None) -> bool:
    """Render a window on `spec` (no stored settings) and save it as PNG; True when written."""
    from PyQt6 import QtWidgets

    app = _application()  # keep a reference: a collected QApplication takes the widgets with it
    window = make_window(spec, settings=None, restore=False)
    steps = window.session.steps
    window.session.set_step(steps // 2 if step is None else step)
    window.resize(*size)
    window.show()
    for _ in range(3):
        QtWidgets.QApplication.processEvents()
    written = window.save_screenshot(path)
    window.close()
    window.deleteLater()
    app.processEvents()
    return written


def run_gui(args) -> int:
    from ..specargs import spec_from_args

    given = any(getattr(args, name, None) is not None for name in (
        "spec", "input", "kernel", "stride", "padding", "dilation", "padding_mode", "channels",
        "out_channels", "batch"))
    spec = spec_from_args(args) if given else None  # a bad spec raises ConvSpecError: one line, exit 2
    if spec is not None:
        from ..session import Session

        Session._check_drawable(spec)
    if getattr(args, "screenshot", None):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        if screenshot(args.screenshot, spec):
            print(f"convviz: wrote {args.screenshot}")
            return 0
        print(f"convviz: could not write {args.screenshot}", file=sys.stderr)
        return 1
    from .settings import open_settings

    app = _application()
    window = make_window(spec, settings=open_settings(), restore=True)
    if spec is not None:
        window.session.set_spec(spec)
    window.show()
    return app.exec()
