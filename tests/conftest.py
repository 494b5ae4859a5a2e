import gc
import os
import shutil
import sys
import tempfile

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


import pytest  # noqa: E402
from helpers.strategies import LOAD_TOLERANT  # noqa: E402
from hypothesis import settings  # noqa: E402

settings.register_profile("convviz", deadline=None, suppress_health_check=LOAD_TOLERANT)
settings.load_profile("convviz")

BUILT_AHEAD = ("test_cupy_backend.py", "test_cuda_emulation.py", "test_cuda_compile.py")
"""Modules whose kernel builds start in the background when collection ends; they run last, in
this order, so the builds are done (or nearly) by the time they need them."""

_SESSION = {}


def _emulation_builds():
    """The session's g++ builds of emulated CUDA kernels (tests/helpers/cuda_emulation.py)."""
    if "emulation" not in _SESSION:
        from helpers.cuda_emulation import EmulationBuilds

        _SESSION["emulation"] = EmulationBuilds(tempfile.mkdtemp(prefix="convviz-cuda-emulation-"))
    return _SESSION["emulation"]


def pytest_collection_modifyitems(session, config, items):
    """BUILT_AHEAD modules last, in that order; the rest keep theirs."""
    items.sort(key=lambda item: BUILT_AHEAD.index(item.path.name) + 1 if item.path.name in BUILT_AHEAD else 0)


def _selected(session, file_name: str, fixture: str):
    """The first selected test of `file_name` that uses `fixture`, or None."""
    return next((item for item in session.items
                 if item.path.name == file_name and fixture in getattr(item, "fixturenames", ())), None)


def pytest_collection_finish(session):
    """Start the slow builds of the selected CUDA tests in the background, on the core the
    (mostly single-threaded) tests before them leave idle: the NVRTC compile test's in a separate
    process (tests/helpers/ahead.py), the emulation test's g++ builds from a thread."""
    if session.config.option.collectonly:
        return
    if _selected(session, "test_cuda_compile.py", "builds") is not None:
        from helpers.ahead import AHEAD
        from helpers.compile_selection import build_unit, default_jobs
        from helpers.nvrtc_compile import nvrtc_module

        if nvrtc_module()[0] is not None:
            AHEAD.start(build_unit, default_jobs())
    emulation = _selected(session, "test_cuda_emulation.py", "kernels")
    if emulation is not None:
        from helpers.cuda_emulation import compiler

        if compiler() is not None:
            _emulation_builds().build_in_background(getattr(emulation.module, "VARIANTS", ()))


def pytest_sessionfinish(session):
    from helpers.ahead import AHEAD

    AHEAD.close()
    emulation = _SESSION.pop("emulation", None)
    if emulation is not None:
        emulation.close()
        shutil.rmtree(emulation.directory, ignore_errors=True)


@pytest.fixture(scope="session")
def emulation_builds():
    """The session's g++ builds of emulated CUDA kernels, shared by the emulation test and the
    stand-in CuPy so no variant is built twice."""
    return _emulation_builds()


@pytest.fixture(autouse=True)
def qt_garbage_on_the_main_thread(request):
    """Qt tests: no automatic garbage collection while they run, one collection on the main thread
    after their windows are closed. The background builds' threads (helpers/ahead.py, the emulation
    builds) allocate too, and a collection one of them triggers would destroy the test's Qt objects
    from the wrong thread: a crash, later, in Qt's event processing. A zero threshold stops the
    automatic collections without touching gc.isenabled(), which the worker's own hold is tested by."""
    if not {"qtbot", "qapp"} & set(request.fixturenames):
        yield
        return
    threshold = gc.get_threshold()
    gc.set_threshold(0)
    try:
        yield
    finally:
        gc.collect()
        gc.set_threshold(*threshold)


@pytest.fixture(autouse=True)
def isolated_qsettings(tmp_path_factory, request):
    """GUI tests never read or write the user's real convviz settings: QSettings go to a temp dir."""
    if "qtbot" not in request.fixturenames and "qsettings" not in request.fixturenames:
        yield None
        return
    from PyQt6 import QtCore

    folder = tmp_path_factory.mktemp("qsettings")
    QtCore.QSettings.setDefaultFormat(QtCore.QSettings.Format.IniFormat)
    for scope in (QtCore.QSettings.Scope.UserScope, QtCore.QSettings.Scope.SystemScope):
        QtCore.QSettings.setPath(QtCore.QSettings.Format.IniFormat, scope, str(folder))
    yield folder


@pytest.fixture
def qsettings(isolated_qsettings):
    """A QSettings file of its own in the test's temp dir."""
    from PyQt6 import QtCore

    return QtCore.QSettings(str(isolated_qsettings / "convviz.ini"), QtCore.QSettings.Format.IniFormat)
