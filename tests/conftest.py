import os
import sys

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


import pytest  # noqa: E402


def pytest_collection_finish(session):
    """Start the NVRTC compile test's builds in a background process when that test is selected:
    they run on the core the single-threaded tests before it leave idle (tests/helpers/ahead.py)."""
    if not any(item.path.name == "test_cuda_compile.py" and "builds" in getattr(item, "fixturenames", ())
               for item in session.items):
        return
    from helpers.ahead import AHEAD
    from helpers.compile_selection import build_unit, default_jobs
    from helpers.nvrtc_compile import nvrtc_module

    if nvrtc_module()[0] is not None:
        AHEAD.start(build_unit, default_jobs())


def pytest_sessionfinish(session):
    from helpers.ahead import AHEAD

    AHEAD.close()


@pytest.fixture(scope="session")
def emulation_builds(tmp_path_factory):
    """The session's g++ builds of emulated CUDA kernels (tests/helpers/cuda_emulation.py), shared
    by the emulation test and the stand-in CuPy so no variant is built twice."""
    from helpers.cuda_emulation import EmulationBuilds

    return EmulationBuilds(tmp_path_factory.mktemp("cuda-emulation"))


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
