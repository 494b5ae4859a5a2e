"""No module of convviz imports itself back, not even lazily inside a function."""

import subprocess
import sys

import pytest
from helpers import ROOT
from helpers.import_graph import cycles, import_graph

CORE_MODULES = sorted(path.stem for path in (ROOT / "convviz" / "core").glob("*.py") if path.stem != "__init__")


def test_convviz_has_no_import_cycle():
    graph = import_graph(ROOT / "convviz")
    assert "convviz.core.axis" in graph and "convviz.core.spec" in graph["convviz.core.plan"]
    assert cycles(graph) == []


def test_the_axis_imports_neither_spec_nor_plan():
    graph = import_graph(ROOT / "convviz")
    assert not graph["convviz.core.axis"] & {"convviz.core.spec", "convviz.core.plan"}


def test_a_cycle_is_found(tmp_path):
    package = tmp_path / "loop"
    package.mkdir()
    (package / "__init__.py").write_text("from .a import A\n")
    (package / "a.py").write_text("from .b import B\nA = 1\n")
    (package / "b.py").write_text("def late():\n    from . import c\n")
    (package / "c.py").write_text("from .a import A\n")
    (package / "d.py").write_text("from . import a\n")
    assert cycles(import_graph(package)) == [["loop.a", "loop.b", "loop.c"]]


@pytest.mark.parametrize("module", CORE_MODULES)
def test_each_core_module_imports_first_in_a_fresh_interpreter(module):
    result = subprocess.run([sys.executable, "-c", f"import convviz.core.{module}"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
