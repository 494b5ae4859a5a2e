"""Subprocess tests with Qt, pyqtgraph and CuPy made unimportable."""

import subprocess
import sys
import textwrap

BLOCK_QT_AND_CUPY = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"PyQt6", "pyqtgraph", "cupy", "cupyx"}:
            raise ImportError(f"{name} is blocked in this test")
        return None
sys.meta_path.insert(0, Block())
"""


def run_without_qt_and_cupy(body: str) -> None:
    """Run `body` (Python, indented as written) in a fresh interpreter with the blocker in place;
    fail unless it runs through, loaded none of the blocked packages, and printed only "ok"."""
    check = textwrap.dedent(
        """
        import sys
        loaded = [name for name in sys.modules if name.split(".")[0] in {"PyQt6", "pyqtgraph", "cupy"}]
        assert not loaded, loaded
        print("ok")
        """
    )
    script = BLOCK_QT_AND_CUPY + textwrap.dedent(body) + check
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
