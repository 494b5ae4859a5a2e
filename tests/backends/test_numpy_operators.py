"""Transposed convolution, pooling and groups on the NumPy backend, against the float64 reference
always and against PyTorch when it is installed."""

import numpy as np
import pytest
from helpers.strategies import LOAD_TOLERANT, operation_specs
from helpers.torch_ops import torch_forward
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from convviz import ConvSpec, ConvSpecError, forward, plan
from convviz.backends import convolve, get_backend
from convviz.core.reference import reference_conv2d
from convviz.profiling.peers import get_peer

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=LOAD_TOLERANT)


def _arrays(spec, dtype, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(spec.input_shape).astype(dtype)
    w = None if spec.weight_shape is None else rng.standard_normal(spec.weight_shape).astype(dtype)
    bias = None if w is None else rng.standard_normal(spec.out_channels).astype(dtype)
    return x, w, bias


def _torch_values(spec):
    values = spec.to_dict()
    conv_plan = plan(spec)
    values["padding"] = (conv_plan.rows.padding, conv_plan.cols.padding)
    return values


@SETTINGS
@given(spec=operation_specs(), dtype=st.sampled_from([np.float64, np.float32]), seed=st.integers(0, 2**32 - 1),
       mode=st.sampled_from(["zeros", "zeros", "reflect", "replicate", "circular"]))
def test_every_operation_matches_the_reference(spec, dtype, seed, mode):
    if spec.operation == "conv" and mode != "zeros":
        try:
            spec = spec.replace(padding_mode=mode)
        except ConvSpecError:
            assume(False)
    x, w, bias = _arrays(spec, dtype, seed)
    conv_plan = plan(spec)
    expected = reference_conv2d(x, w, conv_plan, bias)
    backend = get_backend("numpy")
    for algorithm in backend.algorithms_for(conv_plan):
        y = forward(x, w, conv_plan, bias=bias, algorithm=algorithm)
        assert y.dtype == np.dtype(dtype) and y.shape == conv_plan.output_shape
        finite = np.isfinite(expected)
        np.testing.assert_array_equal(y[~finite], expected[~finite])  # max pooling over padding only: −∞
        scale = max(1.0, float(np.abs(expected[finite]).max(initial=0.0)))
        tolerance = 1e-9 if dtype == np.float64 else 1e-5
        np.testing.assert_allclose(y[finite], expected[finite], rtol=0, atol=tolerance * scale, err_msg=algorithm)


@SETTINGS
@given(spec=operation_specs(), seed=st.integers(0, 2**32 - 1))
def test_every_operation_matches_pytorch(spec, seed):
    pytest.importorskip("torch", reason="PyTorch is not installed: the comparison with it is skipped")
    x, w, _ = _arrays(spec, np.float64, seed)
    np.testing.assert_allclose(forward(x, w, plan(spec)), torch_forward(x, w, _torch_values(spec)), rtol=0, atol=1e-9)


CASES = [
    ConvSpec((2, 5, 7, 6), 5, (3, 2), padding=(1, 0, 2, 1), dilation=(1, 2), groups=5, padding_mode="replicate"),
    ConvSpec((2, 6, 9, 8), 4, 3, stride=2, padding=1, groups=2),
    ConvSpec((1, 4, 9, 9), 8, 3, padding=(1, 2, 0, 1), groups=4, padding_mode="circular"),
    ConvSpec((2, 4, 5, 6), 6, (3, 2), stride=(2, 3), padding=1, output_padding=(1, 2), groups=2,
             operation="conv_transpose"),
    ConvSpec((1, 1, 4, 4), 1, 3, stride=2, operation="conv_transpose"),
    ConvSpec((1, 2, 5, 5), 2, 1, stride=1, padding=(0, 0), operation="conv_transpose", dilation=2),
    ConvSpec((2, 3, 7, 8), kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True, operation="max_pool"),
    ConvSpec((2, 3, 7, 8), kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False,
             operation="avg_pool"),
    ConvSpec((1, 2, 5, 5), kernel_size=6, stride=6, ceil_mode=True, operation="avg_pool"),
]


@pytest.mark.parametrize("spec", CASES, ids=lambda spec: spec.describe())
def test_cases_match_the_reference_and_pytorch(spec):
    x, w, bias = _arrays(spec, np.float64, 7)
    conv_plan = plan(spec)
    y = forward(x, w, conv_plan, bias=bias)
    np.testing.assert_allclose(y, reference_conv2d(x, w, conv_plan, bias), rtol=0, atol=1e-9)
    assert np.abs(y).max() > 0.1
    peer = get_peer("torch-cpu")
    if not peer.available():
        return
    expected = peer.to_host(peer.convolve(peer.to_device(x), peer.to_device(w), conv_plan, bias=peer.to_device(bias)))
    np.testing.assert_allclose(y, expected, rtol=0, atol=1e-9)


def test_convolve_runs_every_operation_too():
    spec = CASES[6]
    x, _, _ = _arrays(spec, np.float64, 1)
    np.testing.assert_array_equal(convolve(x, None, spec), forward(x, None, spec))


def test_a_strategy_of_another_operation_is_refused_in_words():
    spec = CASES[3]
    x, w, _ = _arrays(spec, np.float64, 1)
    with pytest.raises(ConvSpecError, match="no algorithm 'gemm' for conv_transpose with groups 2; it has col2im"):
        forward(x, w, spec, algorithm="gemm")
    with pytest.raises(ConvSpecError, match="no algorithm 'col2im'; it has toeplitz"):
        forward(x[:, :1], np.ones((1, 1, 3, 3)), ConvSpec((2, 1, 5, 6), 1, 3), algorithm="col2im")


def test_pooling_refuses_weights_and_wrong_weights_name_the_layout():
    pool = CASES[6]
    x, _, _ = _arrays(pool, np.float64, 1)
    with pytest.raises(ConvSpecError, match="max_pool has no weights"):
        forward(x, np.ones((3, 3, 3, 3)), pool)
    transposed = CASES[3]
    x, _, _ = _arrays(transposed, np.float64, 1)
    with pytest.raises(ConvSpecError, match=r"the spec needs 4×3×3×2 \(in channels×out channels/groups"):
        forward(x, np.ones((6, 2, 3, 2)), transposed)


def test_memory_estimate_declares_each_strategys_scratch():
    backend = get_backend("numpy")
    for spec in CASES:
        conv_plan = plan(spec)
        for algorithm in backend.algorithms_for(conv_plan):
            estimate = backend.memory_estimate(conv_plan, np.float64, algorithm)
            assert estimate.total >= 8 * np.prod(conv_plan.output_shape)
    transposed = plan(CASES[3])
    parts = backend.memory_estimate(transposed, np.float64, "col2im").parts
    assert parts["weighted kernels"] == 8 * 2 * 6 * 3 * 2 * 5 * 6
