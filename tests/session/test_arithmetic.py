"""The step's arithmetic: every product for any kernel size, numbers shown with enough digits
that the products as shown add up to the total as shown, channels summed (Σ_c) with the bias;
totals compared with the float64 reference over every input channel."""

import re

import numpy as np
import pytest

from convviz.core import ConvSpec, ConvSpecError, plan, reference_conv2d
from convviz.session import Session
from convviz.session.frame import MAX_LISTED_TERMS
from convviz.session.patterns import KERNEL_PRESETS

NUMBER = r"\(?−?\d+(?:\.\d+)?\)?"
PRODUCT = re.compile(rf"({NUMBER})·({NUMBER})")


def number(text: str) -> float:
    return float(text.strip("()").replace("−", "-"))


def decimals(text: str) -> int:
    text = text.strip("()")
    return len(text.split(".")[1]) if "." in text else 0


def check_line_adds_up(line: str) -> float:
    """The products of `line` ("… = p1 + p2 + … = total") as shown add up to its total as shown."""
    body, total = line.rsplit(" = ", 1)
    products = PRODUCT.findall(body)
    shown = sum(number(x) * number(w) for x, w in products)
    assert abs(shown - number(total)) <= 0.5 * 10.0 ** -max(decimals(total), 0) + 1e-12, line
    return len(products)


def expected_output(session: Session) -> np.ndarray:
    spec = session.spec
    one = plan(spec.replace(input_shape=[1, spec.in_channels, *spec.input_size], out_channels=1))
    bias = None if session.bias is None else np.array([session.bias])
    return reference_conv2d(session.inputs[None], session.kernels[None], one, bias)[0, 0]


@pytest.mark.parametrize("preset", KERNEL_PRESETS)
@pytest.mark.parametrize("pattern", ["random integers", "sample image"])
@pytest.mark.parametrize("kernel", [3, 5, (2, 7)])
def test_every_product_shown_adds_up_to_the_total_shown(preset, pattern, kernel):
    session = Session(ConvSpec((1, 1, 12, 12), 1, kernel, padding="same", padding_mode="reflect"),
                      pattern=pattern, preset=preset, seed=3)
    expected = expected_output(session)
    taps = session.weights.size
    for step in np.random.default_rng(5).choice(session.steps, 6, replace=False):
        terms = session.frame(int(step)).terms
        assert terms.total == pytest.approx(expected[terms.position], abs=1e-9)
        assert check_line_adds_up(terms.text()) == taps


def test_box_blur_ninths_add_up():
    session = Session(ConvSpec((1, 1, 5, 5), 1, 3), pattern="random integers", preset="box blur")
    for step in range(session.steps):
        text = session.frame(step).terms.text()
        check_line_adds_up(text)
        assert "0.1111" in text  # 0.11 would not add up to the total for most sums


def test_channels_are_summed_with_the_bias():
    session = Session(ConvSpec((1, 3, 6, 6), 8, 3, padding=1), preset="sobel x", seed=2)
    session.show_channels(out_channel=5, in_channel=1)
    session.set_bias(0.25)
    expected = expected_output(session)
    np.testing.assert_allclose(session.output, expected, atol=1e-9)
    for step in (0, 17, session.steps - 1):
        terms = session.frame(step).terms
        assert terms.total == pytest.approx(expected[terms.position], abs=1e-9)
        lines = terms.text().splitlines()
        i, j = terms.position
        assert lines[0] == f"y[k=5][{i},{j}] = Σ over 3 input channels of Σ x·w + bias"
        assert len(lines) == 5 and [line.split(":")[0].strip() for line in lines[1:4]] == ["c=0", "c=1", "c=2"]
        for line in lines[1:4]:
            assert check_line_adds_up(line) == 9
        last = lines[4]
        sums, total = last.split(" = ")[1], last.split(" = ")[2]
        shown = sum(number(part) for part in sums.split(" + "))
        assert abs(shown - number(total)) <= 0.5 * 10.0 ** -decimals(total) + 1e-12
        assert sums.endswith("+ 0.25") or sums.endswith("+ 0.250")
    # the shown slice is w[5, 1]; the other slices differ from it (not one kernel copied)
    assert np.array_equal(session.weights, session.kernels[1])
    assert not np.array_equal(session.kernels[0], session.kernels[1])


def test_choosing_channels_names_the_ones_that_exist():
    session = Session(ConvSpec((1, 3, 6, 6), 8, 3))
    with pytest.raises(ConvSpecError, match=r"output channel 8 does not exist: there are 8 \(0–7\)"):
        session.show_channels(out_channel=8)
    with pytest.raises(ConvSpecError, match="input channel 3 does not exist"):
        session.show_channels(in_channel=3)
    session.show_channels(7, 2)
    frame = session.frame()
    assert frame.kernel.title.startswith("Weights K×C×kh×kw = 8×3×3×3")
    assert "w[k=7, c=2]" in frame.kernel.title
    assert frame.output.title.startswith("Output channel k=7 of 8")
    assert "each cell sums 3 channels × 9 taps" in frame.output.title
    assert frame.input.title.startswith("Input channel c=2 of 3")
    assert "each cell is read 8× as often" in frame.coverage.summary
    session.update_spec(input_shape=[1, 1, 6, 6], out_channels=2)
    assert (session.out_channel, session.in_channel) == (1, 0)


def test_a_kernel_too_big_to_list_sums_per_channel():
    session = Session(ConvSpec((1, 2, 70, 70), 1, 50))
    text = session.frame().terms.text()
    assert 2 * 50 * 50 > MAX_LISTED_TERMS
    assert "c=0: Σ x·w over 2,500 taps" in text and "too many to list" in text


def test_too_many_channels_to_animate_is_refused_in_words():
    with pytest.raises(ConvSpecError, match="input channels of 1000×1000 padded cells are too many to animate"):
        Session(ConvSpec((1, 32, 1000, 1000), 1, 3))
