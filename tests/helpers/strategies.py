"""Hypothesis strategies shared by the tests: specs the core must accept."""

from hypothesis import HealthCheck
from hypothesis import strategies as st

from convviz.core import ConvSpec, ConvSpecError

LOAD_TOLERANT = [HealthCheck.too_slow, HealthCheck.filter_too_much]
"""Health checks that trip on how fast a shared, loaded machine generates examples, not on the test."""


@st.composite
def conv_specs(draw, max_size=9, max_channels=3):
    height = draw(st.integers(1, max_size))
    width = draw(st.integers(1, max_size))
    padding = draw(
        st.one_of(
            st.sampled_from(["valid", "same", "full"]),
            st.integers(0, 3),
            st.tuples(st.integers(0, 3), st.integers(0, 3)),
            st.tuples(*[st.integers(0, 3)] * 4),
        )
    )
    values = dict(
        input_shape=(draw(st.integers(1, 3)), draw(st.integers(1, max_channels)), height, width),
        out_channels=draw(st.integers(1, max_channels)),
        kernel_size=(draw(st.integers(1, 4)), draw(st.integers(1, 4))),
        stride=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        dilation=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        padding=padding,
        padding_mode=draw(st.sampled_from(["zeros", "reflect", "replicate", "circular"])),
    )
    try:
        return ConvSpec(**values)
    except ConvSpecError:
        from hypothesis import assume

        assume(False)


@st.composite
def operation_values(draw, operation=None, max_size=9, max_channels=4):
    """Fields of a spec of any operation, in the words PyTorch takes (numbers-only, symmetric
    padding), valid or not: for comparing what convviz and PyTorch accept."""
    operation = operation or draw(st.sampled_from(["conv", "conv_transpose", "max_pool", "avg_pool"]))
    channels = draw(st.integers(1, max_channels))
    values = dict(
        input_shape=(draw(st.integers(1, 2)), channels, draw(st.integers(1, max_size)), draw(st.integers(1, max_size))),
        kernel_size=(draw(st.integers(1, 4)), draw(st.integers(1, 4))),
        stride=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        padding=(draw(st.integers(0, 3)), draw(st.integers(0, 3))),
        operation=operation,
    )
    if operation != "avg_pool":
        values["dilation"] = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    if operation.endswith("_pool"):
        values["ceil_mode"] = draw(st.booleans())
        if operation == "avg_pool":
            values["count_include_pad"] = draw(st.booleans())
    else:
        groups = draw(st.sampled_from([1, 1, 2, 3, 4]))
        values["groups"] = groups
        values["out_channels"] = draw(st.sampled_from([groups, 2 * groups, draw(st.integers(1, max_channels))]))
        if groups > 1:
            values["input_shape"] = (values["input_shape"][0], draw(st.sampled_from([groups, 2 * groups, channels])),
                                     *values["input_shape"][2:])
        if operation == "conv_transpose":
            values["output_padding"] = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    return values


@st.composite
def operation_specs(draw, operation=None, max_size=9, max_channels=4):
    """Valid specs of any operation (or of `operation`)."""
    from hypothesis import assume

    values = draw(operation_values(operation, max_size, max_channels))
    try:
        return ConvSpec(**values)
    except ConvSpecError:
        assume(False)
