"""Start the window: `run_gui(spec)` from the command line; `screenshot=` renders it offscreen."""

from __future__ import annotations

import os
import sys

from ..core import ConvSpecError
from ..session.session import check_drawable


def _qt_application():
    """The running QApplication, or None (without starting Qt when it is not loaded yet)."""
    if "PyQt6.QtWidgets" not in sys.modules:
        return None
    return sys.modules["PyQt6.QtWidgets"].QApplication.instance()


def _application():
    from PyQt6 import QtWidgets

    app = QtWidgets.QApplication.instance()
    if app is None:
        app = QtWidgets.QApplication(sys.argv[:1])
        app.setOrganizationName("convviz")
        app.setApplicationName("convviz")
    return app


def make_window(spec=None, settings=None, restore=True, compare=None, presentation=None):
    """A MainWindow on `spec` (or the remembered spec), not yet shown; `compare`: a second spec
    shown beside it; `presentation`: True/False forces the mode (None: as remembered)."""
    from ..session import Session
    from .window import MainWindow

    session = None
    if spec is not None:
        check_drawable(spec)
        session = Session()  # `spec` once the window runs its output: a large one is computed off the GUI thread
    window = MainWindow(session=session, settings=settings, restore=restore)
    if spec is not None and not session.set_spec(spec):
        window.deleteLater()
        raise ConvSpecError(session.error)
    if presentation is not None:
        window.set_presentation(presentation)
    if compare is not None:
        window.compare_with(compare)
    return window


OFFSCREEN_NOISE = ("This plugin does not support",)
"""Qt's offscreen platform says this of window features it has no use for: not the user's concern."""


def _quiet_offscreen_messages(kind, context, message: str) -> None:
    if not message.startswith(OFFSCREEN_NOISE):
        print(message, file=sys.stderr)


def show_state(session, step=None, select=None, transposed_view=None) -> None:
    """Draw a transposed convolution as `transposed_view` ("direct", "scatter"; None: as it is), go
    to step number `step` (1 = the first) and pin `select` (a SelectionTarget or its text); a
    ConvSpecError says which steps or cells exist."""
    if transposed_view is not None:
        session.set_transposed_view(transposed_view)
    if step is not None:
        session.go_to_step(step)
    if select is not None:
        session.select(select)


def offscreen_application():
    """A QApplication for rendering without a screen (export), quiet about what offscreen lacks."""
    from PyQt6 import QtCore

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    QtCore.qInstallMessageHandler(_quiet_offscreen_messages)
    return _application()


DEFAULT_SIZE = (1500, 980)


def save_screenshot(path: str, spec=None, size=DEFAULT_SIZE, step=None, select=None, scene=None, compare=None,
                    presentation=False, transposed_view=None) -> str | None:
    """Render a window on `spec` (no stored settings) at `size` (width, height) and save it as
    PNG; None when written, else why not. `step` counts from 1 as the window shows it (None: the
    middle step); `select` pins a cell ("output:I,J", "input:R,C", "weight:R,C"). A step or cell
    that does not exist raises ConvSpecError. With `scene` (a lesson), the window opens it first
    (its step is kept unless `step` is given). `compare` and `presentation` as `run_gui` takes them."""
    from PyQt6 import QtCore, QtWidgets

    QtCore.qInstallMessageHandler(_quiet_offscreen_messages)
    app = _application()  # keep a reference: a collected QApplication takes the widgets with it
    window = make_window(spec, settings=None, restore=False, compare=compare, presentation=presentation)
    try:
        if scene is not None:
            open_scene(window, scene, spec)
        if transposed_view is not None:
            window.set_transposed_view(transposed_view)
        if scene is None and step is None:
            step = window.session.steps // 2 + 1
        show_state(window.session, step, select)
    except Exception:
        window.deleteLater()
        raise
    window.resize(*size)
    window.show()
    window.wait_until_drawn()
    for _ in range(3):
        QtWidgets.QApplication.processEvents()
    problem = None if window.save_screenshot(path) else window.file_error or f"could not write {path}"
    window.close()
    window.deleteLater()
    app.processEvents()
    return problem


def open_scene(window, scene, spec=None) -> None:
    """Open `scene` (a lesson) in `window`; `spec`, when given and different, replaces its spec
    (the spec flags given beside --lesson)."""
    if not window.lessons.open_scene(scene):
        raise ConvSpecError(window.file_error)
    if spec is not None and spec != scene.spec and not window.session.set_spec(spec):
        raise ConvSpecError(window.session.error)


def run_gui(spec=None, screenshot: str | None = None, step=None, select=None, scene=None, window_size=None,
            compare=None, presentation: bool = False, transposed_view=None) -> int:
    """Open the window on `spec` (None: the remembered one), or with `screenshot` render it
    offscreen to that PNG and exit; `step` and `select` as `show_state` takes them.
    `window_size` (width, height) sizes the window (and the screenshot); `compare` shows a
    second spec beside the first; `presentation` starts in presentation mode. A spec too big
    to animate raises ConvSpecError before any window is made."""
    for drawn in (spec, compare):
        if drawn is not None:
            check_drawable(drawn)
    if screenshot is not None:
        if _qt_application() is None:
            os.environ["QT_QPA_PLATFORM"] = "offscreen"  # a screenshot never opens a window
        problem = save_screenshot(screenshot, spec, size=window_size or DEFAULT_SIZE, step=step, select=select,
                                  scene=scene, compare=compare, presentation=presentation,
                                  transposed_view=transposed_view)
        if problem is None:
            print(f"convviz: wrote {screenshot}")
            return 0
        print(f"convviz: {problem}", file=sys.stderr)
        return 1
    from .display import display_problem
    from .settings import open_settings

    problem = display_problem() if _qt_application() is None else None
    if problem:
        print(f"convviz: {problem}", file=sys.stderr)
        return 2
    notes: list[str] = []
    settings = open_settings(notes)
    app = _application()
    window = make_window(spec, settings=settings, restore=True, compare=compare)
    window.show_settings_notes(notes)
    if spec is not None:
        window.session.set_spec(spec)
    if window_size is not None:
        window.resize(*window_size)
    if presentation:
        window.set_presentation(True, full_screen=window_size is None)
    try:
        if scene is not None:
            open_scene(window, scene, spec)
        if transposed_view is not None:
            window.set_transposed_view(transposed_view)
        show_state(window.session, step, select)
    except Exception:
        window.deleteLater()
        raise
    window.show()
    return _run_event_loop(app, window)


def _run_event_loop(app, window) -> int:
    """app.exec() with errors in slots shown instead of fatal, and a clean exit afterwards."""
    from .errors import install_excepthook
    from .worker import parked_runs

    restore_excepthook = install_excepthook(lambda: window if window.isVisible() else None)
    try:
        code = app.exec()
    finally:
        restore_excepthook()
    if parked_runs():
        _leave_now(code)
    return code


def _leave_now(code: int) -> None:
    """Exit without the interpreter's teardown: it would destroy a QThread that is still
    running a convolution (its window closed mid-run), and Qt aborts on that."""
    print("convviz: a timing run was still going when the window closed; leaving it unfinished",
          file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def export_window_png(session, target, size=(1500, 980), scene=None, presentation: bool = False):
    """The whole window (controls, panels, timing; the lesson and its comparison when `scene` is
    given) on `session`, drawn offscreen, as a PNG at `target` (an ExportTarget)."""
    from PyQt6 import QtCore, QtWidgets

    from ..session.export import AtomicFile, ExportError, write_bytes
    from .export import SETTLE_PASSES, fitted
    from .render import png_bytes
    from .window import MainWindow

    target.check(1, size)
    with AtomicFile(target):
        pass
    window = MainWindow(session=session, settings=None, restore=False)
    window.set_presentation(presentation)
    if scene is not None:
        window.lessons.show_scene(scene)
    window.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    window.resize(int(size[0]), int(size[1]))
    window.show()
    window.wait_until_drawn()
    for _ in range(SETTLE_PASSES):
        QtWidgets.QApplication.processEvents()
    data = png_bytes(fitted(window.grab().toImage(), size, window.palette().window().color()))
    window.close()
    window.deleteLater()
    QtWidgets.QApplication.processEvents()
    if data is None:
        raise ExportError("could not encode the window as PNG")
    return write_bytes(target, data)
