"""Padding modes by the names NumPy's `np.pad` gives them (the index mapping itself is `Axis.source`)."""

NUMPY_PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}
