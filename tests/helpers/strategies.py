"""Hypothesis strategies shared by the tests: specs the core must accept."""

from hypothesis import strategies as st

from convviz.core import ConvSpec, ConvSpecError


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
