"""'same' at stride > 1: PyTorch refuses it, and the explicit padding said beside the output
formula gives PyTorch the same output as convviz's reference."""

import re

import numpy as np
import pytest

from convviz.core import ConvSpec, plan, reference_conv2d
from convviz.session.frame import framework_refusal

SPECS = [
    ConvSpec((1, 2, 7, 7), 3, 3, stride=2, padding="same"),
    ConvSpec((1, 1, 8, 9), 1, (3, 4), stride=(2, 3), padding="same", padding_mode="reflect"),
    ConvSpec((1, 1, 10, 10), 1, 2, stride=2, dilation=2, padding="same", padding_mode="circular"),
    ConvSpec((1, 1, 6, 6), 1, 5, stride=3, padding="same", padding_mode="replicate"),
]


def test_nothing_is_said_when_pytorch_takes_the_spec():
    assert framework_refusal(plan(ConvSpec((1, 1, 7, 7), 1, 3, padding="same"))) == ""
    assert framework_refusal(plan(ConvSpec((1, 1, 7, 7), 1, 3, stride=2, padding=1))) == ""


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.describe())
def test_pytorch_refuses_and_the_explicit_padding_reproduces(spec):
    torch = pytest.importorskip("torch", reason="torch is not installed")
    functional = torch.nn.functional
    conv_plan = plan(spec)
    said = framework_refusal(conv_plan)
    assert said.startswith("⚠ PyTorch refuses padding='same' at stride")
    rng = np.random.default_rng(1)
    x = rng.standard_normal(spec.input_shape)
    w = rng.standard_normal(spec.weight_shape)
    tx, tw = torch.from_numpy(x), torch.from_numpy(w)
    with pytest.raises(RuntimeError, match="padding='same' is not supported for strided convolutions"):
        functional.conv2d(tx, tw, stride=spec.stride, dilation=spec.dilation, padding="same")
    expected = reference_conv2d(x, w, conv_plan)
    symmetric = re.search(r"padding=\((\d+), (\d+)\)", said)
    if symmetric and "F.pad" not in said:
        module = torch.nn.Conv2d(spec.in_channels, spec.out_channels, spec.kernel_size, stride=spec.stride,
                                 dilation=spec.dilation, bias=False, dtype=torch.float64,
                                 padding=(int(symmetric[1]), int(symmetric[2])), padding_mode=spec.padding_mode)
        module.weight.data = tw
        got = module(tx)
    else:
        pads = tuple(int(value) for value in re.search(r"F\.pad\(x, \((\d+), (\d+), (\d+), (\d+)\)", said).groups())
        mode = re.search(r"mode='(\w+)'", said)[1]
        got = functional.conv2d(functional.pad(tx, pads, mode=mode), tw, stride=spec.stride, dilation=spec.dilation)
    np.testing.assert_allclose(got.detach().numpy(), expected, rtol=1e-10, atol=1e-10)
