"""Fuzzing the spec's fields: the only outcomes allowed are ConvSpecError or a correct result."""

from helpers.fuzz import FUZZ, absurd_values, check_result_is_correct, spec_fields
from hypothesis import given
from hypothesis import strategies as st

from convviz import ConvSpec, ConvSpecError


@FUZZ
@given(
    base=st.fixed_dictionaries(
        {
            "input_shape": st.tuples(*[st.integers(1, 6)] * 4),
            "out_channels": st.integers(1, 3),
            "kernel_size": st.integers(1, 4),
        }
    ),
    changes=st.dictionaries(spec_fields, absurd_values, max_size=3),
)
def test_spec_fields_fuzz(base, changes):
    values = {**base, **changes}
    try:
        spec = ConvSpec(**values)
    except ConvSpecError as error:
        assert str(error)
        return
    check_result_is_correct(spec)
