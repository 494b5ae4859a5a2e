"""Absurd values for fuzzing specs, and the check that an accepted spec computes correctly."""

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from convviz import convolve, plan
from convviz.core import reference_conv2d

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))

absurd_scalars = st.one_of(
    st.integers(-3, 12),
    st.sampled_from([0, -1, 10**9, -(10**9), 2**63, 10**30]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.booleans(),
    st.none(),
)
absurd_values = st.one_of(
    absurd_scalars,
    st.lists(absurd_scalars, max_size=5),
    st.tuples(absurd_scalars, absurd_scalars),
    st.dictionaries(st.text(max_size=3), absurd_scalars, max_size=2),
)
spec_fields = st.sampled_from(
    ["input_shape", "out_channels", "kernel_size", "stride", "padding", "dilation", "padding_mode"]
)


def small_enough(spec):
    n, c, h, w = spec.input_shape
    return n * c * h * w <= 400 and spec.out_channels <= 4 and np.prod(spec.kernel_size) <= 16


def check_result_is_correct(spec):
    conv_plan = plan(spec)
    if not small_enough(spec) or conv_plan.steps > 400:
        return
    rng = np.random.default_rng(0)
    x = rng.standard_normal(spec.input_shape)
    w = rng.standard_normal(spec.weight_shape)
    np.testing.assert_allclose(convolve(x, w, conv_plan), reference_conv2d(x, w, conv_plan), rtol=1e-10, atol=1e-10)


