"""convviz.core (and the CPU backend) work with Qt and CuPy made unimportable."""

from helpers.blocked_imports import run_without_qt_and_cupy


def test_core_imports_without_qt_or_cupy():
    run_without_qt_and_cupy(
        """
        import numpy as np
        from convviz import ConvSpec, plan, convolve
        from convviz.core import reference_conv2d
        import convviz.profiling
        spec = ConvSpec((1, 2, 6, 5), 3, 3, padding="same", padding_mode="reflect")
        rng = np.random.default_rng(3)
        x = rng.standard_normal(spec.input_shape)
        w = rng.standard_normal(spec.weight_shape)
        assert np.allclose(convolve(x, w, spec), reference_conv2d(x, w, plan(spec)))
        from convviz.backends import available, get_backend
        assert "numpy" in available() and "cupy" not in available()
        assert get_backend("cupy").available().reason
        """
    )
