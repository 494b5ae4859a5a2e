"""A prelude for subprocess tests: makes Qt, pyqtgraph and CuPy unimportable."""

BLOCK_QT_AND_CUPY = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"PyQt6", "pyqtgraph", "cupy", "cupyx"}:
            raise ImportError(f"{name} is blocked in this test")
        return None
sys.meta_path.insert(0, Block())
"""
