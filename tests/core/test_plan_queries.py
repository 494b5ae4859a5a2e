"""The small geometry helpers the GUI asks the plan for."""

import numpy as np
import pytest

from convviz.core import ConvSpec, plan


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_padded_values_match_numpy_pad(mode):
    spec = ConvSpec((1, 1, 5, 6), 1, 3, padding=(2, 1, 1, 2), padding_mode=mode)
    conv_plan = plan(spec)
    image = np.random.default_rng(1).integers(-5, 6, size=(5, 6)).astype(float)
    numpy_mode = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    expected = np.pad(image, ((2, 1), (1, 2)), mode=numpy_mode)
    assert np.array_equal(conv_plan.padded_values(image), expected)
    assert conv_plan.padding_mask.sum() == expected.size - image.size
    assert not conv_plan.padding_mask[2:7, 1:7].any()


def test_padded_values_copy_each_cells_source_for_every_operation():
    """Brute force from the axes' source maps (−1: a zero cell): padding modes, transposed
    convolution's inserted zeros and crops, pooling's overhang; leading axes and dtype kept."""
    rng = np.random.default_rng(4)
    specs = [ConvSpec((1, 2, 7, 9), 2, (3, 2), padding=(2, 1, 0, 3), padding_mode=str(rng.choice(
        ["zeros", "reflect", "replicate", "circular"]))),
             ConvSpec((1, 2, 5, 4), 3, 3, stride=(2, 3), padding=(3, 1), operation="conv_transpose"),
             ConvSpec((1, 2, 4, 6), 2, 3, stride=2, padding=0, output_padding=1, operation="conv_transpose"),
             ConvSpec((1, 2, 7, 7), 2, 2, stride=2, ceil_mode=True, operation="max_pool"),
             ConvSpec((1, 2, 8, 5), 2, 3, stride=2, padding=1, operation="avg_pool")]
    for spec in specs:
        conv_plan = plan(spec)
        for dtype in (np.float64, np.int32):
            image = rng.integers(1, 9, size=(3, 2, *spec.input_size)).astype(dtype)
            result = conv_plan.padded_values(image)
            assert result.dtype == dtype and result.shape == (3, 2, *conv_plan.padded_shape)
            for i, source_row in enumerate(conv_plan.row_source):
                for j, source_col in enumerate(conv_plan.col_source):
                    expected = 0 if source_row < 0 or source_col < 0 else image[..., source_row, source_col]
                    assert np.array_equal(result[..., i, j], np.broadcast_to(expected, (3, 2))), (spec, i, j)


def test_window_extent_and_tap_offsets_follow_dilation_and_stride():
    conv_plan = plan(ConvSpec((1, 1, 9, 9), 1, 3, stride=2, dilation=2, padding="same"))
    rows, cols = conv_plan.tap_offsets
    assert list(rows) == [0, 2, 4] and list(cols) == [0, 2, 4]
    top, left, height, width = conv_plan.window_extent(1, 2)
    assert (top, left) == conv_plan.window_origin(1, 2) == (2, 4)
    assert (height, width) == (5, 5)
    taps_rows, taps_cols = conv_plan.taps(1, 2)
    assert list(taps_rows) == list(top + rows) and list(taps_cols) == list(left + cols)


def test_step_of_inverts_step_position():
    conv_plan = plan(ConvSpec((1, 1, 9, 7), 1, (3, 2), stride=(2, 3), padding="same"))
    for step in range(conv_plan.steps):
        assert conv_plan.step_of(*conv_plan.step_position(step)) == step
    with pytest.raises(IndexError):
        conv_plan.step_of(*conv_plan.output_size)


def test_copies_of_lists_the_cell_and_its_copies():
    zeros = plan(ConvSpec((1, 1, 4, 4), 1, 3, padding=1))
    assert zeros.copies_of(0, 0).tolist() == [[1, 1]]
    reflect = plan(ConvSpec((1, 1, 4, 4), 1, 3, padding=1, padding_mode="reflect"))
    # reflect without repeating the edge: padded row 0 copies input row 1
    assert reflect.copies_of(1, 1).tolist() == [[0, 0], [0, 2], [2, 0], [2, 2]]
    for cell in reflect.copies_of(1, 1).tolist():
        assert reflect.source_of(*cell) == (1, 1)
    with pytest.raises(IndexError):
        zeros.copies_of(4, 0)
